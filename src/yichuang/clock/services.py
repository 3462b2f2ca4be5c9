"""Changes to the working-day calendar: importing the State Council's holiday notice, and moving the deadlines of
running cases when working days change (rules.md: calendar changes are shown before they apply, with the running
cases whose deadlines they move; on confirmation each deadline is recomputed, written on the case's timeline, and
the applicant told when their promised date moved; an import is all or nothing).

* `preview_notice(notice)` → `Plan`: what the import would write and remove, per date the calendar's status now
  and after, and the running cases whose deadline moves. Reads only.
* `apply_notice(notice, actor)`: the same plan, carried out in one transaction.
* `calendar_changed(before, actor, reason)`: after any other change of overrides (the admin's form), move the
  deadlines of the running cases from the calendar `before` (a `queries.calendar_source()` taken before the
  change) to the one in the database now.

What a notice replaces. A year's notice (国务院办公厅关于YYYY年部分节假日安排的通知) is the whole year's schedule:
every day it names that differs from Monday–Friday is stored (note = festival, source = the notice), every
override of a day it names that does not differ is removed, and every other override of that year is removed
too — an entry typed in by hand before the notice, or left from an earlier paste, must not silently survive.
Kept are only overrides whose `source` cites another notice (a supplementary notice of the year, such as the
2015 anniversary or the 2019 Labour Day change; or next year's notice, which names late December days): the
preview lists them. The year is marked complete and no longer assumed. A supplementary notice (any other
title) only writes the days it names and does not mark the year complete.

Idempotent: an import that would change nothing writes nothing (no audit event, no timeline, no message).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit

from . import caseclock
from .models import CalendarOverride, CalendarYear
from .notice import Notice
from .queries import calendar_source
from .workcalendar import DEFAULT_HOURS, SHANGHAI, CalendarUnknown, WorkCalendar


@dataclass
class DayChange:
    date: dt.date
    before: bool | None  # the calendar's status now (None: the year is unknown)
    after: bool
    name: str

    @staticmethod
    def label(status: bool | None) -> str:
        return _("未知") if status is None else (_("上班") if status else _("放假"))

    @property
    def label_before(self) -> str:
        return self.label(self.before)

    @property
    def label_after(self) -> str:
        return self.label(self.after)


@dataclass
class CaseMove:
    case: object
    before: dt.datetime
    after: dt.datetime

    @property
    def day_moved(self) -> bool:
        """Whether the promised date as the applicant sees it (the day) moved."""
        return self.before.astimezone(SHANGHAI).date() != self.after.astimezone(SHANGHAI).date()


@dataclass
class Plan:
    notice: Notice
    write: list[CalendarOverride] = field(default_factory=list)  # new or changed rows (unsaved)
    remove: list[CalendarOverride] = field(default_factory=list)
    kept: list[CalendarOverride] = field(default_factory=list)  # the year's rows from another notice
    year_before: CalendarYear | None = None
    changes: list[DayChange] = field(default_factory=list)  # days whose working status changes
    moves: list[CaseMove] = field(default_factory=list)
    paused: int = 0  # stopped clocks: nothing moves now
    unknown: list = field(default_factory=list)  # running cases whose deadline could not be recomputed

    @property
    def year_changes(self) -> bool:
        if not self.notice.full_year:
            return False
        y = self.year_before
        return y is None or not y.complete or y.assumed or y.source != self.notice.source

    @property
    def changed(self) -> bool:
        return bool(self.write or self.remove or self.year_changes)


# --- calendars ---------------------------------------------------------------------------------------


def _calendar(source: tuple, hours=None) -> WorkCalendar:
    overrides, complete, assumed, default_hours = source
    if hours is None:
        hours = dict(default_hours) if default_hours else None
    return WorkCalendar(
        hours=hours or DEFAULT_HOURS, overrides=dict(overrides), complete_years=complete, assumed_years=assumed
    )


def _status(calendar: WorkCalendar, day: dt.date) -> bool | None:
    try:
        return calendar.is_workday(day)
    except CalendarUnknown:
        return None


def _names(calendar: WorkCalendar, overrides: dict) -> callable:
    """status(day) → (is_workday, name) in `calendar`, for resolving an extension (None where unknown)."""
    from .schedule import HOLIDAY_NAMES

    def status(day: dt.date):
        known = _status(calendar, day)
        if known is None:
            return None
        name = overrides.get(day)
        if name is None:
            import chinese_calendar

            try:
                name = HOLIDAY_NAMES.get(chinese_calendar.get_holiday_detail(day)[1] or "", "")
            except NotImplementedError:
                name = ""
        return known, name

    return status


# --- the plan ----------------------------------------------------------------------------------------


def _own_schedule(source: str, year: int) -> bool:
    """Whether an override's source is (a version of) the year's own schedule notice, or nothing at all."""
    return not source.strip() or f"关于{year}年部分节假日安排" in source


def _plan(notice: Notice, now: dt.datetime, *, lock: bool = False) -> Plan:
    before = calendar_source()
    current = _calendar(before)
    existing_rows = CalendarOverride.objects.order_by("date")
    if lock:
        existing_rows = existing_rows.select_for_update()
    existing = {row.date: row for row in existing_rows}
    if notice.extensions:
        notice.resolve(_names(current, {d: r.note for d, r in existing.items()}))
    plan = Plan(notice=notice, year_before=CalendarYear.objects.filter(year=notice.year).first())
    source = notice.source
    named = notice.by_date()
    for day in notice.days:
        row = existing.get(day.date)
        if day.differs:
            if row is None or (row.is_workday, row.note, row.source) != (day.is_workday, day.name[:200], source):
                target = row or CalendarOverride(date=day.date)
                target.is_workday, target.note, target.source = day.is_workday, day.name[:200], source
                plan.write.append(target)
        elif row is not None:
            plan.remove.append(row)
    if notice.full_year:
        for day, row in existing.items():
            if day.year != notice.year or day in named:
                continue
            if _own_schedule(row.source, notice.year):
                plan.remove.append(row)
            else:
                plan.kept.append(row)
    after = _after(before, plan)
    new = _calendar(after)
    touched = sorted({row.date for row in plan.write} | {row.date for row in plan.remove} | set(named))
    for day in touched:
        old_status, new_status = _status(current, day), _status(new, day)
        if old_status != new_status and new_status is not None:
            name = named[day].name if day in named else existing[day].note
            plan.changes.append(DayChange(day, old_status, new_status, name))
    plan.moves, plan.paused, plan.unknown = _moves(before, after, now)
    return plan


def _after(before: tuple, plan: Plan) -> tuple:
    overrides, complete, assumed, hours = before
    merged = dict(overrides)
    for row in plan.remove:
        merged.pop(row.date, None)
    for row in plan.write:
        merged[row.date] = row.is_workday
    if plan.notice.full_year:
        complete = tuple(sorted(set(complete) | {plan.notice.year}))
        assumed = tuple(y for y in assumed if y != plan.notice.year)
    return tuple(sorted(merged.items())), complete, assumed, hours


def preview_notice(notice: Notice, *, now: dt.datetime | None = None) -> Plan:
    """What importing `notice` would change, and the running cases whose deadline would move. Writes nothing."""
    return _plan(notice, now or timezone.now())


@transaction.atomic
def apply_notice(notice: Notice, actor, *, now: dt.datetime | None = None, request=None) -> Plan:
    """Import the notice (see the module docstring) and move the deadlines it changes, all in one transaction."""
    now = now or timezone.now()
    before = calendar_source()
    plan = _plan(notice, now, lock=True)
    if not plan.changed:
        return plan
    for row in plan.remove:
        row.delete()
    for row in plan.write:
        row.full_clean()
        row.save()
    year = plan.year_before
    if plan.year_changes:
        year = year or CalendarYear(year=notice.year)
        year.complete, year.assumed, year.source = True, False, notice.source
        year.full_clean()
        year.save()
    plan.moves = _move(before, actor, now, notice.source, request)
    audit.record(
        actor,
        "calendar.import_notice",
        year,
        summary=f"{notice.year} {notice.number or notice.title}"[:255],
        request=request,
        written=[f"{r.date.isoformat()} {'workday' if r.is_workday else 'holiday'} {r.note}" for r in plan.write],
        removed=[r.date.isoformat() for r in plan.remove],
        cases=[m.case.number for m in plan.moves],
    )
    return plan


def calendar_changed(before: tuple, actor, reason: str, *, now=None, request=None) -> list[CaseMove]:
    """After overrides changed (the admin's form): move the running cases' deadlines from the calendar `before`
    to today's. Call inside the transaction that made the change."""
    return _move(before, actor, now or timezone.now(), reason, request)


# --- running cases -----------------------------------------------------------------------------------


def _changed_days(old: tuple, new: tuple, since: dt.date) -> list[dt.date]:
    old_map, new_map = dict(old[0]), dict(new[0])
    days = {d for d in old_map.keys() | new_map.keys() if old_map.get(d) != new_map.get(d) and d >= since}
    return sorted(days)


def _candidates(before: tuple, after: tuple, now: dt.datetime, *, lock: bool):
    from yichuang.intake.models import PAUSED_STATUSES, RUNNING_STATUSES, Case

    days = _changed_days(before, after, timezone.localtime(now, SHANGHAI).date())
    paused = Case.objects.filter(status__in=PAUSED_STATUSES).count()
    if not days:
        return [], paused
    first = dt.datetime.combine(days[0], dt.time(), tzinfo=SHANGHAI)
    cases = (
        Case.objects.filter(status__in=RUNNING_STATUSES, paused_at__isnull=True, due_at__gt=now, due_at__gte=first)
        .select_related("submission__site", "department")
        .order_by("due_at", "pk")
    )
    if lock:
        cases = cases.select_for_update(of=("self",))
    return list(cases), paused


def _site_calendars(site, before: tuple, after: tuple):
    from yichuang.intake.deadlines import SiteClock, site_hours

    hours = site_hours(site)
    old, new = _calendar(before, hours or DEFAULT_HOURS), _calendar(after, hours or DEFAULT_HOURS)
    return old, new, SiteClock(site, new, hours)


def _moves(before: tuple, after: tuple, now: dt.datetime, *, lock: bool = False):
    cases, paused = _candidates(before, after, now, lock=lock)
    moves, unknown, by_site = [], [], {}
    for case in cases:
        site = case.submission.site
        if site.pk not in by_site:
            by_site[site.pk] = _site_calendars(site, before, after)
        old, new, clock = by_site[site.pk]
        was = case.due_at
        try:
            moved = caseclock.recompute(case, now, old, new, clock.close)
        except CalendarUnknown:
            unknown.append(case)
            continue
        if moved:
            moves.append(CaseMove(case, was, case.due_at))
    return moves, paused, unknown


def _move(before: tuple, actor, now: dt.datetime, reason: str, request) -> list[CaseMove]:
    """Recompute, save, write the timeline, tell the applicant (only when the day moved)."""
    from yichuang.exchange import outbox as exchange_outbox
    from yichuang.intake.models import TimelineEvent
    from yichuang.intake.services import notify_applicant

    after = calendar_source()
    moves, _paused, _unknown = _moves(before, after, now, lock=True)
    for move in moves:
        case = move.case
        case.save(update_fields=["due_at", "warn_at", "budget_us"])
        moved = TimelineEvent.objects.create(
            submission_id=case.submission_id,
            case=case,
            kind=TimelineEvent.Kind.DEADLINE_MOVED,
            at=now,
            actor=actor if getattr(actor, "pk", None) else None,
            detail={"before": _local(move.before).isoformat(), "due": _local(move.after).isoformat(), "reason": reason},
        )
        exchange_outbox.publish([moved])
        audit.record(
            actor,
            "clock.deadline_moved",
            case,
            summary=f"{case.number} {_day(move.before)} → {_day(move.after)}",
            request=request,
        )
        if move.day_moved:
            notify_applicant(
                case.submission,
                "deadline_moved",
                {
                    "case": case.number,
                    "matter": case.matter_name,
                    "before": _day(move.before),
                    "due": timezone.localtime(move.after, SHANGHAI).strftime("%Y-%m-%d %H:%M"),
                    "reason": reason,
                },
            )
    return moves




def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment, SHANGHAI)


def _day(moment: dt.datetime) -> str:
    return _local(moment).strftime("%Y-%m-%d")


@transaction.atomic
def assume_unknown_years(last_year: int, actor=None) -> list[int]:
    """Count every year after chinesecalendar's data up to `last_year` that nobody has entered as Monday–Friday
    (`CalendarYear.assumed`), so that a demo hall keeps working on any date. Only the demo calls this; the
    assumption is shown as such wherever the calendar is warned about, and importing the year's notice ends it.
    Returns the years newly assumed."""
    from .workcalendar import DATA_LAST_YEAR

    assumed = []
    for year in range(DATA_LAST_YEAR + 1, last_year + 1):
        row, created = CalendarYear.objects.get_or_create(
            year=year,
            defaults={"assumed": True, "note": _("演示数据:尚未录入节假日安排,暂按周一至周五上班计算(非官方)。")},
        )
        if not created and (row.complete or row.assumed):
            continue
        if not created:
            row.assumed = True
            row.save(update_fields=["assumed", "updated_at"])
        assumed.append(year)
        audit.record(actor, "calendar.assume_year", row, summary=f"{year} assumed Monday–Friday (demo)", year=year)
    return assumed
