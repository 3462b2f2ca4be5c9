"""The working clock: `add_working_days` (bisect over per-year tables) against plain day-by-day loops.

A 20-working-day limit (the statutory default) from every other date of 2004-01-01 … 2026-11-30. Two naive
baselines: the loop anyone would write first (chinesecalendar.is_workday and an overrides dict per day), and
the same loop over the precomputed O(1) `WorkCalendar.is_workday`. All three must give the same dates.
No database needed.
"""

import datetime as dt
import time
from decimal import Decimal

import chinese_calendar

from yichuang.clock.workcalendar import SHANGHAI, WorkCalendar, _data_workdays

N = 20
FIRST, LAST = dt.date(2004, 1, 1), dt.date(2026, 11, 30)
STARTS = [FIRST + dt.timedelta(days=i) for i in range(0, (LAST - FIRST).days + 1, 2)]
OVERRIDES = {dt.date(2026, 3, 4): False, dt.date(2026, 3, 7): True}


def naive_chinesecalendar(d: dt.date, n: int) -> dt.date:
    while n:
        d += dt.timedelta(days=1)
        if OVERRIDES[d] if d in OVERRIDES else chinese_calendar.is_workday(d):
            n -= 1
    return d


def naive_table(cal: WorkCalendar, d: dt.date, n: int) -> dt.date:
    while n:
        d += dt.timedelta(days=1)
        if cal.is_workday(d):
            n -= 1
    return d


def best_of(rounds: int, fn) -> float:
    """Best wall time of `rounds` runs of fn() (seconds)."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    _data_workdays.cache_clear()
    t0 = time.perf_counter()
    cal = WorkCalendar(overrides=OVERRIDES)
    for year in range(2004, 2027):
        cal.is_workday(dt.date(year, 1, 1))
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    warm_cal = WorkCalendar(overrides=OVERRIDES)
    for year in range(2004, 2027):
        warm_cal.is_workday(dt.date(year, 1, 1))
    warm = time.perf_counter() - t0

    fast = [cal.add_working_days(d, N) for d in STARTS]
    assert fast == [naive_chinesecalendar(d, N) for d in STARTS] == [naive_table(cal, d, N) for d in STARTS]

    calls = len(STARTS)
    t_fast = best_of(5, lambda: [cal.add_working_days(d, N) for d in STARTS]) / calls
    t_naive = best_of(3, lambda: [naive_chinesecalendar(d, N) for d in STARTS]) / calls
    t_table = best_of(3, lambda: [naive_table(cal, d, N) for d in STARTS]) / calls

    moments = [dt.datetime.combine(d, dt.time(10, 17), SHANGHAI) for d in STARTS]
    half_day = Decimal("3.5")
    t_hours = best_of(5, lambda: [cal.add_working_hours(m, half_day) for m in moments]) / calls
    ends = [m + dt.timedelta(days=30) for m in moments]
    pairs = list(zip(moments, ends, strict=True))
    t_between = best_of(5, lambda: [cal.working_hours_between(a, b) for a, b in pairs]) / calls

    print(f"add_working_days(d, {N}) over {calls} start dates 2004-01-01…2026-11-30 (same answers from all three)")
    print(f"  fast (bisect on per-year tables)          {t_fast * 1e6:8.2f} µs/call")
    print(f"  naive loop over chinesecalendar           {t_naive * 1e6:8.2f} µs/call   ratio {t_naive / t_fast:6.0f}×")
    print(f"  naive loop over the O(1) is_workday table {t_table * 1e6:8.2f} µs/call   ratio {t_table / t_fast:6.1f}×")
    print(f"add_working_hours(t, 3.5)                   {t_hours * 1e6:8.2f} µs/call")
    print(f"working_hours_between(t, t + 30 days)       {t_between * 1e6:8.2f} µs/call")
    print(f"tables 2004–2026: {cold * 1e3:.1f} ms cold (first use in a process), {warm * 1e3:.1f} ms per new calendar")


if __name__ == "__main__":
    main()
