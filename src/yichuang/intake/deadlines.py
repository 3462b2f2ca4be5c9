"""Due times of cases, from the working-time clock (clock.WorkCalendar) and the site's opening hours.

* **Working days** (N whole days): the close of the N-th working day after the day of acceptance (the day of
  acceptance never counts); the close is the end of the site's last opening period that day.
* **Working hours** (H): `add_working_hours(accepted_at, H)` — the clock runs only inside opening hours on
  working days; an intake outside them starts counting at the next opening.
* A fractional number of working days (e.g. 0.5) is that share of a standard working day's opening hours,
  counted like working hours (the rules name 0.5 working day for 企业开办).
* **Instant** (即办): due at the close of the day of acceptance; taken in after the site's cut-off
  (`Site.instant_cutoff_minutes` before that day's close) or on a non-working day → the close of the next
  working day.

The promised limit (承诺时限) is what the hall commits to and what the clock watches; the legal limit stays
in the case's snapshot. A limit that needs a year whose holidays are unknown raises CalendarUnknown.
"""

import datetime as dt
from decimal import Decimal

from yichuang.clock.queries import calendar_source
from yichuang.clock.workcalendar import DEFAULT_HOURS, SHANGHAI, WorkCalendar
from yichuang.organisation.models import Site

_CACHE: dict[tuple, WorkCalendar] = {}


def site_hours(site: Site) -> dict[int, list[tuple[dt.time, dt.time]]]:
    hours: dict[int, list] = {}
    for period in sorted(site.opening_periods.all(), key=lambda p: (p.weekday, p.start)):
        hours.setdefault(period.weekday, []).append((period.start, period.end))
    return hours


def site_calendar(site: Site) -> "SiteClock":
    """The working calendar with this site's opening hours (the holidays and overrides of the whole hall)."""
    overrides, complete_years, assumed_years, _default_hours = calendar_source()
    hours = site_hours(site)
    key = (overrides, complete_years, assumed_years, tuple((wd, tuple(p)) for wd, p in sorted(hours.items())))
    calendar = _CACHE.get(key)
    if calendar is None:
        calendar = WorkCalendar(
            hours=hours or DEFAULT_HOURS,
            overrides=dict(overrides),
            complete_years=complete_years,
            assumed_years=assumed_years,
        )
        if len(_CACHE) >= 16:
            _CACHE.clear()
        _CACHE[key] = calendar
    return SiteClock(site, calendar, hours)


class SiteClock:
    """A site's working calendar plus what a deadline needs of its opening hours (closing time, cut-off)."""

    def __init__(self, site: Site, calendar: WorkCalendar, hours: dict):
        self.site = site
        self.calendar = calendar
        standard = next((hours[wd] for wd in range(5) if hours.get(wd)), None) or next(
            (p for p in hours.values() if p), None
        )
        self._standard = standard or [(dt.time.fromisoformat(s), dt.time.fromisoformat(e)) for s, e in DEFAULT_HOURS]
        self._hours = hours

    def periods(self, day: dt.date) -> list[tuple[dt.time, dt.time]]:
        """Opening periods of a working day (a make-up Saturday has the standard weekday hours)."""
        return self._hours.get(day.weekday()) or self._standard

    def close(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, max(end for _start, end in self.periods(day)), tzinfo=SHANGHAI)

    def day_hours(self) -> Decimal:
        seconds = sum(
            (dt.datetime.combine(dt.date.min, e) - dt.datetime.combine(dt.date.min, s)).seconds
            for s, e in self._standard
        )
        return Decimal(seconds) / Decimal(3600)

    @property
    def day_us(self) -> int:
        """A standard working day's opening time in microseconds (what "one working day" of a clock is)."""
        return int(self.day_hours() * 3_600_000_000)

    def next_workday(self, day: dt.date) -> dt.date:
        return self.calendar.add_working_days(day, 1)

    def due(self, limit_unit: str, promised: Decimal, accepted_at: dt.datetime) -> dt.datetime:
        local = accepted_at.astimezone(SHANGHAI)
        day = local.date()
        if limit_unit == "instant":
            if self.calendar.is_workday(day):
                cutoff = self.close(day) - dt.timedelta(minutes=self.site.instant_cutoff_minutes)
                if local <= cutoff:
                    return self.close(day)
            return self.close(self.next_workday(day))
        promised = Decimal(promised)
        if limit_unit == "working_days" and promised == promised.to_integral_value():
            return self.close(self.calendar.add_working_days(day, int(promised)))
        hours = promised if limit_unit == "working_hours" else promised * self.day_hours()
        return self.calendar.add_working_hours(accepted_at, hours)


def next_pickup(slots, clock: SiteClock, after: dt.datetime, horizon_days: int = 62) -> dt.datetime:
    """The next scheduled pickup (部门定时取件) of a delegated department strictly after `after`, on a working day.

    A department with no pickup slot (or none within the horizon) collects at the close of the next working
    day: its cases never wait without a date.
    """
    local = after.astimezone(SHANGHAI)
    by_weekday: dict[int, list[dt.time]] = {}
    for slot in slots:
        by_weekday.setdefault(slot.weekday, []).append(slot.time)
    if by_weekday:
        for offset in range(horizon_days):
            day = local.date() + dt.timedelta(days=offset)
            times = by_weekday.get(day.weekday())
            if not times or not clock.calendar.is_workday(day):
                continue
            for time in sorted(times):
                at = dt.datetime.combine(day, time, tzinfo=SHANGHAI)
                if at > local:
                    return at
    return clock.close(clock.next_workday(local.date()))
