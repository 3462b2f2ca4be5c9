import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yichuang.backoffice import services as office_services
from yichuang.core.models import AuditEvent
from yichuang.intake.models import MaterialStatus, SubmissionMaterial, TimelineEvent
from yichuang.intake.tests.helpers import BUNDLE_MATERIALS, PERSON, T0, received
from yichuang.intake.tests.ids import resident_id
from yichuang.notifications.models import Message
from yichuang.output import services
from yichuang.output.models import Handover, HandoverItem, OutputRules, Reminder

from .conftest import AGENT, LATER, SIGNATURE, approve, approve_all, bundle, officer_for, ready_single, reject


def messages(submission, kind):
    return list(Message.objects.filter(submission=submission.number, kind=kind))


def hand(desk, submission, **kw):
    args = {
        "receiver": "applicant", "id_number": PERSON["id_number"], "receiver_name": "张三", "window": desk.window,
        "signature": SIGNATURE,
    }  # fmt: skip
    return services.hand_over(submission, desk.clerk, **{**args, **kw})


# --- identity ------------------------------------------------------------------------------------------


def test_applicant_id_mismatch_refused(desk):
    submission = ready_single(desk)
    with pytest.raises(ValidationError) as exc:
        hand(desk, submission, id_number=AGENT["id_number"])
    assert "不一致" in exc.value.message_dict["id_number"][0]
    with pytest.raises(ValidationError) as exc:
        hand(desk, submission, id_number="411624199003071234")  # bad check digit
    assert "id_number" in exc.value.message_dict
    assert not Handover.objects.exists()
    handover = hand(desk, submission, id_number=PERSON["id_number"].lower())
    assert handover.receiver_id_masked != PERSON["id_number"] and "*" in handover.receiver_id_masked


def test_agent_id_checked_against_the_agent_on_record(desk):
    submission = ready_single(desk, agent=AGENT)
    with pytest.raises(ValidationError) as exc:
        hand(desk, submission, receiver="agent", id_number=PERSON["id_number"], receiver_name="李四")
    assert "申请人本人" in exc.value.message_dict["receiver"][0]  # the applicant's own ID: not an agent
    with pytest.raises(ValidationError) as exc:
        other = resident_id("411624", "19700101", "789")
        hand(desk, submission, receiver="agent", id_number=other, receiver_name="王五")
    assert "不是受理时登记的代办人" in exc.value.message_dict["authorisation_kept"][0]
    handover = hand(desk, submission, receiver="agent", id_number=AGENT["id_number"], receiver_name="李四")
    assert handover.receiver == "agent" and handover.agent_on_record and not handover.authorisation_kept


def test_agent_refused_when_none_on_record(desk):
    submission = ready_single(desk)
    with pytest.raises(ValidationError) as exc:
        hand(desk, submission, receiver="agent", id_number=AGENT["id_number"], receiver_name="李四")
    assert "受理时没有登记代办人" in exc.value.message_dict["authorisation_kept"][0]
    assert not Handover.objects.exists()


def test_name_required_and_signature_format(desk):
    submission = ready_single(desk)
    with pytest.raises(ValidationError) as exc:
        hand(desk, submission, receiver_name="  ")
    assert "receiver_name" in exc.value.message_dict
    for bad in ("javascript:alert(1)", "data:image/png;base64,iVBORw0KGgo=", "data:image/png;base64,***"):
        with pytest.raises(ValidationError) as exc:
            hand(desk, submission, signature=bad)
        assert "格式不正确" in exc.value.message_dict["signature"][0]
    handover = hand(desk, submission, signature=SIGNATURE)
    assert handover.signature == SIGNATURE and handover.no_signature_reason == ""


# --- the whole submission, partial on request ------------------------------------------------------------


def test_bundle_handed_over_together(desk):
    submission = bundle(desk)
    approve_all(desk, submission)
    assert services.is_ready(submission)
    handover = hand(desk, submission)
    assert handover.items.count() == 3 and not handover.partial
    assert TimelineEvent.objects.filter(submission=submission, kind="handed_over").count() == 3
    assert AuditEvent.objects.filter(action="output.handed_over").count() == 1
    assert len(messages(submission, "handed_over")) == 1
    assert services.ready_cases(submission) == []
    with pytest.raises(ValidationError):
        hand(desk, submission)  # nothing left


def test_partial_only_when_asked(desk):
    submission = bundle(desk)
    first, second, third = submission.cases.order_by("seq")
    approve(first, officer_for(desk, first))
    approve(second, officer_for(desk, second))
    assert not services.is_ready(submission)
    with pytest.raises(ValidationError) as exc:
        hand(desk, submission)
    assert "partial" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        hand(desk, submission, cases=[first.number])
    assert "partial" in exc.value.message_dict
    handover = hand(desk, submission, cases=[first.number], partial=True)
    assert handover.partial and [i.case_id for i in handover.items.all()] == [first.pk]
    with pytest.raises(ValidationError) as exc:
        hand(desk, submission, cases=[third.number], partial=True)  # not ready
    assert "cases" in exc.value.message_dict
    approve(third, officer_for(desk, third))
    # the rest: second and third, which is everything still owed: not partial
    handover = hand(desk, submission)
    assert not handover.partial and handover.items.count() == 2


def test_case_with_outstanding_deferred_material_never_handed_over_as_issued(desk):
    materials = [m for m in received(*BUNDLE_MATERIALS) if m["material"] != "PREMISES"]
    materials.append({"material": "PREMISES", "status": "deferred", "due": "2026-03-10"})
    submission = bundle(desk, materials=materials)
    setup = submission.cases.get(matter__code="SETUP")
    with pytest.raises(ValidationError):
        approve(setup, officer_for(desk, setup))  # the back office refuses already
    setup.refresh_from_db()
    # Even if an approved case reached the window with the material outstanding (data from before the rule):
    type(setup).objects.filter(pk=setup.pk).update(status="approved", concluded_at=LATER, returned_at=LATER)
    for case in submission.cases.exclude(pk=setup.pk):
        approve(case, officer_for(desk, case))
    with pytest.raises(ValidationError) as exc:
        hand(desk, submission)
    assert "容缺" in exc.value.message_dict["cases"][0]
    assert not HandoverItem.objects.filter(case=setup).exists()
    line = SubmissionMaterial.objects.get(submission=submission, code="PREMISES")
    assert line.status == MaterialStatus.DEFERRED


def test_case_handed_over_twice_refused(desk):
    submission = ready_single(desk)
    case = submission.cases.get()
    hand(desk, submission)
    with pytest.raises(ValidationError):
        hand(desk, submission, cases=[case.number], partial=True)
    with pytest.raises(ValidationError):
        services.mail(submission, desk.clerk, address="沈丘县", carrier="EMS", tracking_number="EMS12345")
    assert HandoverItem.objects.filter(case=case).count() == 1


def test_only_output_clerks_hand_over(desk):
    submission = ready_single(desk)
    for user in (desk.office.officer, desk.office.supervisor, desk.hall.clerk):
        with pytest.raises(PermissionDenied):
            services.hand_over(
                submission, user, receiver="applicant", id_number=PERSON["id_number"], receiver_name="张三",
                signature=SIGNATURE,
            )  # fmt: skip
    services.hand_over(
        submission, desk.hall.admin, receiver="applicant", id_number=PERSON["id_number"], receiver_name="张三",
        signature=SIGNATURE,
    )  # fmt: skip


# --- mail -----------------------------------------------------------------------------------------------


def test_mail_needs_address_and_tracking_number(desk):
    submission = ready_single(desk)
    for kw, field in (
        ({"address": "", "carrier": "EMS", "tracking_number": "EMS123456"}, "address"),
        ({"address": "沈丘县槐店镇1号", "carrier": "EMS", "tracking_number": ""}, "tracking_number"),
        ({"address": "沈丘县槐店镇1号", "carrier": "EMS", "tracking_number": "!!"}, "tracking_number"),
        ({"address": "沈丘县槐店镇1号", "carrier": "", "tracking_number": "EMS123456"}, "carrier"),
    ):
        with pytest.raises(ValidationError) as exc:
            services.mail(submission, desk.clerk, **kw)
        assert field in exc.value.message_dict
    handover = services.mail(
        submission, desk.clerk, address="沈丘县槐店镇1号", carrier="EMS", tracking_number="EMS123456"
    )
    assert handover.method == "mail" and handover.tracking_number == "EMS123456"
    assert TimelineEvent.objects.filter(submission=submission, kind="mailed").count() == 1
    assert "EMS123456" in messages(submission, "handed_over")[0].body


# --- the ready message ----------------------------------------------------------------------------------


def test_one_ready_message_for_a_bundle(desk):
    submission = bundle(desk)
    cases = list(submission.cases.order_by("seq"))
    for case in cases[:-1]:
        approve(case, officer_for(desk, case))
        assert messages(submission, "result_ready") == []
    approve(cases[-1], officer_for(desk, cases[-1]))
    [message] = messages(submission, "result_ready")
    assert "3 个办件已全部办结" in message.body and "企业开办" in message.body
    assert services.result_returned(cases[-1]) is False  # once
    assert len(messages(submission, "result_ready")) == 1


def test_rejected_case_keeps_its_notice(desk):
    submission = bundle(desk)
    first, *rest = submission.cases.order_by("seq")
    reject(first, officer_for(desk, first))
    assert len(messages(submission, "rejected")) == 1
    for case in rest:
        approve(case, officer_for(desk, case))
    assert len(messages(submission, "result_ready")) == 1
    assert len(messages(submission, "rejected")) == 1


def test_delegated_result_ready_only_when_returned(desk):
    hall = desk.hall
    submission = bundle(desk)  # stationed departments only; now a delegated one, alone
    assert submission
    from .conftest import take_in

    case = take_in(hall, "ELDERLY", materials=received("ID", "PLAN"))
    batch = case.handoff
    office_services.collect_handoff(batch, desk.office.civil_officer, signer="王五", now=LATER)
    approve(case, desk.office.civil_officer, now=LATER + dt.timedelta(hours=1))
    sub = case.submission
    assert messages(sub, "result_ready") == [] and not services.is_ready(sub)
    office_services.return_results([case], desk.office.civil_officer, now=LATER + dt.timedelta(hours=2))
    assert len(messages(sub, "result_ready")) == 1 and services.is_ready(sub)


# --- find ----------------------------------------------------------------------------------------------


def test_find_by_numbers_and_id(desk):
    submission = ready_single(desk, agent=AGENT)
    case = submission.cases.get()
    assert services.find(submission.number) == [submission]
    assert services.find(case.number) == [submission]
    assert services.find(PERSON["id_number"]) == [submission]
    assert services.find(AGENT["id_number"].lower()) == [submission]
    assert services.find("") == [] and services.find("' OR 1=1 --") == [] and services.find("x" * 500) == []


# --- reminders -----------------------------------------------------------------------------------------


def test_reminders_once_per_round_and_idempotent(desk):
    OutputRules.objects.create(remind_after_days=7)
    submission = ready_single(desk)
    assert services.send_reminders(LATER + dt.timedelta(days=6)) == 0
    assert services.send_reminders(LATER + dt.timedelta(days=7, hours=1)) == 1
    assert services.send_reminders(LATER + dt.timedelta(days=8)) == 0
    assert services.send_reminders(LATER + dt.timedelta(days=14, hours=1)) == 1
    assert services.send_reminders(LATER + dt.timedelta(days=14, hours=2)) == 0
    assert list(Reminder.objects.filter(submission=submission).values_list("round", flat=True).order_by("round")) == [
        1,
        2,
    ]
    reminders = [m for m in messages(submission, "result_reminder") if "尚未领取" in m.body]
    assert len(reminders) == 2
    hand(desk, submission)
    assert services.send_reminders(LATER + dt.timedelta(days=30)) == 0


def test_partly_ready_submission_not_reminded(desk):
    submission = bundle(desk)
    first = submission.cases.order_by("seq").first()
    approve(first, officer_for(desk, first))
    assert services.send_reminders(T0 + dt.timedelta(days=20)) == 0


def test_sweep_sends_reminders(desk):
    from yichuang.backoffice import sweep

    ready_single(desk)
    report = sweep.run(LATER + dt.timedelta(days=8))
    assert report.uncollected == 1
    assert sweep.run(LATER + dt.timedelta(days=8)).uncollected == 0


def test_ready_list(desk):
    submission = ready_single(desk)
    rows = services.ready_list(now=LATER + dt.timedelta(days=3))
    assert [r.submission for r in rows] == [submission]
    assert rows[0].complete and rows[0].days == 3


def test_is_ready_before_conclusion(desk):
    submission = bundle(desk)
    assert not services.is_ready(submission) and services.ready_cases(submission) == []
    assert T0


def test_find_by_todays_ticket_number(desk):
    from yichuang.intake.models import Submission
    from yichuang.queue import services as queue_services

    submission = ready_single(desk)
    ticket = queue_services.issue_ticket(desk.hall.general)
    Submission.objects.filter(pk=submission.pk).update(ticket=ticket)
    assert services.find(ticket.number.lower()) == [submission]
    assert services.find(ticket.number, today=ticket.date + dt.timedelta(days=1)) == []


def test_remind_command(desk):
    from io import StringIO

    from django.core.management import call_command

    ready_single(desk)
    Reminder.objects.all().delete()
    out = StringIO()
    call_command("output", "remind", stdout=out)  # results ready since March: due for a reminder now
    assert "结果待领取提醒：1" in out.getvalue()
    out = StringIO()
    call_command("output", "remind", stdout=out)
    assert "结果待领取提醒：0" in out.getvalue()
