"""Working hours: the clock advances only inside opening time, on working days."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from yichuang.clock import CalendarUnknown, WorkCalendar
from yichuang.clock.workcalendar import SHANGHAI

cal = WorkCalendar(hours=[("09:00", "12:00"), ("13:30", "17:30")])


def at(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


def test_across_lunch():
    assert cal.add_working_hours(at(2026, 3, 6, 11), 2) == at(2026, 3, 6, 14, 30)
    assert cal.working_hours_between(at(2026, 3, 6, 11), at(2026, 3, 6, 14, 30)) == 2


def test_across_a_weekend():
    # Friday 17:00 + 1 h: half an hour on Friday, half an hour on Monday.
    assert cal.add_working_hours(at(2026, 3, 6, 17), 1) == at(2026, 3, 9, 9, 30)
    assert cal.working_hours_between(at(2026, 3, 6, 11), at(2026, 3, 9, 10)) == 6


def test_across_spring_festival_with_the_make_up_saturday():
    start = at(2026, 2, 13, 17)  # Friday before the holiday
    assert cal.add_working_hours(start, Decimal("1.5")) == at(2026, 2, 14, 10)  # Saturday 14 Feb is a workday
    # 0.5 h Friday + 7 h on Saturday + 0.5 h on Tuesday 24 Feb (15–23 are the holiday).
    assert cal.add_working_hours(start, 8) == at(2026, 2, 24, 9, 30)
    assert cal.working_hours_between(start, at(2026, 2, 24, 9, 30)) == 8


def test_across_national_day():
    assert cal.add_working_hours(at(2026, 9, 30, 17), 1) == at(2026, 10, 8, 9, 30)


def test_from_outside_opening_hours_counting_starts_at_the_next_opening():
    assert cal.add_working_hours(at(2026, 3, 8, 20), Decimal("0.5")) == at(2026, 3, 9, 9, 30)  # Sunday evening
    assert cal.add_working_hours(at(2026, 3, 9, 7), 0.5) == at(2026, 3, 9, 9, 30)  # before opening
    assert cal.add_working_hours(at(2026, 3, 9, 12, 30), 0.5) == at(2026, 3, 9, 14)  # lunch break
    assert cal.add_working_hours(at(2026, 2, 18, 10), 1) == at(2026, 2, 24, 10)  # inside the holiday
    assert cal.add_working_hours(at(2026, 3, 6, 18), 0) == at(2026, 3, 9, 9)  # zero: where counting starts
    assert cal.add_working_hours(at(2026, 3, 6, 12), 0) == at(2026, 3, 6, 13, 30)  # a close is not inside
    assert cal.add_working_hours(at(2026, 3, 6, 10), 0) == at(2026, 3, 6, 10)


def test_an_exact_end_at_a_close_stays_at_the_close():
    assert cal.add_working_hours(at(2026, 3, 6, 16), 1.5) == at(2026, 3, 6, 17, 30)  # not Monday 09:00
    assert cal.add_working_hours(at(2026, 3, 6, 9), 3) == at(2026, 3, 6, 12)  # not 13:30
    assert cal.add_working_hours(at(2026, 3, 6, 9), 7) == at(2026, 3, 6, 17, 30)
    assert cal.add_working_hours(at(2026, 3, 6, 7), 7) == at(2026, 3, 6, 17, 30)
    assert cal.add_working_hours(at(2026, 3, 6, 9), 7.000001) > at(2026, 3, 9, 9)


def test_number_types_and_precision():
    start = at(2026, 3, 6, 9)
    assert cal.add_working_hours(start, 0.1) == at(2026, 3, 6, 9, 6)
    assert cal.add_working_hours(start, Decimal("0.1")) == at(2026, 3, 6, 9, 6)
    assert cal.add_working_hours(start, Decimal(1) / 3600) == at(2026, 3, 6, 9, 0, 1)
    assert cal.working_hours_between(start, at(2026, 3, 6, 9, 0, 1)) * 3600 == 1
    assert cal.working_hours_between(start, at(2026, 3, 6, 9, 30)) == Decimal("0.5")
    for bad in (-1, Decimal("-0.5"), float("nan"), float("inf"), Decimal("Infinity")):
        with pytest.raises(ValueError):
            cal.add_working_hours(start, bad)
    with pytest.raises(TypeError):
        cal.add_working_hours(start, "1")


def test_between_is_antisymmetric_and_zero_when_equal():
    a, b = at(2026, 3, 6, 11), at(2026, 3, 9, 10)
    assert cal.working_hours_between(b, a) == -6
    assert cal.working_hours_between(a, a) == 0
    assert cal.working_hours_between(at(2026, 3, 6, 12, 10), at(2026, 3, 6, 13, 20)) == 0  # both in the lunch break


def test_between_across_years():
    # 2025-12-31 16:30 → 2026-01-05 10:00: 1 h on Wed 31 Dec, 7 h on Sun 4 Jan (make-up), 1 h on Mon 5 Jan.
    assert cal.working_hours_between(at(2025, 12, 31, 16, 30), at(2026, 1, 5, 10)) == 9
    assert cal.add_working_hours(at(2025, 12, 31, 16, 30), 9) == at(2026, 1, 5, 10)


def test_other_time_zones_are_converted_and_naive_refused():
    utc = datetime(2026, 3, 6, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    result = cal.add_working_hours(utc, 2)
    assert result == at(2026, 3, 6, 14, 30) and result.utcoffset() == timedelta(hours=8)
    assert cal.working_hours_between(utc, at(2026, 3, 6, 12)) == 1
    with pytest.raises(ValueError):
        cal.add_working_hours(datetime(2026, 3, 6, 11), 1)
    with pytest.raises(ValueError):
        cal.working_hours_between(datetime(2026, 3, 6, 11), at(2026, 3, 6, 12))


def test_unknown_year_stops_the_hour_clock():
    assert cal.add_working_hours(at(2026, 12, 31, 16), 1) == at(2026, 12, 31, 17)
    with pytest.raises(CalendarUnknown):
        cal.add_working_hours(at(2026, 12, 31, 17), 1)
    with pytest.raises(CalendarUnknown):
        cal.add_working_hours(at(2026, 12, 31, 18), 0)  # counting would start in 2027
    with pytest.raises(CalendarUnknown):
        cal.working_hours_between(at(2026, 12, 31, 9), at(2027, 1, 4, 9))


def test_make_up_saturday_gets_the_standard_hours_when_the_site_has_none_for_saturday():
    hours = {wd: [("09:00", "12:00"), ("13:30", "17:30")] for wd in range(4)} | {4: [("09:00", "12:00")]}
    site_cal = WorkCalendar(hours=hours)
    # Friday has the morning only; the make-up Saturday 14 Feb gets Monday's hours.
    assert site_cal.add_working_hours(at(2026, 2, 13, 11), 1) == at(2026, 2, 13, 12)
    assert site_cal.add_working_hours(at(2026, 2, 13, 11), 1.5) == at(2026, 2, 14, 9, 30)
    assert site_cal.working_hours_between(at(2026, 2, 14, 0), at(2026, 2, 15, 0)) == 7
    # A site open on Saturday mornings: ordinary Saturdays still do not count, a make-up Saturday uses them.
    saturday_cal = WorkCalendar(hours=hours | {5: [("09:00", "12:00")]})
    assert saturday_cal.working_hours_between(at(2026, 2, 14, 0), at(2026, 2, 15, 0)) == 3
    assert saturday_cal.working_hours_between(at(2026, 3, 7, 0), at(2026, 3, 8, 0)) == 0
