"""Notifications (一次反馈): store a message in the caller's transaction, deliver it later, retry until it goes.

    from yichuang.notifications.services import notify
    notify(applicant.phone, Message.Kind.ACCEPTED, {"cases": 3}, submission=submission.number)

`notify` never sends inline. The message is a row of the outbox, written in the caller's transaction;
only when that transaction commits is the delivery task enqueued (a rolled-back intake tells nobody).

Delivery (`deliver_due`, run by the task `deliver_pending` and by `yichuang notifications deliver`) claims
one due message at a time in a short transaction — `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL; on
SQLite the IMMEDIATE transaction serializes claimers — and pushes its next_attempt_at ahead by a lease
while it sends, outside any transaction. So two workers never send the same message at once, and a worker
that dies mid-send delays the message by the lease instead of losing it. A failure schedules the next
attempt after 1, 2, 4 … minutes (capped), sent by the worker's periodic catch-up (tasks.deliver_catch_up);
after NOTIFICATION_MAX_ATTEMPTS the message is failed, shown to staff, and may be retried by them.
Semantics are at least once: see backends.py for the idempotency key.
"""

import logging
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit, phones, rows
from yichuang.core.links import absolute
from yichuang.core.masking import mask_text

from .backends import DEFAULT_TIMEOUT, BaseBackend, get_backend
from .models import Message

logger = logging.getLogger("yichuang.notifications")

DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_RETRY_BASE_SECONDS = 60
DEFAULT_RETRY_MAX_SECONDS = 3600
_CODE_RE = re.compile(r"(?<!\d)\d{4,8}(?!\d)")
_KINDS = frozenset(Message.Kind.values)


# --- storing ---------------------------------------------------------------------------------------


def _site_name() -> str:
    from yichuang.catalogue.queries import default_site

    site = default_site()
    return site.name if site is not None else str(_("政务服务中心"))


def progress_url(number: str) -> str:
    """The public progress page of a submission or case (the portal's), as an absolute address."""
    try:
        return absolute(reverse("portal:progress_detail", args=[number]))
    except NoReverseMatch:
        return ""


def render(kind: str, context: dict) -> tuple[str, str]:
    """The subject (first line) and text of a message of this kind, from its template."""
    if kind not in _KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    text = render_to_string(f"notifications/messages/{kind}.txt", context).strip()
    subject, _sep, body = text.partition("\n")
    return subject.strip()[:200], " ".join(body.split())


@transaction.atomic(savepoint=False)  # nothing here is caught: a failure undoes the caller's transaction
def notify(
    phone: str | None,
    kind: str,
    context: dict | None = None,
    submission: str | None = None,
    expires_at: datetime | None = None,
) -> Message | None:
    """Store a message to `phone` in the current transaction; it is delivered after the commit.

    `context` fills the kind's template; `site_name` (the default site's), `submission` and `progress_url`
    are added when not given. Returns the message, or None when there is no number to send to (nothing to tell).
    """
    phone = phones.normalise(phone)
    if not phone:
        return None
    ctx = {"submission": submission or "", **(context or {})}
    if "site_name" not in ctx:
        ctx["site_name"] = _site_name()
    if submission and "progress_url" not in ctx:
        ctx["progress_url"] = progress_url(submission)
    subject, body = render(kind, ctx)
    message = Message(
        recipient=phone,
        kind=kind,
        subject=subject,
        body=body,
        submission=submission or "",
        expires_at=expires_at,
    )
    rows.insert([message], returning=True)
    audit.record(None, "notifications.queue", message, summary=f"{kind} {submission or ''}".strip())
    transaction.on_commit(enqueue_delivery, robust=True)
    return message


def enqueue_delivery() -> None:
    """Ask the task worker for a sweep, unless one is already waiting to start (it will see this message).

    Never raises: a message whose task could not be enqueued stays pending and the worker's periodic catch-up
    (tasks.deliver_catch_up) sends it.
    """
    from .tasks import deliver_pending

    try:
        if _sweep_waiting():
            return
        deliver_pending.enqueue()
    except Exception:
        logger.exception("could not enqueue the notification sweep; the next sweep delivers the message")


def _uses_database_tasks() -> bool:
    from .tasks import deliver_pending

    return type(deliver_pending.get_backend()).__module__.startswith("django_tasks_db")


@cache
def _sweep_waiting_sql() -> str:
    from django_tasks_db.models import DBTaskResult

    meta, q = DBTaskResult._meta, connection.ops.quote_name
    status, path, run_after = (q(meta.get_field(name).column) for name in ("status", "task_path", "run_after"))
    return (
        f"SELECT 1 FROM {q(meta.db_table)} WHERE {status} = %s AND {path} = %s "
        f"AND ({run_after} = %s OR {run_after} <= %s) LIMIT 1"
    )


def _sweep_waiting() -> bool:
    """Is a deliver_pending task waiting to start now? Only known with the database backend.

    Asked after every stored message, so in one plain statement rather than a compiled queryset.
    """
    if not _uses_database_tasks():
        return False
    from django_tasks_db.models import DBTaskResult, get_date_max

    from .tasks import deliver_pending

    run_after = DBTaskResult._meta.get_field("run_after")
    moments = [run_after.get_db_prep_value(t, connection) for t in (get_date_max(), timezone.now())]
    with connection.cursor() as cursor:
        cursor.execute(_sweep_waiting_sql(), ["READY", deliver_pending.module_path, *moments])
        return cursor.fetchone() is not None


# --- delivering ------------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    expired: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def max_attempts() -> int:
    return max(int(getattr(settings, "NOTIFICATION_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)), 1)


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: base · 2^(n−1), capped (1, 2, 4 … minutes by default)."""
    base = float(getattr(settings, "NOTIFICATION_RETRY_BASE_SECONDS", DEFAULT_RETRY_BASE_SECONDS))
    cap = float(getattr(settings, "NOTIFICATION_RETRY_MAX_SECONDS", DEFAULT_RETRY_MAX_SECONDS))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def claim_lease() -> timedelta:
    """How long a claimed message is out of other workers' reach: well above one send's timeout."""
    timeout = float(getattr(settings, "NOTIFICATION_WEBHOOK_TIMEOUT", DEFAULT_TIMEOUT))
    return timedelta(seconds=max(120.0, 4 * timeout))


def _redacted(message: Message) -> str:
    """A sign-in code is no longer kept once the message is out (or given up)."""
    if message.kind == Message.Kind.SIGN_IN_CODE:
        return _CODE_RE.sub(lambda m: "*" * len(m.group(0)), message.body)
    return message.body


def claim_next(now: datetime | None = None, report: DeliveryReport | None = None) -> Message | None:
    """Take the next due message for this worker: attempts + 1, next_attempt_at pushed ahead by the lease.

    A message past its expiry is failed here instead of being handed out.
    """
    while True:
        now = now or timezone.now()
        with transaction.atomic():
            due = Message.objects.filter(status=Message.Status.PENDING, next_attempt_at__lte=now)
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            message = due.order_by("next_attempt_at", "id").first()
            if message is None:
                return None
            if message.expires_at is not None and message.expires_at <= now:
                message.status = Message.Status.FAILED
                message.last_error = "expired before it could be delivered"
                message.body = _redacted(message)
                message.save(update_fields=["status", "last_error", "body"])
                audit.record(None, "notifications.expire", message, summary=message.kind)
                if report is not None:
                    report.expired += 1
                continue
            message.attempts += 1
            message.next_attempt_at = now + claim_lease()
            message.save(update_fields=["attempts", "next_attempt_at"])
            return message


def attempt(message: Message, backend: BaseBackend, now: datetime | None = None) -> str:
    """Send one claimed message and record the outcome: "sent", "retrying" or "failed"."""
    try:
        backend.send(message)
    except Exception as exc:
        error = mask_text(str(exc))[:300] or type(exc).__name__
        now = now or timezone.now()
        claimed = Message.objects.filter(pk=message.pk, status=Message.Status.PENDING, attempts=message.attempts)
        if message.attempts >= max_attempts():
            with transaction.atomic():
                if claimed.update(
                    status=Message.Status.FAILED, last_error=error, next_attempt_at=now, body=_redacted(message)
                ):
                    audit.record(None, "notifications.fail", message, summary=message.kind, attempts=message.attempts)
            logger.warning(
                "notification #%s failed for good after %s attempts: %s", message.pk, message.attempts, error
            )
            return "failed"
        claimed.update(last_error=error, next_attempt_at=now + backoff(message.attempts))
        logger.info("notification #%s attempt %s failed, retrying: %s", message.pk, message.attempts, error)
        return "retrying"
    # The first success wins, even if this worker's lease ran out and another worker claimed it meanwhile.
    Message.objects.filter(pk=message.pk, status=Message.Status.PENDING).update(
        status=Message.Status.SENT, sent_at=timezone.now(), last_error="", body=_redacted(message)
    )
    return "sent"


def deliver_due(now: datetime | None = None, backend: BaseBackend | None = None, limit: int | None = None):
    """Send every message due now (at most `limit`), one claim at a time. Safe to run in several workers."""
    backend = backend or get_backend()
    report = DeliveryReport()
    while limit is None or report.sent + report.retrying + report.failed < limit:
        message = claim_next(now, report)
        if message is None:
            break
        outcome = attempt(message, backend, now=now)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


@transaction.atomic
def retry(message: Message, actor, request=None) -> Message:
    """Staff send a failed message again: a fresh series of attempts, due now."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status != Message.Status.FAILED:
        raise ValidationError(_("只有发送失败的消息可以重新发送。"))
    if message.kind == Message.Kind.SIGN_IN_CODE:
        raise ValidationError(_("验证码不重发，请申请人重新获取。"))
    previous = message.attempts
    message.status = Message.Status.PENDING
    message.attempts = 0
    message.next_attempt_at = timezone.now()
    message.save(update_fields=["status", "attempts", "next_attempt_at"])
    audit.record(actor, "notifications.retry", message, summary=message.kind, request=request, attempts=previous)
    transaction.on_commit(enqueue_delivery, robust=True)
    return message
