"""Changes to e-licences: issued when a case that issues one is approved, renumbered when the officer records the
certificate's number later, revoked. Each in the caller's transaction or its own, each audited."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit

from .models import Licence, LicenceType


def _type_for(case) -> LicenceType | None:
    # A matter issues at most one licence type (the admin may link several; the first by code wins, see docs).
    return LicenceType.objects.filter(issuing_matters=case.matter_id).order_by("code").first()


def valid_until(issued_on: dt.date, years: int | None) -> dt.date | None:
    """The last day of validity: `years` after the day of issue, less a day (29 February → 28 February)."""
    if years is None:
        return None
    try:
        end = issued_on.replace(year=issued_on.year + years)
    except ValueError:  # 29 February in a year that has none
        end = issued_on.replace(year=issued_on.year + years, day=28)
    return end - dt.timedelta(days=1)


def _free_number(licence_type: LicenceType, number: str, *, exclude: int | None = None) -> str:
    taken = Licence.objects.filter(type=licence_type, number=number)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        message = _("证照编号“%(number)s”已被另一张%(type)s使用。") % {"number": number, "type": licence_type.name}
        raise ValidationError({"certificate_number": [message]})
    return number


def issue_for(case, decision, actor, *, now: dt.datetime, request=None) -> Licence | None:
    """The e-licence of an approved case whose matter issues one (None otherwise). Its number is the certificate
    number the officer gave, or the case's number; called inside backoffice.services.conclude's transaction."""
    licence_type = _type_for(case)
    if licence_type is None:
        return None
    submission = case.submission
    number = _free_number(licence_type, decision.certificate_number or case.number)
    issued_on = timezone.localdate(now)
    department = case.department
    licence = Licence.objects.create(
        identifier=f"{licence_type.code}-{number}",
        type=licence_type,
        number=number,
        holder_kind=submission.applicant.kind,
        holder_name=submission.applicant_name or submission.applicant.name,
        holder_id_number=submission.applicant_id_number or submission.applicant.id_number,
        issuer_name=department.name,
        issuer_code=department.code,
        department=department,
        issued_on=issued_on,
        valid_until=valid_until(issued_on, licence_type.valid_years),
        case=case,
        source=Licence.Source.HALL,
    )
    audit.record(actor, "licences.issue", licence, summary=f"{case.number} {licence_type.code}", request=request)
    return licence


def renumber(case, number: str, actor, *, request=None) -> Licence | None:
    """The officer recorded the certificate's number after concluding: the case's licence takes it."""
    licence = Licence.objects.select_for_update().filter(case=case).first()
    if licence is None or not number or licence.number == number:
        return licence
    licence.number = _free_number(licence.type, number, exclude=licence.pk)
    licence.identifier = f"{licence.type.code}-{number}"
    licence.save(update_fields=["number", "identifier"])
    audit.record(actor, "licences.renumber", licence, summary=f"{case.number} {number}", request=request)
    return licence


@transaction.atomic
def revoke(licence: Licence, actor, *, reason: str, now: dt.datetime | None = None, request=None) -> Licence:
    """注销: the licence stays on record and verifies as revoked; it is never reused at intake again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写注销原因。")]})
    licence = Licence.objects.select_for_update().get(pk=licence.pk)
    if licence.status == Licence.Status.REVOKED:
        raise ValidationError(_("该证照已注销。"))
    licence.status = Licence.Status.REVOKED
    licence.revoked_at = now or timezone.now()
    licence.revoke_reason = reason[:200]
    licence.save(update_fields=["status", "revoked_at", "revoke_reason"])
    audit.record(actor, "licences.revoke", licence, summary=licence.identifier, request=request)
    return licence
