"""Delivery backends: how a stored message leaves the hall (NOTIFICATION_BACKEND, a dotted path).

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
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

from yichuang.core.masking import mask_phone, mask_text

logger = logging.getLogger("yichuang.notifications")

DEFAULT_BACKEND = "yichuang.notifications.backends.ConsoleBackend"
DEFAULT_TIMEOUT = 10.0


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
        logger.info(
            "notification #%s to %s (%s): %s | %s",
            message.pk,
            mask_phone(message.recipient),
            message.kind,
            message.subject,
            mask_text(message.body),
        )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an error here (HTTPError with the 3xx code): never re-POST elsewhere


class WebhookBackend(BaseBackend):
    """POSTs each message as JSON to NOTIFICATION_WEBHOOK_URL (the hall's SMS gateway), within a timeout.

    Body: {"id", "idempotency_key", "to", "kind", "subject", "text", "submission", "created_at"}.
    Headers: `Idempotency-Key`; with NOTIFICATION_WEBHOOK_SECRET also `X-Yichuang-Timestamp` (Unix seconds)
    and `X-Yichuang-Signature: sha256=<hex>`, the HMAC-SHA256 of "<timestamp>.<body>" under the secret, so
    the gateway can check origin and freshness. Any 2xx answer is success; anything else, a timeout or a
    refused connection is a DeliveryError (retried by the worker).
    """

    def __init__(self, url: str | None = None, secret: str | None = None, timeout: float | None = None):
        self.url = url if url is not None else getattr(settings, "NOTIFICATION_WEBHOOK_URL", "")
        self.secret = secret if secret is not None else getattr(settings, "NOTIFICATION_WEBHOOK_SECRET", "")
        self.timeout = float(timeout or getattr(settings, "NOTIFICATION_WEBHOOK_TIMEOUT", DEFAULT_TIMEOUT))
        self._opener = urllib.request.build_opener(_NoRedirects)

    def payload(self, message) -> bytes:
        return json.dumps(
            {
                "id": message.pk,
                "idempotency_key": message.idempotency_key,
                "to": message.recipient,
                "kind": message.kind,
                "subject": message.subject,
                "text": message.body,
                "submission": message.submission or None,
                "created_at": message.created_at.isoformat(),
            },
            ensure_ascii=False,
        ).encode()

    def signature(self, timestamp: str, body: bytes) -> str:
        digest = hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return f"sha256={digest}"

    def send(self, message) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise DeliveryError("NOTIFICATION_WEBHOOK_URL is not set to an http(s) address")
        body = self.payload(message)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message.idempotency_key,
            "User-Agent": "yichuang-notifications/1",
        }
        if self.secret:
            timestamp = str(int(time.time()))
            headers["X-Yichuang-Timestamp"] = timestamp
            headers["X-Yichuang-Signature"] = self.signature(timestamp, body)
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            # The gateway's answer body is not kept: it may echo the number or the text.
            raise DeliveryError(f"gateway answered HTTP {exc.code}") from None
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"gateway unreachable: {mask_text(str(reason))[:200]}") from None
        if not 200 <= status < 300:
            raise DeliveryError(f"gateway answered HTTP {status}")


def get_backend() -> BaseBackend:
    path = getattr(settings, "NOTIFICATION_BACKEND", "") or DEFAULT_BACKEND
    return import_string(path)()
