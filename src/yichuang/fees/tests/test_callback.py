"""The gateway's callback endpoint: signed (wrong or stale → 403), JSON (bad → 400), a known notice (404),
applied once (a duplicate answers 200 and changes nothing)."""

import json
import time

import pytest

from yichuang.fees import gateways
from yichuang.fees.models import PaymentEvent, PaymentNotice

from .conftest import SECRET, fee, simulator

pytestmark = pytest.mark.django_db
URL = "/fees/callback/"


def post(client, body: bytes, *, key=SECRET, timestamp=None):
    timestamp = str(int(timestamp if timestamp is not None else time.time()))
    headers = {
        "HTTP_X_YICHUANG_TIMESTAMP": timestamp,
        "HTTP_X_YICHUANG_SIGNATURE": gateways.sign(timestamp, body, key),
    }
    return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.fixture
def notice(desk):
    from yichuang.backoffice.tests.conftest import take_in

    fee(amount="20.00")
    notice = PaymentNotice.objects.get(case=take_in(desk.hall))
    from yichuang.fees import services

    services.push(notice.pk, gateway=simulator())
    return notice


def paid(notice, **extra) -> bytes:
    return json.dumps(
        {"number": notice.number, "state": "paid", "receipt_number": "PJ2026000001", "amount": "20.00",
         "paid_at": "2026-03-10T10:00:00+08:00", "event_id": "e1", **extra}
    ).encode()  # fmt: skip


def test_a_signed_callback_pays_once(client, notice):
    first = post(client, paid(notice))
    assert first.status_code == 200 and first.json() == {"ok": True, "applied": True}
    again = post(client, paid(notice))
    assert again.status_code == 200 and again.json() == {"ok": True, "applied": False}
    notice.refresh_from_db()
    assert (notice.status, notice.receipt_number) == ("paid", "PJ2026000001")
    assert PaymentEvent.objects.filter(source="callback").count() == 2


def test_wrong_missing_or_stale_signatures_are_refused(client, notice):
    assert post(client, paid(notice), key="not-the-secret").status_code == 403
    assert post(client, paid(notice), timestamp=time.time() - 3600).status_code == 403
    bare = client.post(URL, data=paid(notice), content_type="application/json")
    assert bare.status_code == 403 and bare.json()["ok"] is False
    notice.refresh_from_db()
    assert notice.status == "unpaid" and not PaymentEvent.objects.filter(source="callback").exists()


def test_no_secret_refuses_every_callback(client, notice, settings):
    settings.FEES_GATEWAY = "http"
    settings.FEES_GATEWAY_SECRET = ""
    assert post(client, paid(notice), key="").status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"number": "X"}',
        b'{"number": "X", "state": "stolen"}',
        b'{"number": "X", "state": "paid", "amount": "NaN"}',
        b'{"number": "X", "state": "paid", "paid_at": "yesterday"}',
        b'{"number": "X", "state": "paid", "receipt_number": 12}',
    ],
)
def test_bad_json_is_a_400(client, notice, body):
    response = post(client, body)
    assert response.status_code == 400 and response.json()["ok"] is False


def test_an_unknown_notice_is_a_404_and_get_is_refused(client, notice):
    assert post(client, paid(notice, number="NOPE")).status_code == 404
    assert client.get(URL).status_code == 405


def test_the_simulator_calls_back_over_http_through_the_endpoint(live_server, transactional_db, desk, settings):
    """FEES_SIMULATOR_CALLBACK_URL: the simulator POSTs its (duplicated) callbacks to the real endpoint."""
    settings.FEES_SIMULATOR_CALLBACK_URL = live_server.url + URL
    from yichuang.backoffice.tests.conftest import take_in
    from yichuang.fees import services

    fee()
    notice = PaymentNotice.objects.get(case=take_in(desk.hall))
    gateway = simulator(duplicates=1)
    services.push(notice.pk, gateway=gateway)
    gateway.pay(notice.number)
    notice.refresh_from_db()
    assert notice.status == "paid"
    assert list(PaymentEvent.objects.filter(source="callback").values_list("applied", flat=True)) == [True, False]
