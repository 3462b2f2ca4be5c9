"""绩效考核: the hall's figures for a period, per staff member, window, zone or department.

A period is `[start, end)` of local dates (Asia/Shanghai): from 00:00 of `start` to 00:00 of `end`. Each source
is one aggregate query (GROUP BY the chosen dimension) over the rows of the period; rows of the result are
merged by key (a few hundred groups at most), never the source rows in Python.

Figures and where they come from:

* **tickets served** — `queue.Ticket` with status finished and `finished_at` in the period; **average handling
  time** over those with `served_at` (served_at → finished_at); **average waiting time** over those with
  `first_called_at` (issued_at → first_called_at: the person's whole wait until the first call, transfers
  included). Staff = who called it (`called_by`), window, zone = the ticket's; department = the department of
  the staff member who served it.
* **submissions taken in** — `intake.Submission` accepted in the period (`accepted_at`), by `accepted_by`, its
  window, the window's zone; per department: the submissions with at least one case of that department.
  Of those, **assisted** (帮办代办件数): the ones made for an assisted service — per staff member the helper's,
  who alone takes them in as agent (`accepted_by` = `assisted_by`), otherwise like the submissions.
* **cases concluded** (approved, rejected or terminated, `concluded_at` in the period) **within the limit**
  (`concluded_at ≤ due_at`) and **past it**; staff = the case's assignee, department = the case's, window and
  zone = where it was accepted. Within-limit rate = within / concluded.
* **ratings** — `feedback.Evaluation` with `created_at` in the period, by the staff, window, zone and department
  fixed at rating time: count, average level, **satisfaction rate = share of ratings at level 4 (满意) or 5
  (非常满意) among all ratings** of the row, and **bad ratings** (level 1–2).

A department lead sees only their department's work: tickets served by its staff, submissions with a case of
it, its cases and the ratings of it — grouped by the chosen dimension as for everyone else.
"""

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yichuang.organisation.roles import Role, acts_as, in_own_department

DIMENSIONS = {
    "staff": gettext_lazy("人员"),
    "window": gettext_lazy("窗口"),
    "zone": gettext_lazy("服务区"),
    "department": gettext_lazy("部门"),
}
MAX_DAYS = 366 * 3  # a longer period is refused (422): three years at most
CONCLUDED = ("approved", "rejected", "terminated")
# Roles that see every department's performance; department leads see their own department's.
ALL_ROLES = (Role.SUPERVISOR, Role.HALL_ADMIN)

# The path from each source to each dimension.
_TICKET_KEYS = {"staff": "called_by", "window": "window", "zone": "zone", "department": "called_by__department"}
_SUBMISSION_KEYS = {"staff": "accepted_by", "window": "window", "zone": "window__zone"}
_CASE_KEYS = {
    "staff": "assignee",
    "window": "window",
    "zone": "window__zone",
    "department": "department",
}
_RATING_KEYS = {"staff": "staff", "window": "window", "zone": "zone", "department": "department"}


# --- who may see what ---------------------------------------------------------------------------------


def scope(user) -> set[int] | None:
    """The departments whose rows the user sees: None = all (supervisors, hall admins); a lead's own department;
    an empty set = no access."""
    if not user.is_authenticated:
        return set()
    if acts_as(user, *ALL_ROLES):
        return None
    if in_own_department(user, Role.DEPARTMENT_LEAD):
        return {user.department_id}
    return set()


def may_see(user) -> bool:
    return scope(user) != set()


# --- the period ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # exclusive

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        tz = timezone.get_default_timezone()
        return (
            dt.datetime.combine(self.start, dt.time(), tzinfo=tz),
            dt.datetime.combine(self.end, dt.time(), tzinfo=tz),
        )

    def query(self) -> str:
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"


def month_of(day: dt.date) -> Period:
    last = calendar.monthrange(day.year, day.month)[1]
    return Period(day.replace(day=1), day.replace(day=last) + dt.timedelta(days=1))


def presets(today: dt.date | None = None) -> dict[str, Period]:
    today = today or timezone.localdate()
    this_month = month_of(today)
    return {
        "this_month": this_month,
        "last_month": month_of(this_month.start - dt.timedelta(days=1)),
        "this_year": Period(dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)),
    }


def parse_period(start: str | None, end: str | None, today: dt.date | None = None) -> Period:
    """`from` and `to` as YYYY-MM-DD, `to` exclusive; both empty = this month. ValidationError otherwise."""
    if not start and not end:
        return presets(today)["this_month"]
    errors = {}
    dates = {}
    for name, value in (("from", start), ("to", end)):
        try:
            dates[name] = dt.date.fromisoformat((value or "").strip())
        except ValueError:
            errors[name] = _("请填写日期（YYYY-MM-DD）。")
    if errors:
        raise ValidationError(errors)
    if dates["to"] <= dates["from"]:
        raise ValidationError({"to": _("截止日期须晚于起始日期（统计区间不含截止日）。")})
    if (dates["to"] - dates["from"]).days > MAX_DAYS:
        raise ValidationError({"to": _("统计区间最长三年。")})
    return Period(dates["from"], dates["to"])


# --- the figures --------------------------------------------------------------------------------------


@dataclass
class Row:
    key: int | None
    name: str = ""
    note: str = ""  # the staff member's department, the window's zone, the zone's site
    tickets: int = 0
    handled: int = 0  # tickets with a start of service
    handling_us: int = 0
    waited: int = 0  # tickets with a first call
    waiting_us: int = 0
    submissions: int = 0
    within: int = 0
    past: int = 0
    ratings: int = 0
    level_sum: int = 0
    satisfied: int = 0
    bad: int = 0
    assisted: int = 0  # submissions made for an assisted service (帮办代办): by the helper, at the window, …
    extra: dict = field(default_factory=dict)

    @property
    def handling_minutes(self) -> float | None:
        return self.handling_us / self.handled / 60e6 if self.handled else None

    @property
    def waiting_minutes(self) -> float | None:
        return self.waiting_us / self.waited / 60e6 if self.waited else None

    @property
    def concluded(self) -> int:
        return self.within + self.past

    @property
    def within_rate(self) -> float | None:
        """Share of concluded cases concluded within the limit, 0–100."""
        return 100 * self.within / self.concluded if self.concluded else None

    @property
    def level_avg(self) -> float | None:
        return self.level_sum / self.ratings if self.ratings else None

    @property
    def satisfaction_rate(self) -> float | None:
        """Share of ratings at level 4 or 5 among all ratings of the row, 0–100."""
        return 100 * self.satisfied / self.ratings if self.ratings else None

    def add(self, other: "Row") -> None:
        for name in (
            "tickets", "handled", "handling_us", "waited", "waiting_us", "submissions", "within", "past", "ratings",
            "level_sum", "satisfied", "bad", "assisted",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))


# Sortable columns: the query value `sort=<name>` (or `-<name>` for descending) and the row attribute.
COLUMNS = {
    "name": "name",
    "tickets": "tickets",
    "handling": "handling_minutes",
    "waiting": "waiting_minutes",
    "submissions": "submissions",
    "within": "within",
    "past": "past",
    "within_rate": "within_rate",
    "ratings": "ratings",
    "level": "level_avg",
    "satisfaction": "satisfaction_rate",
    "bad": "bad",
    "assisted": "assisted",
}
DEFAULT_SORT = "-tickets"


@dataclass
class Report:
    period: Period
    by: str
    rows: list[Row]
    total: Row
    sort: str


def _us(value) -> int:
    """A summed duration from the database (timedelta, or microseconds on some backends) in microseconds."""
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    return int(value)


def _duration(later: str, earlier: str):
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


def _figures(period: Period, by: str, departments: set[int] | None) -> dict:
    """{key: Row} with every figure: four GROUP BY queries, one per source."""
    from yichuang.feedback.models import Evaluation
    from yichuang.intake.models import Case, Submission
    from yichuang.queue.models import Ticket

    start, end = period.bounds()
    rows: dict = {}

    def row(key) -> Row:
        if key not in rows:
            rows[key] = Row(key=key)
        return rows[key]

    tickets = Ticket.objects.filter(status=Ticket.Status.FINISHED, finished_at__gte=start, finished_at__lt=end)
    if departments is not None:
        tickets = tickets.filter(called_by__department__in=departments)
    key = _TICKET_KEYS[by]
    for r in (
        tickets.order_by()
        .values(key)
        .annotate(
            n=Count("id"),
            handled=Count("served_at"),
            handling=Sum(_duration("finished_at", "served_at")),
            waited=Count("first_called_at"),
            waiting=Sum(_duration("first_called_at", "issued_at")),
        )
    ):
        target = row(r[key])
        target.tickets, target.handled, target.waited = r["n"], r["handled"], r["waited"]
        target.handling_us, target.waiting_us = _us(r["handling"]), _us(r["waiting"])

    if by == "department":
        # A case's accepted_at is its submission's, and only accepted submissions have cases: the cases alone
        # answer it (index-only on intake's case_accepted_idx).
        cases_in = Case.objects.filter(accepted_at__gte=start, accepted_at__lt=end)
        if departments is not None:
            cases_in = cases_in.filter(department__in=departments)
        taken = cases_in.order_by().values("department").annotate(
            n=Count("submission", distinct=True),
            assisted=Count("submission", distinct=True, filter=Q(submission__assistance__isnull=False)),
        )
        for r in taken:
            row(r["department"]).submissions, row(r["department"]).assisted = r["n"], r["assisted"]
    else:
        submissions = Submission.objects.filter(
            status=Submission.Status.ACCEPTED, accepted_at__gte=start, accepted_at__lt=end
        )
        if departments is not None:
            submissions = submissions.filter(
                Exists(Case.objects.filter(submission=OuterRef("pk"), department__in=departments))
            )
        key = _SUBMISSION_KEYS[by]
        # Only its helper takes in a submission for an assistance (assistance.services.check_submission): per staff
        # member accepted_by is the helper, so one aggregate counts both.
        counted = submissions.order_by().values(key).annotate(
            n=Count("id"), assisted=Count("id", filter=Q(assistance__isnull=False))
        )
        for r in counted:
            row(r[key]).submissions, row(r[key]).assisted = r["n"], r["assisted"]

    cases = Case.objects.filter(status__in=CONCLUDED, concluded_at__gte=start, concluded_at__lt=end)
    if departments is not None:
        cases = cases.filter(department__in=departments)
    key = _CASE_KEYS[by]
    for r in (
        cases.order_by()
        .values(key)
        .annotate(
            within=Count("id", filter=Q(concluded_at__lte=F("due_at"))),
            past=Count("id", filter=Q(concluded_at__gt=F("due_at"))),
        )
    ):
        target = row(r[key])
        target.within, target.past = r["within"], r["past"]

    ratings = Evaluation.objects.filter(created_at__gte=start, created_at__lt=end)
    if departments is not None:
        ratings = ratings.filter(department__in=departments)
    key = _RATING_KEYS[by]
    for r in (
        ratings.order_by()
        .values(key)
        .annotate(
            n=Count("id"),
            level_sum=Sum("level"),
            satisfied=Count("id", filter=Q(level__gte=4)),
            bad=Count("id", filter=Q(level__lte=2)),
        )
    ):
        target = row(r[key])
        target.ratings, target.level_sum = r["n"], r["level_sum"] or 0
        target.satisfied, target.bad = r["satisfied"], r["bad"]
    return rows


def _name(rows: dict, by: str, departments: set[int] | None) -> None:
    """Names (and a note) of the rows' keys: one query for the dimension's objects."""
    from yichuang.organisation.models import Department, User, Window, Zone

    keys = [k for k in rows if k is not None]
    if by == "staff":
        for u in User.objects.filter(pk__in=keys).select_related("department"):
            rows[u.pk].name, rows[u.pk].note = str(u), u.department.name if u.department_id else ""
    elif by == "window":
        for w in Window.objects.filter(pk__in=keys).select_related("zone"):
            rows[w.pk].name, rows[w.pk].note = str(w), w.zone.name
    elif by == "zone":
        for z in Zone.objects.filter(pk__in=keys).select_related("site"):
            rows[z.pk].name, rows[z.pk].note = z.name, z.site.name
    else:
        shown = Department.objects.all() if departments is None else Department.objects.filter(pk__in=departments)
        for d in shown:  # every department of the scope, also one with nothing in the period
            rows.setdefault(d.pk, Row(key=d.pk)).name = d.name
    if None in rows:
        rows[None].name = {
            "staff": _("（未记录人员）"),
            "window": _("（未经窗口，如网上申请）"),
            "zone": _("（未经服务区）"),
            "department": _("（未归属部门）"),
        }[by]


def _sort_key(attribute: str):
    def key(row: Row):
        value = getattr(row, attribute)
        return (value is None, value if value is not None else 0)

    return key


def sort_rows(rows: list[Row], sort: str) -> tuple[list[Row], str]:
    name = sort.lstrip("-") if sort else ""
    if name not in COLUMNS:
        sort, name = DEFAULT_SORT, DEFAULT_SORT.lstrip("-")
    attribute = COLUMNS[name]
    descending = sort.startswith("-")
    present = [r for r in rows if getattr(r, attribute) is not None]
    missing = [r for r in rows if getattr(r, attribute) is None]
    present.sort(key=lambda r: r.name)  # stable tie-break by name
    present.sort(key=lambda r: getattr(r, attribute), reverse=descending)
    missing.sort(key=lambda r: r.name)
    return present + missing, sort  # rows without the figure last, whatever the direction


def report(period: Period, by: str, user=None, *, departments: set[int] | None = None, sort: str = "") -> Report:
    """The table for one dimension. `user` restricts it to what they may see (PermissionDenied-free: callers
    check `may_see` first); without a user, `departments` (None = all) is the scope."""
    if by not in DIMENSIONS:
        raise ValidationError({"by": _("统计维度须为 staff、window、zone 或 department。")})
    if user is not None:
        departments = scope(user)
    rows = _figures(period, by, departments)
    _name(rows, by, departments)
    total = Row(key=None, name=_("合计"))
    for r in rows.values():
        total.add(r)
    ordered, sort = sort_rows(list(rows.values()), sort)
    return Report(period=period, by=by, rows=ordered, total=total, sort=sort)
