"""The clock of a case (限时办结): when it is due, when it turns yellow, how much time is used and left.

A case's clock lives in a few columns of `intake.Case` (see its docstring), set here and nowhere else:

* **start** (at acceptance): `due_at` from the promised limit (intake.deadlines), `budget_us` = the opening
  time from acceptance to `due_at`, `warn_us` = the yellow threshold (ClockRules: `yellow_days` standard
  working days for whole-day limits, `yellow_hours` for hour, fractional-day and instant limits), and
  `warn_at` = the moment from which only `warn_us` of opening time is left.
* **pause** (correction, special procedure): `paused_at` = now, `left_us` = the opening time left (negative
  when already overdue). The deadline stands still.
* **resume**: the deadline is the moment `left_us` of opening time after now (for a whole-day limit, the
  close of that day); `warn_at` again from it.
* **extend** by n working days (approved extension): the deadline moves to the close of the n-th working day
  after the day it fell on (while paused, `left_us` grows by n standard days); `budget_us` grows by the same.
* **recompute** when the calendar changes (a holiday notice imported, an override saved): the opening time used
  so far stays as counted on the old calendar up to now, and what was left then runs on the new calendar from
  now (a whole-day limit still ends at a close). A stopped clock keeps `left_us` (the new calendar applies from
  its restart); an overdue one stays overdue as it was; a concluded case is never touched.

Levels: a concluded case has none; a paused one is red when nothing is left, yellow when at most `warn_us`
is left, else green; a running one is red once `due_at` has passed, yellow from `warn_at`, else green.
`level()` (Python) and `level_expression()` (SQL, for lists and the supervisor's board) read the same columns
with the same comparisons, so they always agree (tested on both databases).
"""

import datetime as dt
from decimal import Decimal

from django.db.models import Case as Switch
from django.db.models import CharField, F, Q, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .workcalendar import HOUR_US, SHANGHAI, WorkCalendar

GREEN, YELLOW, RED = "green", "yellow", "red"
LEVEL_LABELS = {GREEN: gettext_lazy("正常"), YELLOW: gettext_lazy("黄灯预警"), RED: gettext_lazy("红灯超期")}

_RUNNING = ("accepted", "in_progress")
_PAUSED = ("correction", "special")


def _whole_days(snapshot: dict) -> bool:
    if snapshot.get("limit_unit") != "working_days":
        return False
    limit = Decimal(str(snapshot.get("promised_limit") or 0))
    return limit == limit.to_integral_value() and limit > 0


def warn_threshold_us(snapshot: dict, day_us: int, rules) -> int:
    if _whole_days(snapshot):
        return int(rules.yellow_days) * day_us
    return int(Decimal(rules.yellow_hours) * HOUR_US)


def start(case, calendar: WorkCalendar, day_us: int, rules) -> None:
    """Set the clock columns of a case just accepted (its `due_at` and `accepted_at` already set)."""
    case.budget_us = max(0, calendar.working_us_between(case.accepted_at, case.due_at))
    case.warn_us = warn_threshold_us(case.matter_snapshot, day_us, rules)
    case.warn_at = _warn_at(case.due_at, case.warn_us, calendar)
    case.paused_at = None
    case.left_us = None


def _warn_at(due_at: dt.datetime, warn_us: int, calendar: WorkCalendar) -> dt.datetime:
    return calendar.subtract_working_hours(due_at, Decimal(warn_us) / HOUR_US)


def pause(case, now: dt.datetime, calendar: WorkCalendar) -> None:
    if case.paused_at is not None:
        return
    case.left_us = calendar.working_us_between(now, case.due_at)
    case.paused_at = now


def resume(case, now: dt.datetime, calendar: WorkCalendar, close=None) -> None:
    """Restart the clock with the opening time that was left. A whole-day limit then ends at the close of the
    day that time runs out on (`close(day)`), as day limits always do — never earlier than the exact count."""
    if case.paused_at is None:
        return
    left = case.left_us
    if left >= 0:
        due = calendar.add_working_hours(now, Decimal(left) / HOUR_US)
        if close is not None and _whole_days(case.matter_snapshot):
            rounded = close(due.astimezone(SHANGHAI).date())
            case.budget_us += calendar.working_us_between(due, rounded)
            due = rounded
        case.due_at = due
    else:  # it was overdue when it stopped: it stays overdue by the same opening time
        case.due_at = calendar.subtract_working_hours(now, Decimal(-left) / HOUR_US)
    case.warn_at = _warn_at(case.due_at, case.warn_us, calendar)
    case.paused_at = None
    case.left_us = None


def extend(case, days: int, calendar: WorkCalendar, day_us: int, close) -> None:
    """Lengthen the limit by `days` working days; `close(day)` gives a working day's closing moment."""
    if case.paused_at is not None:
        case.left_us += days * day_us
        case.budget_us += days * day_us
    else:
        new_due = close(calendar.add_working_days(case.due_at.astimezone(SHANGHAI).date(), days))
        case.budget_us += calendar.working_us_between(case.due_at, new_due)
        case.due_at = new_due
        case.warn_at = _warn_at(case.due_at, case.warn_us, calendar)
    case.extended_days += days


def recompute(case, now: dt.datetime, old: WorkCalendar, new: WorkCalendar, close=None) -> bool:
    """Move a running clock onto a changed calendar (see the module docstring); True if `due_at` moved.
    `close(day)` gives a working day's closing moment (whole-day limits end there)."""
    if case.status not in _RUNNING or case.paused_at is not None:
        return False
    left = old.working_us_between(now, case.due_at)
    if left <= 0:
        return False
    due = new.add_working_hours(now, Decimal(left) / HOUR_US)
    extra = 0
    if close is not None and _whole_days(case.matter_snapshot):
        rounded = close(due.astimezone(SHANGHAI).date())
        extra = new.working_us_between(due, rounded)
        due = rounded
    if due == case.due_at:
        return False
    case.budget_us += extra
    case.due_at = due
    case.warn_at = _warn_at(due, case.warn_us, new)
    return True


# --- reading ---------------------------------------------------------------------------------------


def level(case, now: dt.datetime) -> str | None:
    if case.status in _PAUSED:
        if case.left_us <= 0:
            return RED
        return YELLOW if case.left_us <= case.warn_us else GREEN
    if case.status in _RUNNING:
        if case.due_at < now:
            return RED
        return YELLOW if case.warn_at is not None and case.warn_at <= now else GREEN
    return None


def level_expression(now: dt.datetime, prefix: str = "") -> Switch:
    """The same as level(), as an SQL expression: `.annotate(level=level_expression(now))`."""
    f = (prefix + "__") if prefix else ""
    paused = Q(**{f"{f}status__in": _PAUSED})
    running = Q(**{f"{f}status__in": _RUNNING})
    return Switch(
        When(paused & Q(**{f"{f}left_us__lte": 0}), then=Value(RED)),
        When(paused & Q(**{f"{f}left_us__lte": F(f"{f}warn_us")}), then=Value(YELLOW)),
        When(paused, then=Value(GREEN)),
        When(running & Q(**{f"{f}due_at__lt": now}), then=Value(RED)),
        When(running & Q(**{f"{f}warn_at__lte": now}), then=Value(YELLOW)),
        When(running, then=Value(GREEN)),
        default=Value(None),
        output_field=CharField(),
    )


def red_parts(now: dt.datetime) -> tuple[Q, Q]:
    """Open cases red at `now`, as (running, stopped): the rule of level() once, in two conditions that each
    read one of the clock's partial indexes (counts and first pages query them apart, not as one OR)."""
    return Q(status__in=_RUNNING, due_at__lt=now), Q(status__in=_PAUSED, left_us__lte=0)


def yellow_parts(now: dt.datetime) -> tuple[Q, Q]:
    """Open cases yellow at `now`, as (running, stopped)."""
    return (
        Q(status__in=_RUNNING, due_at__gte=now, warn_at__lte=now),
        Q(status__in=_PAUSED, left_us__gt=0, left_us__lte=F("warn_us")),
    )


def red_q(now: dt.datetime) -> Q:
    """Open cases that are red at `now` (for filters; the same rule as level())."""
    running, stopped = red_parts(now)
    return running | stopped


def yellow_q(now: dt.datetime) -> Q:
    running, stopped = yellow_parts(now)
    return running | stopped


def time_left_us(case, now: dt.datetime, calendar: WorkCalendar) -> int | None:
    """Opening time left (negative: overdue by that much); None for a concluded case."""
    if case.status in _PAUSED:
        return case.left_us
    if case.status in _RUNNING:
        return calendar.working_us_between(now, case.due_at)
    return None


def time_used_us(case, now: dt.datetime, calendar: WorkCalendar) -> int | None:
    left = time_left_us(case, now, calendar)
    return None if left is None else case.budget_us - left


def describe_us(us: int | None, day_us: int) -> str:
    """'3 个工作日 2.5 小时', '超期 1.0 小时' — for people; the API gives the numbers."""
    if us is None:
        return ""
    overdue = us < 0
    us = abs(us)
    days, rest = divmod(us, day_us) if day_us else (0, us)
    hours = Decimal(rest) / HOUR_US
    parts = []
    if days:
        parts.append(_("%(n)d 个工作日") % {"n": days})
    if hours or not days:
        parts.append(_("%(h)s 小时") % {"h": hours.quantize(Decimal("0.1"))})
    text = " ".join(parts)
    return _("超期 %(t)s") % {"t": text} if overdue else text
