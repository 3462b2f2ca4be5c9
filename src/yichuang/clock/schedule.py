"""A year's schedule as the system uses it: the days that differ from Monday–Friday, with their festival's name
(reads only; `yichuang calendar show`, the import preview)."""

import datetime as dt

import chinese_calendar

from .models import CalendarOverride
from .workcalendar import DATA_FIRST_YEAR, DATA_LAST_YEAR, WorkCalendar

# chinesecalendar's names of its days, in the words of the notices.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def year_schedule(year: int, calendar=None) -> list[tuple]:
    """The days of `year` that differ from Monday–Friday in the calendar the system uses (or `calendar`):
    [(date, is_workday, name)], sorted. Names: an override's note, else chinesecalendar's festival.
    Raises CalendarUnknown for a year the calendar does not know."""
    calendar = calendar or WorkCalendar.default()
    notes = dict(CalendarOverride.objects.filter(date__year=year).values_list("date", "note"))
    out, day = [], dt.date(year, 1, 1)
    while day.year == year:
        workday = calendar.is_workday(day)
        if workday != (day.weekday() < 5):
            name = notes.get(day, "")
            if not name and DATA_FIRST_YEAR <= year <= DATA_LAST_YEAR:
                name = HOLIDAY_NAMES.get(chinese_calendar.get_holiday_detail(day)[1] or "", "")
            out.append((day, workday, name))
        day += dt.timedelta(days=1)
    return out
