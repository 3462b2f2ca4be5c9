"""Periodic jobs (core.periodic): started by the worker itself, never stopped by a failing run, run by one worker
at a time; their state in `yichuang status` and the admin's 后台任务状态."""

import datetime as dt
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from yichuang.backoffice import sweep, tasks
from yichuang.core import periodic
from yichuang.core import tasks as core_tasks
from yichuang.core.models import PeriodicJob, WorkerHeartbeat
from yichuang.core.tests.concurrency import run_together
from yichuang.exchange import tasks as exchange_tasks
from yichuang.fees import tasks as fees_tasks
from yichuang.hall import tasks as hall_tasks
from yichuang.notifications import tasks as notification_tasks
from yichuang.organisation.tests.factories import UserFactory
from yichuang.performance import tasks as performance_tasks
from yichuang.prefill import tasks as prefill_tasks
from yichuang.queue import tasks as queue_tasks
from yichuang.video import tasks as video_tasks

SH = dt.timezone(dt.timedelta(hours=8))
T = dt.datetime(2026, 3, 10, 10, 0, tzinfo=SH)  # a Tuesday the calendar knows
SWEEP = tasks.SWEEP
CATCH_UP = notification_tasks.CATCH_UP
FORM_TOKENS = core_tasks.FORM_TOKENS
VIDEO_SWEEP = video_tasks.SWEEP
SECOND = dt.timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _periods(settings):
    settings.BACKOFFICE_SWEEP_SECONDS = 300
    settings.NOTIFICATION_CATCHUP_SECONDS = 60
    settings.FORM_TOKEN_CLEANUP_SECONDS = 3600
    settings.WORKER_HEARTBEAT_SECONDS = 15


def row(name: str = SWEEP) -> PeriodicJob:
    return PeriodicJob.objects.get(name=name)


def names(jobs) -> set[str]:
    return {j.name for j in jobs}


def test_both_jobs_are_declared_with_their_periods(settings):
    settings.BACKOFFICE_SWEEP_SECONDS = 42
    settings.NOTIFICATION_CATCHUP_SECONDS = 17
    declared = {j.name: j for j in periodic.jobs()}
    assert declared[SWEEP].period == 42 and declared[SWEEP].func is tasks.backoffice_sweep
    assert declared[CATCH_UP].period == 17 and declared[CATCH_UP].func is notification_tasks.deliver_catch_up
    assert declared[VIDEO_SWEEP].func is video_tasks.video_sweep
    assert declared["queue.appointment_reminders"].func is queue_tasks.appointment_reminders
    assert declared["prefill.cleanup"].func is prefill_tasks.prefill_cleanup
    assert declared["hall.alerts"].func is hall_tasks.alerts
    assert declared["performance.rollup"].func is performance_tasks.performance_rollup
    assert declared["fees.sync"].func is fees_tasks.fees_sync
    assert declared["exchange.deliver"].func is exchange_tasks.drain


def test_a_fresh_database_gets_its_rows_due_at_once(db):
    assert not PeriodicJob.objects.exists()
    periodic.ensure_rows(T)
    periodic.ensure_rows(T + SECOND)  # a second worker starting: nothing changes
    assert {r.name: (r.next_run_at, r.period_seconds) for r in PeriodicJob.objects.all()} == {
        SWEEP: (T, 300),
        CATCH_UP: (T, 60),
        FORM_TOKENS: (T, 3600),
        VIDEO_SWEEP: (T, 60),
        "queue.appointment_reminders": (T, 300),
        "prefill.cleanup": (T, 3600),
        "hall.alerts": (T, 30),
        "performance.rollup": (T, 600),
        "fees.sync": (T, 60),
        "exchange.deliver": (T, 30),
    }


def test_a_shortened_period_takes_effect_at_once(db, settings):
    periodic.ensure_rows(T)
    periodic.claim_due("w1", T)
    assert row().next_run_at == T + 300 * SECOND
    settings.BACKOFFICE_SWEEP_SECONDS = 30
    periodic.ensure_rows(T + SECOND)
    assert row().next_run_at == T + 31 * SECOND and row().period_seconds == 30


def test_a_failing_sweep_does_not_stop_the_next_one(db, monkeypatch, caplog):
    calls = []

    def flaky_run(*args, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("calendar service refused applicant 13812345678")
        return sweep.SweepReport(yellow=2)

    monkeypatch.setattr(sweep, "run", flaky_run)
    caplog.set_level(logging.INFO, logger="yichuang.periodic")
    periodic.ensure_rows(T)
    with time_machine.travel(T, tick=False):
        periodic.beat("w1")
        claimed = periodic.claim_due("w1")
        assert SWEEP in names(claimed)
        # Moved on and marked as running BEFORE it runs: a failure cannot keep the next run from coming.
        assert (row().next_run_at, row().running_by, row().last_started_at) == (T + 300 * SECOND, "w1", T)
        job = periodic.get(SWEEP)
        assert periodic.execute(job, "w1") is None  # the failure is caught here, not in the worker's loop

    failed = row()
    assert failed.last_error.startswith("RuntimeError: calendar service refused applicant 138****5678")
    assert failed.last_error_at == T and failed.consecutive_failures == 1 and failed.last_success_at is None
    assert failed.running_by == "" and failed.next_run_at == T + 300 * SECOND
    assert "periodic job backoffice.sweep failed (1 in a row" in caplog.text
    assert "Traceback (most recent call last)" in caplog.text and "flaky_run" in caplog.text
    assert "13812345678" not in caplog.text and "138****5678" in caplog.text

    assert SWEEP not in names(periodic.claim_due("w1", T + 299 * SECOND))  # not before its period
    later = T + 300 * SECOND
    with time_machine.travel(later, tick=False):
        periodic.beat("w1")
        assert SWEEP in names(periodic.claim_due("w1"))
        assert periodic.execute(job, "w1") == {**sweep.SweepReport(yellow=2).as_dict()}

    done = row()
    assert done.last_success_at == later and done.consecutive_failures == 0 and done.last_result == "yellow 2"
    assert done.next_run_at == later + 300 * SECOND and done.running_by == ""
    assert done.last_error_at == T and done.last_error  # the last error stays on record, dated before the success
    assert len(calls) == 2


def test_a_running_job_is_not_started_again_until_its_worker_is_gone(db):
    periodic.ensure_rows(T)
    periodic.beat("w1", T)
    assert SWEEP in names(periodic.claim_due("w1", T))  # w1 runs a long sweep ...
    assert periodic.claim_due("w2", T) == []  # claimed once: nothing is due for anyone else
    due_again = T + 300 * SECOND
    periodic.beat("w1", due_again)  # ... still running (its heartbeat is fresh) when the next period comes
    assert SWEEP not in names(periodic.claim_due("w2", due_again))
    assert SWEEP not in names(periodic.claim_due("w1", due_again))  # nor a second time by itself
    # w1 died without a word: once its heartbeat is stale (3 beats), the job is free.
    assert SWEEP not in names(periodic.claim_due("w2", due_again + 45 * SECOND))
    assert SWEEP in names(periodic.claim_due("w2", due_again + 46 * SECOND))
    assert row().running_by == "w2"


def test_a_stopping_worker_frees_its_jobs_at_once(db):
    periodic.ensure_rows(T)
    periodic.beat("w1", T)
    periodic.claim_due("w1", T)
    later = T + 300 * SECOND
    periodic.beat("w1", later)  # still running its jobs
    assert periodic.claim_due("w2", later) == []
    periodic.stopped("w1", later)
    assert names(periodic.claim_due("w2", later)) == {
        SWEEP, CATCH_UP, VIDEO_SWEEP, "queue.appointment_reminders", "hall.alerts", "fees.sync", "exchange.deliver"
    }  # fmt: skip
    assert WorkerHeartbeat.objects.get(worker_id="w1").stopped_at == later


def test_a_run_that_could_not_free_its_row_is_freed_at_the_next_tick(db):
    periodic.ensure_rows(T)
    periodic.beat("w1", T)
    periodic.claim_due("w1", T)
    # the catch-up's, the form tokens', video's, the appointment reminders', the prefill cleanup's, the hall
    # alerts', the performance rollup's, the fees' sync and the exchange's delivery are over
    assert periodic.release_orphans("w1", running={SWEEP}) == 9
    assert row(CATCH_UP).running_by == row(FORM_TOKENS).running_by == row(VIDEO_SWEEP).running_by == ""
    assert row(SWEEP).running_by == "w1"


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_ticking_at_once_claim_a_due_job_once():
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises the claiming transactions; the sequential claims above cover it")
    periodic.ensure_rows(T)
    for w in ("w1", "w2", "w3"):
        periodic.beat(w, T)
    for n in range(5):
        now = T + n * 3600 * SECOND
        for w in ("w1", "w2", "w3"):
            periodic.beat(w, now)
        PeriodicJob.objects.update(next_run_at=now, running_by="")
        results = run_together(*(lambda w=w, now=now: names(periodic.claim_due(w, now)) for w in ("w1", "w2", "w3")))
        assert all(kind == "ok" for kind, _ in results), results
        claims = [name for _kind, claimed in results for name in claimed]
        every = [
            SWEEP, CATCH_UP, FORM_TOKENS, VIDEO_SWEEP, "queue.appointment_reminders", "prefill.cleanup", "hall.alerts",
            "performance.rollup", "fees.sync", "exchange.deliver",
        ]  # fmt: skip
        assert sorted(claims) == sorted(every), results  # each claimed once


def test_commands_run_by_hand_record_on_the_same_row(db, monkeypatch):
    periodic.ensure_rows(T)
    with time_machine.travel(T + 60 * SECOND, tick=False):
        call_command("backoffice", "sweep")
        call_command("notifications", "deliver")
    assert row().last_success_at == T + 60 * SECOND and row().next_run_at == T  # the schedule is the worker's
    assert row(CATCH_UP).last_success_at == T + 60 * SECOND

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(sweep, "run", broken)
    with time_machine.travel(T + 120 * SECOND, tick=False), pytest.raises(RuntimeError):
        call_command("backoffice", "sweep")
    assert row().last_error == "RuntimeError: database went away" and row().consecutive_failures == 1


# --- yichuang status --------------------------------------------------------------------------------------


def status(capsys) -> tuple[int, str, str]:
    try:
        call_command("status")
        code = 0
    except CommandError as exc:
        code = exc.returncode
    out = capsys.readouterr()
    return code, out.out, out.err


def healthy_at(now: dt.datetime) -> None:
    """A worker that started at `now` and ran both jobs once."""
    with time_machine.travel(now, tick=False):
        periodic.ensure_rows()
        periodic.beat("w1")
        for job in periodic.claim_due("w1"):
            periodic.execute(job, "w1")


def test_status_says_when_no_worker_ever_ran(db, capsys):
    with time_machine.travel(T, tick=False):
        code, out, err = status(capsys)
    assert code == 1
    assert "从未有工作进程启动过" in err and "从未运行" in err
    assert "尚未登记（工作进程还没有启动过）" in out


def test_status_is_ok_while_the_worker_beats_and_the_jobs_succeed(db, capsys):
    healthy_at(T)
    with time_machine.travel(T + 10 * SECOND, tick=False):
        code, out, err = status(capsys)
    assert code == 0, err
    assert "运行中" in out and "每 300 秒" in out and "最近成功：2026-03-10 10:00:00" in out
    assert "下次运行：2026-03-10 10:05:00" in out and out.rstrip().endswith("正常。") and err == ""


def test_status_fails_when_the_worker_is_silent_for_three_beats(db, capsys):
    healthy_at(T)
    with time_machine.travel(T + 45 * SECOND, tick=False):
        assert status(capsys)[0] == 0
    with time_machine.travel(T + 46 * SECOND, tick=False):
        code, out, err = status(capsys)
    assert code == 1
    assert "没有正在运行的工作进程：最近一次心跳在 2026-03-10 10:00:00" in err
    assert "无心跳（可能已意外退出）" in out


def test_status_fails_when_a_job_has_not_succeeded_for_three_periods(db, capsys, monkeypatch):
    healthy_at(T)

    def broken(*args, **kwargs):
        raise RuntimeError("calendar for 2027 not entered")

    monkeypatch.setattr(sweep, "run", broken)
    late = T + 901 * SECOND  # 3 × 300 s after the last success
    for n in range(1, 4):  # the worker keeps beating and retrying, and the sweep keeps failing
        healthy_at(T + n * 300 * SECOND)
    with time_machine.travel(late, tick=False):
        periodic.beat("w1")
        code, out, err = status(capsys)
    assert code == 1
    assert "后台巡检" in err and "最近一次成功在 2026-03-10 10:00:00" in err and "已超过 3 个周期" in err
    assert "RuntimeError: calendar for 2027 not entered" in err
    assert "连续失败 3 次" in out
    assert "通知补发" not in err  # the catch-up succeeded every time


# --- the admin page ---------------------------------------------------------------------------------------


def test_the_admin_status_page_shows_jobs_and_heartbeats_to_the_hall_admin(db, client):
    healthy_at(T)
    admin = UserFactory(hall_admin=True)
    client.force_login(admin)
    with time_machine.travel(T + 5 * SECOND, tick=False):
        index = client.get(reverse("admin:index")).content.decode()
        page = client.get(reverse("admin:core_periodicjob_changelist"))
    assert "后台任务状态" in index
    assert reverse("admin:core_periodicjob_changelist") in client.get(reverse("start")).content.decode()
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("后台任务状态", "后台巡检", "通知补发", "每 300 秒", "最近成功", "最近错误", "下次运行", "最近心跳"):
        assert text in html, text
    assert "2026-03-10 10:05:00" in html and "运行中" in html and "status-summary" in html


def test_the_admin_status_page_names_the_problems(db, client):
    admin = UserFactory(hall_admin=True)
    client.force_login(admin)
    html = client.get(reverse("admin:core_periodicjob_changelist")).content.decode()
    assert "从未有工作进程启动过" in html and "status-problems" in html


def test_the_admin_status_page_is_refused_to_a_clerk(db, client):
    clerk = UserFactory(window_clerk=True)
    client.force_login(clerk)
    url = reverse("admin:core_periodicjob_changelist")
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]  # not staff: no admin at all
    clerk.is_staff = True
    clerk.save()
    assert client.get(url).status_code == 403  # staff, but without the permission


# --- the real worker --------------------------------------------------------------------------------------


def _database_for_a_worker(tmp_path: Path) -> tuple[str, Path | None]:
    """A database URL a worker subprocess can use, and the SQLite file when it is one.

    PostgreSQL: the test database itself (migrated, emptied by the transactional test). SQLite: the test
    database is in this process's memory, so a new file is migrated for the worker."""
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        where = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{where}", None
    path = tmp_path / "worker.sqlite3"
    return f"sqlite:///{path}", path


def _read_jobs(sqlite_path: Path | None) -> dict[str, tuple]:
    """name → (last_success_at, consecutive_failures), read as another process sees them."""
    if sqlite_path is None:
        return {r.name: (r.last_success_at, r.consecutive_failures) for r in PeriodicJob.objects.all()}
    with sqlite3.connect(sqlite_path, timeout=20) as db:
        rows = db.execute("SELECT name, last_success_at, consecutive_failures FROM core_periodicjob").fetchall()
    return {name: (success, failures) for name, success, failures in rows}


def _wait_for(predicate, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {timeout} s; worker log:\n{log.read_text()[-3000:]}")


@pytest.mark.django_db(transaction=True)
def test_a_worker_started_on_a_fresh_database_runs_the_sweep_every_period(tmp_path):
    url, sqlite_path = _database_for_a_worker(tmp_path)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "YICHUANG_VAR_DIR": str(tmp_path),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "BACKOFFICE_SWEEP_SECONDS": "10",
        "NOTIFICATION_CATCHUP_SECONDS": "60",
        "WORKER_HEARTBEAT_SECONDS": "1",
        "DEBUG": "0",
    }
    manage = [sys.executable, "-m", "yichuang.manage"]
    if sqlite_path is not None:
        subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, capture_output=True, timeout=120)
    assert not _read_jobs(sqlite_path)  # no demo, no rows, nothing scheduled beforehand

    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [*manage, "worker", "--no-startup-delay", "--interval", "0.5"], env=env, stdout=out, stderr=out
        )
    try:
        jobs = _wait_for(lambda: _read_jobs(sqlite_path).get(SWEEP), 30, "the worker's start", log)
        started = time.monotonic()
        first = _wait_for(lambda: _read_jobs(sqlite_path)[SWEEP][0], 10, "a first sweep within one period", log)
        second = _wait_for(
            lambda: (s := _read_jobs(sqlite_path)[SWEEP][0]) != first and s, 15, "the sweep one period later", log
        )
        assert time.monotonic() - started >= 5  # the second one came with the period, not at once
        assert jobs[1] == 0 and _read_jobs(sqlite_path)[CATCH_UP][0]
        assert second

        healthy = subprocess.run([*manage, "status"], env=env, capture_output=True, text=True, timeout=60)
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
        assert "运行中" in healthy.stdout and "正常" in healthy.stdout
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            code = worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            raise
    assert code == 0, log.read_text()[-3000:]
    text = log.read_text()
    assert "periodic job backoffice.sweep done" in text and "periodic job backoffice.sweep failed" not in text

    stopped = subprocess.run([*manage, "status"], env=env, capture_output=True, text=True, timeout=60)
    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    assert "没有正在运行的工作进程" in stopped.stderr and "停止" in stopped.stdout
