"""Local HTTP servers (127.0.0.1, a thread each) standing in for the SMS gateway and the WeChat platform in tests.

`SmsGateway` behaves like a real gateway with idempotency: it hands each key's SMS to the "handset" once, however
often it is asked, and it can misbehave on purpose — answer with error statuses, answer slowly (after it has already
sent the SMS, so our side times out on a message that did go out), or be down.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from yichuang.notifications.backends import sign


class _Server:
    def __init__(self, handler_factory, port: int = 0):
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler_factory(self))
        self.port = self.server.server_port
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _reply(handler, status: int, payload: dict | None = None):
    body = json.dumps(payload or {}).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class SmsGateway(_Server):
    def __init__(self, port: int = 0):
        self.requests: list[dict] = []  # every request as received (headers, parsed body)
        self.handset: list[str] = []  # idempotency keys of the SMS actually sent to phones, in order
        self.answers: list[int] = []  # statuses to answer next (then 200)
        self.delay = 0.0  # seconds to wait before answering (the SMS is sent first)
        self._lock = threading.Lock()
        super().__init__(self._handler, port)
        self.url = f"{self.base}/sms"

    @staticmethod
    def _handler(gateway):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                key = self.headers.get("Idempotency-Key", "")
                with gateway._lock:
                    gateway.requests.append({"headers": dict(self.headers), "raw": raw, "body": json.loads(raw)})
                    status = gateway.answers.pop(0) if gateway.answers else 200
                    if status == 200 and key not in gateway.handset:  # the idempotency a real gateway keeps
                        gateway.handset.append(key)
                    delay = gateway.delay
                if delay:
                    time.sleep(delay)
                _reply(self, status, {"accepted": status == 200})

            def log_message(self, *args):
                pass

        return Handler


def signed_receipt(client, secret: str, receipts, timestamp: int | None = None, signature: str | None = None):
    """POST receipts to our endpoint as the gateway does (Django's test client)."""
    body = json.dumps(receipts).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return client.post(
        "/notifications/receipts/sms/",
        data=body,
        content_type="application/json",
        headers={"X-Yichuang-Timestamp": stamp, "X-Yichuang-Signature": signature or sign(secret, stamp, body)},
    )


class WechatPlatform(_Server):
    """Token URL `/token` and send URL `/send`. Issues tokens T1, T2 …; only the newest is valid, and
    `expire()` makes it invalid (errcode 42001) as the platform does when a token runs out."""

    def __init__(self):
        self.token_requests: list[dict] = []
        self.sent: list[dict] = []
        self.tokens_issued = 0
        self.valid_token = ""
        self.errcodes: list[int] = []  # errcodes to answer next to a valid send (then 0)
        super().__init__(self._handler)

    def expire(self):
        self.valid_token = ""

    @staticmethod
    def _handler(platform):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                platform.token_requests.append(query)
                if url.path != "/token" or query.get("secret") != "app-secret":
                    return _reply(self, 200, {"errcode": 40125, "errmsg": "invalid appsecret"})
                platform.tokens_issued += 1
                platform.valid_token = f"T{platform.tokens_issued}"
                _reply(self, 200, {"access_token": platform.valid_token, "expires_in": 7200})

            def do_POST(self):
                url = urlsplit(self.path)
                token = parse_qs(url.query).get("access_token", [""])[0]
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not platform.valid_token or token != platform.valid_token:
                    return _reply(self, 200, {"errcode": 42001, "errmsg": "access_token expired"})
                errcode = platform.errcodes.pop(0) if platform.errcodes else 0
                if errcode == 0:
                    platform.sent.append({"token": token, **body})
                _reply(self, 200, {"errcode": errcode, "errmsg": "ok" if errcode == 0 else "error", "msgid": 1})

            def log_message(self, *args):
                pass

        return Handler
