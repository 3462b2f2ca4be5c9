"""The webhook backend against a local HTTP server on 127.0.0.1 (no external address)."""

import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import checks

from yichuang.notifications import services
from yichuang.notifications.backends import DeliveryError, WebhookBackend
from yichuang.notifications.checks import notification_backend
from yichuang.notifications.models import Message

PHONE = "13812345678"
SECRET = "gateway-shared-secret"


class Gateway:
    """A tiny SMS gateway: answers each POST with the next status in `answers` (then 200), records requests."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        self.delay = 0.0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if gateway.delay:
                    time.sleep(gateway.delay)
                status = gateway.answers.pop(0) if gateway.answers else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_gateway():
    gateway = Gateway()
    yield gateway
    gateway.close()


@pytest.fixture
def webhook(settings, http_gateway):
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.backends.WebhookBackend"
    settings.NOTIFICATION_WEBHOOK_URL = http_gateway.url
    settings.NOTIFICATION_WEBHOOK_SECRET = SECRET
    settings.NOTIFICATION_WEBHOOK_TIMEOUT = 1
    return http_gateway


def test_posts_the_message_as_signed_json(db, webhook):
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 3}, submission="S20260101-0007")
    assert services.deliver_due().sent == 1
    [request] = webhook.requests
    assert request["path"] == "/sms"
    payload = json.loads(request["body"])
    assert payload["id"] == message.pk and payload["to"] == PHONE and payload["kind"] == "accepted"
    assert payload["submission"] == "S20260101-0007" and "共 3 件办件" in payload["text"]
    headers = request["headers"]
    assert headers["Idempotency-Key"] == payload["idempotency_key"] == f"yichuang-message-{message.pk}"
    timestamp = headers["X-Yichuang-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()
    assert headers["X-Yichuang-Signature"] == f"sha256={expected}"
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_without_a_secret_there_is_no_signature(db, webhook, settings):
    settings.NOTIFICATION_WEBHOOK_SECRET = ""
    services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    services.deliver_due()
    assert "X-Yichuang-Signature" not in webhook.requests[0]["headers"]


def test_an_error_answer_is_retried_with_the_same_idempotency_key(db, webhook):
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    webhook.answers = [503]
    assert services.deliver_due().retrying == 1
    message.refresh_from_db()
    assert message.last_error == "gateway answered HTTP 503"
    services.deliver_due(now=message.next_attempt_at)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    keys = [r["headers"]["Idempotency-Key"] for r in webhook.requests]
    assert keys == [message.idempotency_key] * 2


def test_a_redirect_is_not_followed(db, webhook):
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    webhook.answers = [302]
    services.deliver_due()
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING and "HTTP 302" in message.last_error
    assert len(webhook.requests) == 1


def test_a_slow_gateway_times_out(db, webhook):
    webhook.delay = 2.5  # over the 1-second timeout
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    started = time.monotonic()
    services.deliver_due()
    assert time.monotonic() - started < 2.4
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING and "unreachable" in message.last_error


def test_a_gateway_that_is_down(db, settings):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = WebhookBackend(url=f"http://127.0.0.1:{port}/sms", secret="", timeout=1)
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    with pytest.raises(DeliveryError, match="unreachable"):
        backend.send(message)


def test_no_url_is_an_error_and_a_failed_check(db, settings):
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.backends.WebhookBackend"
    settings.NOTIFICATION_WEBHOOK_URL = ""
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    services.deliver_due()
    message.refresh_from_db()
    assert "NOTIFICATION_WEBHOOK_URL" in message.last_error
    assert [e.id for e in notification_backend(None)] == ["notifications.E003"]


def test_check_of_an_unknown_backend(settings):
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.backends.NoSuchBackend"
    assert [e.id for e in notification_backend(None)] == ["notifications.E001"]
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.backends.DeliveryError"
    assert [e.id for e in notification_backend(None)] == ["notifications.E002"]
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.backends.ConsoleBackend"
    settings.DEBUG = True  # the console backend is refused with DEBUG off (test_channels.py)
    assert notification_backend(None) == []
    # Registered with Django's checks, so `yichuang check` and every server start run it.
    assert notification_backend in checks.registry.registry.get_checks()
