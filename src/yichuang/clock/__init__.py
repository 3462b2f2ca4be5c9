"""The working-time clock: China's working days (chinesecalendar + admin overrides) and a site's opening hours.

    from yichuang.clock import WorkCalendar
    cal = WorkCalendar.default()
    cal.add_working_days(accepted_on, 20)

The engine lives in `workcalendar.py` and needs no database; `WorkCalendar.default()` reads the overrides
and the default site's hours (see `queries.py`). Rules and choices are documented in `workcalendar.py`.
"""

from .workcalendar import CalendarUnknown, WorkCalendar, calendar_warnings

__all__ = ["CalendarUnknown", "WorkCalendar", "calendar_warnings"]
