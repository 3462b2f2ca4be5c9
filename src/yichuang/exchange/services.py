"""Delivery of the exchange outbox, and what the hall admin does with a row the province rejected.

`deliver_due` (the worker's periodic job `exchange.deliver`, and `yichuang exchange deliver`):

1. reads the province's rejections (the front database's error table) and marks those rows rejected;
2. claims a batch in a short transaction: pending rows that are due and are the FIRST unsent row of their
   case (no earlier row of the same case in any state but sent) — `SELECT … FOR UPDATE SKIP LOCKED` on
   PostgreSQL, SQLite's IMMEDIATE transaction serialises claimers; each claimed row's next_attempt_at moves
   ahead by a lease, so a worker that dies mid-send delays the row instead of losing it;
3. sends the batch to the target outside any transaction of ours, then acknowledges: sent rows are marked
   sent; rejected rows keep their reason; the others retry after base · 2^(n−1) seconds (capped), failed
   after EXCHANGE_MAX_ATTEMPTS.

A row rejected or failed blocks the later rows of its case (order per case), until the admin resends it.
A crash after the send and before the acknowledgement sends the same rows again once the lease ran out: the
target's row id (`OutboxEvent.row_id`) makes that a no-op there. So the target holds each row exactly once.
"""

import datetime as dt
import logging
import uuid
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit
from yichuang.core.masking import mask_text

from .models import OutboxEvent
from .targets import TargetError, get_target

logger = logging.getLogger("yichuang.exchange")
Status = OutboxEvent.Status


@dataclass
class DrainReport:
    sent: int = 0
    rejected: int = 0
    retrying: int = 0
    failed: int = 0
    batches: int = 0
    rejections_read: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _setting(name: str, default):
    return type(default)(getattr(settings, name, default))


def batch_size() -> int:
    return max(1, _setting("EXCHANGE_BATCH_SIZE", 500))


def max_attempts() -> int:
    return max(1, _setting("EXCHANGE_MAX_ATTEMPTS", 20))


def backoff(attempts: int) -> dt.timedelta:
    base = float(_setting("EXCHANGE_RETRY_BASE_SECONDS", 30))
    cap = float(_setting("EXCHANGE_RETRY_MAX_SECONDS", 3600))
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def claim_lease() -> dt.timedelta:
    return dt.timedelta(seconds=max(120.0, 6 * float(_setting("EXCHANGE_TIMEOUT", 10.0))))


def claim(now: dt.datetime | None = None, limit: int | None = None) -> tuple[str, list[OutboxEvent]]:
    """Claim the next batch: the due first unsent row of as many cases as the batch holds, in id order."""
    now = now or timezone.now()
    limit = limit or batch_size()
    earlier_unsent = OutboxEvent.objects.filter(stream=OuterRef("stream"), id__lt=OuterRef("id")).exclude(
        status=Status.SENT
    )
    batch_id = uuid.uuid4().hex
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # With prepared statements a generic plan, costed on statistics taken while no row was sent yet,
            # joins every unsent row to every candidate (2 s a claim at 100,000 rows); plan it for its values.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        due = OutboxEvent.objects.filter(status=Status.PENDING, next_attempt_at__lte=now).filter(
            ~Exists(earlier_unsent)
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        events = list(due.order_by("id")[:limit])
        if events:
            OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(
                attempts=F("attempts") + 1, next_attempt_at=now + claim_lease(), batch_id=batch_id
            )
            for e in events:
                e.attempts += 1
                e.batch_id = batch_id
    return batch_id, events


def _acknowledge(events: list[OutboxEvent], outcomes: dict, report: DrainReport, now: dt.datetime) -> None:
    sent = [e.pk for e in events if outcomes[e.pk].status == "sent"]
    with transaction.atomic():
        if sent:
            # Only rows still held by this claim (same batch id): a row re-claimed elsewhere is theirs to mark.
            report.sent += OutboxEvent.objects.filter(pk__in=sent, status=Status.PENDING).update(
                status=Status.SENT, sent_at=timezone.now(), last_error=""
            )
        for e in events:
            outcome = outcomes[e.pk]
            mine = OutboxEvent.objects.filter(pk=e.pk, status=Status.PENDING, batch_id=e.batch_id)
            if outcome.status == "rejected":
                if mine.update(status=Status.REJECTED, reject_reason=outcome.reason, last_error=""):
                    report.rejected += 1
                    audit.record(None, "exchange.rejected", e, summary=f"{e.stream} {e.kind}")
            elif outcome.status == "retry":
                error = mask_text(outcome.reason)[:300]
                if e.attempts >= max_attempts():
                    if mine.update(status=Status.FAILED, last_error=error):
                        report.failed += 1
                        audit.record(None, "exchange.failed", e, summary=f"{e.stream} {e.kind}", attempts=e.attempts)
                else:
                    mine.update(last_error=error, next_attempt_at=now + backoff(e.attempts))
                    report.retrying += 1


def read_rejections(target, report: DrainReport | None = None) -> int:
    """The province's error table → rows marked rejected with its reason (then marked read there)."""
    found = target.rejections()
    if not found:
        return 0
    by_row = {}
    for err_id, row_id, reason in found:
        uid, _sep, revision = row_id.partition("-")
        by_row.setdefault((uid, revision.split("-")[0]), []).append((err_id, reason))
    marked = 0
    with transaction.atomic():
        for (uid, revision), errors in by_row.items():
            try:
                event = OutboxEvent.objects.select_for_update().get(uid=uuid.UUID(uid))
            except (ValueError, OutboxEvent.DoesNotExist):
                continue
            if str(event.revision) != revision or event.status == Status.REJECTED:
                continue  # an older revision's error (already corrected and resent), or already known
            event.status = Status.REJECTED
            event.reject_reason = "；".join(reason for _id, reason in errors)[:4000]
            event.save(update_fields=["status", "reject_reason"])
            audit.record(None, "exchange.rejected", event, summary=f"{event.stream} {event.kind}")
            marked += 1
    target.mark_read([err_id for errors in by_row.values() for err_id, _r in errors] if by_row else [])
    if report is not None:
        report.rejections_read += len(found)
    return marked


def deliver_due(now: dt.datetime | None = None, target=None, limit: int | None = None) -> DrainReport:
    """Drain the outbox: rejections first, then batches until nothing is due (or `limit` rows were handled)."""
    report = DrainReport()
    owned = target is None
    target = target or get_target()
    if target is None:
        return report
    try:
        try:
            read_rejections(target, report)
        except TargetError as exc:
            logger.warning("exchange: could not read the error table: %s", exc)
        handled = 0
        while limit is None or handled < limit:
            batch_id, events = claim(now, min(batch_size(), limit - handled) if limit else None)
            if not events:
                break
            report.batches += 1
            try:
                outcomes = target.send(events, batch_id)
            except TargetError as exc:
                from .targets import Outcome

                outcomes = {e.pk: Outcome("retry", str(exc)) for e in events}
            _acknowledge(events, outcomes, report, now or timezone.now())
            handled += len(events)
            if report.retrying and all(outcomes[e.pk].status == "retry" for e in events):
                break  # the target is down: the next run tries again
    finally:
        if owned:
            target.close()
    return report


# --- the admin: fix and resend a rejected row --------------------------------------------------------


def _resendable(event: OutboxEvent) -> None:
    if event.status not in (Status.REJECTED, Status.FAILED):
        raise ValidationError(_("只有被退回或推送失败的事件可以修正后重新推送。"))


@transaction.atomic
def fix_payload(event: OutboxEvent, actor, payload: dict, request=None) -> OutboxEvent:
    """The admin corrects the data the province rejected (the row is resent by `resend`)."""
    event = OutboxEvent.objects.select_for_update().get(pk=event.pk)
    _resendable(event)
    if not isinstance(payload, dict) or payload.get("case_no") != event.payload.get("case_no"):
        raise ValidationError(_("推送数据须为对象，且办件编号不可修改。"))
    changed = sorted(k for k in set(payload) | set(event.payload) if payload.get(k) != event.payload.get(k))
    event.payload = payload
    event.save(update_fields=["payload"])
    audit.record(
        actor, "exchange.fix", event, summary=f"{event.stream} {event.kind}", request=request, fields=changed
    )  # fmt: skip  (field names only: the values may be personal data)
    return event


@transaction.atomic
def reread(event: OutboxEvent, actor, request=None) -> OutboxEvent:
    """Rebuild the row's data from the case as it stands now (after the catalogue or the case was corrected)."""
    from .payloads import case_payloads, event_payload

    event = OutboxEvent.objects.select_for_update().get(pk=event.pk)
    _resendable(event)
    if event.case_id is None:
        raise ValidationError(_("该事件没有关联办件，无法重新读取。"))
    data = case_payloads({event.case_id}, with_materials={event.case_id} if event.table == "accept" else set())
    event.payload = event_payload(data[event.case_id], event.kind, _event_time(event), event.timeline_detail)
    event.save(update_fields=["payload"])
    audit.record(actor, "exchange.reread", event, summary=f"{event.stream} {event.kind}", request=request)
    return event


def _event_time(event: OutboxEvent):
    value = event.payload.get("event_time")
    return dt.datetime.fromisoformat(value) if value else event.created_at


@transaction.atomic
def resend(event: OutboxEvent, actor, request=None) -> OutboxEvent:
    """Send a rejected or failed row again: due now, a fresh series of attempts. A rejected row goes as a new
    revision (operation U, a new row id: the province holds the rejected one); a failed row keeps its row id
    (it may have arrived before the answer was lost)."""
    event = OutboxEvent.objects.select_for_update().get(pk=event.pk)
    _resendable(event)
    previous = event.status
    if event.status == Status.REJECTED:
        event.revision += 1
    event.status = Status.PENDING
    event.attempts = 0
    event.next_attempt_at = timezone.now()
    event.last_error = ""
    event.save(update_fields=["revision", "status", "attempts", "next_attempt_at", "last_error"])
    audit.record(actor, "exchange.resend", event, summary=f"{event.stream} {event.kind}", request=request,
                 was=previous, revision=event.revision)  # fmt: skip
    return event
