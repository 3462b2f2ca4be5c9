"""The material rules of an intake (容缺 deferral, 告知承诺 pledge, required and core materials) — the one place
to change them.

- `read_materials`: the request's `materials` read against the merged list (one entry per line, in its order).
- `check_material_rules`: received counts; deferral only of a deferrable, non-core material with every core material
  present, by an applicant without a broken pledge, with a supply date from today up to the earliest due time of
  the matters needing it; a pledge only where the material allows it; a required material never simply missing.
- `outstanding_deferred`: the deferred materials of a case still not supplied — no result is issued (approved or
  handed over) while there is one, and the back office's sweep terminates a case whose supply date passed.

The transitions that mark or clear a broken pledge (`mark_deferral_broken`, `clear_deferral_block`) are in
`intake.services`; the database repeats the catalogue's side (`core_material_never_deferrable`).
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.catalogue.models import Material
from yichuang.catalogue.queries import NoticeLine
from yichuang.core.schemas import row_id

from .checks import Errors, is_code, shown
from .models import Applicant, Case, MaterialStatus, SubmissionMaterial

MAX_COUNT = 99
# The choices as a set, once: `Choices.values` builds a new list on every use, and an intake asks per material.
_MATERIAL_STATUSES = frozenset(MaterialStatus.values)


@dataclass
class MaterialInput:
    index: int | None  # position in the request's `materials`, None when not listed
    line: NoticeLine
    status: str = MaterialStatus.MISSING
    originals: int = 0
    copies: int = 0
    due: dt.date | None = None
    licence: int | None = None  # 免提交: the e-licence that stands in (licences.reuse checks it is the applicant's)
    reuse: int | None = None  # 免提交: the earlier SubmissionMaterial that stands in


def _count(value, path: str, errors: Errors) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
        if isinstance(value, float | bool) or str(number) != str(value).strip():
            raise ValueError
    except (TypeError, ValueError):
        errors.add(path, _("份数应为整数。"))
        return None
    if not 0 <= number <= MAX_COUNT:
        errors.add(path, _("份数应在 0 到 %(max)d 之间。") % {"max": MAX_COUNT})
        return None
    return number


def _date(value, path: str, errors: Errors) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.add(path, _("日期格式应为 YYYY-MM-DD。"))
        return None


def _row(value, path: str, errors: Errors) -> int | None:
    if value in (None, ""):
        return None
    found = row_id(value) if isinstance(value, int | str) and not isinstance(value, bool) else None
    if found is None:
        errors.add(path, _("应为正整数编号。"))
    return found


def read_materials(materials, lines: list[NoticeLine], errors: Errors) -> list[MaterialInput]:
    """One MaterialInput per line of the merged list, in its order; unlisted lines are missing."""
    by_code = {line.material: MaterialInput(None, line) for line in lines}
    if not isinstance(materials, list | tuple):
        errors.add("materials", _("材料应为列表。"))
        materials = []
    unknown_codes = []
    for i, item in enumerate(materials):
        path = f"materials[{i}]"
        if not isinstance(item, dict):
            errors.add(path, _("材料项格式不正确。"))
            continue
        code = item.get("material")
        entry = by_code.get(code) if isinstance(code, str) else None
        if entry is None:
            unknown_codes.append((path, code))
            continue
        if entry.index is not None:
            errors.add(f"{path}.material", _("材料“%(name)s”重复。") % {"name": entry.line.name})
            continue
        entry.index = i
        status = item.get("status")
        if not isinstance(status, str) or status not in _MATERIAL_STATUSES:
            errors.add(f"{path}.status", _("材料状态应为 received、deferred、pledged、reused 或 missing。"))
            status = None
        entry.status = status
        originals = _count(item.get("originals"), f"{path}.originals", errors)
        copies = _count(item.get("copies"), f"{path}.copies", errors)
        entry.due = _date(item.get("due"), f"{path}.due", errors)
        if status == MaterialStatus.RECEIVED:
            entry.originals = entry.line.originals if originals is None else originals
            entry.copies = entry.line.copies if copies is None else copies
        elif status == MaterialStatus.REUSED:
            entry.licence = _row(item.get("licence"), f"{path}.licence", errors)
            entry.reuse = _row(item.get("reuse"), f"{path}.reuse", errors)
            if (entry.licence is None) == (entry.reuse is None) and not errors.by_field.get(f"{path}.licence"):
                errors.add(f"{path}.status", _("免提交须注明一项：所复用的电子证照（licence）或往次材料（reuse）。"))
    if unknown_codes:
        looked_up = [c for _p, c in unknown_codes if is_code(c)]
        known = dict(Material.objects.filter(code__in=looked_up).values_list("code", "name")) if looked_up else {}
        for path, code in unknown_codes:
            if not isinstance(code, str) or not code:
                errors.add(f"{path}.material", _("请填写材料编码。"))
            elif code in known:
                errors.add(f"{path}.material", _("材料“%(name)s”不在本次申请的材料清单中。") % {"name": known[code]})
            else:
                errors.add(f"{path}.material", _("没有编码为“%(code)s”的材料。") % {"code": shown(code)})
    return list(by_code.values())


def _mpath(entry: MaterialInput, suffix: str = "status") -> str:
    return f"materials[{entry.index}].{suffix}" if entry.index is not None else "materials"


def check_material_rules(
    entries: list[MaterialInput],
    dues: dict[str, dt.datetime],
    applicant: Applicant | None,
    errors: Errors,
    *,
    today: dt.date,
) -> None:
    """received counts, deferral (容缺) and pledge (告知承诺) rules, and required materials that are missing."""
    # A core material is there when received, or replaced by a pledge it allows.
    core_missing = [
        e.line.name
        for e in entries
        if e.line.core
        and not (
            e.status in (MaterialStatus.RECEIVED, MaterialStatus.REUSED)
            or (e.status == MaterialStatus.PLEDGED and e.line.pledgeable)
        )
    ]
    for e in entries:
        line = e.line
        if e.status == MaterialStatus.RECEIVED:
            if e.originals < line.originals:
                errors.add(
                    _mpath(e, "originals"),
                    _("“%(name)s”需原件 %(need)d 份，只收到 %(got)d 份；不足的请改为容缺、告知承诺或缺少。")
                    % {"name": line.name, "need": line.originals, "got": e.originals},
                )
            if e.copies < line.copies:
                errors.add(
                    _mpath(e, "copies"),
                    _("“%(name)s”需复印件 %(need)d 份，只收到 %(got)d 份；不足的请改为容缺、告知承诺或缺少。")
                    % {"name": line.name, "need": line.copies, "got": e.copies},
                )
        elif e.status == MaterialStatus.DEFERRED:
            if line.core:
                errors.add(_mpath(e), _("“%(name)s”是核心要件，不得容缺。") % {"name": line.name})
            elif not line.deferrable:
                errors.add(_mpath(e), _("“%(name)s”不可容缺受理。") % {"name": line.name})
            elif core_missing:
                errors.add(
                    _mpath(e),
                    _("核心要件未齐全（缺%(names)s），不能容缺受理。")
                    % {"names": "、".join(f"“{n}”" for n in core_missing)},
                )
            if applicant is not None and applicant.deferral_blocked:
                errors.add(_mpath(e), _("申请人有未履行的容缺承诺，管理员解除标记前不能容缺受理。"))
            if e.due is None:
                if _mpath(e, "due") not in errors.by_field:  # not already "unreadable date"
                    errors.add(_mpath(e, "due"), _("请填写“%(name)s”的补交期限。") % {"name": line.name})
            elif e.due < today:
                errors.add(_mpath(e, "due"), _("补交期限不能早于今天。"))
            else:
                limits = [dues[code] for code in line.matters if code in dues]
                if limits:
                    latest = min(timezone.localtime(d).date() for d in limits)
                    if e.due > latest:
                        errors.add(
                            _mpath(e, "due"),
                            _("补交期限不得晚于办件的办结期限（%(date)s）。") % {"date": f"{latest:%Y-%m-%d}"},
                        )
        elif e.status == MaterialStatus.PLEDGED:
            if not line.pledgeable:
                errors.add(_mpath(e), _("“%(name)s”不适用告知承诺。") % {"name": line.name})
        elif e.status == MaterialStatus.MISSING and line.required:
            errors.add(
                _mpath(e),
                _("缺少必要材料“%(name)s”，不能受理：请补齐，或出具不予受理通知书并一次性告知所缺材料。")
                % {"name": line.name},
            )


def outstanding_deferred(case: Case) -> list[SubmissionMaterial]:
    """Deferred materials of the case's matter still not supplied (容缺未补齐): its result is not issued."""
    code = case.matter_snapshot.get("code") or case.matter.code
    lines = SubmissionMaterial.objects.filter(
        submission_id=case.submission_id, status=MaterialStatus.DEFERRED, supplied_at__isnull=True
    )
    return [line for line in lines if code in (line.matters or [])]
