"""Periodic jobs: work that the task worker starts by itself, on every installation, and keeps starting.

    from yichuang.core import periodic

    @periodic.job("backoffice.sweep", period="BACKOFFICE_SWEEP_SECONDS", title="后台巡检")
    def backoffice_sweep() -> dict: ...

Jobs are declared in the apps' `tasks` modules (imported by `autodiscover()`); their schedule and outcomes are
rows of `core.PeriodicJob`, so several workers against one database share them and nothing that matters lives
in a process's memory. Each worker (`yichuang worker`) runs a `Scheduler` thread beside django-tasks-db's task
loop. At every tick (WORKER_HEARTBEAT_SECONDS, sooner when a job falls due) it

1. writes the worker's heartbeat (`core.WorkerHeartbeat`);
2. claims the due jobs in one short transaction — `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, while
   SQLite serialises the whole transaction — passing over any job that a live worker is running, and moves each
   claimed job's `next_run_at` one period on and marks it as running by this worker BEFORE anything runs;
3. runs each claimed job in a thread of its own and records on its row either success (time, duration, result)
   or failure (time, the error in one line, failures in a row), logs a failure with its traceback (personal data
   masked), and frees the row.

So a failing run never stops the next one, a job never runs in two workers at once, and the jobs of a worker
that died mid-run are free again once its heartbeat is stale (silent for `STALE_BEATS` beats). A run by hand
(`yichuang backoffice sweep`, `yichuang notifications deliver`) is recorded on the same row (`run_by_hand`).
`status()` is what `yichuang status` prints and the admin's 后台任务状态 shows.
"""

import datetime as dt
import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
from django.db.models import Exists, F, Min, OuterRef, Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from .masking import mask_text
from .models import PeriodicJob, WorkerHeartbeat

logger = logging.getLogger("yichuang.periodic")

STALE_BEATS = 3  # a worker silent for this many heartbeat periods counts as stopped
LATE_PERIODS = 3  # a job without success for this many periods is a problem
STOP_GRACE = 10.0  # seconds a stopping worker waits for its running jobs (the demo allows its children 15)
KEEP_HEARTBEATS = dt.timedelta(days=7)  # rows of workers gone for longer are removed


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], object]
    period_setting: str  # the setting holding the period in seconds, read at every claim
    title: str

    @property
    def period(self) -> int:
        return max(1, int(getattr(settings, self.period_setting)))


_registry: dict[str, Job] = {}


def job(name: str, *, period: str, title: str):
    """Declare `func` a periodic job run every `settings.<period>` seconds by the worker."""

    def register(func):
        _registry[name] = Job(name=name, func=func, period_setting=period, title=title)
        return func

    return register


def jobs() -> list[Job]:
    """Every declared job (the apps' `tasks` modules imported first)."""
    autodiscover_modules("tasks")
    return sorted(_registry.values(), key=lambda j: j.name)


def get(name: str) -> Job:
    return {j.name: j for j in jobs()}[name]


def heartbeat_seconds() -> int:
    return max(1, int(settings.WORKER_HEARTBEAT_SECONDS))


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=STALE_BEATS * heartbeat_seconds())


def _alive(now: dt.datetime):
    return Q(stopped_at__isnull=True, last_seen_at__gte=now - stale_after())


# --- the schedule -------------------------------------------------------------------------------------


def ensure_rows(now: dt.datetime | None = None) -> None:
    """A row for every declared job, due at once when new; a period shortened in the settings takes effect now."""
    now = now or timezone.now()
    for j in jobs():
        row, created = PeriodicJob.objects.get_or_create(
            name=j.name, defaults={"period_seconds": j.period, "next_run_at": now}
        )
        if not created and row.period_seconds != j.period:
            PeriodicJob.objects.filter(pk=row.pk).update(period_seconds=j.period)
            soonest = now + dt.timedelta(seconds=j.period)
            PeriodicJob.objects.filter(pk=row.pk, next_run_at__gt=soonest).update(next_run_at=soonest)


def beat(worker_id: str, now: dt.datetime | None = None) -> None:
    """This worker is alive (its row is created at the first beat)."""
    now = now or timezone.now()
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen_at=now, stopped_at=None):
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": now,
                "last_seen_at": now,
                "stopped_at": None,
            },
        )


def stopped(worker_id: str, now: dt.datetime | None = None) -> None:
    """The worker shuts down: its heartbeat says so and its jobs are free for the other workers at once."""
    now = now or timezone.now()
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(stopped_at=now, last_seen_at=now)
    PeriodicJob.objects.filter(running_by=worker_id).update(running_by="")


def prune_heartbeats(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    return WorkerHeartbeat.objects.filter(last_seen_at__lt=now - KEEP_HEARTBEATS).delete()[0]


def claim_due(worker_id: str, now: dt.datetime | None = None) -> list[Job]:
    """Take the jobs due now for this worker: each moved one period on and marked as running by it, in one
    transaction, before any of them runs. A job that a live worker (this one included) runs is left alone."""
    now = now or timezone.now()
    declared = {j.name: j for j in jobs()}
    runner_alive = WorkerHeartbeat.objects.filter(_alive(now), worker_id=OuterRef("running_by"))
    with transaction.atomic():
        due = PeriodicJob.objects.filter(name__in=declared, next_run_at__lte=now).filter(
            Q(running_by="") | ~Exists(runner_alive)
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        claimed = list(due.order_by("next_run_at", "name"))
        for row in claimed:
            period = declared[row.name].period
            PeriodicJob.objects.filter(pk=row.pk).update(
                next_run_at=now + dt.timedelta(seconds=period),
                period_seconds=period,
                running_by=worker_id,
                last_started_at=now,
            )
    return [declared[row.name] for row in claimed]


def release_orphans(worker_id: str, running: set[str]) -> int:
    """Free rows marked as running by this worker whose run is over (a run that could not record its end)."""
    return PeriodicJob.objects.filter(running_by=worker_id).exclude(name__in=running).update(running_by="")


def next_tick_in(now: dt.datetime | None = None) -> float:
    """Seconds until the next tick: the next heartbeat, or sooner when a job falls due."""
    now = now or timezone.now()
    at = PeriodicJob.objects.filter(name__in=[j.name for j in jobs()], running_by="").aggregate(at=Min("next_run_at"))
    wait = float(heartbeat_seconds())
    if at["at"] is not None:
        wait = min(wait, (at["at"] - now).total_seconds())
    return max(wait, 0.2)


# --- running and recording ----------------------------------------------------------------------------


def summarize(result: object) -> str:
    """A short line for the row: the non-zero counts of a report (dict or `as_dict()`), else its text."""
    if hasattr(result, "as_dict"):
        result = result.as_dict()
    if isinstance(result, dict):
        return ", ".join(f"{key} {value}" for key, value in result.items() if value)[:300]  # "" when all is 0
    return "" if result is None else mask_text(str(result))[:300]


def one_line(exc: BaseException) -> str:
    """The error as one short line, personal data masked (it is shown to staff and kept in the row)."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return mask_text(text)[:500]


def execute(j: Job, worker_id: str = "", func: Callable[[], object] | None = None, reraise: bool = False):
    """Run the job once and record the outcome on its row. A failure is recorded and logged with its traceback
    and, unless `reraise`, swallowed: the worker goes on and the next run comes at its time. The row is freed
    if this worker had claimed it. Returns the job's result (None after a failure)."""
    started, clock = timezone.now(), time.monotonic()
    rows = PeriodicJob.objects.filter(name=j.name)
    try:
        result = (func or j.func)()
    except Exception as exc:
        duration = time.monotonic() - clock
        try:
            if not connection.in_atomic_block:  # a failure may have broken the connection: record on a sound one
                close_old_connections()
            rows.update(
                last_error=one_line(exc),
                last_error_at=timezone.now(),
                last_duration=duration,
                consecutive_failures=F("consecutive_failures") + 1,
            )
            failures = rows.values_list("consecutive_failures", flat=True).first()
        except Exception:
            failures = "?"
            logger.error("periodic job %s: its failure could not be recorded:\n%s", j.name, _trace())
        trace = mask_text("".join(traceback.format_exception(exc)))
        logger.error(
            "periodic job %s failed (%s in a row, started %s); it runs again at the next period:\n%s",
            j.name, failures, started.isoformat(timespec="seconds"), trace,
        )  # fmt: skip
        if reraise:
            raise
        return None
    finally:
        if worker_id:
            try:
                rows.filter(running_by=worker_id).update(running_by="")
            except Exception:  # the scheduler frees it at its next tick (release_orphans)
                logger.error("periodic job %s: could not free its row:\n%s", j.name, _trace())
    duration = time.monotonic() - clock
    summary = summarize(result)
    try:
        rows.update(
            last_success_at=timezone.now(), last_duration=duration, last_result=summary, consecutive_failures=0
        )
    except Exception:
        logger.error("periodic job %s: its success could not be recorded:\n%s", j.name, _trace())
    logger.info("periodic job %s done in %.1f s: %s", j.name, duration, summary or "nothing to do")
    return result


def _trace() -> str:
    return mask_text(traceback.format_exc())


def run_by_hand(name: str, func: Callable[[], object] | None = None):
    """Run a job now from a command (`func` instead of the job's own, e.g. with progress output), recorded on
    its row like a worker's run; its schedule is left as it is. A failure is recorded and raised."""
    j = get(name)
    now = timezone.now()
    PeriodicJob.objects.get_or_create(name=j.name, defaults={"period_seconds": j.period, "next_run_at": now})
    PeriodicJob.objects.filter(name=j.name).update(last_started_at=now)
    return execute(j, func=func, reraise=True)


# --- the worker's thread ------------------------------------------------------------------------------


class Scheduler:
    """The periodic jobs of one worker process: a thread that ticks, and one thread per running job."""

    def __init__(self, worker_id: str):
        self.worker_id = worker_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._running: dict[str, threading.Thread] = {}
        self._ready = False

    def start(self) -> None:
        names = ", ".join(f"{j.name} every {j.period} s" for j in jobs())
        logger.info("worker %s: periodic jobs %s; heartbeat every %s s", self.worker_id, names, heartbeat_seconds())
        self._thread = threading.Thread(target=self._loop, name="periodic-scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.tick()
            except Exception:  # the database may be away for a while: keep trying, never die
                logger.error("worker %s: scheduler tick failed:\n%s", self.worker_id, _trace())
                wait = float(heartbeat_seconds())
            finally:
                close_old_connections()
            self._pause(wait)
        connections.close_all()

    def _pause(self, seconds: float) -> None:
        # Short sleeps rather than Event.wait/Thread.join with a timeout: those wait on an absolute monotonic
        # deadline, which a faked clock (libfaketime, as the test suite runs under) can put out of reach.
        deadline = time.monotonic() + seconds
        while not self._stop.is_set() and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.25))

    def tick(self) -> float:
        """Heartbeat, claim what is due and start it; returns the seconds until the next tick."""
        now = timezone.now()
        self._running = {name: t for name, t in self._running.items() if t.is_alive()}
        if not self._ready:
            ensure_rows(now)
            prune_heartbeats(now)
            self._ready = True
        beat(self.worker_id, now)
        release_orphans(self.worker_id, set(self._running))
        for j in claim_due(self.worker_id, now):
            thread = threading.Thread(target=self._run, args=(j,), name=f"periodic-{j.name}", daemon=True)
            self._running[j.name] = thread
            thread.start()
        return next_tick_in(now)

    def _run(self, j: Job) -> None:
        try:
            execute(j, self.worker_id)
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Stop ticking, give running jobs `grace` seconds, mark the worker stopped and free its jobs."""
        self._stop.set()
        deadline = time.monotonic() + grace
        threads = [t for t in [self._thread, *list(self._running.values())] if t is not None]
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            time.sleep(0.05)  # not join(timeout): see _pause
        unfinished = [name for name, t in list(self._running.items()) if t.is_alive()]
        if unfinished:
            logger.warning("worker %s stops while %s still run; another worker takes them", self.worker_id, unfinished)
        try:
            stopped(self.worker_id)
        except Exception:
            logger.error("worker %s: could not record its stop:\n%s", self.worker_id, _trace())
        finally:
            connections.close_all()


# --- status -------------------------------------------------------------------------------------------


@dataclass
class JobState:
    job: Job
    row: PeriodicJob | None
    problem: str = ""

    @property
    def running(self) -> bool:
        return bool(self.row and self.row.running_by)


@dataclass
class WorkerState:
    heartbeat: WorkerHeartbeat
    alive: bool

    @property
    def label(self) -> str:
        if self.alive:
            return _("运行中")
        if self.heartbeat.stopped_at:
            return _("已于 %(at)s 停止") % {"at": local(self.heartbeat.stopped_at)}
        return _("无心跳（可能已意外退出）")


@dataclass
class Status:
    now: dt.datetime
    heartbeat_seconds: int
    jobs: list[JobState] = field(default_factory=list)
    workers: list[WorkerState] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def alive_workers(self) -> int:
        return sum(w.alive for w in self.workers)


def _ago(moment: dt.datetime, now: dt.datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        return _("%(n)s 秒前") % {"n": seconds}
    if seconds < 7200:
        return _("%(n)s 分钟前") % {"n": seconds // 60}
    if seconds < 2 * 86400:
        return _("%(n)s 小时前") % {"n": seconds // 3600}
    return _("%(n)s 天前") % {"n": seconds // 86400}


def local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def status(now: dt.datetime | None = None) -> Status:
    """Each job's schedule and outcomes and each recent worker's heartbeat, with the problems in words."""
    now = now or timezone.now()
    result = Status(now=now, heartbeat_seconds=heartbeat_seconds())
    fresh = now - stale_after()
    for hb in WorkerHeartbeat.objects.order_by("-last_seen_at")[:20]:
        result.workers.append(WorkerState(hb, alive=hb.stopped_at is None and hb.last_seen_at >= fresh))
    if not result.alive_workers:
        limit = STALE_BEATS * result.heartbeat_seconds
        last = result.workers[0].heartbeat if result.workers else None
        if last is not None and last.stopped_at is not None:
            result.problems.append(
                _("没有正在运行的工作进程：最近一个已于 %(at)s（%(ago)s）停止。")
                % {"at": local(last.stopped_at), "ago": _ago(last.stopped_at, now)}
            )
        elif last is not None:
            result.problems.append(
                _("没有正在运行的工作进程：最近一次心跳在 %(at)s（%(ago)s），已超过 3 个心跳周期（%(n)s 秒）没有心跳。")
                % {"at": local(last.last_seen_at), "ago": _ago(last.last_seen_at, now), "n": limit}
            )
        else:
            result.problems.append(_("从未有工作进程启动过：请运行 `yichuang worker`。"))
    rows = {row.name: row for row in PeriodicJob.objects.filter(name__in=[j.name for j in jobs()])}
    for j in jobs():
        state = JobState(j, rows.get(j.name))
        state.problem = _job_problem(state, now)
        if state.problem:
            result.problems.append(f"{j.title}（{j.name}）：{state.problem}")
        result.jobs.append(state)
    return result


def _job_problem(state: JobState, now: dt.datetime) -> str:
    row, period = state.row, state.job.period
    late = dt.timedelta(seconds=LATE_PERIODS * period)
    if row is None:
        return _("从未运行。")
    if row.last_success_at is None:
        if now - row.created_at <= late:
            return ""
        text = _("登记于 %(at)s，至今没有成功运行过（周期 %(period)s 秒）。") % {
            "at": local(row.created_at), "period": period,
        }  # fmt: skip
    elif now - row.last_success_at > late:
        text = _("最近一次成功在 %(at)s（%(ago)s），已超过 3 个周期（%(n)s 秒）。") % {
            "at": local(row.last_success_at), "ago": _ago(row.last_success_at, now), "n": LATE_PERIODS * period,
        }  # fmt: skip
    else:
        return ""
    if row.last_error_at and (row.last_success_at is None or row.last_error_at > row.last_success_at):
        text += _(" 最近错误（%(at)s）：%(error)s") % {"at": local(row.last_error_at), "error": row.last_error}
    return text
