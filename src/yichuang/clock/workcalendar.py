"""The working-time engine: which days are working days, and how much opening time lies between two moments.

Definitions (rules.md, "Time limits"):

* **Working day.** For the years chinesecalendar knows (1.11.0: 2004–2026) its answer, with the admin's
  overrides (`CalendarOverride`) winning both ways. A year it does not know is *unknown* and every question
  that needs one of its days raises `CalendarUnknown` — even for a date that has an override — until an admin
  marks the year complete (`CalendarYear.complete`, or `complete_years=` here). A complete year outside the
  package's data is Monday–Friday working, Saturday/Sunday off, plus that year's overrides.
  Why not "any override covers its year": the State Council's notice comes out in one piece, but an admin
  might enter only New Year's Day at first; the weekday rule would then silently count the Spring Festival
  week as working days. An explicit tick after entering the whole notice costs one click and never guesses.
  Why strict even for an overridden date: `is_workday` and the day/hour arithmetic then always agree.
* **add_working_days(d, n)**, n ≥ 0: the day on which a limit of n working days taken from day d ends — the
  n-th working day after d; d itself never counts (Civil Code art. 201), whether or not it is a working day.
  The limit runs to the close of that day. n = 0 gives d itself (nothing to count, no calendar needed).
* **Opening time.** `hours` apply on every working day; non-working days have none. Given per weekday
  (a site's `OpeningPeriod` rows), a working day whose weekday has no periods — a make-up Saturday (调休) —
  gets the standard hours: those of the first weekday Monday–Friday that has any. A site open on ordinary
  Saturdays does not make them count: limits run on working days only.
* **add_working_hours(t, h)**, h ≥ 0: counting starts at t if t is inside opening time, else at the next
  opening. For h > 0 the result is the moment when h hours of opening time have passed; it lies in
  (opening, close] of a period — an end exactly at a close stays at the close (17:30, not 09:00 next day).
  For h = 0 the result is the moment counting starts.
* **working_hours_between(a, b)**: the opening time in [a, b) as a Decimal number of hours, exact to the
  microsecond; for b < a it is −working_hours_between(b, a) (a negative figure is time overdue), 0 if equal.
  Inverse: working_hours_between(t, add_working_hours(t, h)) == h.
* **Datetimes** must be timezone-aware; they are converted to Asia/Shanghai (no DST since 1991), results are
  in Asia/Shanghai. A naive datetime is a ValueError.

Speed: per year, a sorted array of working-day ordinals and the cumulative opening time before each of them;
`add_working_days` and the hour arithmetic are a bisect (O(log n)) plus one step per year crossed. The
chinesecalendar part is computed once per process (it cannot change while the process runs); the tables
with overrides and hours are built lazily per `WorkCalendar` instance.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
from django.utils.translation import gettext as _

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_HOURS = (("09:00", "12:00"), ("13:30", "17:30"))
DAY_US = 86_400_000_000
HOUR_US = Decimal(3_600_000_000)

# The years the installed chinesecalendar has data for (it raises NotImplementedError outside them).
DATA_FIRST_YEAR = min(chinese_calendar.holidays).year
DATA_LAST_YEAR = max(chinese_calendar.holidays).year


class CalendarUnknown(Exception):
    """A date lies in a year whose holidays are not known: no deadline can be computed until an admin enters it."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"The working-day calendar for {year} is unknown: chinesecalendar covers {DATA_FIRST_YEAR}–"
            f"{DATA_LAST_YEAR} and {year} is not marked complete. Enter that year's holidays and make-up workdays "
            f"as calendar overrides and mark the year complete, or upgrade chinesecalendar. / "
            f"{year}年的工作日历未知:chinesecalendar 仅含 {DATA_FIRST_YEAR}–{DATA_LAST_YEAR} 年,{year}年也未标记为"
            f"已完整录入。请录入该年的法定节假日和调休上班日并标记该年已完整录入,或升级 chinesecalendar。"
        )


@functools.cache
def _data_workdays(year: int) -> bytes:
    """chinesecalendar's answer for every day of a year it covers (index = day of year − 1). Immutable per process."""
    jan1 = dt.date(year, 1, 1)
    days = (dt.date(year + 1, 1, 1) - jan1).days
    return bytes(chinese_calendar.is_workday(jan1 + dt.timedelta(days=i)) for i in range(days))


def _weekday_rule(year: int) -> bytes:
    jan1 = dt.date(year, 1, 1)
    days = (dt.date(year + 1, 1, 1) - jan1).days
    return bytes((jan1 + dt.timedelta(days=i)).weekday() < 5 for i in range(days))


def _parse_time(value) -> int:
    """'09:00', '9:00:30' or a datetime.time → microseconds since midnight."""
    if isinstance(value, str):
        value = dt.time.fromisoformat(value if len(value.split(":")[0]) == 2 else "0" + value)
    if not isinstance(value, dt.time):
        raise TypeError(f"an opening time must be 'HH:MM' or datetime.time, not {value!r}")
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


def _parse_periods(pairs: Iterable) -> tuple[tuple[int, int], ...]:
    periods = sorted((_parse_time(start), _parse_time(end)) for start, end in pairs)
    for i, (start, end) in enumerate(periods):
        if not start < end:
            raise ValueError("an opening period must start before it ends")
        if i and start < periods[i - 1][1]:
            raise ValueError("opening periods of one day must not overlap")
    return tuple(periods)


@dataclass(frozen=True, slots=True)
class _Year:
    year: int
    jan1: int  # ordinal of 1 January
    flags: bytes  # 1 = working day, index = ordinal − jan1
    ords: list[int]  # ordinals of the working days, ascending
    cum: list[int]  # opening µs before each working day; len(ords) + 1 entries, cum[-1] = the year's total


class WorkCalendar:
    """Working days and opening hours. Immutable once built; safe to share between threads."""

    def __init__(
        self,
        hours: Sequence[tuple] | Mapping[int, Sequence[tuple]] = DEFAULT_HOURS,
        overrides: Mapping[dt.date, bool] | None = None,
        complete_years: Iterable[int] = (),
        assumed_years: Iterable[int] = (),
    ):
        """`hours`: (start, end) pairs for every working day, or {weekday 0–6: pairs}; `overrides`: {date: is
        working day}; `complete_years`: years outside chinesecalendar's data that the admin has entered fully;
        `assumed_years`: years nobody entered that are counted Monday–Friday all the same (the demo's assumption,
        always shown as such by `calendar_warnings`)."""
        if isinstance(hours, Mapping):
            by_weekday = {wd: _parse_periods(hours.get(wd, ())) for wd in range(7)}
            standard = next((by_weekday[wd] for wd in range(5) if by_weekday[wd]), None)
            if standard is None:
                standard = next((p for p in by_weekday.values() if p), None)
            if standard is None:
                raise ValueError("a working calendar needs some opening hours")
            by_weekday = {wd: periods or standard for wd, periods in by_weekday.items()}
        else:
            periods = _parse_periods(hours)
            if not periods:
                raise ValueError("a working calendar needs some opening hours")
            by_weekday = dict.fromkeys(range(7), periods)
        self._periods: dict[int, tuple[tuple[int, int], ...]] = by_weekday
        self._day_us = {wd: sum(end - start for start, end in p) for wd, p in by_weekday.items()}
        self._overrides: dict[int, dict[dt.date, bool]] = {}
        for day, is_workday in (overrides or {}).items():
            if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
                raise TypeError(f"override keys must be dates, not {day!r}")
            self._overrides.setdefault(day.year, {})[day] = bool(is_workday)
        self._assumed_years = frozenset(int(y) for y in assumed_years) - frozenset(
            range(DATA_FIRST_YEAR, DATA_LAST_YEAR + 1)
        )
        self._complete_years = frozenset(int(y) for y in complete_years) | self._assumed_years
        self._years: dict[int, _Year] = {}

    # --- Construction from the database ----------------------------------------------------------------

    @classmethod
    def default(cls) -> WorkCalendar:
        """The hall's calendar: chinesecalendar + the overrides and complete years in the database + the default
        site's opening hours (09:00–12:00, 13:30–17:30 without a default site).

        Reads the database on every call (three small queries), so that several app servers always agree; the
        tables built from a given content are kept per process and reused while the content is unchanged.
        A caller doing many computations in one request should keep the returned calendar.
        """
        from .queries import calendar_source

        key = calendar_source()
        calendar = _DEFAULT_CACHE.get(key)
        if calendar is None:
            overrides, complete_years, assumed_years, hours = key
            calendar = cls(
                hours=dict(hours) if hours else DEFAULT_HOURS,
                overrides=dict(overrides),
                complete_years=complete_years,
                assumed_years=assumed_years,
            )
            if len(_DEFAULT_CACHE) >= 8:
                _DEFAULT_CACHE.clear()
            _DEFAULT_CACHE[key] = calendar
        return calendar

    # --- Years ----------------------------------------------------------------------------------------

    def is_known(self, year: int) -> bool:
        """Whether the days of `year` can be told (chinesecalendar's data or a year the admin marked complete)."""
        return DATA_FIRST_YEAR <= year <= DATA_LAST_YEAR or year in self._complete_years

    def is_assumed(self, year: int) -> bool:
        """Whether `year` is counted Monday–Friday only because nobody has entered it (not the official schedule)."""
        return year in self._assumed_years

    def known_until(self) -> dt.date:
        """The last day up to which every year from chinesecalendar's first one on is known (31 December)."""
        year = DATA_LAST_YEAR
        while self.is_known(year + 1):
            year += 1
        return dt.date(year, 12, 31)

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = self._years[year] = self._build_year(year)
        return table

    def _build_year(self, year: int) -> _Year:
        if DATA_FIRST_YEAR <= year <= DATA_LAST_YEAR:
            flags = bytearray(_data_workdays(year))
        elif year in self._complete_years:
            flags = bytearray(_weekday_rule(year))
        else:
            raise CalendarUnknown(year)
        jan1 = dt.date(year, 1, 1).toordinal()
        for day, is_workday in self._overrides.get(year, {}).items():
            flags[day.toordinal() - jan1] = is_workday
        ords = [jan1 + i for i, flag in enumerate(flags) if flag]
        cum = [0]
        for ordinal in ords:
            cum.append(cum[-1] + self._day_us[(ordinal + 6) % 7])  # date.weekday() of an ordinal
        return _Year(year, jan1, bytes(flags), ords, cum)

    # --- Days -----------------------------------------------------------------------------------------

    def is_workday(self, d: dt.date) -> bool:
        """Whether `d` is a working day. Raises CalendarUnknown for a day of an unknown year."""
        table = self._year(_as_date(d).year)
        return bool(table.flags[d.toordinal() - table.jan1])

    def add_working_days(self, d: dt.date, n: int) -> dt.date:
        """The day on which a limit of `n` working days taken from `d` ends: the n-th working day after d
        (d itself not counted); n = 0 gives d. Raises CalendarUnknown if the count enters an unknown year."""
        d = _as_date(d)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError("the number of working days must be an int")
        if n < 0:
            raise ValueError("the number of working days must be zero or more")
        if n == 0:
            return d
        table = self._year(d.year)
        k = bisect_right(table.ords, d.toordinal()) + n - 1  # index of the answer among the year's working days
        while k >= len(table.ords):
            k -= len(table.ords)
            table = self._year(table.year + 1)
        return dt.date.fromordinal(table.ords[k])

    # --- Hours ----------------------------------------------------------------------------------------

    def add_working_hours(self, t: dt.datetime, hours) -> dt.datetime:
        """The moment at which `hours` (int, float, Decimal) of opening time after `t` have passed (Asia/Shanghai).
        Counting starts at the next opening if `t` is outside opening time; an end at a close stays at the close."""
        us = _hours_to_us(hours)
        year, position = self._position(t)
        table = self._year(year)
        if us == 0:
            while position >= table.cum[-1]:  # after the year's last close: counting starts next year
                position -= table.cum[-1]
                table = self._year(table.year + 1)
            return self._moment(table, position, at_close=False)
        target = position + us
        while target > table.cum[-1]:
            target -= table.cum[-1]
            table = self._year(table.year + 1)
        return self._moment(table, target, at_close=True)

    def subtract_working_hours(self, t: dt.datetime, hours) -> dt.datetime:
        """The earliest moment from which `hours` of opening time run until `t` (the inverse of
        add_working_hours seen from the end): working_hours_between(result, t) == hours. A start that falls on a
        close is given as the next opening (the same instant of opening time)."""
        us = _hours_to_us(hours)
        year, position = self._position(t)
        table = self._year(year)
        target = position - us
        while target < 0:
            table = self._year(table.year - 1)
            target += table.cum[-1]
        while target >= table.cum[-1]:  # exactly at the year's last close: counting starts next year
            target -= table.cum[-1]
            table = self._year(table.year + 1)
        return self._moment(table, target, at_close=False)

    def working_us_between(self, a: dt.datetime, b: dt.datetime) -> int:
        """Microseconds of opening time in [a, b) (negative if b is before a): the integer form of
        working_hours_between, for clocks that store what is left."""
        return self._working_us_between(a, b)

    def working_hours_between(self, a: dt.datetime, b: dt.datetime) -> Decimal:
        """Hours of opening time in [a, b), exact to the microsecond; negative (−[b, a)) if b is before a."""
        return Decimal(self._working_us_between(a, b)) / HOUR_US

    def _working_us_between(self, a: dt.datetime, b: dt.datetime) -> int:
        if _aware(b) < _aware(a):
            return -self._working_us_between(b, a)
        year_a, pos_a = self._position(a)
        year_b, pos_b = self._position(b)
        return pos_b - pos_a + sum(self._year(y).cum[-1] for y in range(year_a, year_b))

    def _position(self, t: dt.datetime) -> tuple[int, int]:
        """(year, opening µs of that year before t)."""
        local = _aware(t).astimezone(SHANGHAI)
        table = self._year(local.year)
        ordinal = local.toordinal()
        i = bisect_left(table.ords, ordinal)
        if i < len(table.ords) and table.ords[i] == ordinal:
            tod = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond
            elapsed = sum(min(max(tod - start, 0), end - start) for start, end in self._periods[local.weekday()])
            return table.year, table.cum[i] + elapsed
        return table.year, table.cum[i]

    def _moment(self, table: _Year, position: int, *, at_close: bool) -> dt.datetime:
        """The moment at `position` µs of the year's opening time: at_close picks (opening, close] (where a count
        ends), otherwise [opening, close) (where a count starts)."""
        i = (bisect_left(table.cum, position) if at_close else bisect_right(table.cum, position)) - 1
        within = position - table.cum[i]
        ordinal = table.ords[i]
        for start, end in self._periods[(ordinal + 6) % 7]:
            if within < end - start or (at_close and within == end - start):
                break
            within -= end - start
        midnight = dt.datetime.combine(dt.date.fromordinal(ordinal), dt.time(), tzinfo=SHANGHAI)
        return midnight + dt.timedelta(microseconds=start + within)


_DEFAULT_CACHE: dict[tuple, WorkCalendar] = {}


def _as_date(d) -> dt.date:
    if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
        raise TypeError(f"expected a date, not {d!r}")
    return d


def _aware(t) -> dt.datetime:
    if not isinstance(t, dt.datetime):
        raise TypeError(f"expected a datetime, not {t!r}")
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError("datetimes given to the working clock must be timezone-aware")
    return t


def _hours_to_us(hours) -> int:
    if isinstance(hours, bool):
        raise TypeError("hours must be a number")
    if isinstance(hours, float):
        if not math.isfinite(hours):
            raise ValueError("hours must be finite")
        hours = Decimal(repr(hours))  # 0.1 means 0.1, not 0.1000000000000000055…
    elif isinstance(hours, int):
        hours = Decimal(hours)
    elif not isinstance(hours, Decimal):
        raise TypeError("hours must be an int, float or Decimal")
    if not hours.is_finite():
        raise ValueError("hours must be finite")
    if hours < 0:
        raise ValueError("hours must be zero or more")
    return int((hours * HOUR_US).to_integral_value(ROUND_HALF_EVEN))


def calendar_warnings(today: dt.date, days: int = 60, calendar: WorkCalendar | None = None) -> list[str]:
    """Warnings for the admin, the intake desk and the supervision board: this year unknown (deadlines fail
    now), or next year unknown and its 1 January at most `days` days away (a deadline reaching into it fails
    now too); either of them only assumed (counted Monday–Friday, not the official schedule). Empty when all is
    well."""
    calendar = calendar or WorkCalendar.default()
    warnings = []
    for year in (today.year, today.year + 1):
        if calendar.is_assumed(year) and (year == today.year or (dt.date(year, 1, 1) - today).days <= days):
            warnings.append(
                _(
                    "%(year)d年的节假日安排尚未录入。系统暂时假定%(year)d年周一至周五上班、周六周日休息,不含任何法定节假日"
                    "和调休——这只是演示用的假定,不是国务院公布的安排,按它算出的办理期限可能与实际不符。请在国务院办公厅"
                    "公布安排后,在“工作日历 → 导入节假日通知”中录入%(year)d年的安排。"
                )
                % {"year": year}
            )
    if not calendar.is_known(today.year):
        warnings.append(
            _(
                "%(year)d年的节假日安排尚未录入,涉及该年的办理期限现在无法计算。请录入该年的法定节假日和调休上班日,"
                "然后在“日历年份”中将%(year)d年标记为已完整录入(或升级 chinesecalendar)。"
            )
            % {"year": today.year}
        )
    next_year = today.year + 1
    days_left = (dt.date(next_year, 1, 1) - today).days
    if not calendar.is_known(next_year) and days_left <= days:
        warnings.append(
            _(
                "%(year)d年的节假日安排尚未录入,距%(year)d年1月1日还有%(days)d天;办理期限跨入该年的事项现在已不能受理"
                "(系统会提示原因)。请在国务院办公厅公布安排后录入法定节假日和调休上班日,并在“日历年份”中将%(year)d年"
                "标记为已完整录入(或升级 chinesecalendar)。"
            )
            % {"year": next_year, "days": days_left}
        )
    return warnings
