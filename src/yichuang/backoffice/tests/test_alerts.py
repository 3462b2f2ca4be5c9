"""Alerts people see: each their own (an officer's or lead's department; a supervisor's kinds everywhere), read
per person, marked read once however often they click, and another department's alert is a 404 like a missing one
— on the pages, in the header and in the API."""

import pytest
import time_machine
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.test import Client
from django.urls import reverse

from yichuang.backoffice import queries, services, sweep
from yichuang.backoffice.models import Alert, AlertRead
from yichuang.core.models import AuditEvent
from yichuang.core.tests.concurrency import run_together
from yichuang.intake import services as intake
from yichuang.intake.tests.helpers import PERSON, T0, received
from yichuang.organisation import services as org_services

from .conftest import take_in

K = Alert.Kind


def raise_alert(case, kind: str) -> Alert:
    return Alert.objects.create(kind=kind, subject=f"{case.number}/{kind}", case=case, department=case.department)


@pytest.fixture
def scene(office):
    """A case of 县市场监督管理局 (samr) and one of 县税务局 (tax), each with a yellow and a red alert; the samr
    case also with a reminder record and an overdue correction."""
    samr = take_in(office.hall)
    tax = intake.submit(
        actor=office.hall.clerk, applicant=PERSON, matters=["INVOICE"], materials=received("LICENCE"),
        window=office.hall.w1, now=T0,
    ).cases.get()  # fmt: skip
    assert tax.department == office.hall.tax
    return {
        "samr": samr,
        "tax": tax,
        "samr_yellow": raise_alert(samr, K.CASE_YELLOW),
        "samr_red": raise_alert(samr, K.CASE_RED),
        "samr_due": raise_alert(samr, K.CORRECTION_DUE),
        "samr_overdue": raise_alert(samr, K.CORRECTION_OVERDUE),
        "tax_yellow": raise_alert(tax, K.CASE_YELLOW),
        "tax_red": raise_alert(tax, K.CASE_RED),
    }


def ids(user, **kw) -> set[int]:
    return set(queries.alerts_for(user, **kw).values_list("pk", flat=True))


def pks(scene, *names) -> set[int]:
    return {scene[n].pk for n in names}


# --- whose alerts --------------------------------------------------------------------------------------


def test_each_sees_their_own(office, scene):
    samr_all = pks(scene, "samr_yellow", "samr_red", "samr_due", "samr_overdue")
    assert ids(office.officer) == samr_all
    assert ids(office.lead) == samr_all
    assert ids(office.tax_officer) == pks(scene, "tax_yellow", "tax_red")
    assert ids(office.civil_officer) == set()
    # A supervisor: red cases everywhere, not the departments' yellow warnings, reminders or corrections.
    assert ids(office.supervisor) == pks(scene, "samr_red", "tax_red")
    hall_admin = office.hall.admin
    for nobody in (office.hall.general_clerk, hall_admin):
        assert not queries.sees_alerts(nobody) and ids(nobody) == set() and queries.unread_count(nobody) == 0
    assert queries.sees_alerts(office.officer) and queries.sees_alerts(office.supervisor)


def test_the_sweeps_alerts_reach_the_department_and_the_supervisor(office):
    import datetime as dt

    case = take_in(office.hall)
    sweep.raise_warnings(dt.datetime(2026, 3, 16, 10, 0, tzinfo=T0.tzinfo))  # PERMIT of T0 is red on Monday
    red = Alert.objects.get(kind=K.CASE_RED, subject=case.number)
    assert red.pk in ids(office.officer) and red.pk in ids(office.supervisor)
    assert red.pk not in ids(office.tax_officer)


# --- read state ----------------------------------------------------------------------------------------


def test_read_state_is_per_person(office, scene):
    assert queries.unread_count(office.officer) == 4 and queries.unread_count(office.lead) == 4
    assert services.mark_alerts_read(office.officer, [scene["samr_red"].pk]) == 1
    assert ids(office.officer, unread_only=True) == pks(scene, "samr_yellow", "samr_due", "samr_overdue")
    assert queries.unread_count(office.lead) == 4 and queries.unread_count(office.officer2) == 4
    assert queries.unread_count(office.supervisor) == 2
    [mine] = [a for a in queries.alerts_for(office.officer) if a.pk == scene["samr_red"].pk]
    [leads] = [a for a in queries.alerts_for(office.lead) if a.pk == scene["samr_red"].pk]
    assert mine.read_at is not None and leads.read_at is None


def test_marking_read_is_idempotent(office, scene):
    red = scene["samr_red"].pk
    assert services.mark_alerts_read(office.officer, [red, red]) == 1
    first = AlertRead.objects.get(alert_id=red, user=office.officer).read_at
    assert services.mark_alerts_read(office.officer, [red]) == 0  # a double click, a second tab
    assert services.mark_alerts_read(office.officer, [red, scene["samr_yellow"].pk]) == 1
    assert AlertRead.objects.filter(alert_id=red, user=office.officer).get().read_at == first
    assert AuditEvent.objects.filter(action="backoffice.alerts_read", actor=office.officer).count() == 2
    assert services.mark_alerts_read(office.officer, []) == 0


@pytest.mark.django_db(transaction=True)
def test_two_tabs_at_once_mark_it_once(office, scene):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; test_marking_read_is_idempotent covers it sequentially")
    red = scene["samr_red"].pk
    results = run_together(*(lambda: services.mark_alerts_read(office.officer, [red]) for _ in range(2)))
    assert [r[0] for r in results] == ["ok", "ok"], results
    assert AlertRead.objects.filter(alert_id=red, user=office.officer).count() == 1


def test_nobody_marks_another_departments_alert(office, scene):
    for user, alert in (
        (office.officer, scene["tax_red"]),
        (office.tax_officer, scene["samr_red"]),
        (office.supervisor, scene["samr_yellow"]),  # a department's own warning
        (office.hall.general_clerk, scene["samr_red"]),
    ):
        with pytest.raises(ObjectDoesNotExist):
            services.mark_alerts_read(user, [alert.pk])
    with pytest.raises(ObjectDoesNotExist):  # one of them not the officer's: nothing is marked
        services.mark_alerts_read(office.officer, [scene["samr_red"].pk, scene["tax_red"].pk])
    for bad in ([999_999], [0], [-1], [2**63], [True]):
        with pytest.raises(ObjectDoesNotExist):
            services.mark_alerts_read(office.officer, bad)
    assert not AlertRead.objects.exists()


# --- pages ---------------------------------------------------------------------------------------------


def url(name, *args):
    return reverse(f"backoffice:{name}", args=args)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_page_and_marking_read(office, scene):
    officer = login(office.officer)
    page = officer.get(url("alerts")).content.decode()
    for label in ("办件黄灯预警", "办件红灯超期", "补正逾期", "补正期限将到，已提醒申请人"):
        assert label in page
    assert scene["samr"].number in page and url("case", scene["samr"].number) in page
    assert "县市场监督管理局" in page and scene["tax"].number not in page
    assert 'id="alert-count" class="alert-count" data-unread="4"' in page
    # Newest first.
    order = [page.index(f'data-alert="{a.pk}"') for a in (scene["samr_overdue"], scene["samr_due"])]
    assert order == sorted(order)

    done = officer.post(url("alerts_read"), {"alert": [scene["samr_red"].pk], "next": url("alerts")})
    assert done.status_code == 302 and done["Location"] == url("alerts")
    again = officer.post(url("alerts_read"), {"alert": [scene["samr_red"].pk]})  # double click: no error
    assert again.status_code == 302
    unread = officer.get(url("alerts")).content.decode()
    assert f'data-alert="{scene["samr_red"].pk}"' not in unread and 'data-unread="3"' in unread
    everything = officer.get(url("alerts"), {"show": "all"}).content.decode()
    assert f'data-alert="{scene["samr_red"].pk}"' in everything and "已读" in everything
    # The lead has not read it.
    assert 'data-unread="4"' in login(office.lead).get(url("alerts")).content.decode()

    shown = [scene[n].pk for n in ("samr_yellow", "samr_due", "samr_overdue")]
    assert officer.post(url("alerts_read"), {"alert": shown}).status_code == 302  # all shown
    assert queries.unread_count(office.officer) == 0
    assert "没有未读的预警提醒" in officer.get(url("alerts")).content.decode()


def test_another_departments_alert_is_a_404_like_a_missing_one(office, scene):
    officer = login(office.officer)
    for value in (scene["tax_red"].pk, 999_999, "abc", "-1", "9" * 30):
        assert officer.post(url("alerts_read"), {"alert": [value]}).status_code == 404
    mixed = officer.post(url("alerts_read"), {"alert": [scene["samr_red"].pk, scene["tax_red"].pk]})
    assert mixed.status_code == 404
    assert not AlertRead.objects.exists()
    assert login(office.supervisor).post(url("alerts_read"), {"alert": [scene["samr_yellow"].pk]}).status_code == 404
    assert officer.get(url("alerts_read")).status_code == 405


def test_the_header_count_on_every_page_only_for_those_with_alerts(office, scene):
    officer = login(office.officer)
    for path in ("/", url("handoffs"), "/guide/"):
        html = officer.get(path).content.decode()
        assert 'id="alert-count"' in html and 'data-unread="4"' in html, path
    assert 'data-unread="2"' in login(office.supervisor).get("/").content.decode()
    assert 'id="alert-count"' not in login(office.hall.general_clerk).get("/").content.decode()
    assert 'id="alert-count"' not in Client().get("/").content.decode()
    assert "没有预警提醒" in login(office.hall.admin).get(url("alerts")).content.decode()


def test_the_case_page_shows_its_unread_alerts_to_mark_read(office):
    case = take_in(office.hall)
    alert = raise_alert(case, K.CASE_YELLOW)
    with time_machine.travel(T0, tick=False):  # the case page shows the clock: a day the calendar knows
        officer = login(office.officer)
        page = officer.get(url("case", case.number)).content.decode()
        assert 'id="case-alerts"' in page and f'data-alert="{alert.pk}"' in page
        officer.post(url("alerts_read"), {"alert": [alert.pk], "next": url("case", case.number)})
        assert 'id="case-alerts"' not in officer.get(url("case", case.number)).content.decode()
        assert 'id="case-alerts"' in login(office.lead).get(url("case", case.number)).content.decode()


# --- API -----------------------------------------------------------------------------------------------


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(user)}")


def test_the_api_lists_and_marks_with_the_same_rules(office, scene):
    officer = api(office.officer)
    listed = officer.get("/api/office/alerts")
    assert listed.status_code == 200, listed.content
    data = listed.json()
    assert data["unread"] == 4 and (data["page"], data["pages"]) == (1, 1)
    assert {i["id"] for i in data["items"]} == pks(scene, "samr_yellow", "samr_red", "samr_due", "samr_overdue")
    red = next(i for i in data["items"] if i["id"] == scene["samr_red"].pk)
    assert (red["kind"], red["label"], red["case"], red["department"], red["read_at"]) == (
        "case_red", "办件红灯超期", scene["samr"].number, "samr", None,
    )  # fmt: skip

    marked = officer.post(f"/api/office/alerts/{scene['samr_red'].pk}/read")
    assert marked.json() == {"marked": 1, "unread": 3}
    assert officer.post(f"/api/office/alerts/{scene['samr_red'].pk}/read").json() == {"marked": 0, "unread": 3}
    body = {"ids": [scene["samr_yellow"].pk, scene["samr_red"].pk]}
    assert officer.post("/api/office/alerts/read", body, content_type="application/json").json() == {
        "marked": 1, "unread": 2,
    }  # fmt: skip
    assert api(office.lead).get("/api/office/alerts").json()["unread"] == 4  # per person
    everything = officer.get("/api/office/alerts?show=all").json()["items"]
    assert len(everything) == 4 and sum(1 for i in everything if i["read_at"]) == 2

    assert officer.post(f"/api/office/alerts/{scene['tax_red'].pk}/read").status_code == 404
    assert officer.post("/api/office/alerts/999999/read").status_code == 404
    assert officer.post(f"/api/office/alerts/{2**70}/read").status_code in (404, 422)
    mixed = {"ids": [scene["samr_due"].pk, scene["tax_red"].pk]}
    assert officer.post("/api/office/alerts/read", mixed, content_type="application/json").status_code == 404
    assert queries.unread_count(office.officer) == 2
    assert officer.get("/api/office/alerts?show=nonsense").status_code == 422
    supervisor = api(office.supervisor).get("/api/office/alerts").json()
    assert {i["id"] for i in supervisor["items"]} == pks(scene, "samr_red", "tax_red")
    assert api(office.hall.general_clerk).get("/api/office/alerts").json() == {
        "items": [], "unread": 0, "page": 1, "pages": 1,
    }  # fmt: skip
    assert Client().get("/api/office/alerts").status_code == 401


def test_the_count_stops_at_a_hundred(office):
    case = take_in(office.hall)
    Alert.objects.bulk_create(
        [Alert(kind=K.CASE_YELLOW, subject=f"x{i}", case=case, department=case.department) for i in range(101)]
    )
    assert queries.unread_count(office.officer) == 100
    page = login(office.officer).get(url("alerts")).content.decode()
    assert 'data-unread="100"' in page and "<strong>99+</strong>" in page and "至少 100 条未读" in page
    assert page.count("<tr data-alert=") == 50  # 50 a page
