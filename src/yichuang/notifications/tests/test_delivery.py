"""The outbox: stored in the caller's transaction, delivered after commit, retried with backoff, once each."""

import datetime
import json
import logging
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from yichuang.core.models import AuditEvent
from yichuang.notifications import services
from yichuang.notifications.models import Message
from yichuang.notifications.tasks import deliver_catch_up, deliver_pending
from yichuang.notifications.tests import workers
from yichuang.notifications.tests.conftest import FlakyGateway

PHONE = "13812345678"
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def sweeps():
    return DBTaskResult.objects.filter(task_path=deliver_pending.module_path)


@pytest.mark.django_db(transaction=True)
def test_stored_in_the_transaction_and_delivered_after_commit(settings, caplog):
    settings.TASKS = IMMEDIATE  # the task runs as soon as it is enqueued: on commit, not before
    caplog.set_level(logging.INFO, logger="yichuang.notifications")
    with transaction.atomic():
        message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 2}, submission="S20260101-0001")
        assert Message.objects.get(pk=message.pk).status == Message.Status.PENDING
        assert "notification #" not in caplog.text  # nothing sent inside the transaction
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 1 and message.sent_at is not None
    assert "S20260101-0001" in message.body and "共 2 件办件" in message.body
    assert "/progress/S20260101-0001/" in message.body  # the public progress page
    # The console backend logged it, with the phone masked.
    assert "138****5678" in caplog.text and PHONE not in caplog.text
    assert AuditEvent.objects.filter(action="notifications.queue", object_id=str(message.pk)).exists()


@pytest.mark.django_db(transaction=True)
def test_the_database_task_is_enqueued_only_on_commit():
    with transaction.atomic():
        services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1}, submission="S1")
        assert not sweeps().exists()
    assert sweeps().filter(status="READY").count() == 1
    # A second message while that sweep still waits to start: the waiting sweep will take it too.
    services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1}, submission="S2")
    assert sweeps().count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_intake_sends_nothing(settings, caplog):
    settings.TASKS = IMMEDIATE
    caplog.set_level(logging.INFO, logger="yichuang.notifications")

    class IntakeFailed(Exception):
        pass

    with pytest.raises(IntakeFailed), transaction.atomic():
        services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1}, submission="S-rolled-back")
        raise IntakeFailed
    assert not Message.objects.exists()
    assert not sweeps().exists()
    assert "notification #" not in caplog.text


def test_no_phone_no_message(db):
    assert services.notify("", Message.Kind.ACCEPTED, {}) is None
    assert services.notify(None, Message.Kind.ACCEPTED, {}) is None
    assert not Message.objects.exists()


def test_phone_is_normalised_and_kind_checked(db):
    message = services.notify("+86 138-1234-5678", Message.Kind.ACCEPTED, {"cases": 1})
    assert message.recipient == PHONE
    with pytest.raises(ValueError):
        services.notify(PHONE, "bogus", {})


def test_gateway_down_is_retried_with_backoff_until_sent(db):
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1}, submission="S1")
    gateway = FlakyGateway(failures=3)
    t0 = timezone.now()
    minute = datetime.timedelta(minutes=1)

    report = services.deliver_due(now=t0, backend=gateway)
    assert report.retrying == 1 and report.sent == 0
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING and message.attempts == 1
    assert message.next_attempt_at == t0 + 1 * minute
    assert "503" in message.last_error

    # Not due yet: nothing is tried before the backoff has passed.
    assert services.deliver_due(now=t0 + 59 * datetime.timedelta(seconds=1), backend=gateway).retrying == 0
    assert gateway.calls == 1

    t1 = t0 + minute
    services.deliver_due(now=t1, backend=gateway)
    message.refresh_from_db()
    assert message.attempts == 2 and message.next_attempt_at == t1 + 2 * minute

    t2 = t1 + 2 * minute
    services.deliver_due(now=t2, backend=gateway)
    message.refresh_from_db()
    assert message.attempts == 3 and message.next_attempt_at == t2 + 4 * minute

    report = services.deliver_due(now=t2 + 4 * minute, backend=gateway)
    assert report.sent == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.attempts == 4 and message.last_error == ""
    assert gateway.sent == [message.pk]
    # Sent once: later sweeps leave it alone.
    services.deliver_due(now=t2 + 60 * minute, backend=gateway)
    assert gateway.sent == [message.pk]
    assert not Message.objects.filter(status=Message.Status.PENDING).exists()


def test_backoff_is_capped(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 600
    assert [services.backoff(n).total_seconds() for n in range(1, 8)] == [60, 120, 240, 480, 600, 600, 600]


def test_failed_after_max_attempts_and_staff_can_retry(db, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    message = services.notify(PHONE, Message.Kind.RESULT_READY, {"case": "C1", "matter": "测试", "place": "出件窗口"})
    gateway = FlakyGateway(failures=None)
    now = timezone.now()
    for _ in range(3):
        services.deliver_due(now=now, backend=gateway)
        now += datetime.timedelta(hours=2)
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.attempts == 3
    assert gateway.calls == 3
    assert AuditEvent.objects.filter(action="notifications.fail", object_id=str(message.pk)).exists()
    # Failed is final for the sweep: never tried again by itself.
    services.deliver_due(now=now + datetime.timedelta(days=1), backend=gateway)
    assert gateway.calls == 3

    services.retry(message, actor=None)
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING and message.attempts == 0
    assert services.deliver_due(backend=FlakyGateway()).sent == 1


def test_a_sign_in_code_expires_unsent_and_is_not_kept(db):
    now = timezone.now()
    late = services.notify(
        PHONE, Message.Kind.SIGN_IN_CODE, {"code": "482913", "minutes": 5}, expires_at=now - datetime.timedelta(1)
    )
    on_time = services.notify(
        PHONE, Message.Kind.SIGN_IN_CODE, {"code": "105726", "minutes": 5}, expires_at=now + datetime.timedelta(1)
    )
    gateway = FlakyGateway()
    report = services.deliver_due(backend=gateway)
    assert report.expired == 1 and report.sent == 1 and gateway.sent == [on_time.pk]
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.status == Message.Status.FAILED and "expired" in late.last_error
    assert "482913" not in late.body and "105726" not in on_time.body and "******" in on_time.body


def test_a_worker_that_dies_mid_send_only_delays_the_message(db):
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    now = timezone.now()
    claimed = services.claim_next(now)  # ... and the worker dies here
    assert claimed.pk == message.pk
    assert services.claim_next(now) is None  # out of the other workers' reach while the lease runs
    later = now + services.claim_lease()
    gateway = FlakyGateway()
    assert services.deliver_due(now=later, backend=gateway).sent == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.attempts == 2


def test_a_late_success_of_an_expired_claim_still_counts_once(db):
    """Worker A's lease ran out, B claimed again; A then succeeds: sent, and B's later failure changes nothing."""
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    now = timezone.now()
    first = services.claim_next(now)
    second = services.claim_next(now + services.claim_lease())
    assert services.attempt(first, FlakyGateway()) == "sent"
    services.attempt(second, FlakyGateway(failures=None))
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.last_error == ""


def check_two_workers(result: dict):
    assert result["errors"] == []
    assert result["sends"] == result["distinct"] == result["messages"]  # every message sent, none twice
    assert result["max_per_message"] == 1
    assert result["sent_rows"] == result["messages"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_deliver_each_message_once():
    if connection.vendor == "sqlite":
        pytest.skip("runs in test_two_workers_deliver_each_message_once_on_a_sqlite_file")
    result = workers.run()
    check_two_workers(result)
    assert result["workers_used"] == 2


def test_two_workers_deliver_each_message_once_on_a_sqlite_file(tmp_path):
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the PostgreSQL run uses test_two_workers_deliver_each_message_once")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'workers.sqlite3'}",
        "YICHUANG_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "yichuang.settings",
    }
    done = subprocess.run(
        [sys.executable, "-m", "yichuang.notifications.tests.workers"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["vendor"] == "sqlite"
    check_two_workers(result)


def test_the_task_and_the_periodic_catch_up_send_what_is_due(db, settings):
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.tests.test_delivery.AlwaysDown"
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    assert deliver_pending.call()["retrying"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING and message.attempts == 1
    # The retry is the worker's periodic catch-up's (core.periodic), not a task that enqueues itself again.
    assert not sweeps().filter(status="READY").exists()
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.backends.ConsoleBackend"
    Message.objects.update(next_attempt_at=timezone.now())
    assert deliver_catch_up()["sent"] == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


class AlwaysDown:
    def send(self, message):
        raise ConnectionRefusedError("connection refused by 10.0.0.8 for 13812345678")


def test_errors_are_kept_without_personal_data(db):
    message = services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    services.deliver_due(backend=AlwaysDown())
    message.refresh_from_db()
    assert PHONE not in message.last_error and "138****5678" in message.last_error


def test_command_delivers_due_messages(db, capsys, settings):
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.tests.test_delivery.AlwaysDown"
    services.notify(PHONE, Message.Kind.ACCEPTED, {"cases": 1})
    call_command("notifications", "deliver")
    out = capsys.readouterr().out
    assert "retrying 1" in out
    settings.NOTIFICATION_BACKEND = "yichuang.notifications.backends.ConsoleBackend"
    Message.objects.update(next_attempt_at=timezone.now())
    call_command("notifications", "deliver")
    assert "sent 1" in capsys.readouterr().out
    call_command("notifications", "status")
    assert "sent: 1" in capsys.readouterr().out


@pytest.mark.parametrize("kind", Message.Kind.values)
def test_every_kind_has_its_template_with_a_subject_and_a_text(kind):
    context = {
        "site_name": "沈丘县政务服务中心", "submission": "411624-20261203-000001", "case": "C1", "matter": "测试",
        "place": "综合出件窗口", "days": 7, "code": "123456", "minutes": 5,
    }  # fmt: skip
    subject, body = services.render(kind, context)
    assert subject and body and "{{" not in body and "{%" not in body
