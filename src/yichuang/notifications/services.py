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

Channels (docs/channels.md): `notify` keeps taking the person's phone number — the key of their `Contact` — and
stores the message for their preferred channel when that channel is on, can carry the kind and has their address
(`resolve_channel`), else for SMS. Sign-in codes always go by SMS: they prove the phone. The SMS gateway's delivery
receipts are recorded by `record_receipt`; the person sets their addresses and channel with `set_contact`.
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

from .addresses import mask_address
from .backends import DEFAULT_TIMEOUT, BaseBackend, DeliveryError, active_channels, get_backend
from .models import Channel, Contact, Message

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


def can_carry(channel: str, kind: str) -> bool:
    """May a message of this kind go by this channel? Sign-in codes only by SMS; WeChat only with a template."""
    if channel == Channel.SMS:
        return True
    if kind == Message.Kind.SIGN_IN_CODE or channel not in active_channels():
        return False
    if channel == Channel.WECHAT:
        from .wechat import template_for

        return bool(template_for(kind))
    return True


@cache
def _contact_sql() -> str:
    meta, q = Contact._meta, connection.ops.quote_name
    columns = ", ".join(q(meta.get_field(name).column) for name in ("preferred", "email", "wechat_openid"))
    return f"SELECT {columns} FROM {q(meta.db_table)} WHERE {q(meta.get_field('phone').column)} = %s"


def resolve_channel(phone: str, kind: str) -> tuple[str, str]:
    """The channel and address for a message of `kind` to the person with this (normalised) phone number:
    their preferred channel when it can carry the kind and they gave an address for it, else SMS to the phone.

    On every intake's path: nothing is read while SMS is the only channel on, else one plain statement (as
    core.rows reads: no ORM query compiled per message)."""
    if kind == Message.Kind.SIGN_IN_CODE or active_channels() == [Channel.SMS]:
        return Channel.SMS, phone
    with connection.cursor() as cursor:
        cursor.execute(_contact_sql(), [phone])
        row = cursor.fetchone()
    if row is not None:
        contact = Contact(phone=phone, preferred=row[0], email=row[1], wechat_openid=row[2])
        address = contact.address(contact.preferred)
        if contact.preferred != Channel.SMS and address and can_carry(contact.preferred, kind):
            return contact.preferred, address
    return Channel.SMS, phone


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
    channel, address = resolve_channel(phone, kind)
    message = Message(
        recipient=phone,
        channel=channel,
        address=address,
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
    """How long a claimed message is out of other workers' reach: well above one send's timeout (any channel's;
    WeChat may take two token fetches and two posts)."""
    timeout = max(
        float(getattr(settings, "NOTIFICATION_WEBHOOK_TIMEOUT", DEFAULT_TIMEOUT)),
        4 * float(getattr(settings, "NOTIFICATION_WECHAT_TIMEOUT", DEFAULT_TIMEOUT)),
    )
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


class _ChannelBackends:
    """The backend of each channel, made once per sweep. A message stored for a channel that has since been
    turned off goes by SMS to the person's phone instead (the row says so), rather than waiting forever."""

    def __init__(self):
        self._made: dict[str, BaseBackend] = {}

    def for_message(self, message: Message) -> BaseBackend:
        channel = message.channel or Channel.SMS
        if channel != Channel.SMS and channel not in active_channels():
            Message.objects.filter(pk=message.pk).update(channel=Channel.SMS, address=message.recipient)
            message.channel, message.address = Channel.SMS, message.recipient
            channel = Channel.SMS
        if channel not in self._made:
            self._made[channel] = get_backend(channel)
        return self._made[channel]


class _Failing(BaseBackend):
    def __init__(self, error: str):
        self.error = error

    def send(self, message) -> None:
        raise DeliveryError(self.error)


def deliver_due(now: datetime | None = None, backend: BaseBackend | None = None, limit: int | None = None):
    """Send every message due now (at most `limit`), one claim at a time. Safe to run in several workers.

    Each message goes through its channel's backend; a `backend` given here takes every channel (tests, tools).
    """
    backends = _ChannelBackends()
    report = DeliveryReport()
    while limit is None or report.sent + report.retrying + report.failed < limit:
        message = claim_next(now, report)
        if message is None:
            break
        if backend is not None:
            chosen = backend
        else:
            try:
                chosen = backends.for_message(message)
            except Exception as exc:  # a backend that cannot be made counts as a failed attempt, retried
                chosen = _Failing(f"{message.channel} backend unavailable: {type(exc).__name__}")
        outcome = attempt(message, chosen, now=now)
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


# --- delivery receipts (the SMS gateway's 回执) ------------------------------------------------------

_KEY_RE = re.compile(r"^yichuang-message-(\d{1,18})$")


@dataclass
class ReceiptOutcome:
    recorded: int = 0
    duplicate: int = 0
    unknown: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _receipt_time(value) -> datetime | None:
    from django.utils.dateparse import parse_datetime

    if not value or not isinstance(value, str):
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def record_receipt(receipt: dict, outcome: ReceiptOutcome | None = None) -> str:
    """Record one delivery receipt on its message: "recorded", "duplicate" or "unknown".

    `receipt`: {"idempotency_key": "yichuang-message-<id>", "status": "delivered" | "undelivered" (or "failed"),
    "delivered_at": ISO 8601 (optional, the handset's time), "error": the gateway's code (optional)}.
    The first receipt of a message counts; a repeated or later one changes nothing. A receipt for a message still
    pending (it arrived before the worker recorded the send, or after a send that timed out on our side) proves the
    gateway took it: the message is marked sent, so it is not sent again. A "delivered" receipt for a message already
    failed (every attempt timed out on our side, yet the gateway took one) marks it sent too: the handset has it, and
    staff may no longer send it again. A receipt for no message of ours is answered and ignored. Never raises for bad
    content: it is counted as unknown.
    """
    outcome = outcome if outcome is not None else ReceiptOutcome()
    match = _KEY_RE.match(str(receipt.get("idempotency_key") or "")) if isinstance(receipt, dict) else None
    status = str(receipt.get("status") or "").lower() if isinstance(receipt, dict) else ""
    status = {"failed": Message.Receipt.UNDELIVERED}.get(status, status)
    if match is None or status not in (Message.Receipt.DELIVERED, Message.Receipt.UNDELIVERED):
        outcome.unknown += 1
        return "unknown"
    pk = int(match.group(1))
    now = timezone.now()
    at = _receipt_time(receipt.get("delivered_at")) or now
    error = mask_text(str(receipt.get("error") or ""))[:64] if status == Message.Receipt.UNDELIVERED else ""
    with transaction.atomic():
        message = Message.objects.filter(pk=pk, channel=Channel.SMS).first()
        if message is None:
            outcome.unknown += 1
            logger.info("delivery receipt for unknown message %s ignored", pk)
            return "unknown"
        # Conditional: of two receipts recorded at once, exactly one finds the message without a receipt.
        if not Message.objects.filter(pk=pk, receipt="").update(receipt=status, receipt_at=at, receipt_error=error):
            outcome.duplicate += 1
            return "duplicate"
        # The gateway took the message: one still pending is not sent again. One we gave up on (our side timed
        # out on every attempt while the gateway took it) is on the handset when the receipt says "delivered":
        # it is sent, so that staff are not offered to send it again.
        unsent = [Message.Status.PENDING]
        if status == Message.Receipt.DELIVERED:
            unsent.append(Message.Status.FAILED)
        took = Message.objects.filter(pk=pk, status__in=unsent).update(
            status=Message.Status.SENT, sent_at=now, last_error="", body=_redacted(message)
        )
        audit.record(
            None,
            "notifications.receipt",
            message,
            summary=f"{message.kind} {status}",
            marked_sent=bool(took),
            previous=message.status,
        )
    outcome.recorded += 1
    return "recorded"


# --- a person's contact and preferred channel ----------------------------------------------------------


def contact_for(phone: str) -> Contact:
    """The person's contact (an unsaved one with SMS when they never set any)."""
    phone = phones.normalise(phone) or ""
    return Contact.objects.filter(phone=phone).first() or Contact(phone=phone)


@transaction.atomic
def set_contact(
    phone: str,
    *,
    preferred: str,
    email: str | None = None,
    wechat_openid: str | None = None,
    request=None,
) -> Contact:
    """The person (signed in with `phone`) sets their channel; `email` / `wechat_openid`: None keeps the address,
    "" removes it. The preferred channel must be on and have an address. Audited (addresses masked)."""
    phone = phones.normalise(phone)
    if not phone:
        raise ValidationError(_("没有手机号码。"))
    # Lock the person's row, making it first when there is none: a lock on no row would let two first saves both
    # insert (one of them then failing on the unique phone). get_or_create settles a concurrent first save (its
    # insert waits for the other one, fails in a savepoint, and the locked read is made again); a refused change
    # below rolls the new row back with it.
    contact = Contact.objects.select_for_update().get_or_create(phone=phone)[0]
    before = {"email": contact.email, "wechat_openid": contact.wechat_openid, "preferred": contact.preferred}
    if email is not None:
        contact.email = email.strip()
    if wechat_openid is not None:
        contact.wechat_openid = wechat_openid.strip()
    contact.preferred = preferred
    errors = {}
    if preferred not in Channel.values or (preferred != Channel.SMS and preferred not in active_channels()):
        errors["preferred"] = _("暂不支持这种通知方式。")
    elif not contact.address(preferred):
        errors["preferred"] = _("请先填写%(channel)s的接收地址。") % {"channel": Channel(preferred).label}
    try:
        contact.full_clean(exclude=["phone", "preferred"])
    except ValidationError as exc:
        for field, problems in exc.message_dict.items():
            errors.setdefault(field, problems)
    if errors:
        raise ValidationError(errors)
    changed = [field for field, value in before.items() if getattr(contact, field) != value]
    contact.updated_at = timezone.now()
    contact.save()
    audit.record(
        None,
        "notifications.contact",
        contact,
        summary=f"{preferred} {','.join(changed) or '-'}",
        request=request,
        preferred=preferred,
        changed=changed,
        email=mask_address(Channel.EMAIL, contact.email),
        wechat=mask_address(Channel.WECHAT, contact.wechat_openid),
    )
    return contact
