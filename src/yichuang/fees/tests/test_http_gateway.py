"""The generic HTTP adapter against a small platform served from a thread: signed requests, idempotent by our
number, a refund, and every failure (HTTP 500, a timeout, nothing listening, not JSON) a GatewayError."""

import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from yichuang.fees import gateways

from .conftest import SECRET


class Platform(BaseHTTPRequestHandler):
    notices: dict = {}
    requests: list = []
    mode = "ok"

    def log_message(self, *args):
        pass

    def _answer(self, status, data):
        body = json.dumps(data).encode() if not isinstance(data, bytes) else data
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _checked(self) -> bytes | None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        stamp = self.headers.get(gateways.TIMESTAMP_HEADER, "")
        expected = gateways.sign(stamp, body, SECRET)
        self.requests.append((self.command, self.path, self.headers.get("Idempotency-Key"), body))
        if self.headers.get(gateways.SIGNATURE_HEADER) != expected:
            self._answer(401, {"error": "signature"})
            return None
        if self.mode == "down":
            self._answer(500, {"error": "down"})
            return None
        if self.mode == "slow":
            time.sleep(1.5)
        if self.mode == "garbage":
            self._answer(200, b"<html>maintenance</html>")
            return None
        return body

    def do_POST(self):
        body = self._checked()
        if body is None:
            return
        data = json.loads(body)
        if self.path == "/pay/notices":
            notice = self.notices.setdefault(data["number"], {"state": "unpaid", "amount": data["amount"],
                                                              "pay_code": f"CODE{len(self.notices) + 1}"})  # fmt: skip
            self._answer(200, {"pay_code": notice["pay_code"], "pay_url": "https://pay.example/x"})
        elif self.path.endswith("/refunds"):
            number = self.path.split("/")[3]
            self.notices[number]["state"] = "refund_pending"
            self._answer(200, {"reference": "R-" + data["refund_number"], "state": "refund_pending"})
        else:
            self._answer(404, {})

    def do_GET(self):
        if self._checked() is None:
            return
        number = self.path.rsplit("/", 1)[1]
        notice = self.notices.get(number)
        if notice is None:
            return self._answer(404, {})
        self._answer(200, {"number": number, "state": notice["state"], "amount": notice["amount"],
                           "receipt_number": notice.get("receipt", ""), "paid_at": notice.get("paid_at")})  # fmt: skip


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the slow answer's client has gone (it timed out): nothing to report


@pytest.fixture
def platform(settings):
    Platform.notices, Platform.requests, Platform.mode = {}, [], "ok"
    server = Server(("127.0.0.1", 0), Platform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.FEES_GATEWAY = "http"
    settings.FEES_GATEWAY_URL = f"http://127.0.0.1:{server.server_address[1]}/pay"
    settings.FEES_CALLBACK_URL = "https://hall.example/fees/callback/"
    yield Platform
    server.shutdown()
    server.server_close()


REQUEST = gateways.NoticeRequest(
    number="411624-20260310-000001-01-SL", amount=Decimal("62.50"), payer_name="张三", payer_kind="person",
    department_code="samr", case_number="411624-20260310-000001-01",
    lines=(gateways.Line("审查费", Decimal("50.00"), "某文件"), gateways.Line("检测费", Decimal("12.50"), "某文件")),
)  # fmt: skip


def test_create_query_refund_signed_and_idempotent(platform):
    gateway = gateways.get_gateway()
    assert isinstance(gateway, gateways.HttpGateway)
    first = gateway.create_notice(REQUEST)
    assert first == gateway.create_notice(REQUEST) == gateways.Acknowledgement("CODE1", "https://pay.example/x")
    method, path, key, body = platform.requests[0]
    sent = json.loads(body)
    assert (method, path, key) == ("POST", "/pay/notices", REQUEST.number)
    assert sent["amount"] == "62.50" and sent["notify_url"] == "https://hall.example/fees/callback/"
    assert [line["amount"] for line in sent["lines"]] == ["50.00", "12.50"]

    assert gateway.query(REQUEST.number).state == "unpaid"
    platform.notices[REQUEST.number].update(state="paid", receipt="PJ1", paid_at="2026-03-10T10:00:00+08:00")
    report = gateway.query(REQUEST.number)
    assert (report.state, report.receipt_number, report.amount) == ("paid", "PJ1", Decimal("62.50"))
    assert report.paid_at.isoformat() == "2026-03-10T10:00:00+08:00"

    ack = gateway.refund(REQUEST.number, REQUEST.number + "-R", Decimal("62.50"), "不予许可")
    assert ack == gateways.RefundAck(f"R-{REQUEST.number}-R", "refund_pending")
    assert platform.requests[-1][2] == REQUEST.number + "-R"


@pytest.mark.parametrize("mode", ["down", "garbage"])
def test_platform_errors_are_gateway_errors(platform, mode):
    platform.mode = mode
    with pytest.raises(gateways.GatewayError):
        gateways.get_gateway().create_notice(REQUEST)


def test_a_slow_platform_times_out(platform, settings):
    platform.mode = "slow"
    settings.FEES_GATEWAY_TIMEOUT = 0.3
    with pytest.raises(gateways.GatewayError, match="unreachable"):
        gateways.get_gateway().create_notice(REQUEST)


def test_unknown_notice_wrong_secret_nothing_listening_and_no_url(platform, settings):
    with pytest.raises(gateways.GatewayError, match="404"):
        gateways.get_gateway().query("NOPE")
    settings.FEES_GATEWAY_SECRET = "wrong"
    with pytest.raises(gateways.GatewayError, match="401"):
        gateways.get_gateway().create_notice(REQUEST)
    settings.FEES_GATEWAY_URL = "http://127.0.0.1:9/pay"
    with pytest.raises(gateways.GatewayError, match="unreachable"):
        gateways.get_gateway().create_notice(REQUEST)
    settings.FEES_GATEWAY_URL = ""
    with pytest.raises(gateways.GatewayError, match="not set"):
        gateways.get_gateway().create_notice(REQUEST)
