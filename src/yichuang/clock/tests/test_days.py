"""Working days: the 2026 calendar, deadlines across holidays, overrides, unknown years."""

from datetime import date, datetime

import chinese_calendar
import pytest

from yichuang.clock import CalendarUnknown, WorkCalendar

HOLIDAYS_2026 = [
    *(date(2026, 2, d) for d in range(15, 24)),  # Spring Festival, 15–23 February
    *(date(2026, 10, d) for d in range(1, 8)),  # National Day, 1–7 October
    date(2026, 9, 25),  # Mid-Autumn Festival (a Friday), which chinesecalendar also has
]
MAKE_UP_WORKDAYS_2026 = [date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)]


def test_chinesecalendar_itself_says_what_the_2026_tests_assume():
    # chinesecalendar 1.11.0: the holidays are in `holidays` (Spring Festival / National Day), the make-up
    # Saturdays and the Sunday in `workdays`; is_workday says False / True respectively.
    assert chinese_calendar.get_holiday_detail(date(2026, 9, 25)) == (True, "Mid-autumn Festival")
    for day in HOLIDAYS_2026:
        assert day in chinese_calendar.holidays and not chinese_calendar.is_workday(day)
    for day in MAKE_UP_WORKDAYS_2026:
        assert day.weekday() >= 5 and day in chinese_calendar.workdays and chinese_calendar.is_workday(day)
    assert [chinese_calendar.workdays[d] for d in MAKE_UP_WORKDAYS_2026] == [
        "Spring Festival",
        "Spring Festival",
        "National Day",
        "National Day",
    ]
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


def test_2026_holidays_and_make_up_workdays():
    cal = WorkCalendar()
    assert not any(cal.is_workday(d) for d in HOLIDAYS_2026)
    assert all(cal.is_workday(d) for d in MAKE_UP_WORKDAYS_2026)
    assert cal.is_workday(date(2026, 2, 24))  # first day back after Spring Festival (Tuesday)
    assert not cal.is_workday(date(2026, 2, 21))  # an ordinary Saturday inside the holiday
    assert not cal.is_workday(date(2026, 3, 1))  # an ordinary Sunday


def test_deadline_across_spring_festival():
    cal = WorkCalendar()
    # Accepted Thursday 12 Feb: Fri 13 (1), make-up Sat 14 (2), holiday 15–23, Tue 24 (3).
    assert cal.add_working_days(date(2026, 2, 12), 3) == date(2026, 2, 24)
    assert cal.add_working_days(date(2026, 2, 12), 2) == date(2026, 2, 14)
    # Accepted on the make-up Saturday itself: that day does not count.
    assert cal.add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)
    # Accepted during the holiday: counting starts on the first working day after it.
    assert cal.add_working_days(date(2026, 2, 18), 1) == date(2026, 2, 24)
    # The statutory 20 days from 12 Feb: 13, 14, 24–27 (6), Sat 28 (7), 2–6 Mar (12), 9–13 (17), 16–18 (20).
    assert cal.add_working_days(date(2026, 2, 12), 20) == date(2026, 3, 18)


def test_deadline_across_national_day():
    cal = WorkCalendar()
    # Accepted Fri 18 Sep: Sun 20 (make-up, 1), 21–24 (5), Fri 25 Mid-Autumn off, 28–30 (8), holiday 1–7 Oct,
    # Thu 8 (9), Fri 9 (10), make-up Sat 10 (11), Mon 12 Oct (12).
    assert cal.add_working_days(date(2026, 9, 18), 1) == date(2026, 9, 20)
    assert cal.add_working_days(date(2026, 9, 18), 5) == date(2026, 9, 24)
    assert cal.add_working_days(date(2026, 9, 18), 6) == date(2026, 9, 28)
    assert cal.add_working_days(date(2026, 9, 18), 9) == date(2026, 10, 8)
    assert cal.add_working_days(date(2026, 9, 18), 11) == date(2026, 10, 10)
    assert cal.add_working_days(date(2026, 9, 18), 12) == date(2026, 10, 12)
    assert cal.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_zero_days_is_the_day_itself_and_negative_is_refused():
    cal = WorkCalendar()
    assert cal.add_working_days(date(2026, 2, 15), 0) == date(2026, 2, 15)
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 2, 15), -1)
    with pytest.raises(TypeError):
        cal.add_working_days(datetime(2026, 2, 15, 9), 1)
    with pytest.raises(TypeError):
        cal.add_working_days(date(2026, 2, 15), 1.5)


def test_deadline_across_new_year_between_known_years():
    cal = WorkCalendar()
    # 2025-12-31 (Wed) + 1: New Year's Day 1–3 Jan 2026 off, Sunday 4 Jan a make-up workday (chinesecalendar).
    assert cal.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 4)
    # A long limit crossing whole years.
    assert cal.add_working_days(date(2010, 6, 1), 1000) == _naive_add(date(2010, 6, 1), 1000)


def _naive_add(d, n):
    while n:
        d = date.fromordinal(d.toordinal() + 1)
        n -= chinese_calendar.is_workday(d)
    return d


def test_overrides_win_both_ways():
    extra_holiday = date(2026, 3, 4)  # a Wednesday
    extra_workday = date(2026, 3, 7)  # a Saturday
    restored_holiday = date(2026, 2, 14)  # the make-up Saturday, declared off
    cal = WorkCalendar(overrides={extra_holiday: False, extra_workday: True, restored_holiday: False})
    assert not cal.is_workday(extra_holiday) and cal.is_workday(extra_workday)
    assert not cal.is_workday(restored_holiday)
    assert cal.is_workday(date(2026, 3, 5))  # the rest untouched
    # Mon 2 Mar + 3: Tue 3 (1), [Wed 4 off], Thu 5 (2), Fri 6 (3); + 4: the overridden Saturday.
    assert cal.add_working_days(date(2026, 3, 2), 3) == date(2026, 3, 6)
    assert cal.add_working_days(date(2026, 3, 2), 4) == date(2026, 3, 7)
    # Without the make-up Saturday, 12 Feb + 2 goes past the Spring Festival.
    assert cal.add_working_days(date(2026, 2, 12), 2) == date(2026, 2, 24)


def test_unknown_year_raises_in_english_and_chinese():
    cal = WorkCalendar()
    with pytest.raises(CalendarUnknown) as info:
        cal.is_workday(date(2027, 3, 1))
    assert info.value.year == 2027
    assert "2027" in str(info.value) and "unknown" in str(info.value) and "2027年的工作日历未知" in str(info.value)
    assert isinstance(info.value, Exception)
    # A deadline that runs into 2027 fails at the moment it is needed, never a guess.
    assert cal.add_working_days(date(2026, 12, 21), 5) == date(2026, 12, 28)
    with pytest.raises(CalendarUnknown):
        cal.add_working_days(date(2026, 12, 21), 20)
    with pytest.raises(CalendarUnknown):
        WorkCalendar().add_working_days(date(2003, 12, 1), 1)


def test_overrides_alone_do_not_make_a_year_known():
    cal = WorkCalendar(overrides={date(2027, 1, 1): False})
    with pytest.raises(CalendarUnknown):
        cal.is_workday(date(2027, 1, 1))  # strict even for the overridden date itself
    with pytest.raises(CalendarUnknown):
        cal.is_workday(date(2027, 1, 4))
    assert cal.known_until() == date(2026, 12, 31)


def test_a_complete_year_is_weekdays_plus_overrides():
    overrides = {date(2027, 1, 1): False, date(2027, 2, 6): True, date(2027, 2, 8): False}
    cal = WorkCalendar(overrides=overrides, complete_years=[2027])
    assert not cal.is_workday(date(2027, 1, 1))  # Friday, holiday by override
    assert cal.is_workday(date(2027, 1, 4))  # Monday, weekday rule
    assert not cal.is_workday(date(2027, 1, 9))  # Saturday, weekday rule
    assert cal.is_workday(date(2027, 2, 6))  # Saturday, make-up by override
    assert not cal.is_workday(date(2027, 2, 8))
    # 21 Dec 2026 + 20 now crosses into 2027: Dec 22–25 (4), 28–31 (8), [1 Jan off], 4–8 (13), 11–15 (18), 18, 19.
    assert cal.add_working_days(date(2026, 12, 21), 20) == date(2027, 1, 19)
    assert cal.known_until() == date(2027, 12, 31)
    assert WorkCalendar(complete_years=[2029]).known_until() == date(2026, 12, 31)  # 2027 and 2028 still unknown


def test_hours_and_overrides_are_validated():
    with pytest.raises(ValueError):
        WorkCalendar(hours=[("12:00", "09:00")])
    with pytest.raises(ValueError):
        WorkCalendar(hours=[("09:00", "12:00"), ("11:00", "14:00")])
    with pytest.raises(ValueError):
        WorkCalendar(hours=[])
    with pytest.raises(TypeError):
        WorkCalendar(overrides={datetime(2026, 3, 4, 9): False})
