"""Delivery backends: how a stored message leaves the hall, one backend per channel (docs/channels.md).

Each channel has a dotted path in settings: `NOTIFICATION_BACKEND` (SMS, every person's fallback),
`NOTIFICATION_EMAIL_BACKEND` and `NOTIFICATION_WECHAT_BACKEND` (empty: the channel is off). A backend sends
to `message.to` (the address on the message's channel, chosen when the message was stored).

A backend has one method, `send(message)`, which returns when the channel has taken the message and
raises (any exception; DeliveryError by convention) when it has not. The worker retries failures with
backoff, so a backend never retries by itself and never swallows an error.

Delivery is at least once: a worker that dies after the gateway took a message but before it recorded
the success sends it again later. Every attempt therefore carries the message's idempotency key
(`Idempotency-Key: yichuang-message-<id>` for the webhook), by which a gateway sends each SMS once.
"""

import abc
import hashlib
import hmac
import json
import logging
import re
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

from yichuang.core.masking import mask_text

from .addresses import mask_address

logger = logging.getLogger("yichuang.notifications")

DEFAULT_BACKEND = "yichuang.notifications.backends.ConsoleBackend"
DEFAULT_TIMEOUT = 10.0
SIGNATURE_PREFIX = "sha256="
# A signed request's timestamp: Unix seconds, plain ASCII digits (12 reach the year 33658; "1" and 400 zeros does not
# become a float overflow).
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}", re.ASCII)
# The settings naming each channel's backend; an empty one turns the channel off (SMS is always on).
CHANNEL_SETTINGS = {
    "sms": "NOTIFICATION_BACKEND",
    "email": "NOTIFICATION_EMAIL_BACKEND",
    "wechat": "NOTIFICATION_WECHAT_BACKEND",
}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: the HMAC-SHA256 of "<timestamp>.<body>" under the shared secret (both directions)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, max_age: float) -> bool:
    """Is this a fresh request signed with the secret? (constant-time comparison; a timestamp within max_age)

    Headers come from anyone on the internet (the receipt endpoint is public): any malformed value — a timestamp
    that is not 1 to 12 ASCII digits, a signature that is not ASCII — is simply "not signed", never an error.
    """
    if not (secret and timestamp and signature):
        return False
    if not _TIMESTAMP_RE.fullmatch(timestamp) or not signature.isascii():
        return False
    try:
        age = abs(time.time() - int(timestamp))
    except (ValueError, OverflowError):
        return False
    expected = sign(secret, timestamp, body).encode("ascii")
    return age <= max_age and hmac.compare_digest(expected, signature.encode("ascii"))


class DeliveryError(Exception):
    """The channel did not take the message. The text is kept as the message's last error: no personal data."""


class BaseBackend(abc.ABC):
    """A delivery channel: send() delivers one message or raises DeliveryError."""

    @abc.abstractmethod
    def send(self, message) -> None: ...


class ConsoleBackend(BaseBackend):
    """Writes each message to the log (logger "yichuang.notifications"), the phone number masked.

    For development and demonstrations: the text, sign-in codes included, is in the log. A hall in
    production uses the webhook of its SMS gateway.
    """

    def send(self, message) -> None:
        channel = getattr(message, "channel", "sms") or "sms"
        logger.info(
            "notification #%s to %s by %s (%s): %s | %s",
            message.pk,
            mask_address(channel, message.to),
            channel,
            message.kind,
            message.subject,
            mask_text(message.body),
        )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an error here (HTTPError with the 3xx code): never re-POST elsewhere


def post(opener, url: str, body: bytes, headers: dict, timeout: float) -> bytes:
    """POST and return the answer's body; any non-2xx answer, timeout or refused connection is a DeliveryError.

    An error answer's body is not kept: it may echo the number or the text.
    """
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
            content = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"gateway answered HTTP {exc.code}") from None
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"gateway unreachable: {mask_text(str(reason))[:200]}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"gateway answered HTTP {status}")
    return content


def no_redirects_opener():
    return urllib.request.build_opener(_NoRedirects)


class WebhookBackend(BaseBackend):
    """The SMS channel: POSTs each message as JSON to the hall's generic SMS gateway, within a timeout.

    URL NOTIFICATION_WEBHOOK_URL. Body: {"id", "idempotency_key", "channel", "to", "kind", "subject", "text",
    "submission", "created_at"}. Headers: `Idempotency-Key`; with NOTIFICATION_SMS_API_KEY also
    `X-Yichuang-Key` (which hall is sending); with NOTIFICATION_WEBHOOK_SECRET also `X-Yichuang-Timestamp`
    (Unix seconds) and `X-Yichuang-Signature: sha256=<hex>`, the HMAC-SHA256 of "<timestamp>.<body>" under
    the secret, so the gateway can check origin and freshness. Any 2xx answer is success; anything else, a
    timeout or a refused connection is a DeliveryError (retried by the worker, with the same key). The
    gateway later reports what the handset did to `/notifications/receipts/sms/` (views.sms_receipt), signed
    the same way.
    """

    def __init__(self, url: str | None = None, secret: str | None = None, timeout: float | None = None):
        self.url = url if url is not None else getattr(settings, "NOTIFICATION_WEBHOOK_URL", "")
        self.secret = secret if secret is not None else getattr(settings, "NOTIFICATION_WEBHOOK_SECRET", "")
        self.api_key = getattr(settings, "NOTIFICATION_SMS_API_KEY", "")
        self.timeout = float(timeout or getattr(settings, "NOTIFICATION_WEBHOOK_TIMEOUT", DEFAULT_TIMEOUT))
        self._opener = no_redirects_opener()

    def payload(self, message) -> bytes:
        return json.dumps(
            {
                "id": message.pk,
                "idempotency_key": message.idempotency_key,
                "channel": "sms",
                "to": message.to,
                "kind": message.kind,
                "subject": message.subject,
                "text": message.body,
                "submission": message.submission or None,
                "created_at": message.created_at.isoformat(),
            },
            ensure_ascii=False,
        ).encode()

    def signature(self, timestamp: str, body: bytes) -> str:
        return sign(self.secret, timestamp, body)

    def send(self, message) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise DeliveryError("NOTIFICATION_WEBHOOK_URL is not set to an http(s) address")
        body = self.payload(message)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message.idempotency_key,
            "User-Agent": "yichuang-notifications/1",
        }
        if self.api_key:
            headers["X-Yichuang-Key"] = self.api_key
        if self.secret:
            timestamp = str(int(time.time()))
            headers["X-Yichuang-Timestamp"] = timestamp
            headers["X-Yichuang-Signature"] = self.signature(timestamp, body)
        post(self._opener, self.url, body, headers, self.timeout)


class EmailBackend(BaseBackend):
    """The e-mail channel, through Django's mail backends (EMAIL_BACKEND, EMAIL_HOST … DEFAULT_FROM_EMAIL).

    Each message has a stable Message-ID (`<yichuang-message-<id>@<domain>>`), so a mail system or reader that
    sees a resent message (at least once, see above) can tell it is the same one.
    """

    def send(self, message) -> None:
        from django.core import mail

        domain = (getattr(settings, "DEFAULT_FROM_EMAIL", "") or "").rpartition("@")[2].strip("> ") or "yichuang"
        email = mail.EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": f"<{message.idempotency_key}@{domain}>"},
        )
        try:
            sent = email.send(fail_silently=False)
        except Exception as exc:  # smtplib errors, refused connections, timeouts: retried by the worker
            raise DeliveryError(f"mail server did not take the message: {type(exc).__name__}") from None
        if not sent:
            raise DeliveryError("mail server did not take the message")


class WechatBackend(BaseBackend):
    """The WeChat channel: a template message per kind, through the adapter NOTIFICATION_WECHAT_ADAPTER.

    The template of a kind is NOTIFICATION_WECHAT_TEMPLATES[kind] (or its "*" entry); a kind without one is
    never stored for this channel (services.resolve_channel falls back to SMS). The template's data is
    {"title", "content", "submission", "time"}, each {"value": …} (docs/channels.md).
    """

    def __init__(self, adapter=None):
        from .wechat import get_adapter

        self.adapter = adapter or get_adapter()

    def send(self, message) -> None:
        from django.utils import timezone

        from .wechat import template_for

        template_id = template_for(message.kind)
        if not template_id:
            raise DeliveryError(f"no WeChat template for {message.kind}")
        data = {
            "title": {"value": message.subject},
            "content": {"value": message.body},
            "submission": {"value": message.submission or "-"},
            "time": {"value": timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M")},
        }
        self.adapter.send_template(message.to, template_id, data, idempotency_key=message.idempotency_key)


def backend_path(channel: str = "sms") -> str:
    """The dotted path of the channel's backend; "" when the channel is off (SMS: the console by default)."""
    setting = CHANNEL_SETTINGS.get(channel)
    if setting is None:
        return ""
    path = getattr(settings, setting, "") or ""
    return path or (DEFAULT_BACKEND if channel == "sms" else "")


def active_channels() -> list[str]:
    """The channels with a backend, SMS first."""
    return [channel for channel in CHANNEL_SETTINGS if backend_path(channel)]


def get_backend(channel: str = "sms") -> BaseBackend:
    path = backend_path(channel)
    if not path:
        raise DeliveryError(f"the {channel} channel is off")
    return import_string(path)()
