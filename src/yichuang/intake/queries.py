"""Reads of intake shared by the desk pages, the API and (later) the back office."""

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from yichuang.catalogue.models import Bundle, Matter
from yichuang.organisation.access import restrict_to_departments, visible_department_ids
from yichuang.organisation.models import Zone
from yichuang.organisation.roles import Role, acts_as

from .models import Case, Submission, TimelineEvent

# Who works with submissions at the front: they see every submission of the hall (masked personal data).
FRONT_ROLES = (Role.WINDOW_CLERK, Role.OUTPUT_CLERK, Role.HALL_ADMIN, Role.SUPERVISOR, Role.AUDITOR)


def inbox(user) -> QuerySet:
    """The cases waiting in the departments' inboxes that the user may see (organisation.access decides)."""
    cases = Case.objects.filter(status=Case.Status.ACCEPTED).select_related(
        "submission", "matter", "department", "handoff"
    )
    return restrict_to_departments(cases, user).order_by("due_at", "number")


def submission_detail(number: str) -> Submission:
    """A submission with everything its pages show; raises Submission.DoesNotExist."""
    return (
        Submission.objects.select_related("applicant", "site", "window__zone", "bundle", "ticket", "accepted_by")
        .prefetch_related(
            "materials",
            Prefetch("cases", queryset=Case.objects.select_related("department", "matter", "handoff").order_by("seq")),
            Prefetch("timeline", queryset=TimelineEvent.objects.select_related("actor", "window", "case")),
            "attachments",
        )
        .get(number=number)
    )


def ensure_can_view(user, submission: Submission) -> None:
    """Front staff see every submission; a back-office officer only those with a case of their department."""
    if not user.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    if acts_as(user, *FRONT_ROLES):
        return
    ids = visible_department_ids(user)
    if ids is None or (ids and submission.cases.filter(department_id__in=ids).exists()):
        return
    raise Http404(_("没有这个受理编号。"))  # as for a number that does not exist: nothing tells it exists


def zone_offer(zone: Zone) -> tuple[list[Matter], list[Bundle]]:
    """What a zone's intake windows offer: its matters (not cancelled; a suspended or specialized-only matter is
    shown, and refused with its reason when chosen) and its bundles in use."""
    matters = list(
        Matter.objects.filter(zones=zone)
        .exclude(status=Matter.Status.CANCELLED)
        .select_related("department")
        .order_by("code")
    )
    bundles = list(Bundle.objects.filter(zone=zone, status=Matter.Status.IN_USE).order_by("code"))
    return matters, bundles
