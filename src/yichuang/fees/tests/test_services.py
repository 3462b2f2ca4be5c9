"""Notices issued with the change that charges them (a rollback leaves none), sent to a gateway that fails or
is slow (retried, nothing billed twice), paid by callback or found by polling (each report applied once),
cancelled or refunded when the case ends without its result."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from yichuang.backoffice import services as office_services
from yichuang.core.models import AuditEvent
from yichuang.fees import gateways, services
from yichuang.fees.models import PaymentEvent, PaymentNotice, Stage
from yichuang.intake import services as intake
from yichuang.intake.models import Case
from yichuang.intake.tests.helpers import T0
from yichuang.output.tests.conftest import LATER, approve, reject
from yichuang.output.tests.test_services import hand

from .conftest import fee, simulator

pytestmark = pytest.mark.django_db
Status = PaymentNotice.Status


def take_in(desk):
    from yichuang.backoffice.tests.conftest import take_in as take

    return take(desk.hall)


def sent(notice, gateway):
    assert services.push(notice.pk, gateway=gateway)
    notice.refresh_from_db()
    return notice


# --- issuing --------------------------------------------------------------------------------------------


def test_a_notice_is_issued_at_acceptance_with_its_lines(desk, django_capture_on_commit_callbacks, monkeypatch):
    fee(amount="50.00")
    fee(name="检测费", amount="12.50")
    queued = []
    monkeypatch.setattr(services, "enqueue", lambda what, ids: queued.append((what, ids)))
    with django_capture_on_commit_callbacks(execute=True):
        case = take_in(desk)

    notice = PaymentNotice.objects.get(case=case)
    assert notice.number == f"{case.number}-SL"
    assert (notice.stage, notice.status, notice.amount) == (Stage.ACCEPTANCE, Status.UNPAID, Decimal("62.50"))
    assert [(x.name, x.units, x.amount) for x in notice.lines.all()] == [
        ("审查费", 1, Decimal("50.00")),
        ("检测费", 1, Decimal("12.50")),
    ]
    assert notice.sent_at is None  # the gateway is asked after the commit, by the worker
    assert queued == [("push", [notice.pk])]
    assert AuditEvent.objects.filter(action="fees.issue", object_id=str(notice.pk)).count() == 1


def test_a_failed_acceptance_leaves_no_notice(desk, monkeypatch):
    fee()

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(intake, "_timeline_of_acceptance", broken)  # after the notice, in the same transaction
    with pytest.raises(RuntimeError):
        take_in(desk)
    assert not Case.objects.exists()
    assert not PaymentNotice.objects.exists()


def test_fees_at_conclusion_only_when_approved_and_not_on_a_failed_conclusion(desk, monkeypatch):
    fee(Stage.CONCLUSION, amount="10.00")
    rejected = take_in(desk)
    reject(rejected, desk.office.officer)
    assert not PaymentNotice.objects.exists()

    failing = take_in(desk)
    office_services.claim(failing, desk.office.officer, now=LATER)
    monkeypatch.setattr(office_services.performance, "touch", lambda now: 1 / 0)  # after the notice
    with pytest.raises(ZeroDivisionError):
        office_services.conclude(failing, desk.office.officer, outcome="approved", now=LATER)
    assert not PaymentNotice.objects.exists()
    monkeypatch.undo()

    approved = take_in(desk)
    approve(approved, desk.office.officer)
    notice = PaymentNotice.objects.get()
    assert (notice.case, notice.stage, notice.number, notice.amount) == (
        approved,
        Stage.CONCLUSION,
        f"{approved.number}-BJ",
        Decimal("10.00"),
    )


def test_waived_items_units_and_no_item_no_notice(desk):
    take_in(desk)
    assert not PaymentNotice.objects.exists()  # no fee items: nothing to pay
    fee(waived_for="person")
    take_in(desk)
    assert not PaymentNotice.objects.exists()  # waived for a natural person

    fee(waived_for="")
    case = take_in(desk)
    services.case_changed([case], None, now=T0)  # told twice: still one notice
    assert PaymentNotice.objects.get().amount == Decimal("50.00")


def test_per_unit_fees_are_charged_at_approval_for_the_units_the_officer_enters(desk):
    item = fee(stage=Stage.CONCLUSION, name="复印费", amount="0.50", unit="页")
    assert item.charge(7) == Decimal("3.50")
    with pytest.raises(ValidationError):
        item.charge(0)
    officer = desk.office.officer
    refused = take_in(desk)
    office_services.claim(refused, officer, now=LATER)
    for bad in (0, -3, "七", None):
        with pytest.raises(ValidationError) as caught:
            office_services.conclude(refused, officer, outcome="approved", fee_units={item.pk: bad}, now=LATER)
        assert "fee_units" in caught.value.message_dict
    refused.refresh_from_db()
    assert refused.status == "in_progress" and not PaymentNotice.objects.exists()  # nothing half-saved

    office_services.conclude(refused, officer, outcome="approved", fee_units={item.pk: 7}, now=LATER)
    notice = PaymentNotice.objects.get(case=refused)
    assert (notice.stage, notice.amount) == (Stage.CONCLUSION, Decimal("3.50"))
    assert [(x.units, x.amount) for x in notice.lines.all()] == [(7, Decimal("3.50"))]


def test_a_per_unit_item_is_never_charged_at_acceptance(desk):
    from django.db import IntegrityError, transaction

    item = fee(stage=Stage.CONCLUSION, unit="页")
    item.stage = Stage.ACCEPTANCE
    with pytest.raises(ValidationError) as caught:
        item.full_clean()
    assert "unit" in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        item.save()


# --- the gateway: down, slow, retried, nothing twice ------------------------------------------------------


def test_gateway_down_is_retried_and_the_notice_billed_once(desk, settings):
    settings.FEES_RETRY_BASE_SECONDS = 30
    fee()
    case = take_in(desk)
    notice = PaymentNotice.objects.get(case=case)
    gateway = simulator(fail_first=2)
    now = timezone.now()

    assert services.push(notice.pk, gateway=gateway, now=now) is False
    notice.refresh_from_db()
    assert (notice.attempts, notice.sent_at, notice.next_attempt_at) == (1, None, now + dt.timedelta(seconds=30))
    assert "simulated outage" in notice.last_error
    assert services.push_due(gateway=gateway, now=now) == {"pushed": 0, "refunds_sent": 0}  # not due yet
    assert services.push_due(gateway=gateway, now=now + dt.timedelta(seconds=31)) == {"pushed": 0, "refunds_sent": 0}
    notice.refresh_from_db()
    assert notice.next_attempt_at == now + dt.timedelta(seconds=31 + 60)  # the back-off doubles

    later = now + dt.timedelta(seconds=120)
    assert services.push_due(gateway=gateway, now=later)["pushed"] == 1
    notice.refresh_from_db()
    assert notice.sent_at == later and notice.pay_code and notice.last_error == ""
    assert gateway.attempts(notice.number, "create") == 3
    # Sent: a repeated task or sync asks nothing more; the platform billed it once.
    assert services.push(notice.pk, gateway=gateway) is True
    assert services.push_due(gateway=gateway, now=later + dt.timedelta(hours=1))["pushed"] == 0
    assert gateway.attempts(notice.number, "create") == 3
    assert gateway.bill(notice.number)["created"] == 1


def test_a_slow_gateway_times_out_and_is_retried(desk, settings):
    settings.FEES_GATEWAY_TIMEOUT = 1
    fee()
    notice = PaymentNotice.objects.get(case=take_in(desk))
    slow = simulator(delay=5)
    assert services.push(notice.pk, gateway=slow) is False
    assert slow.slept == [1.0]  # it waited the timeout, not the platform's five seconds
    notice.refresh_from_db()
    assert notice.last_error == "simulated timeout" and notice.sent_at is None
    assert services.push(notice.pk, gateway=simulator()) is True


def test_the_simulator_is_idempotent_by_our_number():
    gateway = simulator()
    request = gateways.NoticeRequest("N-1", Decimal("5.00"), "张三", "person", "samr", "C-1")
    first, second = gateway.create_notice(request), gateway.create_notice(request)
    assert first == second and gateway.bill("N-1")["created"] == 1


def test_the_simulator_fails_a_share_deterministically():
    gateway = simulator(fail_rate=0.5)
    outcomes = []
    for n in range(20):
        try:
            gateway.create_notice(gateways.NoticeRequest(f"N-{n}", Decimal("1"), "x", "person", "d", "c"))
            outcomes.append(True)
        except gateways.GatewayError:
            outcomes.append(False)
    assert 3 < outcomes.count(False) < 17
    rules = gateways.SimulatorRules.parse("fail_first=2, fail_rate=0.25,delay=0.5,duplicates=1,drop_callbacks=1")
    assert (rules.fail_first, rules.fail_rate, rules.delay, rules.duplicates, rules.drop_callbacks) == (
        2, 0.25, 0.5, 1, True
    )  # fmt: skip
    with pytest.raises(AttributeError):
        gateways.SimulatorRules.parse("no_such_rule=1")


# --- payments: callbacks and polling ----------------------------------------------------------------------


def test_duplicate_callbacks_change_nothing_twice(desk):
    fee()
    gateway = simulator(duplicates=2)
    notice = sent(PaymentNotice.objects.get(case=take_in(desk)), gateway)
    gateway.pay(notice.number)
    notice.refresh_from_db()
    assert notice.status == Status.PAID and notice.paid_via == "callback"
    assert notice.receipt_number.startswith("PJ")
    events = list(PaymentEvent.objects.filter(notice=notice, source="callback"))
    assert [e.applied for e in events] == [True, False, False]
    assert {e.note for e in events[1:]} == {"already paid"}
    assert AuditEvent.objects.filter(action="fees.paid").count() == 1

    # A late callback replayed by the platform an hour later: recorded, the notice unchanged.
    paid_at, receipt = notice.paid_at, notice.receipt_number
    gateway.callback(gateways.Report(notice.number, "paid", receipt_number="PJ-OTHER", amount=notice.amount))
    notice.refresh_from_db()
    assert (notice.status, notice.paid_at, notice.receipt_number) == (Status.PAID, paid_at, receipt)
    assert PaymentEvent.objects.filter(notice=notice, applied=False).count() == 3


def test_a_wrong_amount_is_recorded_not_applied(desk):
    fee(amount="50.00")
    notice = sent(PaymentNotice.objects.get(case=take_in(desk)), simulator())
    event = services.apply(gateways.Report(notice.number, "paid", amount=Decimal("5.00")), source="callback")
    notice.refresh_from_db()
    assert notice.status == Status.UNPAID and not event.applied and "differs" in event.note
    # A poll answering the same wrong amount again and again: recorded once, the notice still unpaid.
    gateway = simulator()
    bill = gateway.bill(notice.number)
    gateway._save(notice.number, {**bill, "state": "paid", "amount": "5.00"})
    for day in (1, 2, 3):
        services.poll(gateway=gateway, now=timezone.now() + dt.timedelta(days=day))
    assert PaymentEvent.objects.filter(notice=notice, source="poll").count() == 1
    notice.refresh_from_db()
    assert notice.status == Status.UNPAID


def test_polling_finds_a_payment_the_callback_never_brought(desk, settings):
    settings.FEES_POLL_SECONDS = 60
    fee()
    gateway = simulator(drop_callbacks=True)
    now = timezone.now()
    notice = PaymentNotice.objects.get(case=take_in(desk))
    services.push(notice.pk, gateway=gateway, now=now)
    gateway.pay(notice.number)
    notice.refresh_from_db()
    assert notice.status == Status.UNPAID  # no callback came

    assert services.poll(gateway=gateway, now=now)["asked"] == 0  # its turn comes a poll period after sending
    assert services.sync(gateway=gateway, now=now + dt.timedelta(seconds=61)) == {
        "pushed": 0, "refunds_sent": 0, "asked": 1, "applied": 1, "failed": 0
    }  # fmt: skip
    notice.refresh_from_db()
    assert (notice.status, notice.paid_via) == (Status.PAID, "poll") and notice.receipt_number
    # Paid: no longer polled.
    assert services.poll(gateway=gateway, now=now + dt.timedelta(days=1))["asked"] == 0


def test_polling_an_unpaid_notice_records_nothing_and_survives_a_failing_gateway(desk):
    fee()
    notice = sent(PaymentNotice.objects.get(case=take_in(desk)), simulator())
    later = timezone.now() + dt.timedelta(days=1)
    assert services.poll(gateway=simulator(fail_first=1), now=later) == {"asked": 1, "applied": 0, "failed": 1}
    assert services.poll(gateway=simulator(), now=later + dt.timedelta(days=1))["applied"] == 0
    assert not PaymentEvent.objects.filter(source="poll").exists()
    notice.refresh_from_db()
    assert notice.status == Status.UNPAID


def two_sent_notices(desk):
    fee()
    gateway = simulator()
    first = sent(PaymentNotice.objects.get(case=take_in(desk)), gateway)
    second = sent(PaymentNotice.objects.get(case=take_in(desk)), gateway)
    return gateway, first, second


class Answering:
    """A gateway whose query answers what `answers` says for a number (a Report, or an exception to raise), and
    otherwise what the simulator answers."""

    def __init__(self, gateway, answers):
        self.gateway, self.answers = gateway, answers

    def __getattr__(self, name):
        return getattr(self.gateway, name)

    def query(self, number):
        answer = self.answers.get(number)
        if isinstance(answer, Exception):
            raise answer
        return answer or self.gateway.query(number)


def test_a_poll_answer_about_another_notice_is_a_gateway_error_for_the_one_asked(desk, settings):
    settings.FEES_POLL_SECONDS = 60
    gateway, asked, other = two_sent_notices(desk)
    later = timezone.now() + dt.timedelta(days=1)
    wrong = {
        asked.number: gateways.Report(other.number, "paid", receipt_number="PJ-ASKED", amount=other.amount),
        other.number: gateways.Report("NO-SUCH-NOTICE", "paid", receipt_number="PJ-X", amount=other.amount),
    }
    assert services.poll(gateway=Answering(gateway, wrong), now=later) == {"asked": 2, "applied": 0, "failed": 2}
    for notice in (asked, other):
        notice.refresh_from_db()
        assert (notice.status, notice.receipt_number) == (Status.UNPAID, "")  # nobody paid with another's receipt
        assert notice.last_error == "gateway answered about another notice"
        assert notice.next_attempt_at == later + dt.timedelta(seconds=60)
    assert not PaymentEvent.objects.filter(source="poll").exists()


def test_one_notice_failing_in_a_poll_does_not_stop_the_others(desk, settings, caplog):
    settings.FEES_POLL_SECONDS = 60
    gateway, broken, fine = two_sent_notices(desk)
    simulator(drop_callbacks=True).pay(fine.number)  # no callback: only the poll finds it
    later = timezone.now() + dt.timedelta(days=1)
    odd = Answering(gateway, {broken.number: ValueError("month must be in 1..12: 张三 411624199001011237")})
    with caplog.at_level("WARNING", logger="yichuang.fees.services"):
        assert services.sync(gateway=odd, now=later)["failed"] == 1
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert fine.status == Status.PAID and fine.paid_via == "poll"  # polled after the broken one
    assert broken.status == Status.UNPAID and broken.next_attempt_at == later + dt.timedelta(seconds=60)
    assert broken.last_error == "error: ValueError"
    logged = caplog.text
    assert broken.number in logged and "ValueError" in logged
    assert "张三" not in logged and "411624199001011237" not in logged  # no personal data in the log
    # Its next attempt moved on: the next run does not ask it again before its time, and does not raise.
    assert services.poll(gateway=odd, now=later + dt.timedelta(seconds=30))["asked"] == 0


def test_an_impossible_date_from_the_http_gateway_is_a_gateway_error(monkeypatch):
    http = gateways.HttpGateway(url="https://pay.example.cn")
    answer = {"number": "N-1", "state": "paid", "amount": "5.00", "paid_at": "2026-13-45T10:00:00+08:00"}
    monkeypatch.setattr(http, "_call", lambda *args, **kwargs: answer)
    with pytest.raises(gateways.GatewayError, match="paid_at"):
        http.query("N-1")
    answer["paid_at"], answer["receipt_number"] = "2026-03-10T10:00:00+08:00", "PJ\x00"
    with pytest.raises(gateways.GatewayError, match="NUL"):
        http.query("N-1")


def test_a_payment_without_the_exact_amount_is_recorded_not_applied(desk):
    fee(amount="50.00")
    notice = sent(PaymentNotice.objects.get(case=take_in(desk)), simulator())
    event = services.apply(gateways.Report(notice.number, "paid", receipt_number="PJ1"), source="callback")
    assert not event.applied and event.note == "paid without an amount"
    event = services.apply(gateways.Report(notice.number, "paid", amount=Decimal("50.001")), source="callback")
    assert not event.applied and "differs" in event.note
    notice.refresh_from_db()
    assert (notice.status, notice.receipt_number) == (Status.UNPAID, "")
    assert services.apply(gateways.Report(notice.number, "paid", amount=Decimal("50")), source="callback").applied


def test_a_notice_cancelled_while_the_gateway_registers_it_is_not_stored_as_payable(
    desk, django_capture_on_commit_callbacks, monkeypatch
):
    fee()
    case = take_in(desk)
    notice = PaymentNotice.objects.get(case=case)
    gateway = simulator()

    class RejectedMeanwhile:
        def create_notice(self, request):
            reject(case, desk.office.officer)  # the officer refuses the case while the platform answers
            return gateway.create_notice(request)

    assert services.push(notice.pk, gateway=RejectedMeanwhile()) is False
    notice.refresh_from_db()
    assert notice.status == Status.CANCELLED and notice.sent_at is not None  # the platform has it…
    assert (notice.pay_code, notice.pay_url) == ("", "")  # …but nobody is shown a code to pay
    assert PaymentEvent.objects.get(source="gateway").note == "registered after the notice was cancelled"
    assert services.push_due(gateway=gateway, now=timezone.now() + dt.timedelta(days=1))["pushed"] == 0
    # Paid anyway with the platform's code: stored and refunded.
    queued = []
    monkeypatch.setattr(services, "enqueue", lambda what, ids: queued.append((what, ids)))
    with django_capture_on_commit_callbacks(execute=True):
        gateway.pay(notice.number)
    notice.refresh_from_db()
    assert notice.status == Status.REFUND_PENDING and queued == [("refund", [notice.pk])]


# --- results held until paid -----------------------------------------------------------------------------


def test_an_unpaid_result_is_not_handed_over_and_a_paid_one_is(desk):
    from yichuang.output import services as output

    fee(Stage.CONCLUSION, amount="10.00")
    case = take_in(desk)
    approve(case, desk.office.officer)
    notice = PaymentNotice.objects.get(case=case)
    with pytest.raises(ValidationError) as caught:
        hand(desk, case.submission)
    assert "待缴费 ¥10.00" in caught.value.message_dict["cases"][0]
    with pytest.raises(ValidationError) as caught:
        output.mail(case.submission, desk.clerk, address="沈丘县", carrier="EMS", tracking_number="EMS12345")
    assert any("待缴费 ¥10.00" in m for m in caught.value.messages), caught.value.messages

    gateway = simulator()
    sent(notice, gateway)
    gateway.pay(notice.number)
    handover = hand(desk, case.submission)
    assert handover.items.get().case == case


def test_a_rejected_case_with_an_unpaid_acceptance_fee_is_handed_over_its_notice_cancelled(
    desk, django_capture_on_commit_callbacks, monkeypatch
):
    fee()
    gateway = simulator(duplicates=1)
    case = take_in(desk)
    notice = sent(PaymentNotice.objects.get(case=case), gateway)
    reject(case, desk.office.officer)
    notice.refresh_from_db()
    assert notice.status == Status.CANCELLED
    hand(desk, case.submission)  # the refusal goes out: nothing is owed

    # The payer paid the stale code anyway (the platform still had it): the payment is stored and refunded.
    queued = []
    monkeypatch.setattr(services, "enqueue", lambda what, ids: queued.append((what, ids)))
    with django_capture_on_commit_callbacks(execute=True):
        gateway.pay(notice.number)  # called back twice (duplicates=1): applied once
    notice.refresh_from_db()
    assert (notice.status, notice.paid_via) == (Status.REFUND_PENDING, "callback")
    assert notice.receipt_number.startswith("PJ") and notice.paid_at and notice.refund_requested_at
    assert queued == [("refund", [notice.pk])]
    events = list(PaymentEvent.objects.filter(source="callback"))
    assert [(e.applied, e.note) for e in events] == [
        (True, "paid after the notice was cancelled: refund"), (False, "already paid")
    ]  # fmt: skip
    assert AuditEvent.objects.filter(action="fees.refund_request", object_id=str(notice.pk)).count() == 1
    # The existing refund path does the rest, once.
    assert services.send_refund(notice.pk, gateway=gateway) is True
    assert services.send_refund(notice.pk, gateway=gateway) is True
    assert services.poll(gateway=gateway, now=timezone.now() + dt.timedelta(days=1))["applied"] == 1
    notice.refresh_from_db()
    assert notice.status == Status.REFUNDED and gateway.bill(notice.number)["state"] == "refunded"
    assert gateway.attempts(notice.number, "refund") == 1


# --- refunds -----------------------------------------------------------------------------------------------


def test_a_refused_case_gets_its_paid_acceptance_fee_back_once(desk, django_capture_on_commit_callbacks, monkeypatch):
    fee(amount="80.00")
    gateway = simulator(fail_first=1, duplicates=1)
    case = take_in(desk)
    notice = PaymentNotice.objects.get(case=case)
    services.push(notice.pk, gateway=gateway)  # fails once
    services.push(notice.pk, gateway=gateway)
    gateway.pay(notice.number)

    queued = []
    monkeypatch.setattr(services, "enqueue", lambda what, ids: queued.append((what, ids)))
    with django_capture_on_commit_callbacks(execute=True):
        reject(case, desk.office.officer)
    notice.refresh_from_db()
    assert notice.status == Status.REFUND_PENDING and queued == [("refund", [notice.pk])]
    case = Case.objects.get(pk=case.pk)  # as the database has it now: rejected
    assert case.status == "rejected"
    with django_capture_on_commit_callbacks(execute=True):
        services.case_changed(case, None)  # told again: nothing more
    assert AuditEvent.objects.filter(action="fees.refund_request").count() == 1
    assert queued == [("refund", [notice.pk])]
    notice.refresh_from_db()
    assert notice.status == Status.REFUND_PENDING

    now = timezone.now()
    assert services.send_refund(notice.pk, gateway=gateway, now=now) is False  # the platform fails once
    assert services.push_due(gateway=gateway, now=now + dt.timedelta(hours=1))["refunds_sent"] == 1
    assert services.send_refund(notice.pk, gateway=gateway) is True  # asked already: not asked again
    assert gateway.attempts(notice.number, "refund") == 2
    notice.refresh_from_db()
    assert notice.status == Status.REFUND_PENDING and notice.refund_reference.startswith("TK")

    assert services.poll(gateway=gateway, now=now + dt.timedelta(days=1))["failed"] == 1  # its first query fails
    assert services.poll(gateway=gateway, now=now + dt.timedelta(days=2))["applied"] == 1  # the bank finished it
    notice.refresh_from_db()
    assert notice.status == Status.REFUNDED and notice.refunded_at
    late = services.apply(gateways.Report(notice.number, "refunded"), source="callback")
    assert not late.applied and late.note == "already refunded"
    paid_again = services.apply(gateways.Report(notice.number, "paid", amount=notice.amount), source="callback")
    assert not paid_again.applied
    notice.refresh_from_db()
    assert notice.status == Status.REFUNDED
    assert AuditEvent.objects.filter(action="fees.refunded").count() == 1


def test_a_refund_done_at_once(desk):
    fee()
    gateway = simulator(refund_pending=False)
    case = take_in(desk)
    notice = sent(PaymentNotice.objects.get(case=case), gateway)
    gateway.pay(notice.number)
    reject(case, desk.office.officer)
    assert services.send_refund(notice.pk, gateway=gateway)
    notice.refresh_from_db()
    assert notice.status == Status.REFUNDED
