"""WorkCalendar.subtract_working_hours (the clock's yellow threshold, an overdue case's restart) as the inverse of
working_hours_between and add_working_hours, against the plain day-by-day sum over chinesecalendar."""

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from hypothesis import given
from hypothesis import strategies as st

from yichuang.clock import WorkCalendar
from yichuang.clock.workcalendar import HOUR_US, SHANGHAI

from .test_properties import (
    HOURS,
    PROPERTY,
    as_hours,
    durations,
    inside_opening,
    naive_is_workday,
    naive_opening_time,
    overrides_strategy,
    times,
)

# From mid-February 2004: 80 working hours back never leave the years chinesecalendar knows. Up to 30 November
# 2026: a count of 0 hours ending after a close starts at the next opening, which must not fall in 2027
# (chinesecalendar 1.11.0 does not know it: CalendarUnknown, rightly) even when the ≤ 12 generated overrides
# make December's last working days holidays.
ends = st.builds(
    lambda d, t: datetime.combine(d, t, SHANGHAI),
    st.dates(min_value=date(2004, 2, 16), max_value=date(2026, 11, 30)),
    times,
)


def where_a_count_starts(t: datetime, overrides: dict) -> bool:
    """t lies in [opening, close) of a period on a working day."""
    return naive_is_workday(t.date(), overrides) and any(
        datetime.combine(t.date(), s, SHANGHAI) <= t < datetime.combine(t.date(), e, SHANGHAI) for s, e in HOURS
    )


@PROPERTY
@given(end=ends, hours=durations, overrides=overrides_strategy)
def test_subtract_working_hours_is_the_inverse_of_working_hours_between(end, hours, overrides):
    cal = WorkCalendar(hours=HOURS, overrides=overrides)
    start = cal.subtract_working_hours(end, hours)
    assert cal.working_hours_between(start, end) == hours
    assert as_hours(naive_opening_time(min(start, end), max(start, end), overrides)) == hours
    if hours:
        assert where_a_count_starts(start, overrides)  # never a close, never a closed hour
        assert start < end
        if inside_opening(end, overrides):
            assert cal.add_working_hours(start, hours) == end  # and back again


def us(hours) -> int:
    return int((hours * HOUR_US).to_integral_value(ROUND_HALF_EVEN))


@PROPERTY
@given(end=ends, first=durations, second=durations)
def test_subtracting_in_two_steps_equals_one_step(end, first, second):
    cal = WorkCalendar(hours=HOURS)
    start = cal.subtract_working_hours(cal.subtract_working_hours(end, first), second)
    assert cal.working_us_between(start, end) == us(first) + us(second)
    if first + second:
        assert start == cal.subtract_working_hours(end, Decimal(us(first) + us(second)) / HOUR_US)
