"""The daily rollup of the performance report (绩效日汇总): kept exact, rebuilt idempotently by the worker.

Why a day's rollup stays right (docs/architecture.md, "The performance rollup"):

* The report counts rows that are final when written and stamped with their transaction's moment: a ticket
  finished (`queue.services.finish`), a submission taken in with its cases (`intake.services.submit`), a case
  concluded (`backoffice.services`: `conclude`, `terminate_unsupplied`, `deem_withdrawn`), a rating
  (`feedback.services.rate`, default ratings included). None of them is changed or deleted afterwards in what the
  report reads (a concluded case never moves its deadline, an appeal leaves the rating as it is, ratings refuse
  to change). Something that happens later — a case of an old submission concluded, a default rating, an appeal
  upheld — is a new row stamped on the day it happens.
* What does change later is joined when the report is read, never stored: a staff member's department (the
  department of their tickets, and whose lead sees them) and a window's zone (the zone of its submissions and
  cases). The rollup's keys are the stable ids: who called the ticket, the window, the rating's own zone.
* A row may still be stamped on a day that is over: a service given an earlier `now` (the demo's history, a
  correction), or a transaction that began before midnight. Such a service calls `touch(moment)` in its own
  transaction; for a past day it bumps the day's `RollupDay.changes`, and the report reads the day from the source
  rows until the worker has rebuilt it. A transaction open across midnight is covered by building a day only
  `SETTLE` after it ended (no transaction here lasts that long).
* A build locks the days' state rows before it reads anything: a late write that came first has committed and is
  read; one that comes later waits for the build to commit and then makes the day stale again.

`roll_up()` is the periodic job (every PERFORMANCE_ROLLUP_SECONDS): it builds the days that are missing or stale,
the latest first. `rebuild()` is `yichuang performance rollup`: every day of a range, anew. Both build days in
transactions of at most CHUNK_DAYS days (delete the days' rows, insert them, mark them current), so a run that
fails leaves every day either as it was or rebuilt, and running twice changes nothing.
"""

import datetime as dt
import logging
import time
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import F, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import DayFigures, Kind, RollupDay

logger = logging.getLogger(__name__)

ONE_DAY = dt.timedelta(days=1)
SETTLE = dt.timedelta(hours=1)  # a day is rolled up this long after it ended
DAYS_PER_RUN = 92  # the periodic job builds at most this many days a run (the command any number)
CHUNK_DAYS = 31  # days built in one transaction

# Which source each kind sums and the source's columns it is grouped by (rollup column → source path).
BUILDS = {
    Kind.TICKETS: ("tickets", {"staff": "called_by", "window": "window", "zone": "zone"}),
    Kind.SUBMISSIONS: ("submissions", {"staff": "accepted_by", "window": "window"}),
    Kind.SUBMISSIONS_OF_DEPARTMENT: (
        "submissions_of_departments",
        {"staff": "submission__accepted_by", "window": "submission__window", "department": "department"},
    ),
    Kind.SUBMISSIONS_PER_DEPARTMENT: ("submissions_of_departments", {"department": "department"}),
    Kind.CASES_BY_STAFF: ("cases", {"staff": "assignee", "department": "department"}),
    Kind.CASES_BY_WINDOW: ("cases", {"window": "window"}),
    Kind.CASES_BY_WINDOW_OF_DEPARTMENT: ("cases", {"window": "window", "department": "department"}),
    Kind.RATINGS_BY_STAFF: ("ratings", {"staff": "staff", "department": "department"}),
    Kind.RATINGS_BY_WINDOW: ("ratings", {"window": "window", "zone": "zone"}),
    Kind.RATINGS_BY_WINDOW_OF_DEPARTMENT: ("ratings", {"window": "window", "zone": "zone", "department": "department"}),
}


class RollupFailed(Exception):
    pass


# --- late writes --------------------------------------------------------------------------------------


def touch(moment: dt.datetime) -> None:
    """A row the report counts is being written stamped `moment`, in the caller's transaction. Stamped on a day
    that is over, it makes that day's rollup stale from the commit on (until the worker rebuilds it). Stamped
    today — every write but a backdated one — it costs nothing."""
    day = timezone.localdate(moment)
    if day >= timezone.localdate():
        return
    table = connection.ops.quote_name(RollupDay._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, changes) VALUES (%s, 1) "
            f"ON CONFLICT (day) DO UPDATE SET changes = {table}.changes + 1",
            [connection.ops.adapt_datefield_value(day)],
        )


# --- which days -----------------------------------------------------------------------------------------


def last_closed_day(now: dt.datetime | None = None) -> dt.date:
    """The latest day that ended at least SETTLE ago: the latest the rollup may hold."""
    now = now or timezone.now()
    return timezone.localdate(now - SETTLE) - ONE_DAY


def first_day() -> dt.date | None:
    """The day of the earliest row the report counts (None without any)."""
    from .queries import sources

    src = sources()
    firsts = []
    # A submission's cases share its moment: the submissions answer for them.
    for name in ("tickets", "submissions", "cases", "ratings"):
        source = src[name]
        moment = source.rows().aggregate(first=Min(source.stamp))["first"]
        if moment is not None:
            firsts.append(timezone.localdate(moment))
    return min(firsts, default=None)


def days_to_build(now: dt.datetime | None = None) -> list[dt.date]:
    """The days the worker (re)builds, the latest first: every day over since the first counted row that has no
    rollup yet, and every day whose rollup is stale."""
    last = last_closed_day(now)
    current = {
        day: built is not None and built == changes
        for day, built, changes in RollupDay.objects.filter(day__lte=last).values_list("day", "built", "changes")
    }
    todo = {day for day, ok in current.items() if not ok}
    day = first_day()
    while day is not None and day <= last:
        if day not in current:
            todo.add(day)
        day += ONE_DAY
    return sorted(todo, reverse=True)


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Days as ranges [start, end) of consecutive days, at most CHUNK_DAYS long, in order."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] == day and (day - runs[-1][0]).days < CHUNK_DAYS:
            runs[-1] = (runs[-1][0], day + ONE_DAY)
        else:
            runs.append((day, day + ONE_DAY))
    return runs


# --- building -----------------------------------------------------------------------------------------


def _figures(start: dt.date, end: dt.date):
    """The rollup rows of the days [start, end): per kind one GROUP BY (local day, the kind's columns) over the
    source rows of those days, with the live report's own aggregates."""
    from .queries import Period, sources

    tz = timezone.get_default_timezone()
    bounds = [Period(start, end).bounds()]
    src = sources()
    for kind, (name, columns) in BUILDS.items():
        source = src[name]
        groups = (
            source.within(bounds)
            .annotate(rollup_day=TruncDate(source.stamp, tzinfo=tz))
            .order_by()
            .values("rollup_day", *columns.values())
            .annotate(**source.sums())
        )
        for r in groups:
            keys = {f"{column}_id": r[path] for column, path in columns.items()}
            yield DayFigures(day=r["rollup_day"], kind=kind, **keys, **source.measures(r))


def build(start: dt.date, end: dt.date, *, now: dt.datetime | None = None) -> int:
    """Build the rollup of the days [start, end) anew in one transaction: their rows deleted, inserted again from
    the source rows, the days marked current. Returns the number of rows. Only days over for SETTLE."""
    now = now or timezone.now()
    if end > last_closed_day(now) + ONE_DAY:
        raise ValueError(f"{end - ONE_DAY} is not over for {SETTLE} yet")
    days = [start + dt.timedelta(days=n) for n in range((end - start).days)]
    with transaction.atomic():
        RollupDay.objects.bulk_create([RollupDay(day=day) for day in days], ignore_conflicts=True)
        # Lock the days' states first: a late write of one of them (touch) that came first has committed and is in
        # what is read below; one that comes now waits for this commit, then makes its day stale again.
        list(RollupDay.objects.select_for_update().filter(day__gte=start, day__lt=end).values_list("day", flat=True))
        DayFigures.objects.filter(day__gte=start, day__lt=end).delete()
        # Inserted in the order they are read: a kind's rows together, a department's together within them (a
        # lead's year then reads a few pages per month, not one per day).
        figures = sorted(_figures(start, end), key=lambda f: (f.kind, f.department_id or 0, f.day))
        DayFigures.objects.bulk_create(figures, batch_size=2000)
        RollupDay.objects.filter(day__gte=start, day__lt=end).update(built=F("changes"), built_at=now)
    return len(figures)


def roll_up(now: dt.datetime | None = None, limit: int = DAYS_PER_RUN) -> dict:
    """The periodic job: build the missing and stale days, the latest first, at most `limit` of them. A range that
    fails is left as it was and the others are built; the run then fails (recorded on the job's row) and the next
    run tries again."""
    now = now or timezone.now()
    todo = days_to_build(now)
    built = rows = failed = 0
    error = None
    for start, end in _runs(todo[:limit]):
        try:
            rows += build(start, end, now=now)
            built += (end - start).days
        except Exception as exc:
            failed += (end - start).days
            error = error or exc
            logger.warning("performance rollup of %s … %s failed: %s", start, end - ONE_DAY, exc, exc_info=True)
    if error is not None:
        raise RollupFailed(f"{failed} 天汇总失败（{built} 天完成）：{error}") from error
    return {"days": built, "rows": rows, "left": len(todo) - built}


def rebuild(
    start: dt.date | None = None,
    end: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    progress: Callable[[str], object] | None = None,
) -> dict:
    """Build every day of [start, end) anew (default: from the first counted row to the last day that is over),
    CHUNK_DAYS a transaction, telling `progress` after each. Days not over yet are left to the worker."""
    now = now or timezone.now()
    limit = last_closed_day(now) + ONE_DAY
    start = start or first_day() or limit
    end = min(end or limit, limit)
    total = max(0, (end - start).days)
    done = rows = 0
    clock = time.monotonic()
    day = start
    while day < end:
        stop = min(day + dt.timedelta(days=CHUNK_DAYS), end)
        t0 = time.monotonic()
        made = build(day, stop, now=now)
        done, rows = done + (stop - day).days, rows + made
        if progress:
            progress(
                f"{day} … {stop - ONE_DAY}：{made:,} 行，{time.monotonic() - t0:.1f} 秒"
                f"（{done}/{total} 天，共 {time.monotonic() - clock:.0f} 秒）"
            )
        day = stop
    return {"days": done, "rows": rows}
