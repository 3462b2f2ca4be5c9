"""Changes to fees: payment notices issued when a case is accepted or approved, sent to the payment gateway
after the commit and retried until it has them, payments and refunds applied from callbacks and polls (each
report applied at most once), notices cancelled or refunded when a case ends without its result.

The gateway is only ever called outside a database transaction (`push`, `send_refund`, `poll` — run by the
task worker after the commit and by the periodic job `fees.sync`); everything that changes a row runs in a
transaction and is audited. The hall's other apps call one function: `case_changed`.
"""

import datetime as dt
import logging
import traceback
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit
from yichuang.intake.models import CaseStatus

from . import gateways
from .models import FeeItem, NoticeLine, PaymentEvent, PaymentNotice, Stage

logger = logging.getLogger(__name__)
Status = PaymentNotice.Status
SUFFIX = {Stage.ACCEPTANCE: "SL", Stage.CONCLUSION: "BJ"}  # 受理 / 办结


class UnknownNotice(Exception):
    """A report names a notice the hall never issued."""


# --- issuing, cancelling, refunding (inside the caller's transaction) ------------------------------------


def case_changed(cases, actor=None, *, now: dt.datetime | None = None, units=None, ref=None, request=None) -> list:
    """What a case's new state means for its fees, in the caller's transaction: accepted → the notice of the
    fees charged at acceptance; approved → of those charged at conclusion; rejected or terminated → its unpaid
    notices cancelled and paid ones refunded. `units`: {FeeItem pk: units} for the items charged per unit.
    Returns the notices issued. Called by intake.services (acceptance: with its `ref`, the intake's cached
    reference data, so that an intake of matters without fees reads nothing more) and backoffice.services
    (conclusion, termination, withdrawal)."""
    cases = list(cases) if isinstance(cases, (list, tuple)) else [cases]
    now = now or timezone.now()
    issued = []
    by_stage = {Stage.ACCEPTANCE: [], Stage.CONCLUSION: []}
    for case in cases:
        if case.status == CaseStatus.ACCEPTED:
            by_stage[Stage.ACCEPTANCE].append(case)
        elif case.status == CaseStatus.APPROVED:
            by_stage[Stage.CONCLUSION].append(case)
        elif case.status in (CaseStatus.REJECTED, CaseStatus.TERMINATED):
            _close(case, actor, now=now, request=request)
    for stage, stage_cases in by_stage.items():
        if stage_cases:
            issued += _issue(stage_cases, stage, actor, now=now, units=units or {}, ref=ref, request=request)
    if issued:
        ids = [n.pk for n in issued]
        transaction.on_commit(lambda: enqueue("push", ids), robust=True)
    return issued


def _items(stage: str, matter_ids: set[int], ref) -> list[FeeItem]:
    if ref is None:
        return list(FeeItem.objects.filter(matter_id__in=matter_ids, stage=stage, active=True))
    every = ref.get(("fees.items", stage), lambda: list(FeeItem.objects.filter(stage=stage, active=True)))
    return [item for item in every if item.matter_id in matter_ids]


def _issue(cases, stage: str, actor, *, now, units: dict, ref, request) -> list[PaymentNotice]:
    items = _items(stage, {c.matter_id for c in cases}, ref)
    if not items:
        return []
    notices = []
    for case in cases:
        kind = case.submission.applicant.kind
        mine = [i for i in items if i.matter_id == case.matter_id and i.waived_for != kind]
        if not mine or PaymentNotice.objects.filter(case=case, stage=stage).exists():
            continue
        try:
            lines = [
                NoticeLine(item=i, name=i.name, basis=i.basis, unit_amount=i.amount,
                           units=units.get(i.pk) if i.unit else 1, amount=i.charge(units.get(i.pk)))
                for i in mine
            ]  # fmt: skip
        except ValidationError as exc:  # units the officer entered: at the 办结 form's field
            raise ValidationError({"fee_units": exc.messages}) from None
        notice = PaymentNotice.objects.create(
            number=f"{case.number}-{SUFFIX[stage]}",
            case=case,
            stage=stage,
            amount=sum((line.amount for line in lines), Decimal("0.00")),
            created_at=now,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        for line in lines:
            line.notice = notice
        NoticeLine.objects.bulk_create(lines)
        audit.record(actor, "fees.issue", notice, summary=f"{notice.number} ¥{notice.amount}", request=request,
                     case=case.number, stage=stage)  # fmt: skip
        notices.append(notice)
    return notices


def _close(case, actor, *, now, request) -> None:
    refunds = []
    for notice in PaymentNotice.objects.select_for_update().filter(case=case).order_by("pk"):
        if notice.status == Status.UNPAID:
            notice.status, notice.cancelled_at, notice.next_attempt_at = Status.CANCELLED, now, None
            notice.save(update_fields=["status", "cancelled_at", "next_attempt_at"])
            audit.record(actor, "fees.cancel", notice, summary=notice.number, request=request)
        elif notice.status == Status.PAID:
            notice.status, notice.refund_requested_at = Status.REFUND_PENDING, now
            notice.attempts, notice.next_attempt_at, notice.last_error = 0, None, ""
            notice.save(update_fields=["status", "refund_requested_at", "attempts", "next_attempt_at", "last_error"])
            audit.record(actor, "fees.refund_request", notice, summary=f"{notice.number} ¥{notice.amount}",
                         request=request)  # fmt: skip
            refunds.append(notice.pk)
    if refunds:
        transaction.on_commit(lambda: enqueue("refund", refunds), robust=True)


def enqueue(what: str, ids: list[int]) -> None:
    """Ask the task worker to talk to the gateway now. Never raises: what is not sent now is sent by the
    periodic job fees.sync."""
    from . import tasks

    try:
        (tasks.push_notices if what == "push" else tasks.send_refunds).enqueue(ids)
    except Exception:
        logger.exception("could not enqueue fees.%s; the periodic sync sends it", what)


# --- the result is held until paid --------------------------------------------------------------------


def unpaid(cases) -> list[PaymentNotice]:
    return list(
        PaymentNotice.objects.filter(case__in=cases, status=Status.UNPAID).select_related("case").order_by("pk")
    )


def ensure_paid(cases) -> None:
    """A result whose fee is unpaid is not handed over (output.services, under the submission's lock)."""
    owing = unpaid(cases)
    if owing:
        raise ValidationError(
            {
                "cases": [
                    _("办件 %(n)s 待缴费 ¥%(amount)s（缴款通知书 %(notice)s），缴费到账后才能出件。")
                    % {"n": n.case.number, "amount": n.amount, "notice": n.number}
                    for n in owing
                ]
            }
        )


# --- the gateway (outside any transaction) --------------------------------------------------------------


def _backoff(attempts: int) -> dt.timedelta:
    base, cap = settings.FEES_RETRY_BASE_SECONDS, settings.FEES_RETRY_MAX_SECONDS
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _failed(notice_id: int, exc: Exception, now) -> None:
    with transaction.atomic():
        notice = PaymentNotice.objects.select_for_update().get(pk=notice_id)
        notice.attempts += 1
        notice.next_attempt_at = now + _backoff(notice.attempts)
        notice.last_error = str(exc)[:200]
        notice.save(update_fields=["attempts", "next_attempt_at", "last_error"])
    logger.warning("fees: gateway failed for notice %s (attempt %s): %s", notice.number, notice.attempts, exc)


def _request(notice: PaymentNotice) -> gateways.NoticeRequest:
    case, submission = notice.case, notice.case.submission
    return gateways.NoticeRequest(
        number=notice.number,
        amount=notice.amount,
        payer_name=submission.applicant_name or submission.applicant.name,
        payer_kind=submission.applicant.kind,
        department_code=case.department.code,
        case_number=case.number,
        lines=tuple(gateways.Line(x.name, x.amount, x.basis) for x in notice.lines.all()),
    )


def push(notice_id: int, *, gateway: gateways.Gateway | None = None, now=None) -> bool:
    """Hand an issued notice to the gateway (idempotent there by its number). True once the gateway has it."""
    notice = PaymentNotice.objects.select_related("case__submission__applicant", "case__department").get(pk=notice_id)
    if notice.sent_at is not None:
        return True
    if notice.status != Status.UNPAID:
        return False  # cancelled before it was ever sent: nobody can pay it
    gateway = gateway or gateways.get_gateway()
    try:
        ack = gateway.create_notice(_request(notice))
    except gateways.GatewayError as exc:
        _failed(notice_id, exc, now or timezone.now())
        return False
    now = now or timezone.now()
    with transaction.atomic():
        locked = PaymentNotice.objects.select_for_update().get(pk=notice_id)
        if locked.sent_at is None and locked.status != Status.UNPAID:
            # Cancelled (the case rejected or terminated) while the gateway was registering it: the platform has a
            # live notice, ours is not payable — no 缴款码 stored or shown. A payment of it still arrives by callback
            # and is refunded (apply).
            locked.sent_at, locked.last_error, locked.next_attempt_at = now, "", None
            locked.save(update_fields=["sent_at", "last_error", "next_attempt_at"])
            note = f"registered after the notice was {locked.status}"
            PaymentEvent.objects.create(notice=locked, at=now, source=PaymentEvent.Source.GATEWAY, state="unpaid",
                                        applied=False, note=note)  # fmt: skip
            audit.record(None, "fees.sent", locked, summary=f"{locked.number} ({locked.status})")
            logger.warning("fees: notice %s was %s while the gateway registered it", locked.number, locked.status)
            return False
        if locked.sent_at is None:
            locked.sent_at, locked.pay_code, locked.pay_url = now, ack.pay_code, ack.pay_url
            locked.last_error, locked.next_attempt_at = "", now + dt.timedelta(seconds=settings.FEES_POLL_SECONDS)
            locked.save(update_fields=["sent_at", "pay_code", "pay_url", "last_error", "next_attempt_at"])
            PaymentEvent.objects.create(notice=locked, at=now, source=PaymentEvent.Source.GATEWAY, state="unpaid",
                                        applied=True, note="notice registered")  # fmt: skip
            audit.record(None, "fees.sent", locked, summary=f"{locked.number} {ack.pay_code}")
    return True


def send_refund(notice_id: int, *, gateway: gateways.Gateway | None = None, now=None) -> bool:
    """Ask the gateway to refund a paid notice (idempotent there by the refund number). True once asked."""
    notice = PaymentNotice.objects.get(pk=notice_id)
    if notice.status != Status.REFUND_PENDING:
        return notice.status == Status.REFUNDED
    if notice.refund_sent_at is not None:
        return True
    gateway = gateway or gateways.get_gateway()
    reason = _("办件 %(n)s 未获准予，退还已缴费用") % {"n": notice.case.number}
    try:
        ack = gateway.refund(notice.number, notice.refund_number, notice.amount, reason)
    except gateways.GatewayError as exc:
        _failed(notice_id, exc, now or timezone.now())
        return False
    now = now or timezone.now()
    with transaction.atomic():
        locked = PaymentNotice.objects.select_for_update().get(pk=notice_id)
        if locked.status == Status.REFUND_PENDING and locked.refund_sent_at is None:
            locked.refund_sent_at, locked.refund_reference, locked.last_error = now, ack.reference, ""
            locked.next_attempt_at = now + dt.timedelta(seconds=settings.FEES_POLL_SECONDS)
            fields = ["refund_sent_at", "refund_reference", "last_error", "next_attempt_at"]
            if ack.state == "refunded":
                locked.status, locked.refunded_at = Status.REFUNDED, now
                fields += ["status", "refunded_at"]
            locked.save(update_fields=fields)
            PaymentEvent.objects.create(notice=locked, at=now, source=PaymentEvent.Source.GATEWAY, state=ack.state,
                                        applied=True, note="refund requested")  # fmt: skip
            audit.record(None, "fees.refund_sent", locked, summary=f"{locked.number} {ack.reference} {ack.state}")
    return True


def poll(*, gateway: gateways.Gateway | None = None, now=None, limit: int | None = None) -> dict:
    """Ask the gateway about the notices still open on its side (unpaid, or refund asked and pending) whose
    turn has come: a payment or a refund the callback never brought is found here."""
    now = now or timezone.now()
    gateway = gateway or gateways.get_gateway()
    due = (
        PaymentNotice.objects.filter(
            Q(status=Status.UNPAID, sent_at__isnull=False)
            | Q(status=Status.REFUND_PENDING, refund_sent_at__isnull=False)
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "number")[: limit or settings.FEES_POLL_BATCH]
    )
    report = {"asked": 0, "applied": 0, "failed": 0}
    for pk, number in list(due):
        report["asked"] += 1
        try:
            answer = gateway.query(number)
            if answer.number != number:  # never applied to the notice it names: this one's answer is missing
                raise gateways.GatewayError("gateway answered about another notice")
            event = apply(answer, source=PaymentEvent.Source.POLL, now=now, record_unchanged=False)
        except gateways.GatewayError as exc:
            report["failed"] += 1
            logger.warning("fees: polling notice %s failed: %s", number, exc)
            _poll_later(pk, now, str(exc))
            continue
        except Exception as exc:  # one notice's failure must not stop the others
            # Whatever it was (a bad answer, a database refusal): logged without the answer's content (it may name
            # the payer), the notice asked again a poll period later, the run goes on.
            report["failed"] += 1
            where = traceback.extract_tb(exc.__traceback__)[-1:]
            at = f" at {Path(where[0].filename).name}:{where[0].lineno}" if where else ""
            logger.error("fees: polling notice %s raised %s%s", number, type(exc).__name__, at)
            _poll_later(pk, now, f"error: {type(exc).__name__}")
            continue
        report["applied"] += int(bool(event and event.applied))
        _poll_later(pk, now)
    return report


def _poll_later(pk: int, now, error: str | None = None) -> None:
    changes = {"next_attempt_at": now + dt.timedelta(seconds=settings.FEES_POLL_SECONDS)}
    if error is not None:
        changes["last_error"] = error[:200]
    PaymentNotice.objects.filter(pk=pk).update(**changes)


def push_due(*, gateway: gateways.Gateway | None = None, now=None) -> dict:
    """Every notice the gateway does not have yet and every refund not asked yet whose retry time has come."""
    now = now or timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    pushes = PaymentNotice.objects.filter(due, status=Status.UNPAID, sent_at__isnull=True).values_list("pk", flat=True)
    refunds = PaymentNotice.objects.filter(due, status=Status.REFUND_PENDING, refund_sent_at__isnull=True).values_list(
        "pk", flat=True
    )
    gateway = gateway or gateways.get_gateway()
    pushed = sum(push(pk, gateway=gateway, now=now) for pk in list(pushes[:200]))
    refunded = sum(send_refund(pk, gateway=gateway, now=now) for pk in list(refunds[:200]))
    return {"pushed": pushed, "refunds_sent": refunded}


def sync(*, gateway: gateways.Gateway | None = None, now=None) -> dict:
    """The periodic job: send what is due, then poll."""
    gateway = gateway or gateways.get_gateway()
    return {**push_due(gateway=gateway, now=now), **poll(gateway=gateway, now=now)}


# --- reports from the gateway: callbacks and polls ----------------------------------------------------


@dataclass
class Outcome:
    applied: bool
    note: str
    warn: bool = False  # an odd report: logged as a warning (and left to a person)


def _decide(notice: PaymentNotice, report: gateways.Report) -> Outcome:
    if report.state == "paid":
        if notice.status in (Status.UNPAID, Status.CANCELLED):
            if report.amount is None:
                return Outcome(False, "paid without an amount", warn=True)
            if report.amount != notice.amount:
                return Outcome(False, f"amount {report.amount} differs from {notice.amount}", warn=True)
            if notice.status == Status.CANCELLED:  # paid at the platform after we cancelled: the money goes back
                return Outcome(True, "paid after the notice was cancelled: refund", warn=True)
            return Outcome(True, "paid")
        return Outcome(False, "already paid")
    if report.state == "refunded":
        if notice.status == Status.REFUND_PENDING:
            return Outcome(True, "refunded")
        return Outcome(False, "already refunded" if notice.status == Status.REFUNDED else "no refund asked")
    return Outcome(False, f"reported {report.state}")


@transaction.atomic
def apply(report: gateways.Report, *, source: str, now=None, record_unchanged: bool = True) -> PaymentEvent | None:
    """Apply one report to its notice — at most once: a paid notice stays paid, a refunded one refunded; a
    duplicate or late callback is recorded (applied=False) and changes nothing. Polls that bring nothing new
    are not recorded (`record_unchanged=False`), an odd answer (a wrong or missing amount) only once. A payment of a
    cancelled notice (the platform still had it live) is stored and refunded: the notice becomes 退费中 and the refund
    is asked after the commit, as for a refused case's paid fee."""
    now = now or timezone.now()
    notice = PaymentNotice.objects.select_for_update().filter(number=report.number).first()
    if notice is None:
        raise UnknownNotice(report.number)
    outcome = _decide(notice, report)
    if not outcome.applied and not record_unchanged:
        if report.state in ("unpaid", "refund_pending"):
            return None  # nothing new: the notice is still open on both sides
        if PaymentEvent.objects.filter(notice=notice, source=source, state=report.state, note=outcome.note).exists():
            return None  # the same odd answer as at the last poll: recorded once
    event = PaymentEvent.objects.create(
        notice=notice,
        at=now,
        source=source,
        state=report.state,
        event_id=report.event_id,
        applied=outcome.applied,
        note=outcome.note[:200],
        detail=gateways.report_to_dict(report),
    )
    if outcome.warn:
        logger.warning("fees: %s for notice %s (%s)", outcome.note, notice.number, source)
    if not outcome.applied:
        return event
    if report.state == "paid":
        cancelled = notice.status == Status.CANCELLED
        notice.status, notice.paid_at, notice.paid_via = Status.PAID, report.paid_at or now, source
        notice.receipt_number = report.receipt_number
        fields = ["status", "paid_at", "paid_via", "receipt_number"]
        if cancelled:  # the payment is stored (its receipt) and refunded as a refused case's paid fee is
            notice.status, notice.refund_requested_at = Status.REFUND_PENDING, now
            notice.attempts, notice.next_attempt_at, notice.last_error = 0, None, ""
            fields += ["refund_requested_at", "attempts", "next_attempt_at", "last_error"]
        notice.save(update_fields=fields)
        audit.record(None, "fees.paid", notice, summary=f"{notice.number} {notice.receipt_number}", source=source)
        if cancelled:
            audit.record(None, "fees.refund_request", notice, summary=f"{notice.number} ¥{notice.amount}",
                         source=source)  # fmt: skip
            transaction.on_commit(lambda: enqueue("refund", [notice.pk]), robust=True)
    else:
        notice.status, notice.refunded_at = Status.REFUNDED, now
        notice.refund_reference = report.refund_reference or notice.refund_reference
        notice.save(update_fields=["status", "refunded_at", "refund_reference"])
        audit.record(None, "fees.refunded", notice, summary=f"{notice.number} {notice.refund_reference}", source=source)
    return event


def receive_callback(body: bytes, headers) -> PaymentEvent:
    """The gateway's callback: signature checked (CallbackRefused), read (BadCallback), applied once."""
    report = gateways.get_gateway().parse_callback(body, headers)
    return apply(report, source=PaymentEvent.Source.CALLBACK)
