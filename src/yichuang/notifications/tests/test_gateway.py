"""The SMS channel against a local gateway that misbehaves on purpose, and the gateway's delivery receipts.

Nothing is lost (every message ends sent, or is still due) and nothing is duplicated (the gateway sees one
idempotency key per message, and the handset gets each SMS once).
"""

import json
import socket
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from yichuang.core.models import AuditEvent
from yichuang.notifications import services
from yichuang.notifications.backends import sign
from yichuang.notifications.models import Message
from yichuang.notifications.tests.conftest import FlakyGateway
from yichuang.notifications.tests.fakes import SmsGateway, signed_receipt
from yichuang.organisation.tests.factories import UserFactory

PHONE = "13812345678"
SECRET = "gateway-shared-secret"


@pytest.fixture
def gateway(settings):
    gateway = SmsGateway()
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.backends.WebhookBackend"
    settings.NOTIFICATION_WEBHOOK_URL = gateway.url
    settings.NOTIFICATION_WEBHOOK_SECRET = SECRET
    settings.NOTIFICATION_SMS_API_KEY = "hall-411624"
    settings.NOTIFICATION_WEBHOOK_TIMEOUT = 0.3
    yield gateway
    gateway.close()


def keys(gateway) -> list[str]:
    return [r["headers"]["Idempotency-Key"] for r in gateway.requests]


def receipt(message, status="delivered", **extra) -> dict:
    return {"idempotency_key": message.idempotency_key, "status": status, **extra}


def test_the_request_carries_key_signature_and_api_key(db, gateway):
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    assert services.deliver_due().sent == 1
    [request] = gateway.requests
    assert request["headers"]["X-Yichuang-Key"] == "hall-411624"
    assert request["body"]["channel"] == "sms" and request["body"]["to"] == PHONE
    from yichuang.notifications.backends import verify

    stamp = request["headers"]["X-Yichuang-Timestamp"]
    assert request["headers"]["X-Yichuang-Signature"] == sign(SECRET, stamp, request["raw"])
    assert verify(SECRET, stamp, request["headers"]["X-Yichuang-Signature"], request["raw"], 300)
    assert gateway.handset == [message.idempotency_key]


def test_a_gateway_that_is_down_loses_nothing(db, settings):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.backends.WebhookBackend"
    settings.NOTIFICATION_WEBHOOK_URL = f"http://127.0.0.1:{port}/sms"
    settings.NOTIFICATION_WEBHOOK_TIMEOUT = 0.3
    messages = [services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": n}) for n in (1, 2)]
    assert services.deliver_due().retrying == 2
    for message in messages:
        message.refresh_from_db()
        assert message.status == Message.Status.PENDING and "unreachable" in message.last_error
    gateway = SmsGateway(port=port)  # back up, at the same address
    try:
        later = max(m.next_attempt_at for m in messages)
        assert services.deliver_due(now=later).sent == 2
        assert services.deliver_due(now=later).sent == 0
        assert sorted(gateway.handset) == sorted(m.idempotency_key for m in messages)
        assert len(gateway.requests) == 2
    finally:
        gateway.close()


def test_a_slow_gateway_is_retried_and_the_key_prevents_a_second_sms(db, gateway):
    gateway.delay = 0.8  # it sends the SMS, then answers after our 0.3-second timeout
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    started = time.monotonic()
    assert services.deliver_due().retrying == 1
    assert time.monotonic() - started < 0.75
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING and "unreachable" in message.last_error
    gateway.delay = 0
    assert services.deliver_due(now=message.next_attempt_at).sent == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.attempts == 2
    # The gateway was asked twice with the same key and sent one SMS.
    assert keys(gateway) == [message.idempotency_key] * 2
    assert gateway.handset == [message.idempotency_key]


def test_errors_then_success(db, gateway):
    gateway.answers = [500, 502, 503]
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    outcomes = []
    for _ in range(4):
        report = services.deliver_due(now=Message.objects.get(pk=message.pk).next_attempt_at)
        outcomes.append("sent" if report.sent else "retrying" if report.retrying else "-")
    assert outcomes == ["retrying", "retrying", "retrying", "sent"]
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.attempts == 4 and message.last_error == ""
    assert keys(gateway) == [message.idempotency_key] * 4 and gateway.handset == [message.idempotency_key]
    assert services.deliver_due(now=message.next_attempt_at).sent == 0  # sent stays sent


# --- receipts ------------------------------------------------------------------------------------


def test_a_receipt_is_recorded_once(db, client, gateway):
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1}, submission="S20260101-0009")
    services.deliver_due()
    response = signed_receipt(client, SECRET, receipt(message, delivered_at="2026-01-05T09:30:00+08:00"))
    assert response.status_code == 200 and response.json() == {"recorded": 1, "duplicate": 0, "unknown": 0}
    message.refresh_from_db()
    assert message.receipt == Message.Receipt.DELIVERED
    assert message.receipt_at.isoformat() == "2026-01-05T01:30:00+00:00"
    # The gateway answers twice (repeats its receipt, or sends a contradicting one): nothing changes again.
    for again in (receipt(message), receipt(message, "undelivered", error="UNDELIV")):
        response = signed_receipt(client, SECRET, again)
        assert response.status_code == 200 and response.json()["duplicate"] == 1
    message.refresh_from_db()
    assert message.receipt == Message.Receipt.DELIVERED and message.receipt_error == ""
    assert AuditEvent.objects.filter(action="notifications.receipt", object_id=str(message.pk)).count() == 1
    # Staff see it on the submission's messages.
    client.force_login(UserFactory(window_clerk=True))
    html = client.get("/notifications/submission/S20260101-0009/").content.decode()
    assert 'data-receipt="delivered"' in html and "手机已收到" in html


def test_undelivered_and_unknown_receipts_in_one_batch(db, client, gateway):
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    services.deliver_due()
    batch = {
        "receipts": [
            receipt(message, "failed", error="MK:0001 13812345678"),
            {"idempotency_key": "yichuang-message-999999", "status": "delivered"},  # not ours
            {"idempotency_key": "someone-else-1", "status": "delivered"},
            {"status": "delivered"},
            "not an object",
        ]
    }
    response = signed_receipt(client, SECRET, batch)
    assert response.status_code == 200 and response.json() == {"recorded": 1, "duplicate": 0, "unknown": 4}
    message.refresh_from_db()
    assert message.receipt == Message.Receipt.UNDELIVERED
    assert message.receipt_error == "MK:0001 138****5678"  # never a number in clear
    assert message.status == Message.Status.SENT  # went out; the handset did not take it


def test_a_receipt_before_the_send_was_recorded_stops_the_resend(db, client, gateway):
    gateway.delay = 0.8  # the SMS goes out, our side times out; the receipt arrives while the message is pending
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    services.deliver_due()
    assert Message.objects.get(pk=message.pk).status == Message.Status.PENDING
    assert signed_receipt(client, SECRET, receipt(message)).json()["recorded"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.receipt == Message.Receipt.DELIVERED
    assert services.deliver_due(now=message.next_attempt_at).sent == 0
    assert len(gateway.requests) == 1 and gateway.handset == [message.idempotency_key]


def test_a_receipt_while_the_worker_is_sending(db, client, gateway):
    """The receipt is recorded between the gateway's answer and the worker's own record: one success counts."""
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    claimed = services.claim_next()

    class ReceiptFirst(FlakyGateway):
        def send(self, msg):
            super().send(msg)
            signed_receipt(client, SECRET, receipt(msg))

    backend = ReceiptFirst()
    assert services.attempt(claimed, backend) == "sent"
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.receipt == Message.Receipt.DELIVERED
    assert backend.sent == [message.pk]


def test_unsigned_stale_or_forged_receipts_are_refused(db, client, gateway, settings):
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    services.deliver_due()
    assert signed_receipt(client, "wrong-secret", receipt(message)).status_code == 403
    stale = int(time.time()) - 301
    assert signed_receipt(client, SECRET, receipt(message), timestamp=stale).status_code == 403
    response = client.post("/notifications/receipts/sms/", data=b"{}", content_type="application/json")
    assert response.status_code == 403
    assert client.get("/notifications/receipts/sms/").status_code == 405
    settings.NOTIFICATION_WEBHOOK_SECRET = ""  # no secret: no receipt can be trusted
    assert signed_receipt(client, "", receipt(message)).status_code == 403
    message.refresh_from_db()
    assert message.receipt == ""
    cache.clear()


def test_not_json_is_a_bad_request(db, client, gateway):
    from yichuang.notifications.backends import sign

    stamp = str(int(time.time()))
    response = client.post(
        "/notifications/receipts/sms/",
        data=b"nope",
        content_type="application/json",
        headers={"X-Yichuang-Timestamp": stamp, "X-Yichuang-Signature": sign(SECRET, stamp, b"nope")},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "timestamp, signature",
    [
        ("1" + "0" * 400, "sha256=" + "0" * 64),  # int() takes it; the age (a float) overflows
        ("1" + "0" * 5000, "sha256=" + "0" * 64),  # past int()'s digit limit
        ("1234567890123", None),  # 13 digits: no Unix time of ours
        ("\u0661\u0667\u0666\u0667", None),  # Arabic-Indic digits, which int() would read
        ("+1767600000", None),
        (" 1767600000", None),
        ("1767600000.5", None),
        (None, "sha256=é"),  # fresh timestamp, a signature that is not ASCII
        (None, "é"),
        (None, "sha256=" + "0" * 63 + "é"),
    ],
)
def test_malformed_signature_headers_are_refused_not_errors(db, client, gateway, timestamp, signature):
    """The endpoint is public: any header value is a 403, never a 500 (and nothing is recorded)."""
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    services.deliver_due()
    body = json.dumps(receipt(message)).encode()
    stamp = str(int(time.time())) if timestamp is None else timestamp
    client.raise_request_exception = False  # an exception would be the 500 the gateway sees
    response = client.post(
        "/notifications/receipts/sms/",
        data=body,
        content_type="application/json",
        headers={"X-Yichuang-Timestamp": stamp, "X-Yichuang-Signature": signature or sign(SECRET, stamp, body)},
    )
    assert response.status_code == 403 and response.json() == {"error": "signature"}
    message.refresh_from_db()
    assert message.receipt == ""


def test_a_delivered_receipt_for_a_failed_message_marks_it_sent(db, client, gateway, settings):
    """Our side timed out on every attempt, though the gateway took the SMS: the receipt says the handset has it,
    so the message is sent and staff are not offered (nor allowed) to send it again."""
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    gateway.delay = 0.8  # the SMS goes out, the answer comes after our timeout
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1}, submission="S20260101-0010")
    assert services.deliver_due().retrying == 1
    message.refresh_from_db()
    assert services.deliver_due(now=message.next_attempt_at).failed == 1
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert gateway.handset == [message.idempotency_key]

    response = signed_receipt(client, SECRET, receipt(message, delivered_at="2026-01-05T09:30:00+08:00"))
    assert response.status_code == 200 and response.json() == {"recorded": 1, "duplicate": 0, "unknown": 0}
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.receipt == Message.Receipt.DELIVERED
    assert message.last_error == "" and message.sent_at is not None
    event = AuditEvent.objects.get(action="notifications.receipt", object_id=str(message.pk))
    assert event.detail["marked_sent"] is True and event.detail["previous"] == Message.Status.FAILED

    clerk = UserFactory(window_clerk=True)
    client.force_login(clerk)
    html = client.get("/notifications/submission/S20260101-0010/").content.decode()
    assert "手机已收到" in html and 'data-status="sent"' in html
    assert f"/notifications/messages/{message.pk}/retry/" not in html  # no 重新发送 button
    with pytest.raises(ValidationError):
        services.retry(message, clerk)
    client.post(f"/notifications/messages/{message.pk}/retry/")
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert not AuditEvent.objects.filter(action="notifications.retry").exists()
    assert services.deliver_due(now=message.next_attempt_at + timedelta(hours=1)).sent == 0
    assert gateway.handset == [message.idempotency_key]


def test_an_undelivered_receipt_leaves_a_failed_message_failed(db, client, gateway, settings):
    """The handset did not take it: staff may still send it again."""
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    gateway.delay = 0.8
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    assert services.deliver_due().failed == 1
    assert signed_receipt(client, SECRET, receipt(message, "undelivered")).json()["recorded"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.receipt == Message.Receipt.UNDELIVERED
    assert services.retry(message, UserFactory(window_clerk=True)).status == Message.Status.PENDING
