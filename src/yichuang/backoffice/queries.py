"""Reads of the back office that pages and the API share: the worklist, a case with its clock, the red list, the
alerts a person sees (their own: their department's, or a supervisor's kinds everywhere) with their read state.

The warning level of every row comes from the database (`caseclock.level_expression`), the same rule as
`caseclock.level()` in Python; time left and used come from the site's working calendar (`clock_of`).
"""

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from yichuang.clock import caseclock
from yichuang.clock.workcalendar import CalendarUnknown
from yichuang.intake import deadlines
from yichuang.intake.models import OPEN_STATUSES, Case, CaseStatus, Handoff
from yichuang.organisation.access import restrict_to_departments, visible_department_ids
from yichuang.organisation.roles import Role

from .models import Alert, AlertRead, Correction

PAGE_SIZE = 25

# Worklist filters (?show=…): which open cases.
SHOW = {
    "all": Q(),
    "inbox": Q(status=CaseStatus.ACCEPTED),
    "mine": None,  # the user's own: built in worklist()
    "paused": Q(status__in=[CaseStatus.CORRECTION, CaseStatus.SPECIAL]),
}


def cases_for(user) -> QuerySet:
    """Every case the user may see (their department's; all for supervisors, hall admins, auditors)."""
    return restrict_to_departments(Case.objects.all(), user)


def worklist(user, *, now: dt.datetime | None = None, show: str = "all", department_id: int | None = None) -> QuerySet:
    """The open cases the user may see, sorted by time left: running cases by deadline first, then the ones whose
    clock stands still by the time they have left; each with `level` annotated. Delegated cases still waiting in
    a pickup batch are not in the worklist (they are in the batch)."""
    now = now or timezone.now()
    qs = cases_for(user).filter(status__in=OPEN_STATUSES, received_at__isnull=False)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    if show == "mine":
        qs = qs.filter(assignee=user)
    elif SHOW.get(show) is not None:
        qs = qs.filter(SHOW[show])
    return (
        qs.annotate(level=caseclock.level_expression(now))
        .select_related("submission__applicant", "department", "assignee")
        .order_by(F("paused_at").asc(nulls_first=True), "due_at", F("left_us").asc(nulls_first=True), "id")
    )


def red_cases(user=None, *, now: dt.datetime | None = None) -> QuerySet:
    """Red (overdue) open cases across the departments the user sees, most overdue first."""
    now = now or timezone.now()
    qs = Case.objects.all() if user is None else cases_for(user)
    return (
        qs.filter(caseclock.red_q(now))
        .annotate(level=caseclock.level_expression(now))
        .select_related("department", "submission__applicant", "assignee")
        .order_by("due_at", "id")
    )


def yellow_cases(user=None, *, now: dt.datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    qs = Case.objects.all() if user is None else cases_for(user)
    return (
        qs.filter(caseclock.yellow_q(now))
        .annotate(level=caseclock.level_expression(now))
        .select_related("department", "submission__applicant", "assignee")
        .order_by("due_at", "id")
    )


def clock_of(case: Case) -> deadlines.SiteClock:
    """The site's working clock, from intake's reference cache (one query for the revision token; the calendar
    is rebuilt only after the catalogue, the hall or the calendar changed)."""
    from yichuang.intake import reference

    return reference.site_clock(reference.Reference(reference.current_token()), case.submission.site)


# Counting a 200,000-case worklist costs more than showing its first page: its pages are counted up to this
# many cases, and the page says "more than" past it (the most urgent cases come first anyway).
COUNT_CAP = 1000


class WorklistPaginator(Paginator):
    """A Paginator whose count stops at COUNT_CAP (one COUNT over a LIMITed subquery, read off the index)."""

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[:COUNT_CAP].count()

    @property
    def capped(self) -> bool:
        return self.count >= COUNT_CAP


@dataclass
class ClockView:
    """A case's clock at one moment, as pages and the API show it."""

    level: str | None
    paused: bool
    due_at: dt.datetime
    left_us: int | None
    used_us: int | None
    budget_us: int
    day_us: int
    unknown_year: int | None = None  # the time left needs this year's holidays, which nobody has entered

    @property
    def problem(self) -> str:
        """Why the time left and used are not shown (staff read it: what the administrator must enter)."""
        if self.unknown_year is None:
            return ""
        return _("剩余时间无法计算：%(year)d年节假日安排尚未录入，请管理员录入%(year)d年节假日安排") % {
            "year": self.unknown_year
        }

    @property
    def left_text(self) -> str:
        return self.problem or caseclock.describe_us(self.left_us, self.day_us)

    @property
    def used_text(self) -> str:
        return _("无法计算") if self.unknown_year is not None else caseclock.describe_us(self.used_us, self.day_us)

    @property
    def level_label(self) -> str:
        return str(caseclock.LEVEL_LABELS.get(self.level, ""))

    @property
    def used_percent(self) -> int:
        if not self.budget_us or self.used_us is None:
            return 0
        return max(0, min(100, round(100 * self.used_us / self.budget_us)))


def clock_view(case: Case, now: dt.datetime | None = None, clock: deadlines.SiteClock | None = None) -> ClockView:
    """The clock at `now`. Once `now` lies in a year nobody has entered, the opening time between it and a deadline
    cannot be counted: left and used are None and `unknown_year` says why (the level still comes from the
    deadline itself)."""
    now = now or timezone.now()
    clock = clock or clock_of(case)
    try:
        left, unknown = caseclock.time_left_us(case, now, clock.calendar), None
    except CalendarUnknown as exc:
        left, unknown = None, exc.year
    return ClockView(
        level=caseclock.level(case, now),
        paused=case.paused_at is not None,
        due_at=case.due_at,
        left_us=left,
        used_us=None if left is None else case.budget_us - left,  # caseclock.time_used_us, without counting twice
        budget_us=case.budget_us,
        day_us=clock.day_us,
        unknown_year=unknown,
    )


def case_detail(user, number: str) -> Case | None:
    """A case the user may see, by number, with what its page needs; None when there is none (or not theirs)."""
    return (
        cases_for(user)
        .select_related("submission__applicant", "submission__site", "department", "assignee", "handoff")
        .filter(number=number)
        .first()
    )


def handoffs_for(user, *, status: str | None = None) -> QuerySet:
    qs = restrict_to_departments(Handoff.objects.all(), user).select_related("department", "site")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "scheduled_for", "id")


# --- alerts (预警提醒) -----------------------------------------------------------------------------------

# What a supervisor sees across departments: the limit broken (red), a special procedure over its own limit, and
# cases the system ended by itself or as withdrawn. Yellow warnings, reminders and overdue corrections are the
# department's to act on.
SUPERVISOR_KINDS = (
    Alert.Kind.CASE_RED,
    Alert.Kind.SPECIAL_OVERDUE,
    Alert.Kind.TERMINATED,
    Alert.Kind.WITHDRAWN,
)
ALERT_PAGE_SIZE = 50
UNREAD_CAP = 100  # the header counts up to this many ("99+" past it)


def _alert_audience(user) -> Q | None:
    """Which alerts are the user's own: an officer's or lead's department (every kind), a supervisor's kinds in
    every department; None when the user gets no alerts (other staff, hall admins, auditors)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    parts = []
    ids = visible_department_ids(user)
    if ids:  # a back-office officer or lead: organisation.access scopes them to their department(s)
        parts.append(Q(department_id__in=ids))
    elif ids is None and user.department_id and user.has_role(Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD):
        parts.append(Q(department_id=user.department_id))  # sees all departments' cases, but is also an officer
    if user.has_role(Role.SUPERVISOR):
        parts.append(Q(kind__in=SUPERVISOR_KINDS))
    if not parts:
        return None
    audience = parts[0]
    for part in parts[1:]:
        audience |= part
    return audience


def sees_alerts(user) -> bool:
    return _alert_audience(user) is not None


def alerts_for(user, *, unread_only: bool = False) -> QuerySet:
    """The user's own alerts, newest first, with `read_at` (the user's own reading, or None) annotated."""
    audience = _alert_audience(user)
    if audience is None:
        return Alert.objects.none()
    mine = AlertRead.objects.filter(alert=OuterRef("pk"), user=user)
    qs = Alert.objects.filter(audience).annotate(read_at=Subquery(mine.values("read_at")[:1]))
    if unread_only:
        qs = qs.filter(~Exists(mine))
    return qs.order_by("-created_at", "-id")


def unread_count(user, cap: int = UNREAD_CAP) -> int:
    """How many of the user's alerts they have not read, counted up to `cap`."""
    if _alert_audience(user) is None:
        return 0
    return alerts_for(user, unread_only=True).order_by()[:cap].count()


def alert_for(user, pk) -> Alert | None:
    """One of the user's own alerts by id; None for a missing one and for anyone else's alike."""
    if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk < 2**63:
        return None
    return alerts_for(user).select_related("case", "department").filter(pk=pk).first()


def open_correction_dues(case_ids) -> dict[int, dt.date]:
    """The due dates of the still-open corrections of these cases (补正中): {case id: due}."""
    return dict(
        Correction.objects.filter(
            case_id__in=list(case_ids), received_at__isnull=True, case__status=CaseStatus.CORRECTION
        ).values_list("case_id", "due")
    )


def correction_overdue(correction: Correction | None, case: Case, today: dt.date | None = None) -> bool:
    """补正逾期: the correction is still open and its due date has passed (the due day itself is still in time)."""
    today = today or timezone.localdate()
    return bool(
        correction is not None
        and correction.received_at is None
        and case.status == CaseStatus.CORRECTION
        and correction.due < today
    )
