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
            # Only rows still held by this claim (same batch id): a row re-claimed elsewhere is theirs to mark, and
            # a row rejected, corrected and resent since (a new revision, its batch id cleared) is not this one.
            batch_ids = {e.batch_id for e in events}
            for batch_id in batch_ids:
                report.sent += OutboxEvent.objects.filter(
                    pk__in=[e.pk for e in events if e.pk in sent and e.batch_id == batch_id],
                    status=Status.PENDING,
                    batch_id=batch_id,
                ).update(status=Status.SENT, sent_at=timezone.now(), last_error="")
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
    """The province's error table → rows marked rejected with its reason (then marked read there). The target
    raises TargetError when it cannot read or mark its table."""
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
        except TargetError as exc:  # its message is the database's, masked: no personal data
            logger.warning("exchange: could not read the error table: %s", exc)
        except Exception as exc:  # whatever else: delivery goes on; the type only (the text may hold data)
            logger.warning("exchange: could not read the error table: %s", type(exc).__name__)
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


def check_fix(event: OutboxEvent, payload) -> None:
    """May this corrected payload replace the row's? The row must be rejected or failed, the case number the
    same, and every field one the row's table knows, of its type (text, number, list, object; `event_time` and
    the other times ISO 8601 with offset) and, for a column of the front tables, within the column's width."""
    _resendable(event)
    if not isinstance(payload, dict) or payload.get("case_no") != event.payload.get("case_no"):
        raise ValidationError(_("推送数据须为对象，且办件编号不可修改。"))
    problems = _payload_problems(event.table, payload, known=set(event.payload))
    if problems:
        raise ValidationError(problems)


def _payload_problems(table: str, payload: dict, known: set) -> list[ValidationError]:
    from .payloads import KEYS
    from .targets import COMMON, INTS, MATERIAL, TABLES, TEXTS, column_value, column_width

    columns = [c for c in COMMON + TABLES.get(table, []) if c not in SYNC_COLUMNS]
    problems: list[ValidationError] = []

    def refuse(message, **params):
        problems.append(ValidationError(message, code="invalid", params=params))

    def check(field: str, column: str, value, width: bool = True) -> None:
        """Of the column's type (None: empty, allowed), and within its width in the front tables."""
        if value is None:
            return
        if column in INTS:
            if isinstance(value, bool) or not isinstance(value, int):
                refuse(_("字段 %(field)s 须为整数。"), field=field)
        elif not isinstance(value, str):
            refuse(_("字段 %(field)s 须为文本。"), field=field)
        elif width and column not in TEXTS and len(value) > (limit := column_width(column) or len(value)):
            refuse(_("字段 %(field)s 超过前置库的长度上限（%(max)d 个字符）。"), field=field, max=limit)

    def when(field: str) -> None:
        value = payload.get(field)
        if (value is not None or field == "event_time") and _aware(value) is None:
            refuse(_("字段 %(field)s 须为带时区的 ISO 8601 时间，例如 2024-05-06T09:30:00+08:00。"), field=field)

    for key in sorted(set(payload) - (KEYS | set(columns) | known)):
        refuse(_("推送数据含未知字段 %(field)s。"), field=key)
    detail = payload.get("detail")
    if detail is not None and not isinstance(detail, dict):
        refuse(_("字段 %(field)s 须为对象。"), field="detail")
    for field in ("event_time", "accepted_at", "due_at", "concluded_at"):
        when(field)
    materials = payload.get("materials")
    if materials is not None and not isinstance(materials, list):
        refuse(_("字段 %(field)s 须为列表。"), field="materials")
    for n, material in enumerate(materials if isinstance(materials, list) else [], start=1):
        if not isinstance(material, dict):
            refuse(_("字段 %(field)s 须为对象。"), field=f"materials[{n}]")
            continue
        for key in sorted(set(material) - set(MATERIAL)):
            refuse(_("推送数据含未知字段 %(field)s。"), field=f"materials[{n}].{key}")
        for key in MATERIAL:
            check(f"materials[{n}].{key}", key, material.get(key))
    # Every key of the payload: text, or a number for the integer columns; the width is the front table's
    # for the columns of this row's table only (the others are not sent in it).
    for key, value in payload.items():
        if key not in ("detail", "materials"):
            check(key, key, value, width=key in columns)
    # The table's columns that take their value from the detail (procedure kind, certificate number, level …).
    if isinstance(detail, dict):
        for column in columns:
            if column != "detail" and (column == "channel" and table == "evaluation" or payload.get(column) is None):
                check(f"detail.{column}", column, column_value(table, payload, column))
    return problems


SYNC_COLUMNS = frozenset({"row_id", "operation", "sync_time", "batch_id", "seq"})


@transaction.atomic
def fix_payload(event: OutboxEvent, actor, payload: dict, request=None) -> OutboxEvent:
    """The admin corrects the data the province rejected (the row is resent by `resend`). Refused (a
    ValidationError naming the field) unless `check_fix` accepts it."""
    event = OutboxEvent.objects.select_for_update().get(pk=event.pk)
    check_fix(event, payload)
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


def _event_time(event: OutboxEvent) -> dt.datetime:
    """The event's time as the payload has it, or — the payload's value missing or unreadable (it may have been
    edited) — when the row was written."""
    value = event.payload.get("event_time") if isinstance(event.payload, dict) else None
    parsed = _aware(value)
    return parsed if parsed is not None else event.created_at


def _aware(value) -> dt.datetime | None:
    """An ISO 8601 date-time text with its offset as an aware datetime; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
        if timezone.is_naive(parsed):
            return None
        timezone.localtime(parsed)  # within the range the payload's times are written in
    except (ValueError, OverflowError):
        return None
    return parsed


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
    event.batch_id = ""  # no claim holds it now: a late acknowledgement of an older claim leaves it alone
    event.save(update_fields=["revision", "status", "attempts", "next_attempt_at", "last_error", "batch_id"])
    audit.record(actor, "exchange.resend", event, summary=f"{event.stream} {event.kind}", request=request,
                 was=previous, revision=event.revision)  # fmt: skip
    return event
