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

Long periods read the daily rollup (`performance.models`, built by the worker: `services.roll_up`) for the days
it holds and is current for, and the source rows for the other days (today, days to come, days not rolled up
yet or written to since): the same figures as from the source rows alone, which `report(…, rollup=False)`
computes and a property test compares on both databases.
"""

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.core.exceptions import ValidationError
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yichuang.organisation.roles import Role, acts_as, in_own_department

from .models import Kind

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
_SUBMISSION_OF_DEPARTMENT_KEYS = {
    "staff": "submission__accepted_by",
    "window": "submission__window",
    "zone": "submission__window__zone",
    "department": "department",
}
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
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def count(self, values: dict) -> None:
        """Add counters given by name."""
        for name, value in values.items():
            setattr(self, name, getattr(self, name) + value)


# The counters of a Row: sums and counts only, so that rows of parts (days, sources) add up exactly.
COUNTERS = (
    "tickets", "handled", "handling_us", "waited", "waiting_us", "submissions", "within", "past", "ratings",
    "level_sum", "satisfied", "bad", "assisted",
)  # fmt: skip


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


# --- the sources --------------------------------------------------------------------------------------
#
# The live report and the daily rollup (`performance.services.build`) count each source the same way: the same
# rows, the same aggregates, turned into the same counters of a `Row`.


@dataclass(frozen=True)
class Source:
    rows: Callable[[], QuerySet]  # the rows counted, before the period
    stamp: str  # the moment that puts a row into a period, and into a day
    sums: Callable[[], dict]  # the aggregates of a group
    measures: Callable[[dict], dict]  # the aggregates of a group as counters of a Row
    # The same moment on a joined row, held to the period too: it never changes which rows count (equal by
    # construction), it lets the planner read only the period's rows of the joined table.
    same_moment: str = ""

    def within(self, ranges: list[tuple[dt.datetime, dt.datetime]]) -> QuerySet:
        """The rows stamped within the ranges [start, end)."""
        rows = self.rows().filter(between(self.stamp, ranges))
        return rows.filter(between(self.same_moment, ranges)) if self.same_moment else rows


def _ticket_sums() -> dict:
    return {
        "n": Count("id"),
        "handled": Count("served_at"),
        "handling": Sum(_duration("finished_at", "served_at")),
        "waited": Count("first_called_at"),
        "waiting": Sum(_duration("first_called_at", "issued_at")),
    }


def _ticket_measures(r: dict) -> dict:
    return {
        "tickets": r["n"],
        "handled": r["handled"],
        "handling_us": _us(r["handling"]),
        "waited": r["waited"],
        "waiting_us": _us(r["waiting"]),
    }


def _submission_sums(path: str, *, distinct: bool) -> Callable[[], dict]:
    """Submissions counted through `path` (the submission itself, or a case's submission), once each."""
    prefix = "" if path == "id" else f"{path}__"
    return lambda: {
        "n": Count(path, distinct=distinct),
        "assisted": Count(path, distinct=distinct, filter=Q(**{f"{prefix}assistance__isnull": False})),
    }


def _submission_measures(r: dict) -> dict:
    return {"submissions": r["n"], "assisted": r["assisted"]}


def _case_sums() -> dict:
    return {
        "within": Count("id", filter=Q(concluded_at__lte=F("due_at"))),
        "past": Count("id", filter=Q(concluded_at__gt=F("due_at"))),
    }


def _case_measures(r: dict) -> dict:
    return {"within": r["within"], "past": r["past"]}


def _rating_sums() -> dict:
    return {
        "n": Count("id"),
        "level_sum": Sum("level"),
        "satisfied": Count("id", filter=Q(level__gte=4)),
        "bad": Count("id", filter=Q(level__lte=2)),
    }


def _rating_measures(r: dict) -> dict:
    return {"ratings": r["n"], "level_sum": r["level_sum"] or 0, "satisfied": r["satisfied"], "bad": r["bad"]}


@cache
def sources() -> dict[str, Source]:
    from yichuang.feedback.models import Evaluation
    from yichuang.intake.models import Case, Submission
    from yichuang.queue.models import Ticket

    return {
        "tickets": Source(
            lambda: Ticket.objects.filter(status=Ticket.Status.FINISHED), "finished_at", _ticket_sums, _ticket_measures
        ),
        # Submissions taken in, by who took them in and where.
        "submissions": Source(
            lambda: Submission.objects.filter(status=Submission.Status.ACCEPTED),
            "accepted_at",
            _submission_sums("id", distinct=False),
            _submission_measures,
        ),
        # The submissions with a case of a department, counted once each through their cases: per department,
        # and what a department's lead sees per staff member, window and zone. Only accepted submissions have
        # cases, and a case's accepted_at is its submission's (intake.services.submit): the period's cases come
        # from intake's case_accepted_idx, joined to the period's submissions only.
        "submissions_of_departments": Source(
            lambda: Case.objects.filter(submission__status=Submission.Status.ACCEPTED),
            "accepted_at",
            _submission_sums("submission", distinct=True),
            _submission_measures,
            same_moment="submission__accepted_at",
        ),
        "cases": Source(lambda: Case.objects.filter(status__in=CONCLUDED), "concluded_at", _case_sums, _case_measures),
        "ratings": Source(lambda: Evaluation.objects.all(), "created_at", _rating_sums, _rating_measures),
    }


def between(stamp: str, ranges: list[tuple[dt.datetime, dt.datetime]]) -> Q:
    """The rows whose `stamp` lies in one of the ranges [start, end)."""
    q = Q()
    for start, end in ranges:
        q |= Q(**{f"{stamp}__gte": start, f"{stamp}__lt": end})
    return q


def _row(rows: dict, key) -> Row:
    if key not in rows:
        rows[key] = Row(key=key)
    return rows[key]


def _count(rows: dict, queryset, key: str, source: Source) -> None:
    for r in queryset.order_by().values(key).annotate(**source.sums()):
        _row(rows, r[key]).count(source.measures(r))


def _live(rows: dict, by: str, departments: set[int] | None, ranges: list[tuple[dt.datetime, dt.datetime]]) -> None:
    """Add the figures of the source rows stamped within the ranges: four GROUP BY queries, one per source."""
    src = sources()
    tickets = src["tickets"].within(ranges)
    if departments is not None:
        tickets = tickets.filter(called_by__department__in=departments)
    _count(rows, tickets, _TICKET_KEYS[by], src["tickets"])

    if departments is None and by != "department":
        submissions = src["submissions"].within(ranges)
        # Only its helper takes in a submission for an assistance (assistance.services.check_submission): per staff
        # member accepted_by is the helper, so one aggregate counts both.
        _count(rows, submissions, _SUBMISSION_KEYS[by], src["submissions"])
    else:  # per department, or a department's share: through the cases (a submission once, whatever its cases)
        of_departments = src["submissions_of_departments"]
        taken = of_departments.within(ranges)
        if departments is not None:
            taken = taken.filter(department__in=departments)
        _count(rows, taken, _SUBMISSION_OF_DEPARTMENT_KEYS[by], of_departments)

    cases = src["cases"].within(ranges)
    if departments is not None:
        cases = cases.filter(department__in=departments)
    _count(rows, cases, _CASE_KEYS[by], src["cases"])

    ratings = src["ratings"].within(ranges)
    if departments is not None:
        ratings = ratings.filter(department__in=departments)
    _count(rows, ratings, _RATING_KEYS[by], src["ratings"])


# --- the daily rollup ---------------------------------------------------------------------------------

# Per dimension, per source: the kind of rollup row read by everyone, the kind read by a department's lead, the
# key of the dimension on it, and the path to the department that scopes it (for tickets the staff member's
# department now, as the live report joins it).
_ROLLUP_READS = {
    "staff": [
        (Kind.TICKETS, Kind.TICKETS, "staff", "staff__department"),
        (Kind.SUBMISSIONS, Kind.SUBMISSIONS_OF_DEPARTMENT, "staff", "department"),
        (Kind.CASES_BY_STAFF, Kind.CASES_BY_STAFF, "staff", "department"),
        (Kind.RATINGS_BY_STAFF, Kind.RATINGS_BY_STAFF, "staff", "department"),
    ],
    "window": [
        (Kind.TICKETS, Kind.TICKETS, "window", "staff__department"),
        (Kind.SUBMISSIONS, Kind.SUBMISSIONS_OF_DEPARTMENT, "window", "department"),
        (Kind.CASES_BY_WINDOW, Kind.CASES_BY_WINDOW_OF_DEPARTMENT, "window", "department"),
        (Kind.RATINGS_BY_WINDOW, Kind.RATINGS_BY_WINDOW_OF_DEPARTMENT, "window", "department"),
    ],
    "zone": [  # submissions and cases: the zone their window is in now, as the live report joins it
        (Kind.TICKETS, Kind.TICKETS, "zone", "staff__department"),
        (Kind.SUBMISSIONS, Kind.SUBMISSIONS_OF_DEPARTMENT, "window__zone", "department"),
        (Kind.CASES_BY_WINDOW, Kind.CASES_BY_WINDOW_OF_DEPARTMENT, "window__zone", "department"),
        (Kind.RATINGS_BY_WINDOW, Kind.RATINGS_BY_WINDOW_OF_DEPARTMENT, "zone", "department"),
    ],
    "department": [
        (Kind.TICKETS, Kind.TICKETS, "staff__department", "staff__department"),
        (Kind.SUBMISSIONS_PER_DEPARTMENT, Kind.SUBMISSIONS_PER_DEPARTMENT, "department", "department"),
        (Kind.CASES_BY_STAFF, Kind.CASES_BY_STAFF, "department", "department"),
        (Kind.RATINGS_BY_STAFF, Kind.RATINGS_BY_STAFF, "department", "department"),
    ],
}


def _rolled(rows: dict, by: str, departments: set[int] | None, days: list[tuple[dt.date, dt.date]]) -> None:
    """Add the figures of the days in `days` (ranges [start, end) of current days) from the rollup: one GROUP BY
    query per source over a few dozen rows a day."""
    from .models import MEASURES, DayFigures

    when = Q()
    for start, end in days:
        when |= Q(day__gte=start, day__lt=end)
    for kind, lead_kind, key, scope_path in _ROLLUP_READS[by]:
        figures = DayFigures.objects.filter(when, kind=kind if departments is None else lead_kind)
        if departments is not None:
            figures = figures.filter(**{f"{scope_path}__in": departments})
        names = MEASURES[kind]
        for r in figures.order_by().values(key).annotate(**{f"sum_{n}": Sum(n) for n in names}):
            _row(rows, r[key]).count({n: r[f"sum_{n}"] or 0 for n in names})


def _split(period: Period) -> tuple[list, list]:
    """(rolled, live): the period's days as ranges [start, end) of dates — those whose rollup is current, and the
    others (today, days to come, days not built yet or changed since)."""
    from .models import RollupDay

    current = set(
        RollupDay.objects.filter(day__gte=period.start, day__lt=period.end, built=F("changes"))
        .order_by()
        .values_list("day", flat=True)
    )
    rolled: list[tuple[dt.date, dt.date]] = []
    live: list[tuple[dt.date, dt.date]] = []
    day = period.start
    while day < period.end:
        ranges = rolled if day in current else live
        following = day + dt.timedelta(days=1)
        if ranges and ranges[-1][1] == day:
            ranges[-1] = (ranges[-1][0], following)
        else:
            ranges.append((day, following))
        day = following
    return rolled, live


def _figures(period: Period, by: str, departments: set[int] | None, *, rollup: bool = True) -> dict:
    """{key: Row} with every figure: the rollup's current days plus the source rows of the other days. The result
    is the same as from the source rows alone (`rollup=False`): the rollup holds sums and counts per day and
    group, a period is the sum of its days, and a day whose rows changed after it was built is read live.

    Submissions with a case of one of several departments are not the sum of each department's: a scope of more
    than one department (no role has one) is computed live."""
    rows: dict = {}
    if rollup and (departments is None or len(departments) <= 1):
        rolled, live = _split(period)
    else:
        rolled, live = [], [(period.start, period.end)]
    if rolled:
        _rolled(rows, by, departments, rolled)
    if live:
        _live(rows, by, departments, [Period(start, end).bounds() for start, end in live])
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


def report(
    period: Period, by: str, user=None, *, departments: set[int] | None = None, sort: str = "", rollup: bool = True
) -> Report:
    """The table for one dimension. `user` restricts it to what they may see (PermissionDenied-free: callers
    check `may_see` first); without a user, `departments` (None = all) is the scope. `rollup=False` computes
    every day from the source rows (the same result, slower for long periods)."""
    if by not in DIMENSIONS:
        raise ValidationError({"by": _("统计维度须为 staff、window、zone 或 department。")})
    if user is not None:
        departments = scope(user)
    rows = _figures(period, by, departments, rollup=rollup)
    _name(rows, by, departments)
    total = Row(key=None, name=_("合计"))
    for r in rows.values():
        total.add(r)
    ordered, sort = sort_rows(list(rows.values()), sort)
    return Report(period=period, by=by, rows=ordered, total=total, sort=sort)
