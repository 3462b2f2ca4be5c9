"""Reads of e-licences shared by the pages, the API and intake."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from yichuang.organisation.access import restrict_to_departments
from yichuang.organisation.roles import Role, acts_as

from .models import ALPHABET, CODE_LENGTH, Licence


@dataclass(frozen=True)
class Verified:
    """What the public verification page shows: the licence's facts, never its holder."""

    type_name: str
    number: str
    issuer_name: str
    issued_on: dt.date
    valid_until: dt.date | None
    state: str  # valid / expired / revoked / not_yet / unpaid
    revoked_at: dt.datetime | None


def normalise_code(text: str) -> str:
    text = (text or "").strip().upper()
    return text if len(text) == CODE_LENGTH and set(text) <= set(ALPHABET) else ""


def state_on(licence: Licence, day: dt.date) -> str:
    if licence.status == Licence.Status.REVOKED:
        return "revoked"
    if licence.case_id is not None and _owes(licence.case_id):
        return "unpaid"  # issued with the approval, in force once its fee is paid (the result is held till then)
    if day < licence.issued_on:
        return "not_yet"
    if licence.valid_until is not None and day > licence.valid_until:
        return "expired"
    return "valid"


def _owes(case_id: int) -> bool:
    from yichuang.fees import queries as fee_queries

    return bool(fee_queries.owing([case_id]))


def verify(number: str, code: str, *, today: dt.date | None = None) -> Verified | None:
    """The licence with this number and verification code, or None — the same None for an unknown number and a
    wrong code, so the page tells nobody which numbers exist."""
    number, code = (number or "").strip()[:64], normalise_code(code)
    if not number or not code or "\x00" in number:  # a NUL is no licence number (and no PostgreSQL text)
        return None
    licence = Licence.objects.select_related("type").filter(number=number, verify_code=code).first()
    if licence is None:
        return None
    today = today or timezone.localdate()
    return Verified(
        type_name=licence.type.name,
        number=licence.number,
        issuer_name=licence.issuer_name,
        issued_on=licence.issued_on,
        valid_until=licence.valid_until,
        state=state_on(licence, today),
        revoked_at=licence.revoked_at,
    )


def may_see_full(user, licence: Licence) -> bool:
    """The licence with its holder: the output window that hands it over, hall admins and auditors, the issuing
    department's own officers, and — once it stood in for a material at intake — the clerk who took that submission
    in and the departments deciding its cases."""
    from yichuang.intake.models import Case, SubmissionMaterial

    if acts_as(user, Role.OUTPUT_CLERK, Role.HALL_ADMIN, Role.AUDITOR):
        return True
    if acts_as(user, Role.WINDOW_CLERK):  # the clerk who took it in where it stood in for a material (免提交)
        return SubmissionMaterial.objects.filter(licence=licence, submission__accepted_by=user).exists()
    if not acts_as(user, Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD):
        return False
    if restrict_to_departments(Licence.objects.filter(pk=licence.pk), user).exists():
        return True
    # A department whose case was taken in with the licence standing in for a material (免提交) sees it too.
    used_by = Case.objects.filter(submission__materials__licence=licence)
    return restrict_to_departments(used_by, user).exists()


def held(kind: str, id_number: str, *, on: dt.date) -> QuerySet:
    """The holder's licences valid on `on` (for reuse at intake): not revoked, issued, not expired, and not held
    back by an unpaid fee of the case that issued it."""
    from yichuang.fees import queries as fee_queries

    return (
        Licence.objects.filter(holder_kind=kind, holder_id_number=id_number, status=Licence.Status.VALID)
        .filter(issued_on__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .exclude(case__in=fee_queries.owing_case_ids())  # its fee unpaid: not in force yet
        .select_related("type")
    )
