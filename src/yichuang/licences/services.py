"""Changes to e-licences: issued when a case that issues one is approved, renumbered when the officer records the
certificate's number later, revoked. Each in the caller's transaction or its own, each audited."""

import datetime as dt
import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit
from yichuang.intake import identity

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


def _taken(licence_type: LicenceType, number: str) -> ValidationError:
    message = _("证照编号“%(number)s”已被另一张%(type)s使用。") % {"number": number, "type": licence_type.name}
    return ValidationError({"certificate_number": [message]})


def _free_number(licence_type: LicenceType, number: str, *, exclude: int | None = None) -> str:
    """The number, if no other licence of the type (nor its identifier) has it. A check before the write gives the
    field's message; two officers writing the same number at once meet the unique constraints (`_saved`)."""
    same = Q(type=licence_type, number=number) | Q(identifier=_identifier(licence_type, number))
    taken = Licence.objects.filter(same)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise _taken(licence_type, number)
    return number


def _identifier(licence_type: LicenceType, number: str) -> str:
    return f"{licence_type.code}-{number}"


def _saved(licence: Licence, **save) -> Licence:
    """Save in a savepoint: a unique constraint met by a concurrent licence is the field's message, not a 500."""
    try:
        with transaction.atomic():
            licence.save(**save)
    except IntegrityError:
        raise _taken(licence.type, licence.number) from None
    return licence


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
    licence = Licence(
        identifier=_identifier(licence_type, number),
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
    _saved(licence, force_insert=True)
    audit.record(actor, "licences.issue", licence, summary=f"{case.number} {licence_type.code}", request=request)
    return licence


def renumber(case, number: str, actor, *, request=None) -> Licence | None:
    """The officer recorded the certificate's number after concluding: the case's licence takes it."""
    licence = Licence.objects.select_for_update().filter(case=case).first()
    if licence is None or not number or licence.number == number:
        return licence
    licence.number = _free_number(licence.type, number, exclude=licence.pk)
    licence.identifier = _identifier(licence.type, number)
    _saved(licence, update_fields=["number", "identifier"])
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


# --- the province's licence store ----------------------------------------------------------------------------------

IMPORT_FIELDS = ("type", "number", "holder_kind", "holder_name", "holder_id_number", "issuer_name", "issued_on")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)


def _read_row(i: int, row, types: dict[str, LicenceType], errors: list[str]) -> dict | None:
    where = _("第 %(n)d 行") % {"n": i}
    if not isinstance(row, dict):
        errors.append(_("%(where)s：应为 JSON 对象。") % {"where": where})
        return None
    missing = [name for name in IMPORT_FIELDS if not str(row.get(name) or "").strip()]
    if missing:
        errors.append(_("%(where)s：缺少 %(names)s。") % {"where": where, "names": "、".join(missing)})
        return None
    licence_type = types.get(str(row["type"]).strip())
    if licence_type is None:
        code = str(row["type"])[:32]
        errors.append(_("%(where)s：本中心没有证照类型代码“%(code)s”。") % {"where": where, "code": code})
        return None
    kind = str(row["holder_kind"]).strip()
    if kind not in ("person", "org"):
        errors.append(_("%(where)s：持证主体类型应为 person 或 org。") % {"where": where})
        return None
    check = identity.validate_resident_id if kind == "person" else identity.validate_credit_code
    try:  # the same checks as intake's: a licence is found by the number intake is given
        id_number = check(row["holder_id_number"])
    except ValidationError as exc:
        errors.append(_("%(where)s：持证主体代码有误：%(reason)s") % {"where": where, "reason": exc.messages[0]})
        return None
    try:
        issued_on = dt.date.fromisoformat(str(row["issued_on"]).strip())
        until = str(row.get("valid_until") or "").strip()
        valid_until = dt.date.fromisoformat(until) if until else None
    except ValueError:
        errors.append(_("%(where)s：日期格式应为 YYYY-MM-DD。") % {"where": where})
        return None
    if valid_until is not None and valid_until < issued_on:
        errors.append(_("%(where)s：有效期截止早于颁证日期。") % {"where": where})
        return None
    revoked = str(row.get("status") or "valid").strip() == "revoked"
    number = str(row["number"]).strip()[:64]
    return {
        "type": licence_type,
        "number": number,
        "identifier": str(row.get("identifier") or _identifier(licence_type, number)).strip()[:100],
        "holder_kind": kind,
        "holder_name": str(row["holder_name"]).strip()[:100],
        "holder_id_number": id_number[:18],
        "issuer_name": str(row["issuer_name"]).strip()[:100],
        "issuer_code": str(row.get("issuer_code") or "").strip()[:18],
        "issued_on": issued_on,
        "valid_until": valid_until,
        "status": Licence.Status.REVOKED if revoked else Licence.Status.VALID,
    }


@transaction.atomic
def import_province(lines, actor=None, *, dry_run: bool = False) -> ImportResult:
    """Licences from the province's licence store (one JSON object per line), all or nothing: created, or updated
    by (type, number) when the province changed them (a revocation included). A licence issued here is never
    overwritten by an import. `dry_run` checks and counts without writing."""
    result = ImportResult()
    types = {t.code: t for t in LicenceType.objects.all()}
    rows = []
    for i, text in enumerate(lines, start=1):
        text = text.strip() if isinstance(text, str) else text
        if not text:
            continue
        try:
            row = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            result.errors.append(_("第 %(n)d 行：不是有效的 JSON。") % {"n": i})
            continue
        values = _read_row(i, row, types, result.errors)
        if values is not None:
            rows.append((i, values))
    if result.errors:
        return result
    for i, values in rows:
        existing = Licence.objects.select_for_update().filter(type=values["type"], number=values["number"]).first()
        if existing is None:
            if Licence.objects.filter(identifier=values["identifier"]).exists():
                result.errors.append(_("第 %(n)d 行：证照标识已被另一张证照使用。") % {"n": i})
                continue
            if not dry_run:
                Licence.objects.create(source=Licence.Source.PROVINCE, **values)
            result.created += 1
        elif existing.source != Licence.Source.PROVINCE:
            result.errors.append(_("第 %(n)d 行：该编号是本中心颁发的证照，不能由导入覆盖。") % {"n": i})
        else:
            changed = {k: v for k, v in values.items() if getattr(existing, k) != v}
            if not changed:
                result.unchanged += 1
                continue
            if not dry_run:
                for k, v in changed.items():
                    setattr(existing, k, v)
                if "status" in changed:  # revoked by the province, or reinstated: no revocation left behind
                    revoked = values["status"] == Licence.Status.REVOKED
                    existing.revoked_at = timezone.now() if revoked else None
                    existing.revoke_reason = _("省电子证照库注销") if revoked else ""
                existing.save()
            result.updated += 1
    if result.errors:
        transaction.set_rollback(True)
        result.created = result.updated = result.unchanged = 0
        return result
    if not dry_run:
        audit.record(
            actor, "licences.import_province", None,
            summary=f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}",
        )  # fmt: skip
    return result
