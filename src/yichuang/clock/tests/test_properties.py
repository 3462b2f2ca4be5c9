"""The fast tables against plain day-by-day loops over chinesecalendar, for every date it covers."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import chinese_calendar
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from yichuang.clock import CalendarUnknown, WorkCalendar
from yichuang.clock.workcalendar import SHANGHAI

FIRST, LAST = date(2004, 1, 1), date(2026, 12, 31)
HOURS = [(time(9), time(12)), (time(13, 30), time(17, 30))]
US = timedelta(microseconds=1)

PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
dates = st.dates(min_value=FIRST, max_value=LAST)
overrides_strategy = st.dictionaries(dates, st.booleans(), max_size=12)


def naive_is_workday(d: date, overrides: dict) -> bool:
    """chinesecalendar asked directly, overrides on top (raises NotImplementedError outside its years)."""
    known = chinese_calendar.is_workday(d)  # raises for a year it does not know, override or not
    return overrides.get(d, known)


def naive_add_working_days(d: date, n: int, overrides: dict) -> date:
    while n:
        d += timedelta(days=1)
        n -= naive_is_workday(d, overrides)
    return d


def test_is_workday_equals_chinesecalendar_on_every_day_2004_to_2026():
    cal = WorkCalendar()
    overrides = {date(2010, 5, 3): True, date(2019, 10, 12): False, date(2026, 2, 14): False}
    with_overrides = WorkCalendar(overrides=overrides)
    day, checked = FIRST, 0
    while day <= LAST:
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        assert with_overrides.is_workday(day) == naive_is_workday(day, overrides), day
        day += timedelta(days=1)
        checked += 1
    assert checked == 8401
    for outside in (date(2003, 12, 31), date(2027, 1, 1)):
        with pytest.raises(CalendarUnknown):
            cal.is_workday(outside)


def test_add_working_days_equals_the_naive_loop_for_every_date_and_n_up_to_40():
    """Exhaustive: one plain forward walk per start date gives the answers for every n at once."""
    cal = WorkCalendar()
    is_workday = {}
    day = FIRST
    while day <= LAST:
        is_workday[day] = chinese_calendar.is_workday(day)
        day += timedelta(days=1)
    day = FIRST
    while day <= LAST:
        answers, cursor = [day], day
        while len(answers) <= 40:
            cursor += timedelta(days=1)
            if cursor > LAST:
                break
            if is_workday[cursor]:
                answers.append(cursor)
        for n, expected in enumerate(answers):
            assert cal.add_working_days(day, n) == expected, (day, n)
        if len(answers) <= 40:  # the naive walk ran out of known days: the fast one must refuse, not guess
            with pytest.raises(CalendarUnknown):
                cal.add_working_days(day, len(answers))
        day += timedelta(days=1)


@PROPERTY
@given(start=dates, n=st.integers(0, 40), overrides=overrides_strategy)
def test_add_working_days_with_overrides_equals_the_naive_loop(start, n, overrides):
    cal = WorkCalendar(overrides=overrides)
    try:
        expected = naive_add_working_days(start, n, overrides)
    except NotImplementedError:
        with pytest.raises(CalendarUnknown):
            cal.add_working_days(start, n)
    else:
        assert cal.add_working_days(start, n) == expected


# --- Hours ---------------------------------------------------------------------------------------------


def naive_opening_time(a: datetime, b: datetime, overrides: dict) -> timedelta:
    """Opening time in [a, b), one day at a time (a <= b, both in Asia/Shanghai)."""
    total, day = timedelta(0), a.date()
    while day <= b.date():
        if naive_is_workday(day, overrides):
            for start, end in HOURS:
                lo = max(datetime.combine(day, start, SHANGHAI), a)
                hi = min(datetime.combine(day, end, SHANGHAI), b)
                total += max(hi - lo, timedelta(0))
        day += timedelta(days=1)
    return total


def inside_opening(t: datetime, overrides: dict) -> bool:
    """t lies in (opening, close] of a period on a working day: where a count of hours may end."""
    return naive_is_workday(t.date(), overrides) and any(
        datetime.combine(t.date(), s, SHANGHAI) < t <= datetime.combine(t.date(), e, SHANGHAI) for s, e in HOURS
    )


def as_hours(delta: timedelta) -> Decimal:
    return Decimal(delta // US) / Decimal(3_600_000_000)


BOUNDARIES = [time(9), time(12), time(13, 30), time(17, 30)]
times = st.one_of(
    st.sampled_from(BOUNDARIES),
    st.builds(
        lambda b, off: (datetime.combine(FIRST, b) + timedelta(microseconds=off)).time(),
        st.sampled_from(BOUNDARIES),
        st.integers(-2, 2),
    ),
    st.times(),
)
moments = st.builds(
    lambda d, t: datetime.combine(d, t, SHANGHAI), st.dates(min_value=FIRST, max_value=date(2026, 11, 15)), times
)
durations = st.one_of(
    st.integers(0, 80).map(Decimal),
    st.integers(0, 80 * 60).map(lambda m: Decimal(m) / 60),
    st.integers(0, 80 * 3_600_000_000).map(lambda us: Decimal(us) / 3_600_000_000),
)


@PROPERTY
@given(start=moments, hours=durations, overrides=overrides_strategy)
def test_add_working_hours_is_the_inverse_of_working_hours_between(start, hours, overrides):
    cal = WorkCalendar(hours=HOURS, overrides=overrides)
    end = cal.add_working_hours(start, hours)
    assert end >= start
    assert cal.working_hours_between(start, end) == hours
    assert as_hours(naive_opening_time(start, end, overrides)) == hours
    if hours:
        assert inside_opening(end, overrides)  # and so, with the line above, the only such moment
    else:
        assert cal.add_working_hours(end, 0) == end


@PROPERTY
@given(a=moments, days=st.integers(-45, 45), b_time=times, overrides=overrides_strategy)
def test_working_hours_between_equals_the_naive_sum_and_round_trips(a, days, b_time, overrides):
    b = datetime.combine(a.date() + timedelta(days=days), b_time, SHANGHAI)
    assume(FIRST <= b.date() <= LAST)  # both ends in years the calendar knows
    cal = WorkCalendar(hours=HOURS, overrides=overrides)
    lo, hi = min(a, b), max(a, b)
    between = cal.working_hours_between(a, b)
    assert abs(between) == as_hours(naive_opening_time(lo, hi, overrides))
    assert cal.working_hours_between(b, a) == -between
    back = cal.add_working_hours(lo, abs(between))
    assert cal.working_hours_between(lo, back) == abs(between)
    if between and inside_opening(hi, overrides):
        assert back == hi
    if between:
        assert back <= hi  # b outside opening time: the count ends at the last close before it


@PROPERTY
@given(start=moments, first=durations, second=durations)
def test_adding_hours_in_two_steps_equals_one_step(start, first, second):
    cal = WorkCalendar(hours=HOURS)
    # From an end at a close the next count starts at the next opening, so the total is the same.
    # (Adding 0 is excluded: it moves an end at a close on to the next opening.)
    if second:
        assert cal.add_working_hours(cal.add_working_hours(start, first), second) == cal.add_working_hours(
            start, first + second
        )
