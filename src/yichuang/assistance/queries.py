"""Reads of assisted service shared by the helper's pages, the person's link and the performance page."""

from django.urls import reverse

from yichuang.core.links import absolute
from yichuang.intake.models import Case, Submission
from yichuang.organisation.roles import Role, acts_as

from .models import Assistance


def visible_to(user):
    """A helper sees the assistances assigned to them; hall admins and supervisors see all."""
    rows = Assistance.objects.select_related("helper").order_by("status", "-created_at")
    if acts_as(user, Role.HALL_ADMIN, Role.SUPERVISOR):
        return rows
    return rows.filter(helper_id=getattr(user, "pk", None))


def person_url(assistance: Assistance) -> str:
    return absolute(reverse("assistance:person", args=[assistance.token]))


def progress(assistance: Assistance) -> list[dict]:
    """Every submission made for the assistance, with its cases (matter, department, status, due time, level)."""
    submissions = list(
        Submission.objects.filter(assistance=assistance)
        .order_by("accepted_at", "id")
        .prefetch_related("cases__matter", "cases__department")
    )
    return [{"submission": s, "cases": sorted(s.cases.all(), key=lambda c: c.seq)} for s in submissions]


def open_cases(assistance: Assistance) -> int:
    return Case.objects.filter(submission__assistance=assistance, concluded_at__isnull=True).count()
