"""The payment gateway (the province's 统一公共支付平台) behind one small interface, so that the hall can
change platforms by changing one setting (`FEES_GATEWAY`).

The contract (docs/fees.md):

- `create_notice(request)` registers a payment notice under OUR number and answers its 缴款码 (and a payment
  link if the platform has one). It must be idempotent by that number: asked twice, the platform answers the
  same code and bills the payer once. The hall retries until it gets an answer.
- `query(number)` answers the notice's state as the platform knows it (`Report`): unpaid, paid (with the
  electronic receipt's number 电子票据号, the moment and the amount), refund_pending, refunded, cancelled.
- `refund(number, refund_number, amount, reason)` asks for the refund of a paid notice, idempotent by
  `refund_number`; it answers the refund's reference and whether it is already done or still pending.
- `parse_callback(body, headers)` checks a callback's signature (`CallbackRefused` → 403) and reads it into a
  `Report` (`BadCallback` → 400).

Every failure to reach the platform, a timeout and an answer that is not 2xx is a `GatewayError`: the caller
records it and tries again later. Nothing here writes to the database.

Signatures, both directions: `X-Yichuang-Timestamp` (Unix seconds) and `X-Yichuang-Signature: sha256=<hex>`,
the HMAC-SHA256 of "<timestamp>.<body>" under `FEES_GATEWAY_SECRET` (as the notifications' webhook signs).
"""

import abc
import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from yichuang.notifications import backends as hmac_scheme  # sign / verify: the project's one HMAC scheme

STATES = ("unpaid", "paid", "refund_pending", "refunded", "cancelled")
TIMESTAMP_HEADER = "X-Yichuang-Timestamp"
SIGNATURE_HEADER = "X-Yichuang-Signature"


class GatewayError(Exception):
    """The platform could not be reached or refused the request: try again later."""


class CallbackRefused(Exception):
    """A callback whose signature or timestamp does not hold (HTTP 403)."""


class BadCallback(Exception):
    """A callback that is not the JSON the contract describes (HTTP 400)."""


@dataclass(frozen=True)
class Line:
    name: str
    amount: Decimal
    basis: str


@dataclass(frozen=True)
class NoticeRequest:
    number: str
    amount: Decimal
    payer_name: str
    payer_kind: str  # person / org
    department_code: str
    case_number: str
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Acknowledgement:
    pay_code: str
    pay_url: str = ""


@dataclass(frozen=True)
class Report:
    number: str
    state: str
    receipt_number: str = ""
    paid_at: dt.datetime | None = None
    amount: Decimal | None = None
    refund_reference: str = ""
    event_id: str = ""


@dataclass(frozen=True)
class RefundAck:
    reference: str
    state: str  # refund_pending / refunded


class Gateway(abc.ABC):
    @abc.abstractmethod
    def create_notice(self, request: NoticeRequest) -> Acknowledgement: ...

    @abc.abstractmethod
    def query(self, number: str) -> Report: ...

    @abc.abstractmethod
    def refund(self, number: str, refund_number: str, amount: Decimal, reason: str) -> RefundAck: ...

    def parse_callback(self, body: bytes, headers: Mapping[str, str]) -> Report:
        verify_signature(body, headers)
        return report_from_json(body)


# --- signatures and the callback's JSON ---------------------------------------------------------------


def secret() -> str:
    """The shared secret; the simulator alone falls back to one derived from SECRET_KEY (the demo needs no
    setup). An empty secret refuses every callback."""
    value = getattr(settings, "FEES_GATEWAY_SECRET", "")
    if not value and _gateway_path() == SIMULATOR:
        value = hmac.new(settings.SECRET_KEY.encode(), b"fees-simulator", hashlib.sha256).hexdigest()
    return value


def sign(timestamp: str, body: bytes, key: str | None = None) -> str:
    """The project's one request signature (`yichuang.notifications.backends.sign`) under the fees' secret."""
    return hmac_scheme.sign(secret() if key is None else key, timestamp, body)


def signed_headers(body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(timestamp, body)}


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value or ""
    return ""


def verify_signature(body: bytes, headers: Mapping[str, str]) -> None:
    """A callback's headers come from anyone on the internet: the project's one verification
    (`yichuang.notifications.backends.verify`: 1 to 12 ASCII digits of timestamp within
    FEES_CALLBACK_MAX_AGE_SECONDS, an ASCII signature compared as bytes in constant time) — any malformed value is
    a refusal (403), never an error."""
    key = secret()
    if not key:
        raise CallbackRefused("FEES_GATEWAY_SECRET is not set")
    timestamp, given = _header(headers, TIMESTAMP_HEADER), _header(headers, SIGNATURE_HEADER)
    if not hmac_scheme.verify(key, timestamp, given, body, settings.FEES_CALLBACK_MAX_AGE_SECONDS):
        raise CallbackRefused("missing, malformed, stale or wrong signature")


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise BadCallback("amount is not a number") from None
    if not amount.is_finite():
        raise BadCallback("amount is not a number")
    return amount


def report_from_dict(data) -> Report:
    if not isinstance(data, dict):
        raise BadCallback("not a JSON object")
    number, state = data.get("number"), data.get("state")
    if not isinstance(number, str) or not number or len(number) > 64:
        raise BadCallback("number missing")
    if state not in STATES:
        raise BadCallback("unknown state")
    paid_at = data.get("paid_at")
    if paid_at not in (None, ""):
        try:  # an impossible date ("2026-13-45", an offset of "+99:00") raises ValueError
            parsed = parse_datetime(paid_at) if isinstance(paid_at, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise BadCallback("paid_at is not a date-time")
        paid_at = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
    texts = {k: data.get(k) or "" for k in ("receipt_number", "refund_reference", "event_id")}
    if any(not isinstance(v, str) or len(v) > 64 for v in texts.values()):
        raise BadCallback("a text field is too long or not a text")
    if any("\x00" in v for v in (number, *texts.values())):  # PostgreSQL stores no NUL in text
        raise BadCallback("a text field contains a NUL character")
    return Report(number=number, state=state, paid_at=paid_at or None, amount=_decimal(data.get("amount")), **texts)


def report_from_json(body: bytes) -> Report:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadCallback("not JSON") from None
    return report_from_dict(data)


def report_to_dict(report: Report) -> dict:
    return {
        "number": report.number,
        "state": report.state,
        "receipt_number": report.receipt_number,
        "paid_at": report.paid_at.isoformat() if report.paid_at else None,
        "amount": str(report.amount) if report.amount is not None else None,
        "refund_reference": report.refund_reference,
        "event_id": report.event_id,
    }


# --- the generic HTTP gateway -------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpGateway(Gateway):
    """JSON over HTTP(S), every request signed (see the module's docstring and docs/fees.md):

    POST {FEES_GATEWAY_URL}/notices                     NoticeRequest → {"pay_code", "pay_url"}
    GET  {FEES_GATEWAY_URL}/notices/<number>            → a Report's JSON
    POST {FEES_GATEWAY_URL}/notices/<number>/refunds    {"refund_number", "amount", "reason"} → {"reference", "state"}
    """

    def __init__(self, url: str | None = None, timeout: float | None = None):
        self.url = (url if url is not None else settings.FEES_GATEWAY_URL).rstrip("/")
        self.timeout = float(timeout or settings.FEES_GATEWAY_TIMEOUT)
        self._opener = urllib.request.build_opener(_NoRedirects)

    def _call(self, method: str, path: str, payload: dict | None = None, *, key: str = "") -> dict:
        if not self.url.startswith(("http://", "https://")):
            raise GatewayError("FEES_GATEWAY_URL is not set to an http(s) address")
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Accept": "application/json", "User-Agent": "yichuang-fees/1", **signed_headers(body)}
        if payload is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(self.url + path, data=body if payload is not None else None,
                                         headers=headers, method=method)  # fmt: skip
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                raw = response.read(1_000_000)
        except urllib.error.HTTPError as exc:
            raise GatewayError(f"gateway answered HTTP {exc.code}") from None
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            raise GatewayError(f"gateway unreachable: {str(getattr(exc, 'reason', exc))[:150]}") from None
        try:
            data = json.loads(raw.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError):
            raise GatewayError("gateway answered something that is not JSON") from None
        if not isinstance(data, dict):
            raise GatewayError("gateway answered something that is not a JSON object")
        return data

    def create_notice(self, request: NoticeRequest) -> Acknowledgement:
        data = self._call(
            "POST",
            "/notices",
            {
                "number": request.number,
                "amount": str(request.amount),
                "payer": {"name": request.payer_name, "kind": request.payer_kind},
                "department_code": request.department_code,
                "case_number": request.case_number,
                "lines": [{"name": x.name, "amount": str(x.amount), "basis": x.basis} for x in request.lines],
                "notify_url": settings.FEES_CALLBACK_URL,
            },
            key=request.number,
        )
        code = data.get("pay_code")
        if not isinstance(code, str) or not code:
            raise GatewayError("gateway answered no pay_code")
        return Acknowledgement(pay_code=code[:64], pay_url=str(data.get("pay_url") or "")[:300])

    def query(self, number: str) -> Report:
        data = self._call("GET", "/notices/" + urllib.parse.quote(number, safe=""))
        try:
            return report_from_dict(data)
        except BadCallback as exc:
            raise GatewayError(f"gateway answered a bad report: {exc}") from None

    def refund(self, number: str, refund_number: str, amount: Decimal, reason: str) -> RefundAck:
        data = self._call(
            "POST",
            f"/notices/{urllib.parse.quote(number, safe='')}/refunds",
            {"refund_number": refund_number, "amount": str(amount), "reason": reason[:200]},
            key=refund_number,
        )
        state = data.get("state")
        if state not in ("refund_pending", "refunded") or not data.get("reference"):
            raise GatewayError("gateway answered no refund reference")
        return RefundAck(reference=str(data["reference"])[:64], state=state)


# --- the simulator ------------------------------------------------------------------------------------


@dataclass
class SimulatorRules:
    """How the simulator misbehaves (settings FEES_SIMULATOR, e.g. "fail_first=1,fail_rate=0.2,delay=0.5,
    duplicates=1,drop_callbacks=0,refund_pending=1"). Deterministic: a failure depends on the notice, the
    operation and the attempt, never on chance."""

    fail_first: int = 0  # every operation on a notice fails its first n attempts
    fail_rate: float = 0.0  # and this share of the later ones (decided by a hash)
    delay: float = 0.0  # seconds each call takes; longer than FEES_GATEWAY_TIMEOUT: a timeout
    duplicates: int = 0  # each callback sent this many more times
    drop_callbacks: bool = False  # payments never called back: polling must find them
    refund_pending: bool = True  # a refund is pending until the next query (else done at once)

    @classmethod
    def parse(cls, value) -> "SimulatorRules":
        if isinstance(value, SimulatorRules):
            return value
        if isinstance(value, Mapping):
            return cls(**value)
        rules = cls()
        for part in str(value or "").split(","):
            name, _sep, raw = part.partition("=")
            name = name.strip()
            if not name:
                continue
            kind = type(getattr(cls(), name))  # an unknown name is an error at start-up, not ignored
            setattr(rules, name, kind(float(raw)) if kind is not bool else raw.strip() not in ("0", "", "false"))
        return rules


def deliver_in_process(body: bytes, headers: dict[str, str]) -> None:
    """The simulator's callback without HTTP: the same entry the endpoint uses (signature checked)."""
    from . import services

    services.receive_callback(body, headers)


def deliver_over_http(url: str) -> Callable[[bytes, dict[str, str]], None]:
    def deliver(body: bytes, headers: dict[str, str]) -> None:
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json", **headers})  # fmt: skip
        with urllib.request.urlopen(request, timeout=settings.FEES_GATEWAY_TIMEOUT):
            pass

    return deliver


class SimulatorGateway(Gateway):
    """A payment platform for the demo and the tests that behaves like a real one: it keeps its notices in the
    shared cache (so the web processes and the worker see the same platform), answers slowly or fails when its
    rules say so, calls back (in process, or over HTTP to FEES_SIMULATOR_CALLBACK_URL), sends a callback more
    than once, or never. `pay(number)` is the payer paying."""

    PREFIX = "fees-sim:"

    def __init__(self, rules=None, *, deliver: Callable | None = None, sleep: Callable = time.sleep):
        self.rules = SimulatorRules.parse(rules if rules is not None else settings.FEES_SIMULATOR)
        url = getattr(settings, "FEES_SIMULATOR_CALLBACK_URL", "")
        self.deliver = deliver or (deliver_over_http(url) if url else deliver_in_process)
        self.sleep = sleep
        self.timeout = float(settings.FEES_GATEWAY_TIMEOUT)

    # state in the shared cache
    def _cache(self):
        from django.core.cache import cache

        return cache

    def bill(self, number: str) -> dict | None:
        return self._cache().get(self.PREFIX + number)

    def _save(self, number: str, bill: dict) -> None:
        self._cache().set(self.PREFIX + number, bill, timeout=None)

    def _attempt(self, number: str, operation: str) -> None:
        """Count the attempt, take the time the rules say, fail when they say."""
        cache = self._cache()
        key = f"{self.PREFIX}attempts:{operation}:{number}"
        cache.add(key, 0, timeout=None)
        attempt = cache.incr(key)
        if self.rules.delay:
            self.sleep(min(self.rules.delay, self.timeout))
            if self.rules.delay >= self.timeout:
                raise GatewayError("simulated timeout")
        if attempt <= self.rules.fail_first:
            raise GatewayError(f"simulated outage (attempt {attempt})")
        if self.rules.fail_rate:
            digest = hashlib.sha256(f"{number}:{operation}:{attempt}".encode()).digest()
            if int.from_bytes(digest[:4]) / 2**32 < self.rules.fail_rate:
                raise GatewayError(f"simulated failure (attempt {attempt})")

    def attempts(self, number: str, operation: str) -> int:
        return self._cache().get(f"{self.PREFIX}attempts:{operation}:{number}", 0)

    # the contract
    def create_notice(self, request: NoticeRequest) -> Acknowledgement:
        self._attempt(request.number, "create")
        bill = self.bill(request.number)
        if bill is None:  # idempotent by our number: a second request bills nobody again
            code = hashlib.sha256(request.number.encode()).hexdigest()[:16].upper()
            bill = {"state": "unpaid", "amount": str(request.amount), "pay_code": code, "created": 1}
            self._save(request.number, bill)
        return Acknowledgement(pay_code=bill["pay_code"], pay_url=f"https://pay.example.invalid/{bill['pay_code']}")

    def query(self, number: str) -> Report:
        self._attempt(number, "query")
        bill = self.bill(number)
        if bill is None:
            raise GatewayError("simulated 404: unknown notice")
        if bill["state"] == "refund_pending":  # the bank finished the refund meanwhile
            bill["state"] = "refunded"
            self._save(number, bill)
        return self._report(number, bill)

    def refund(self, number: str, refund_number: str, amount: Decimal, reason: str) -> RefundAck:
        self._attempt(number, "refund")
        bill = self.bill(number)
        if bill is None or bill["state"] not in ("paid", "refund_pending", "refunded"):
            raise GatewayError("simulated 409: the notice is not paid")
        if bill.get("refund_number") != refund_number:
            bill.update(refund_number=refund_number, refund_reference=f"TK{refund_number[-12:]}",
                        state="refund_pending" if self.rules.refund_pending else "refunded")  # fmt: skip
            self._save(number, bill)
        return RefundAck(reference=bill["refund_reference"], state=bill["state"])

    # the payer's side
    def pay(self, number: str, *, at: dt.datetime | None = None) -> Report:
        """The payer pays the notice (once: a second payment of a paid notice changes nothing) and the
        platform calls back — `1 + duplicates` times, or never with drop_callbacks."""
        bill = self.bill(number)
        if bill is None:
            raise GatewayError("simulated 404: unknown notice")
        if bill["state"] == "unpaid":
            at = at or timezone.now()
            digest = hashlib.sha256(number.encode()).hexdigest()[:10].upper()
            bill.update(state="paid", paid_at=at.isoformat(), receipt_number=f"PJ{at:%Y}{digest}")
            self._save(number, bill)
        report = self._report(number, bill, event_id=f"pay-{number}")
        if not self.rules.drop_callbacks:
            for _copy in range(1 + self.rules.duplicates):
                self.callback(report)
        return report

    def callback(self, report: Report) -> None:
        body = json.dumps(report_to_dict(report)).encode()
        self.deliver(body, signed_headers(body))

    def _report(self, number: str, bill: dict, *, event_id: str = "") -> Report:
        return Report(
            number=number,
            state=bill["state"],
            receipt_number=bill.get("receipt_number", ""),
            paid_at=parse_datetime(bill["paid_at"]) if bill.get("paid_at") else None,
            amount=Decimal(bill["amount"]),
            refund_reference=bill.get("refund_reference", ""),
            event_id=event_id,
        )


# --- choosing the gateway -----------------------------------------------------------------------------

SIMULATOR = "yichuang.fees.gateways.SimulatorGateway"
ALIASES = {"simulator": SIMULATOR, "http": "yichuang.fees.gateways.HttpGateway"}


def _gateway_path() -> str:
    value = getattr(settings, "FEES_GATEWAY", "") or "simulator"
    return ALIASES.get(value, value)


def is_simulator() -> bool:
    return _gateway_path() == SIMULATOR


def simulator_allowed() -> bool:
    """May the simulator's payer pay (the 模拟缴费 button)? Only while the simulator is the gateway, and only in
    development (DEBUG) or a demonstration that says so (FEES_SIMULATOR_ALLOWED: `make demo`, `make bench`)."""
    return is_simulator() and bool(settings.DEBUG or getattr(settings, "FEES_SIMULATOR_ALLOWED", False))


def get_gateway() -> Gateway:
    return import_string(_gateway_path())()


__all__ = [
    "Acknowledgement", "BadCallback", "CallbackRefused", "Gateway", "GatewayError", "HttpGateway", "Line",
    "NoticeRequest", "RefundAck", "Report", "SimulatorGateway", "SimulatorRules", "get_gateway",
]  # fmt: skip
