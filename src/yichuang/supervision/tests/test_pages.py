"""The pages and the API: who sees what, the steps through forms and JSON, 403 / 404 / 422, never a 500."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from yichuang.supervision import services
from yichuang.supervision.models import Order, SupervisionTask

from .conftest import take_in


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def future(days=2) -> dt.datetime:
    return timezone.localtime() + dt.timedelta(days=days)


@pytest.fixture
def red_case(office):
    from yichuang.intake.tests.helpers import T0

    return take_in(office.hall, now=T0)  # due in March 2026: red ever since


def _order(office, case, level="blue"):
    return services.issue_order(
        office.supervisor, case=case, level=level, instruction="请尽快办结。", reply_due=future()
    )


def test_board_shows_red_cases_with_a_link_to_issue(office, red_case):
    r = client_for(office.supervisor).get("/supervision/")
    assert r.status_code == 200
    html = r.content.decode()
    assert red_case.number in html and "红灯" in html
    assert f"/supervision/orders/new/?case={red_case.number}" in html
    assert client_for(office.hall.admin).get("/supervision/").status_code == 200
    assert client_for(office.officer).get("/supervision/").status_code == 403
    assert Client().get("/supervision/").status_code == 302


def test_issue_reply_escalate_close_through_the_pages(office, red_case):
    sup = client_for(office.supervisor)
    r = sup.get(f"/supervision/orders/new/?case={red_case.number}")
    assert r.status_code == 200
    # Errors at the field, nothing saved.
    r = sup.post(
        "/supervision/orders/new/",
        {"case": red_case.number, "level": "blue", "instruction": "x", "reply_due": "2020-01-01T10:00"},
    )
    assert r.status_code == 200 and "答复期限须晚于现在" in r.content.decode()
    assert not Order.objects.exists()
    due = future().strftime("%Y-%m-%dT%H:%M")
    r = sup.post(
        "/supervision/orders/new/",
        {"case": red_case.number, "level": "blue", "instruction": "请说明原因", "reply_due": due},
    )
    order = Order.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/supervision/orders/{order.number}/"

    officer = client_for(office.officer)
    assert order.number in officer.get("/supervision/orders/").content.decode()
    assert order.number not in client_for(office.tax_officer).get("/supervision/orders/").content.decode()
    assert client_for(office.tax_officer).get(f"/supervision/orders/{order.number}/").status_code == 404
    page = officer.get(f"/supervision/orders/{order.number}/").content.decode()
    assert 'id="reply-form"' in page and 'id="escalate-form"' not in page
    r = officer.post(f"/supervision/orders/{order.number}/reply/", {"text": ""})
    assert r.status_code == 200 and "errorlist" in r.content.decode()
    r = officer.post(f"/supervision/orders/{order.number}/reply/", {"text": "已办结"})
    assert r.status_code == 302
    assert (
        officer.post(f"/supervision/orders/{order.number}/escalate/", {"text": "x", "reply_due": due}).status_code
        == 403
    )

    r = sup.post(f"/supervision/orders/{order.number}/escalate/", {"text": "仍未办结", "reply_due": due})
    assert r.status_code == 302
    r = sup.post(f"/supervision/orders/{order.number}/close/", {"text": "已整改"})
    assert r.status_code == 302
    order.refresh_from_db()
    assert (order.level, order.status) == ("orange", "closed")
    page = sup.get(f"/supervision/orders/{order.number}/").content.decode()
    assert page.count('data-kind="') == 4


def test_ledger_filters_and_bad_input(office, red_case):
    _order(office, red_case)
    _order(office, red_case, level="red")
    sup = client_for(office.supervisor)
    assert sup.get("/supervision/orders/?level=red").content.decode().count('data-order="') == 1
    assert sup.get("/supervision/orders/?status=closed").content.decode().count('data-order="') == 0
    assert sup.get(f"/supervision/orders/?department={office.hall.samr.pk}").content.decode().count('data-order="') == 2
    for query in ("?level=purple", "?department=abc", "?page=999", "?status=%00"):
        assert sup.get("/supervision/orders/" + query).status_code == 200
    assert sup.get("/supervision/orders/DB-2026-9999/").status_code == 404
    assert sup.get("/supervision/orders/new/?case=nope").status_code == 404
    assert sup.get("/supervision/orders/new/?case=%00").status_code == 404
    assert client_for(office.officer).get(f"/supervision/orders/new/?case={red_case.number}").status_code == 403
    assert client_for(office.hall.general_clerk).get("/supervision/orders/").status_code == 403


def test_tasks_page_and_status(office):
    task = SupervisionTask.objects.create(code="16-4-1-1", title="推行综合受理模式", lead_unit="县自然资源局")
    sup = client_for(office.supervisor)
    assert "推行综合受理模式" in sup.get("/supervision/tasks/").content.decode()
    assert sup.post(f"/supervision/tasks/{task.code}/status/", {"status": "done"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "done"
    officer = client_for(office.officer)
    assert officer.get("/supervision/tasks/").status_code == 200
    assert officer.post(f"/supervision/tasks/{task.code}/status/", {"status": "pending"}).status_code == 403
    assert sup.post("/supervision/tasks/nope/status/", {"status": "done"}).status_code == 404


def test_api_board_and_order_steps(office, red_case):
    sup = client_for(office.supervisor)
    r = sup.get("/api/supervision/board")
    assert r.status_code == 200
    body = r.json()
    assert body["red_total"] == 1 and body["red"][0]["number"] == red_case.number
    assert body["departments"][0]["department"] == "samr"
    assert client_for(office.officer).get("/api/supervision/board").status_code == 403

    r = sup.post(
        "/api/supervision/orders",
        {"case": red_case.number, "level": "purple", "instruction": "", "reply_due": "2020-01-01T10:00:00+08:00"},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"level", "instruction", "reply_due"}
    r = sup.post(
        "/api/supervision/orders",
        {"case": "nope", "instruction": "x", "reply_due": future().isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "case"
    r = sup.post(
        "/api/supervision/orders",
        {"case": red_case.number, "instruction": "请说明原因", "reply_due": future().isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 201
    number = r.json()["number"]
    assert r.json()["events"][0]["kind"] == "issued"

    officer = client_for(office.officer)
    assert (
        officer.post(
            "/api/supervision/orders",
            {"case": red_case.number, "instruction": "x", "reply_due": future().isoformat()},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert client_for(office.tax_officer).get(f"/api/supervision/orders/{number}").status_code == 404
    assert (
        client_for(office.tax_officer)
        .post(f"/api/supervision/orders/{number}/reply", {"text": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    r = officer.post(f"/api/supervision/orders/{number}/reply", {"text": "已办"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "replied"
    r = officer.post(f"/api/supervision/orders/{number}/reply", {"text": "再答"}, content_type="application/json")
    assert r.status_code == 422
    r = sup.post(
        f"/api/supervision/orders/{number}/escalate",
        {"text": "x", "reply_due": future().isoformat()},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["level"] == "orange"
    r = sup.post(f"/api/supervision/orders/{number}/close", {"text": "ok"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "closed" and len(r.json()["events"]) == 4

    assert [o["number"] for o in officer.get("/api/supervision/orders").json()] == [number]
    assert client_for(office.tax_officer).get("/api/supervision/orders").json() == []
    assert sup.get("/api/supervision/orders?level=red").json() == []
    assert sup.get("/api/supervision/orders?level=purple").status_code == 422
    assert sup.get("/api/supervision/orders?department=nope").status_code == 422
    assert sup.get("/api/supervision/orders/DB-1-%00").status_code == 404
    assert client_for(office.hall.general_clerk).get("/api/supervision/orders").status_code == 403
    assert Client().get("/api/supervision/orders").status_code == 401


def test_the_board_warns_of_an_unknown_calendar_year(office, monkeypatch):
    from yichuang.clock import queries as clock_queries

    monkeypatch.setattr(clock_queries, "calendar_warnings_today", lambda: ["2027年的节假日安排尚未录入"])
    page = client_for(office.supervisor).get("/supervision/").content.decode()
    assert "calendar-warning" in page and "2027年的节假日安排尚未录入" in page
