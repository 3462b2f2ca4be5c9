"""Reads of feedback shared by pages, the API and the supervision board."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from yichuang.intake.models import CONCLUDED_STATUSES, Case
from yichuang.organisation.access import sees_all_departments
from yichuang.organisation.models import Window
from yichuang.organisation.roles import Role, has_any_role, in_own_department
from yichuang.queue.models import Ticket

from .models import Appeal, Channel, Evaluation, Rectification

# NULL (a due time waiting for the calendar) sorts last on both databases (SQLite would put it first).
DUE_ORDER = F("due_at").asc(nulls_last=True)
PAD_RECENT = dt.timedelta(minutes=15)  # what the pad offers: a service finished within the last 15 minutes


def _rectifications() -> QuerySet:
    return Rectification.objects.select_related(
        "evaluation__case",
        "evaluation__ticket",
        "evaluation__window",
        "evaluation__staff",
        "department",
        "assignee",
        "follow_up_by",
        "resolved_by",
    ).prefetch_related(
        Prefetch("evaluation__appeals", queryset=Appeal.objects.select_related("appealed_by", "reviewed_by"))
    )


def open_rectifications() -> QuerySet:
    """Rectifications not yet fixed or explained, the earliest due first (those whose due time waits for the
    calendar last)."""
    return _rectifications().filter(status=Rectification.Status.OPEN).order_by(DUE_ORDER, "id")


def overdue_rectifications(now: dt.datetime | None = None) -> QuerySet:
    """Open rectifications whose working-day limit has passed (red on the supervision board); one whose due time
    waits for the calendar is not overdue."""
    return open_rectifications().filter(due_at__lt=now or timezone.now())


def rectifications_for(user, *, status: str | None = None) -> QuerySet:
    """What the user sees on /feedback/rectifications/: supervisors, hall admins and auditors every one;
    officers and leads their department's; anyone their own (the person responsible)."""
    qs = _rectifications().order_by("status", DUE_ORDER, "id")
    if status:
        qs = qs.filter(status=status)
    if sees_all_departments(user):
        return qs
    mine = Q(assignee=user) | Q(evaluation__staff=user)
    if in_own_department(user, Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD):
        mine |= Q(department_id=user.department_id) | Q(evaluation__department_id=user.department_id)
    return qs.filter(mine)


def pending_due_years() -> list[tuple[int, int]]:
    """[(year, open rectifications whose due time waits for that year's holidays)], for the supervision board."""
    rows = (
        Rectification.objects.filter(status=Rectification.Status.OPEN, due_at__isnull=True)
        .values_list("due_pending_year")
        .annotate(n=Count("id"))
        .order_by("due_pending_year")
    )
    return [(year, n) for year, n in rows]


def may_see_rectifications(user) -> bool:
    return has_any_role(user)


@dataclass
class PadService:
    """What the pad offers to rate now: a handover's cases (output window) or a visit (the ticket)."""

    key: str = ""  # "h<id>" / "t<id>" / "" (idle)
    cases: list = field(default_factory=list)
    ticket: Ticket | None = None
    handover: object = None
    finished_at: dt.datetime | None = None

    @property
    def idle(self) -> bool:
        return not self.key


def _latest_handover(window: Window, since: dt.datetime):
    try:
        from yichuang.output.models import Handover
    except ImportError:  # pragma: no cover - the output app is part of the project
        return None
    return (
        Handover.objects.filter(window=window, handed_at__gte=since)
        .prefetch_related("items__case")
        .order_by("-handed_at", "-id")
        .first()
    )


def pad_service(window: Window, now: dt.datetime | None = None) -> PadService:
    """The service just finished at `window` and not yet rated on its pad: the latest handover within the last
    15 minutes at an output window (its cases), else the latest ticket finished there in that time (the visit)."""
    now = now or timezone.now()
    since = now - PAD_RECENT
    if window.kind == Window.Kind.OUTPUT:
        handover = _latest_handover(window, since)
        if handover is not None:
            cases = [item.case for item in handover.items.all()]
            rated = set(
                Evaluation.objects.filter(case__in=cases, channel=Channel.PAD).values_list("case_id", flat=True)
            )
            todo = [c for c in cases if c.pk not in rated]
            if todo:
                return PadService(key=f"h{handover.pk}", cases=todo, handover=handover, finished_at=handover.handed_at)
            return PadService()
    ticket = (
        Ticket.objects.filter(window=window, status=Ticket.Status.FINISHED, finished_at__gte=since)
        .order_by("-finished_at", "-id")
        .first()
    )
    if ticket is None:
        return PadService()
    if Evaluation.objects.filter(ticket=ticket, case__isnull=True, channel=Channel.PAD).exists():
        return PadService()
    return PadService(key=f"t{ticket.pk}", ticket=ticket, finished_at=ticket.finished_at)


def ratable_cases(submission) -> list[tuple[Case, Evaluation | None]]:
    """The concluded cases of a submission with their portal rating (None: not yet rated there)."""
    cases = list(submission.cases.filter(status__in=CONCLUDED_STATUSES).order_by("seq"))
    rated = {e.case_id: e for e in Evaluation.objects.filter(case__in=cases, channel=Channel.PORTAL)}
    return [(c, rated.get(c.pk)) for c in cases]
