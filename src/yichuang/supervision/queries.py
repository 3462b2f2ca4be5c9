"""Reads of supervision that the pages and the API share: the board, the ledger of orders, the tasks.

The board must stay fast on millions of cases: the red and yellow lists are `backoffice.queries.red_cases` /
`yellow_cases` cut to their first page (`BOARD_SIZE`), and the counts per department are counted apart for
running cases (partial indexes `case_running_due_idx`, `case_running_warn_idx` on `due_at` / `warn_at`) and for
the few stopped ones (correction, special procedure: `case_worklist_idx`), never by loading rows.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from yichuang.backoffice import queries as backoffice
from yichuang.backoffice.models import SpecialProcedure
from yichuang.clock import caseclock
from yichuang.intake.models import PAUSED_STATUSES, RUNNING_STATUSES, Case
from yichuang.organisation.access import restrict_to_departments, sees_all_departments
from yichuang.organisation.models import Department

from .models import Order, SupervisionTask

BOARD_SIZE = 50
PAGE_SIZE = 50


def may_see_board(user) -> bool:
    """The board spans every department: supervisors, hall admins and auditors."""
    return sees_all_departments(user)


@dataclass
class DepartmentCount:
    department_id: int
    name: str
    red: int = 0
    yellow: int = 0


@dataclass
class Board:
    now: dt.datetime
    red: list
    red_total: int
    yellow: list
    yellow_total: int
    departments: list[DepartmentCount]
    overdue_specials: list = field(default_factory=list)
    overdue_orders: list = field(default_factory=list)
    overdue_tasks: list = field(default_factory=list)
    overdue_rectifications: list = field(default_factory=list)  # 差评整改 past its working-day limit
    open_rectifications: int = 0
    overdue_escalations: list = field(default_factory=list)  # 咨询转办 unanswered past its reply deadline


def department_counts(user=None, *, now: dt.datetime) -> list[DepartmentCount]:
    """Red and yellow cases per department, in two aggregates: running cases from the partial index on `warn_at`
    (a running case is red or yellow only once `warn_at` <= now, and `warn_at` <= `due_at` always), the few
    stopped ones by their time left."""
    base = Case.objects.all() if user is None else restrict_to_departments(Case.objects.all(), user)
    running = (
        base.filter(status__in=RUNNING_STATUSES, warn_at__lte=now)
        .order_by()
        .values("department_id")
        .annotate(red=Count("pk", filter=Q(due_at__lt=now)), yellow=Count("pk", filter=Q(due_at__gte=now)))
    )
    paused = (
        base.filter(status__in=PAUSED_STATUSES, left_us__lte=F("warn_us"))
        .order_by()
        .values("department_id")
        .annotate(red=Count("pk", filter=Q(left_us__lte=0)), yellow=Count("pk", filter=Q(left_us__gt=0)))
    )
    rows: dict[int, DepartmentCount] = {}
    for row in [*running, *paused]:
        count = rows.setdefault(row["department_id"], DepartmentCount(row["department_id"], ""))
        count.red += row["red"]
        count.yellow += row["yellow"]
    for pk, name in Department.objects.filter(pk__in=list(rows)).values_list("pk", "name"):
        rows[pk].name = name
    return sorted((r for r in rows.values() if r.red or r.yellow), key=lambda r: (-r.red, -r.yellow, r.name))


def _first(user, parts: tuple[Q, Q], now: dt.datetime, size: int) -> list[Case]:
    """The first `size` cases of one level in `backoffice.queries` order (due_at, id): running and stopped cases
    fetched apart (each an index range cut at `size`) and merged, instead of one OR over the table."""
    base = Case.objects.all() if user is None else backoffice.cases_for(user)
    ids = []
    for q in parts:
        # The page's ids first, read off the partial indexes alone; only those rows are then joined (a join
        # before the LIMIT would fetch every stopped case of the level with its submission and applicant).
        ids += list(base.filter(q).order_by("due_at", "id").values_list("id", flat=True)[:size])
    rows = (
        Case.objects.filter(id__in=ids)
        .annotate(level=caseclock.level_expression(now))
        .select_related("department", "submission__applicant", "assignee")
    )
    return sorted(rows, key=lambda c: (c.due_at, c.id))[:size]


def red_first(user=None, *, now: dt.datetime, size: int = BOARD_SIZE) -> list[Case]:
    """The same rows as `backoffice.queries.red_cases(user, now=now)[:size]`."""
    return _first(user, caseclock.red_parts(now), now, size)


def yellow_first(user=None, *, now: dt.datetime, size: int = BOARD_SIZE) -> list[Case]:
    """The same rows as `backoffice.queries.yellow_cases(user, now=now)[:size]`."""
    return _first(user, caseclock.yellow_parts(now), now, size)


def overdue_specials(user=None, *, now: dt.datetime, limit: int = BOARD_SIZE) -> list[SpecialProcedure]:
    """Running special procedures past their own limit (partial index `special_running_due`)."""
    qs = SpecialProcedure.objects.filter(ended_at__isnull=True, due_at__lt=now)
    if user is not None:
        qs = restrict_to_departments(qs, user, field="case__department")
    return list(qs.select_related("case__department").order_by("due_at", "id")[:limit])


def overdue_orders(user=None, *, now: dt.datetime, limit: int = BOARD_SIZE) -> list[Order]:
    """Orders still waiting for the department's reply after their reply deadline."""
    qs = Order.objects.filter(status=Order.Status.OPEN, reply_due__lt=now)
    if user is not None:
        qs = restrict_to_departments(qs, user)
    return list(
        qs.select_related("department", "case", "task", "escalation__consultation").order_by("reply_due", "id")[:limit]
    )


def overdue_tasks(*, now: dt.datetime) -> list[SupervisionTask]:
    """Tasks not done (nor continuing, 持续推进) after their completion date."""
    today = timezone.localtime(now).date()
    return list(
        SupervisionTask.objects.filter(status=SupervisionTask.Status.PENDING, due_date__lt=today)
        .select_related("department")
        .order_by("due_date", "code")
    )


def overdue_rectifications(*, now: dt.datetime, limit: int = BOARD_SIZE) -> list:
    """Bad ratings' rectifications still open after their limit (feedback.queries), the most overdue first."""
    from yichuang.feedback import queries as feedback

    return list(feedback.overdue_rectifications(now)[:limit])


def board(user, *, now: dt.datetime | None = None, size: int = BOARD_SIZE) -> Board:
    """Everything the supervisor's board shows, without anyone searching: red first, then yellow."""
    now = now or timezone.now()
    departments = department_counts(user, now=now)
    return Board(
        now=now,
        red=red_first(user, now=now, size=size),
        red_total=sum(d.red for d in departments),
        yellow=yellow_first(user, now=now, size=size),
        yellow_total=sum(d.yellow for d in departments),
        departments=departments,
        overdue_specials=overdue_specials(user, now=now),
        overdue_orders=overdue_orders(user, now=now),
        overdue_tasks=overdue_tasks(now=now),
        overdue_rectifications=overdue_rectifications(now=now, limit=size),
        open_rectifications=_open_rectifications(),
        overdue_escalations=overdue_escalations(user, now=now, limit=size),
    )


def overdue_escalations(user=None, *, now: dt.datetime, limit: int = BOARD_SIZE) -> list:
    """Consultations escalated to a department and still unanswered after their reply deadline (consultation.queries),
    the most overdue first."""
    from yichuang.consultation import queries as consultation

    return consultation.overdue_escalations(user, now=now, limit=limit)


def open_escalation(number: str):
    """An escalation by its consultation's number (ZX-…) for the issue form."""
    from yichuang.consultation import queries as consultation

    return consultation.open_escalation(number)


def _open_rectifications() -> int:
    from yichuang.feedback import queries as feedback

    return feedback.open_rectifications().count()


# --- the ledger ----------------------------------------------------------------------------------------


def orders_for(
    user, *, status: str | None = None, level: str | None = None, department_id: int | None = None
) -> QuerySet:
    """The orders the user may see (their department's; all for supervisors, hall admins, auditors)."""
    qs = restrict_to_departments(Order.objects.all(), user)
    if status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    return qs.select_related("department", "case", "task", "issued_by").order_by("-issued_at", "-id")


def order_detail(user, number: str) -> Order | None:
    """An order the user may see, with its department and subject; None when there is none (or not theirs)."""
    return (
        restrict_to_departments(Order.objects.all(), user)
        .select_related("department", "case__department", "task", "escalation__consultation", "issued_by")
        .filter(number=number)
        .first()
    )


def events_of(order: Order) -> QuerySet:
    return order.events.select_related("actor").order_by("at", "id")


def tasks() -> QuerySet:
    return SupervisionTask.objects.select_related("department").order_by("code")


def open_case(number: str) -> Case | None:
    """A case by number for the issue form (supervisors see every department)."""
    return Case.objects.select_related("department").filter(number=number).first()
