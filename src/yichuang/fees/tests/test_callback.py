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


# --- malformed headers and bodies from the internet: refused, never a 500 -----------------------------------


def raw_post(client, body: bytes, timestamp: str | None, signature: str | None):
    headers = {}
    if timestamp is not None:
        headers["HTTP_X_YICHUANG_TIMESTAMP"] = timestamp
    if signature is not None:
        headers["HTTP_X_YICHUANG_SIGNATURE"] = signature
    return client.post(URL, data=body, content_type="application/json", **headers)


@pytest.mark.parametrize(
    "timestamp, signature",
    [
        ("²", None),  # "²".isdigit() is True, int("²") raises
        ("¹²³", None),
        ("١٧٠٠٠٠٠٠٠٠", None),  # Arabic-Indic digits: int() would read them
        ("1" * 5000, None),  # int() refuses more than 4300 digits
        ("1" + "0" * 400, None),
        ("-1", None),
        (" 1700000000", None),
        ("", None),
        ("now", "sha256=" + "0" * 64),
        (None, "sha256=é"),  # non-ASCII: compare_digest of str raises TypeError
        (None, "sha256=签名"),
        (None, "sha256=" + "ä" * 64),
        (None, ""),
        (None, "sha256=" + "0" * 64),  # well-formed, wrong
    ],
)
def test_every_malformed_signature_header_is_a_403(client, notice, timestamp, signature):
    client.raise_request_exception = False
    body = paid(notice)
    now = str(int(time.time()))
    if signature is None:  # the signature of the body under the timestamp given: only the timestamp is wrong
        signature = gateways.sign(timestamp or "", body, SECRET)
    response = raw_post(client, body, now if timestamp is None else timestamp, signature)
    assert response.status_code == 403 and response.json() == {"ok": False, "error": "signature"}
    notice.refresh_from_db()
    assert notice.status == "unpaid" and not PaymentEvent.objects.filter(source="callback").exists()


def test_a_well_signed_callback_still_pays(client, notice):
    """The shared scheme (yichuang.notifications.backends) accepts what the simulator and the platform sign."""
    body = paid(notice)
    headers = gateways.signed_headers(body)
    assert gateways.sign(headers[gateways.TIMESTAMP_HEADER], body, SECRET) == headers[gateways.SIGNATURE_HEADER]
    response = raw_post(client, body, headers[gateways.TIMESTAMP_HEADER], headers[gateways.SIGNATURE_HEADER])
    assert response.status_code == 200 and response.json() == {"ok": True, "applied": True}


@pytest.mark.parametrize(
    "extra",
    [
        {"paid_at": "2026-13-45T10:00:00+08:00"},  # parse_datetime raises ValueError
        {"paid_at": "2026-02-30T10:00:00"},
        {"paid_at": "2026-03-10T25:00:00+08:00"},
        {"paid_at": "2026-03-10T10:00:00+99:00"},  # an offset of 99 hours
        {"number": "411624-20260310\x00-01-SL"},  # PostgreSQL stores no NUL in text
        {"receipt_number": "PJ\x00"},
        {"event_id": "\x00"},
        {"refund_reference": "TK\x00x"},
    ],
)
def test_impossible_dates_and_nul_characters_are_a_400(client, notice, extra):
    client.raise_request_exception = False
    response = post(client, paid(notice, **extra))
    assert response.status_code == 400 and response.json()["ok"] is False
    notice.refresh_from_db()
    assert notice.status == "unpaid" and not PaymentEvent.objects.filter(source="callback").exists()


def test_report_from_dict_refuses_impossible_dates_and_nul(notice):
    for extra in ({"paid_at": "2026-13-45T10:00:00+08:00"}, {"paid_at": "2026-03-10T10:00:00+99:00"},
                  {"event_id": "e\x00"}, {"number": "N\x00"}, {"receipt_number": "\x00"}):  # fmt: skip
        with pytest.raises(gateways.BadCallback):
            gateways.report_from_dict(json.loads(paid(notice, **extra)))


# --- the 模拟缴费 button: the simulator, in development or an allowed demonstration only -----------------------


def test_simulated_payment_only_where_the_simulator_is_allowed(client, notice, desk, settings):
    from django.urls import reverse

    url = reverse("fees:simulate_payment", args=[notice.number])
    client.force_login(desk.clerk)
    settings.DEBUG, settings.FEES_SIMULATOR_ALLOWED = False, False  # production with the simulator left on
    assert client.post(url).status_code == 404
    settings.FEES_GATEWAY, settings.FEES_SIMULATOR_ALLOWED = "http", True  # a real gateway: never
    assert client.post(url).status_code == 404
    settings.DEBUG = True
    assert client.post(url).status_code == 404
    notice.refresh_from_db()
    assert notice.status == "unpaid"
    settings.FEES_GATEWAY, settings.DEBUG = "simulator", False  # an allowed demonstration
    assert client.post(url).status_code == 302
    notice.refresh_from_db()
    assert notice.status == "paid"
