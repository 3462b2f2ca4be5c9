"""材料复用 at intake: what may stand in for a material of a new submission (免提交), checked in one place.

- An e-licence the applicant holds, valid on the day, whose type stands for the material (`LicenceType.materials`):
  issued here, or imported from the province's licence store.
- The same material received with an earlier accepted submission of the same applicant, within the material's
  `ReusableMaterial.valid_days` of that submission's acceptance: its files are attached to the new submission by
  reference (the stored file is not copied, nothing is scanned again).

`offers` lists them for the desk; `check` refuses anything else (another person's licence, an expired one, a
revoked one, an old copy, a licence of another type); `attach` links the earlier files in intake's transaction.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.intake import identity
from yichuang.intake.models import ApplicantKind, Attachment, MaterialStatus, Submission, SubmissionMaterial

from . import queries
from .models import Licence, ReusableMaterial


@dataclass(frozen=True)
class Offer:
    kind: str  # "licence" | "earlier"
    pk: int
    label: str
    on: dt.date  # the licence's day of issue, or the earlier submission's day of acceptance

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.pk}"


def _licences(kind: str, id_number: str, codes: set[str], today: dt.date) -> dict[str, list[Offer]]:
    found: dict[str, list[Offer]] = {}
    for licence in queries.held(kind, id_number, on=today).prefetch_related("type__materials"):
        until = f"{licence.valid_until:%Y-%m-%d}" if licence.valid_until else _("长期")
        label = _("电子证照：%(type)s %(number)s（有效期至 %(until)s）") % {
            "type": licence.type.name,
            "number": licence.number,
            "until": until,
        }
        for material in licence.type.materials.all():
            if material.code in codes:
                found.setdefault(material.code, []).append(Offer("licence", licence.pk, label, licence.issued_on))
    return found


def _earliest_accepted(rules: dict[str, int], today: dt.date) -> dict[str, dt.datetime]:
    """Per material, the first moment an earlier acceptance may lie at to be reused today."""
    tz = timezone.get_current_timezone()
    return {
        code: dt.datetime.combine(today - dt.timedelta(days=days), dt.time.min, tzinfo=tz)
        for code, days in rules.items()
    }


def _earlier(kind: str, id_number: str, codes: set[str], today: dt.date) -> dict[str, list[Offer]]:
    rules = dict(
        ReusableMaterial.objects.filter(material__code__in=codes).values_list("material__code", "valid_days")
    )
    if not rules:
        return {}
    since = _earliest_accepted(rules, today)
    lines = (
        SubmissionMaterial.objects.filter(
            code__in=list(rules),
            status=MaterialStatus.RECEIVED,
            submission__applicant__kind=kind,
            submission__applicant__id_number=id_number,
            submission__status=Submission.Status.ACCEPTED,
            submission__accepted_at__gte=min(since.values()),
        )
        .select_related("submission")
        .order_by("-submission__accepted_at", "-id")
    )
    found: dict[str, list[Offer]] = {}
    for line in lines:
        accepted = line.submission.accepted_at
        if accepted < since[line.code]:
            continue
        day = timezone.localtime(accepted).date()
        number = line.submission.number
        label = _("往次材料：%(date)s 受理的 %(number)s") % {"date": f"{day:%Y-%m-%d}", "number": number}
        found.setdefault(line.code, []).append(Offer("earlier", line.pk, label, day))
    return found


def _well_formed(kind: str, id_number: str) -> str:
    """The number as intake stores it, or "" for one intake would refuse (the desk asks with whatever was typed)."""
    check = identity.validate_credit_code if kind == ApplicantKind.ORG else identity.validate_resident_id
    try:
        return check(id_number)
    except ValidationError:
        return ""


def offers(kind: str, id_number: str, codes, *, today: dt.date | None = None) -> dict[str, list[Offer]]:
    """Per material code, what may stand in for it for this applicant today: licences first, then earlier
    materials, the newest first."""
    codes = set(codes)
    id_number = _well_formed(kind, id_number) if kind and id_number else ""
    if not (id_number and codes):
        return {}
    today = today or timezone.localdate()
    found = _licences(kind, id_number, codes, today)
    for code, more in _earlier(kind, id_number, codes, today).items():
        found.setdefault(code, []).extend(more)
    return found


def check(entries, kind: str, id_number: str, errors, *, today: dt.date) -> None:
    """Every 免提交 line names one of the applicant's own offers for that very material, today."""
    reused = [e for e in entries if e.status == MaterialStatus.REUSED]
    if not reused:
        return
    offered = offers(kind, id_number, {e.line.material for e in reused}, today=today)
    for e in reused:
        valid = {o.value for o in offered.get(e.line.material, [])}
        wanted = f"licence:{e.licence}" if e.licence is not None else f"earlier:{e.reuse}"
        if e.licence is None and e.reuse is None:
            continue  # read_materials already said what is missing
        if wanted not in valid:
            path = f"materials[{e.index}].status" if e.index is not None else "materials"
            errors.add(
                path,
                _("“%(name)s”不能免提交：所选电子证照或往次材料不属于该申请人、已过期、已注销或不能替代此材料。")
                % {"name": e.line.name},
            )


def attach(submission: Submission, entries, actor, now: dt.datetime) -> int:
    """Link the files of the earlier materials reused by `submission` (same stored file, a new row): in intake's
    transaction. Returns the number of files linked."""
    earlier = {e.reuse: e.line.material for e in entries if e.status == MaterialStatus.REUSED and e.reuse}
    if not earlier:
        return 0
    sources = dict(SubmissionMaterial.objects.filter(pk__in=list(earlier)).values_list("pk", "submission_id"))
    rows = []
    for line_pk, code in earlier.items():
        for a in Attachment.objects.filter(submission_id=sources[line_pk], material_code=code):
            rows.append(
                Attachment(
                    submission=submission,
                    material_code=code,
                    file=a.file.name,
                    sha256=a.sha256,
                    content_type=a.content_type,
                    size=a.size,
                    original_name=a.original_name,
                    uploaded_at=now,
                    uploaded_by=actor if getattr(actor, "pk", None) else None,
                )
            )
    Attachment.objects.bulk_create(rows)
    return len(rows)


def licence_of(line: SubmissionMaterial) -> Licence | None:
    return Licence.objects.select_related("type").filter(pk=line.licence_id).first() if line.licence_id else None
