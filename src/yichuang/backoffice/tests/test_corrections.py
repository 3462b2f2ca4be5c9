"""The correction (补正) deadline: the applicant reminded once before it, the department warned once after it, the
case deemed withdrawn (视为撤回申请) by an officer — or by the sweep, only when the hall's rules say so."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from yichuang.backoffice import queries, services, sweep
from yichuang.backoffice.models import Alert, AlertRead, BackofficeRules, Decision
from yichuang.core.models import AuditEvent
from yichuang.intake.models import Case, TimelineEvent
from yichuang.intake.tests.helpers import T0
from yichuang.notifications.models import Message
from yichuang.organisation import services as org_services

from .conftest import take_in

SH = T0.tzinfo
DUE = dt.date(2026, 3, 13)  # Friday: the correction asked on Tue 03-10 must arrive by then


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, 0, tzinfo=SH)


WED, THU, FRI, SAT, MON = at(11), at(12), at(13, 16), at(14), at(16)


def in_correction(office, due: dt.date = DUE) -> Case:
    """A PERMIT case of 县市场监督管理局, claimed on Tue 03-10 and waiting for a correction due `due`."""
    case = take_in(office.hall)
    services.claim(case, office.officer, now=T0)
    services.request_correction(
        case, office.officer, items=[{"material": "ID", "note": "复印件不清晰"}], due=due, now=at(10, 11)
    )
    return Case.objects.get(pk=case.pk)


def reminders() -> list[Message]:
    return list(Message.objects.filter(kind="correction", subject="补正期限提醒"))


def rules(**values) -> BackofficeRules:
    current = BackofficeRules.current()
    for name, value in values.items():
        setattr(current, name, value)
    current.full_clean()
    current.save()
    return current


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


# --- the reminder --------------------------------------------------------------------------------------


def test_the_applicant_is_reminded_once_a_working_day_before_the_due_date(office):
    case = in_correction(office)
    assert sweep.run(WED).correction_reminded == 0  # Fri is two working days away
    assert reminders() == []
    first = sweep.run(THU)
    assert first.correction_reminded == 1
    [message] = reminders()
    assert case.number in message.body and "2026-03-13" in message.body and "视为撤回申请" in message.body
    assert message.recipient == "13912345678"
    assert Alert.objects.filter(kind="correction_due", subject=case.number).count() == 1
    assert sweep.run(THU).correction_reminded == 0  # run twice: once only
    assert sweep.run(FRI).correction_reminded == 0
    assert len(reminders()) == 1


def test_reminder_days_come_from_the_rules_and_zero_means_none(office):
    case = in_correction(office)
    rules(correction_reminder_days=3)
    assert sweep.run(at(10, 15)).correction_reminded == 1  # Tue: Fri is within 3 working days
    assert [m.submission for m in reminders()] == [case.submission.number]

    other = in_correction(office)
    rules(correction_reminder_days=0)
    assert sweep.run(FRI).correction_reminded == 0  # due today, but reminders are off
    assert not Alert.objects.filter(kind="correction_due", subject=other.number).exists()
    with pytest.raises(ValidationError):
        rules(correction_reminder_days=11)


def test_a_received_correction_is_neither_reminded_nor_overdue(office):
    case = in_correction(office)
    services.receive_correction(case, office.officer, now=WED)
    assert sweep.run(THU).correction_reminded == 0
    report = sweep.run(MON)
    assert (report.correction_overdue, report.withdrawn) == (0, 0)
    assert not Alert.objects.filter(kind__startswith="correction").exists()


# --- overdue -------------------------------------------------------------------------------------------


def test_an_overdue_correction_is_raised_once_for_the_department(office):
    case = in_correction(office)
    assert sweep.run(FRI).correction_overdue == 0  # the due day itself is still in time
    assert sweep.run(SAT).correction_overdue == 1
    assert sweep.run(MON).correction_overdue == 0
    alert = Alert.objects.get(kind="correction_overdue")
    assert (alert.subject, alert.case_id, alert.department_id) == (case.number, case.pk, case.department_id)
    assert alert.get_kind_display() == "补正逾期"
    assert fresh(case).status == "correction"  # the rules leave the decision to the officer by default
    assert queries.correction_overdue(case.correction, fresh(case), MON.date())
    assert not queries.correction_overdue(case.correction, fresh(case), DUE)


# --- deemed withdrawn ----------------------------------------------------------------------------------


def test_deem_withdrawn_only_after_the_due_date_by_the_department(office):
    case = in_correction(office)
    with pytest.raises(ValidationError, match="尚未届满"):
        services.deem_withdrawn(case, office.officer, now=FRI)
    with pytest.raises(PermissionDenied):
        services.deem_withdrawn(case, office.tax_officer, now=MON)  # another department
    with pytest.raises(PermissionDenied):
        services.deem_withdrawn(case, office.supervisor, now=MON)  # supervisors see, they do not act
    assert services.deem_withdrawn(case, None, now=FRI) is None  # the system before the due date: nothing
    assert fresh(case).status == "correction" and not Decision.objects.exists()

    decision = services.deem_withdrawn(case, office.officer2, reasons="", legal_basis="某某条例第十条", now=MON)
    case = fresh(case)
    assert (case.status, case.concluded_at, case.paused_at) == ("terminated", MON, None)
    assert (decision.outcome, decision.decided_by) == ("withdrawn", office.officer2)
    assert decision.legal_basis == "某某条例第十条"
    assert "2026-03-13" in decision.reasons and "视为撤回申请" in decision.reasons
    event = TimelineEvent.objects.get(case=case, kind="withdrawn")
    assert event.detail["withdrawn"] is True and event.actor == office.officer2
    assert AuditEvent.objects.filter(action="backoffice.deem_withdrawn", object_id=str(case.pk)).count() == 1
    [told] = Message.objects.filter(kind="terminated")
    assert told.subject == "视为撤回申请告知" and case.number in told.body and "2026-03-13" in told.body
    # The lead and the supervisor have it unread; the officer who did it has read it.
    alert = Alert.objects.get(kind="withdrawn", subject=case.number)
    assert set(AlertRead.objects.filter(alert=alert).values_list("user", flat=True)) == {office.officer2.pk}
    assert queries.unread_count(office.lead) == 1 and queries.unread_count(office.supervisor) == 1

    with pytest.raises(ValidationError, match="已办结"):
        services.deem_withdrawn(case, office.officer, now=MON)  # twice
    assert services.deem_withdrawn(case, None, now=MON) is None
    assert Decision.objects.count() == 1 and Message.objects.filter(kind="terminated").count() == 1


def test_deem_withdrawn_needs_an_open_correction(office):
    running = take_in(office.hall)
    services.claim(running, office.officer, now=T0)
    with pytest.raises(ValidationError, match="没有待补正"):
        services.deem_withdrawn(running, office.officer, now=MON)
    supplied = in_correction(office)
    services.receive_correction(supplied, office.officer, now=THU)
    with pytest.raises(ValidationError, match="没有待补正"):
        services.deem_withdrawn(supplied, office.officer, now=MON)
    with pytest.raises(ValidationError):
        services.deem_withdrawn(in_correction(office), office.officer, reasons="x\x00", now=MON)


def test_the_sweep_withdraws_only_when_the_rules_say_so(office):
    case = in_correction(office)
    later = in_correction(office, due=dt.date(2026, 3, 20))
    report = sweep.run(MON)
    assert (report.withdrawn, report.correction_overdue) == (0, 1)
    assert fresh(case).status == "correction"

    rules(auto_withdraw_overdue_corrections=True)
    report = sweep.run(MON)
    assert report.withdrawn == 1
    case = fresh(case)
    assert case.status == "terminated" and case.decision.outcome == "withdrawn" and case.decision.decided_by is None
    assert TimelineEvent.objects.get(case=case, kind="withdrawn").detail["automatic"] is True
    assert Alert.objects.filter(kind="withdrawn", subject=case.number, department=case.department).count() == 1
    assert not AlertRead.objects.exists()  # nobody did it: everyone concerned has it unread
    assert fresh(later).status == "correction"  # not due yet
    assert sweep.run(MON).withdrawn == 0
    assert Message.objects.filter(kind="terminated").count() == 1


def test_the_sweep_withdraws_before_it_warns(office):
    """With automatic withdrawal on, a case overdue at the first sweep is withdrawn, not also warned about."""
    case = in_correction(office)
    rules(auto_withdraw_overdue_corrections=True)
    report = sweep.run(MON)
    assert (report.withdrawn, report.correction_overdue) == (1, 0)
    assert set(Alert.objects.filter(case=case).values_list("kind", flat=True)) == {"withdrawn"}


# --- pages and API -------------------------------------------------------------------------------------


def url(name, *args):
    return reverse(f"backoffice:{name}", args=args)


@pytest.fixture
def traveller():
    """Pages and the API act at the real "now": travel to T0 (before the hall is built, so that its clerks
    are seated on that day), and move on from there."""
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def office_then(traveller, office):
    return office


def test_the_pages_show_the_overdue_correction_and_withdraw(client, traveller, office_then):
    office = office_then
    case = in_correction(office)
    traveller.move_to(FRI)
    client.force_login(office.officer)  # a session lasts a working day: sign in on the day
    page = client.get(url("case", case.number)).content.decode()
    assert "补正逾期" not in page and "form-withdraw" not in page
    refused = client.post(url("act", case.number, "withdraw"))
    assert refused.status_code == 422 and "尚未届满" in refused.content.decode()

    traveller.move_to(MON)
    client.force_login(office.officer)
    worklist = client.get(url("worklist"), {"show": "paused"}).content.decode()
    assert "data-correction-overdue" in worklist and "补正逾期" in worklist
    page = client.get(url("case", case.number)).content.decode()
    assert 'id="correction-overdue"' in page and 'id="form-withdraw"' in page
    other = Client()
    other.force_login(office.tax_officer)
    assert other.post(url("act", case.number, "withdraw")).status_code == 404
    assert other.get(url("withdrawn_notice", case.number)).status_code == 404
    assert client.get(url("withdrawn_notice", case.number)).status_code == 404  # not withdrawn yet

    done = client.post(url("act", case.number, "withdraw"), {"reasons": "", "legal_basis": "依据某条例"})
    assert done.status_code == 302
    assert fresh(case).status == "terminated"
    page = client.get(url("case", case.number)).content.decode()
    assert "视为撤回申请" in page and 'id="withdrawn-notice"' in page and "form-withdraw" not in page
    notice = client.get(url("withdrawn_notice", case.number)).content.decode()
    assert "视为撤回申请告知书" in notice and "2026年3月13日" in notice and "依据某条例" in notice
    assert "张*" in notice and "张三" not in notice
    pdf = client.get(url("withdrawn_notice_pdf", case.number))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert client.post(url("act", case.number, "withdraw")).status_code == 422  # twice


def test_the_api_withdraws_with_the_same_rules(traveller, office_then):
    office = office_then

    def api(user) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {org_services.issue_api_token(user)}")

    case = in_correction(office)
    path = f"/api/office/cases/{case.number}/withdraw"
    traveller.move_to(FRI)
    officer = api(office.officer)
    assert officer.get(f"/api/office/cases/{case.number}").json()["correction"]["overdue"] is False
    early = officer.post(path, {}, content_type="application/json")
    assert early.status_code == 422 and "尚未届满" in early.json()["detail"]
    traveller.move_to(MON)
    assert officer.get(f"/api/office/cases/{case.number}").json()["correction"]["overdue"] is True
    assert api(office.tax_officer).post(path, {}, content_type="application/json").status_code == 404
    assert api(office.supervisor).post(path, {}, content_type="application/json").status_code == 403
    done = officer.post(path, {"legal_basis": "依据某条例"}, content_type="application/json")
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["status"], body["decision"]["outcome"], body["decision"]["legal_basis"]) == (
        "terminated", "withdrawn", "依据某条例",
    )  # fmt: skip
    again = officer.post(path, {}, content_type="application/json")
    assert again.status_code == 422 and "已办结" in again.json()["detail"]  # twice


# --- the rules in the admin ----------------------------------------------------------------------------


def test_the_hall_admin_edits_the_rules_one_row_never_deleted(client, office):
    admin = office.hall.admin
    client.force_login(admin)
    add = "/admin/backoffice/backofficerules/add/"
    assert client.get(add).status_code == 200
    saved = client.post(add, {"auto_withdraw_overdue_corrections": "on", "correction_reminder_days": "2"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    current = BackofficeRules.current()
    assert (current.auto_withdraw_overdue_corrections, current.correction_reminder_days) == (True, 2)
    assert client.get(add).status_code == 403  # one row
    assert client.get(f"/admin/backoffice/backofficerules/{current.pk}/delete/").status_code == 403
    change = f"/admin/backoffice/backofficerules/{current.pk}/change/"
    refused = client.post(change, {"correction_reminder_days": "99"})
    assert refused.status_code == 200 and BackofficeRules.current().correction_reminder_days == 2
    assert AuditEvent.objects.filter(actor=admin, object_type="backoffice.backofficerules").exists()
    # Supervisors may look, not change; alerts stay read-only for everyone.
    supervisor = office.supervisor
    supervisor.is_staff = True
    supervisor.save(update_fields=["is_staff"])
    client.force_login(supervisor)
    assert client.get(change).status_code == 200
    assert client.post(change, {"correction_reminder_days": "3"}).status_code == 403
    assert client.get("/admin/backoffice/alert/add/").status_code == 403


def test_defaults_when_nobody_has_set_the_rules(db):
    rules = BackofficeRules.current()
    assert (rules.pk, rules.auto_withdraw_overdue_corrections, rules.correction_reminder_days) == (None, False, 1)
