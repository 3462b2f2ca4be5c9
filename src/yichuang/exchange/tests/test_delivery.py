"""Delivery to real front databases (MariaDB, PostgreSQL) and to an HTTP target that fails on purpose: order per
case, retries, exactly once after a crash between send and acknowledgement, rejected rows read back and resent."""

import datetime as dt
import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from yichuang.core.models import AuditEvent
from yichuang.exchange import services
from yichuang.exchange.models import OutboxEvent
from yichuang.exchange.targets import HttpTarget, Outcome

from .conftest import rows
from .helpers import with_special

pytestmark = pytest.mark.django_db(transaction=False)
Status = OutboxEvent.Status


def later(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def statuses(case) -> list[str]:
    return list(OutboxEvent.objects.filter(stream=case.number).order_by("id").values_list("status", flat=True))


def test_front_database_receives_every_table_in_order(desk, front):
    _submission, case = with_special(desk)
    report = services.deliver_due(target=front)
    assert report.sent == 7 and report.batches == 7  # one case: one row per batch, each after the one before
    assert set(statuses(case)) == {Status.SENT}
    events = list(OutboxEvent.objects.filter(stream=case.number).order_by("id"))
    got = []
    for table in ("accept", "process", "special", "result", "delivery", "evaluation"):
        got += rows(front, table)
    assert sorted(got, key=lambda r: r[3]) == [(e.row_id, case.number, e.kind, e.pk) for e in events]
    (accept,) = rows(front, "accept", "operation, applicant_name, department_code, accepted_at")
    assert accept[0] == "I" and accept[1] == "张三" or accept[1]  # the applicant's name goes to the province
    assert rows(front, "material", "material_code, accept_row_id, seq, case_no") == [
        ("ID", events[0].row_id, events[0].pk, case.number)
    ]
    (batch,) = {r[0] for r in rows(front, "accept", "batch_id, seq")}
    assert batch == events[0].batch_id


def test_exactly_once_after_a_crash_between_send_and_acknowledgement(desk, front, monkeypatch):
    _submission, case = with_special(desk)
    real = services._acknowledge

    def crash(*args, **kwargs):
        raise SystemExit("the worker died after the front database committed")

    monkeypatch.setattr(services, "_acknowledge", crash)
    with pytest.raises(SystemExit):
        services.deliver_due(target=front)
    first = OutboxEvent.objects.filter(stream=case.number).order_by("id").first()
    assert first.status == Status.PENDING and first.attempts == 1  # sent, never acknowledged
    assert len(rows(front, "accept")) == 1
    monkeypatch.setattr(services, "_acknowledge", real)
    assert services.deliver_due(target=front).sent == 0  # leased: nobody sends it again at once
    report = services.deliver_due(target=front, now=later(services.claim_lease().total_seconds() + 1))
    assert report.sent == 7
    assert rows(front, "accept") == [(first.row_id, case.number, "dispatched", first.pk)]  # once
    assert len(rows(front, "material", "row_id, seq")) == 1


def test_rejected_row_is_read_back_blocks_its_case_and_is_resent(desk, front):
    _submission, case = with_special(desk)
    OutboxEvent.objects.filter(stream=case.number).exclude(kind="dispatched").update(
        next_attempt_at=later(3600)
    )  # only the acceptance is due
    services.deliver_due(target=front)
    accept = OutboxEvent.objects.get(stream=case.number, kind="dispatched")
    assert accept.status == Status.SENT
    conn = front.connect()
    with conn.cursor() as cur:
        cur.execute(f"INSERT INTO {front.name('error')} (table_name, row_id, reason) VALUES (%s, %s, %s)",
                    [front.prefix + "accept", accept.row_id, "实施编码为空"])  # fmt: skip
    conn.commit()
    OutboxEvent.objects.update(next_attempt_at=timezone.now())
    report = services.deliver_due(target=front)
    assert report.rejections_read == 1 and report.sent == 0  # the case's later rows wait behind it
    accept.refresh_from_db()
    assert accept.status == Status.REJECTED and accept.reject_reason == "实施编码为空"
    assert statuses(case)[1:] == [Status.PENDING] * 6
    with conn.cursor() as cur:
        cur.execute(f"SELECT read_flag FROM {front.name('error')}")
        assert [r[0] for r in cur.fetchall()] == [1]
    conn.commit()

    payload = {**accept.payload, "impl_code": "11411624MB1234567K000105001000"}
    services.fix_payload(accept, desk.hall.admin, payload)
    services.resend(accept, desk.hall.admin)
    assert services.deliver_due(target=front).sent == 7
    accept.refresh_from_db()
    assert accept.revision == 2 and accept.status == Status.SENT
    stored = rows(front, "accept", "row_id, operation, impl_code")
    assert stored == [(f"{accept.uid.hex}-1", "I", ""), (f"{accept.uid.hex}-2", "U", payload["impl_code"])]
    assert set(statuses(case)) == {Status.SENT}
    actions = set(AuditEvent.objects.filter(object_type="exchange.outboxevent").values_list("action", flat=True))
    assert {"exchange.rejected", "exchange.fix", "exchange.resend"} <= actions
    # no personal data in the audit log
    for event in AuditEvent.objects.filter(object_type="exchange.outboxevent"):
        assert "张" not in event.summary and "id_no" not in json.dumps(event.detail)


def test_front_database_down_retries_with_backoff(desk, settings):
    from yichuang.exchange.targets import FrontDatabase

    settings.EXCHANGE_TIMEOUT = 1
    _submission, case = with_special(desk)
    down = FrontDatabase("postgresql://postgres@127.0.0.1:1/postgres")
    report = services.deliver_due(target=down)
    assert report.retrying == 1 and report.sent == 0
    first = OutboxEvent.objects.filter(stream=case.number).order_by("id").first()
    assert first.attempts == 1 and "unreachable" in first.last_error
    assert first.next_attempt_at > timezone.now() + dt.timedelta(seconds=25)  # base 30 s


# --- HTTP target ---------------------------------------------------------------------------------------


def test_http_target_signed_idempotent_and_in_order(desk, province, settings):
    settings.EXCHANGE_SECRET = "s3cret"
    _submission, case = with_special(desk)
    target = HttpTarget(province.url)
    assert services.deliver_due(target=target).sent == 7
    events = list(OutboxEvent.objects.filter(stream=case.number).order_by("id"))
    assert [r[0] for r in province.requests] == [e.row_id for e in events]
    assert [r[1]["seq"] for r in province.requests] == [e.pk for e in events]
    key, body, headers = province.requests[0]
    raw = json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
    expected = hmac.new(b"s3cret", headers["X-Yichuang-Timestamp"].encode() + b"." + raw, hashlib.sha256)
    assert headers["X-Yichuang-Signature"] == "sha256=" + expected.hexdigest()


def test_http_500_and_timeout_are_retried_later_without_losing_order(desk, province, settings):
    settings.EXCHANGE_MAX_ATTEMPTS = 5
    _submission, case = with_special(desk)
    province.modes = ["fail"]
    assert services.deliver_due(target=HttpTarget(province.url)).retrying == 1
    assert statuses(case) == [Status.PENDING] * 7 and len(province.requests) == 1
    province.modes = ["slow"]
    assert services.deliver_due(target=HttpTarget(province.url, timeout=0.5), now=later(31)).retrying == 1
    first = OutboxEvent.objects.filter(stream=case.number).order_by("id").first()
    assert first.attempts == 2 and "unreachable" in first.last_error
    assert first.next_attempt_at > later(55)  # 30 s, then 60 s
    report = services.deliver_due(target=HttpTarget(province.url), now=later(200))
    assert report.sent == 7 and set(statuses(case)) == {Status.SENT}
    keys = [r[0] for r in province.requests]
    assert keys.count(first.row_id) == 3  # the timed-out one may have arrived: same key every time
    assert len(province.stored) == 7  # the province stored each event once


def test_http_gives_up_after_max_attempts(desk, province, settings):
    settings.EXCHANGE_MAX_ATTEMPTS = 2
    _submission, case = with_special(desk)
    province.mode = "fail"
    services.deliver_due(target=HttpTarget(province.url))
    report = services.deliver_due(target=HttpTarget(province.url), now=later(3600))
    assert report.failed == 1
    assert statuses(case)[0] == Status.FAILED


def test_http_400_with_reason_is_rejected_and_resent(desk, province):
    _submission, case = with_special(desk)
    province.modes = ["reject"]
    report = services.deliver_due(target=HttpTarget(province.url))
    assert report.rejected == 1 and report.sent == 0
    first = OutboxEvent.objects.filter(stream=case.number).order_by("id").first()
    assert first.status == Status.REJECTED and first.reject_reason == "实施编码不在省级实施清单中"
    assert services.deliver_due(target=HttpTarget(province.url)).sent == 0  # the case waits behind it
    services.reread(first, desk.hall.admin)
    services.resend(first, desk.hall.admin)
    assert services.deliver_due(target=HttpTarget(province.url)).sent == 7
    first.refresh_from_db()
    assert province.requests[-7][0] == first.row_id == f"{first.uid.hex}-2"
    assert province.requests[-7][1]["operation"] == "U"


def test_one_case_blocked_does_not_hold_up_another(desk, province):
    _s1, case1 = with_special(desk)
    _s2, case2 = with_special(desk)

    class Picky(HttpTarget):
        def _one(self, event, batch_id):
            if event.stream == case1.number:
                return Outcome("retry", "target answered HTTP 503")
            return super()._one(event, batch_id)

    services.deliver_due(target=Picky(province.url))
    assert statuses(case1) == [Status.PENDING] * 7
    assert set(statuses(case2)) == {Status.SENT}


def test_a_claimed_row_and_its_successors_are_out_of_reach_of_other_workers(desk):
    _s1, case1 = with_special(desk)
    _batch, first = services.claim()
    assert [e.kind for e in first] == ["dispatched"]
    _batch, second = services.claim()
    assert second == []  # the head is leased; the rest of its case waits behind it


def test_http_retry_sends_the_same_body_under_the_same_key_the_batch_in_a_header(desk, province, settings):
    settings.EXCHANGE_SECRET = "s3cret"
    _submission, case = with_special(desk)
    province.modes = ["fail"]
    services.deliver_due(target=HttpTarget(province.url))
    first = OutboxEvent.objects.filter(stream=case.number).order_by("id").first()
    first_batch = first.batch_id
    assert services.deliver_due(target=HttpTarget(province.url), now=later(31)).sent == 7
    first.refresh_from_db()
    assert first.batch_id != first_batch
    attempts = [(raw, headers) for (key, raw), (_k, _d, headers) in zip(province.raw, province.requests, strict=True)
                if key == first.row_id]  # fmt: skip
    assert len(attempts) == 2
    assert attempts[0][0] == attempts[1][0]  # byte-identical: an Idempotency-Key endpoint answers 2xx, not 422
    assert b"batch_id" not in attempts[0][0]
    assert [h["X-Yichuang-Batch"] for _raw, h in attempts] == [first_batch, first.batch_id]


def test_http_signature_is_the_notifications_webhooks_one():
    from yichuang.exchange import targets
    from yichuang.notifications import backends

    assert targets.sign is backends.sign
    assert HttpTarget("http://x/", secret="k").signature("1700000000", b"{}") == backends.sign("k", "1700000000", b"{}")
