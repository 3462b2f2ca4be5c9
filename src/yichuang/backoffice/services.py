"""后台分类审批: every change a department makes to a case, one function per transition.

Each function locks the case row (`select_for_update`), checks who acts (`_ensure_officer`: a back-office
officer or lead of the case's own department; `_ensure_lead` for approving an extension), checks that the
transition is allowed from the case's status, moves the clock (clock.caseclock), and writes the timeline,
the audit log and the applicant's notification — in one transaction. Pages, the API and the worker
(tasks.py) call these and nothing else.

Statuses: accepted (in the inbox; a delegated case only once its batch is collected) → in_progress (claimed
or assigned) → correction / special (clock stopped) → in_progress → approved / rejected; terminated when a
deferred material was not supplied by its due date, or — with the decision "withdrawn" (视为撤回申请) — when
the applicant did not supply a correction by its due date (`deem_withdrawn`).

Alerts are read per person (`mark_alerts_read`): only one's own (queries.alerts_for), at most once each.
"""

import datetime as dt
import logging

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.clock import caseclock
from yichuang.clock.models import ClockRules
from yichuang.clock.workcalendar import CalendarUnknown
from yichuang.core import audit
from yichuang.exchange import outbox as exchange_outbox
from yichuang.fees import services as fees
from yichuang.intake import deadlines
from yichuang.intake.materials import outstanding_deferred
from yichuang.intake.models import (
    CONCLUDED_STATUSES,
    OPEN_STATUSES,
    Case,
    CaseStatus,
    Handoff,
    SubmissionMaterial,
    TimelineEvent,
)
from yichuang.intake.services import mark_deferral_broken, notify_applicant
from yichuang.intake.uploads import upload_problem
from yichuang.licences import services as licences
from yichuang.organisation.models import User
from yichuang.organisation.roles import Role, member_of
from yichuang.performance import services as performance

from . import queries
from .models import Alert, AlertRead, Correction, Decision, Extension, SpecialProcedure

Kind = TimelineEvent.Kind
_TEXT_LIMIT = 2000
logger = logging.getLogger(__name__)


# --- helpers ---------------------------------------------------------------------------------------


def is_officer_of(user, department_id: int) -> bool:
    return member_of(user, department_id, Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD)


def is_lead_of(user, department_id: int) -> bool:
    return member_of(user, department_id, Role.DEPARTMENT_LEAD)


def _ensure_officer(user, case: Case) -> None:
    if not is_officer_of(user, case.department_id):
        raise PermissionDenied(_("只有本部门的后台审批人员可以办理该办件。"))


def _ensure_lead(user, case: Case) -> None:
    if not is_lead_of(user, case.department_id):
        raise PermissionDenied(_("延期须由本部门负责人审批。"))


def _locked(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    return (
        Case.objects.select_for_update()
        .select_related("submission__site", "submission__applicant", "department")
        .get(pk=pk)
    )


def _ensure_status(case: Case, *allowed: str, message: str | None = None) -> None:
    if case.status not in allowed:
        raise ValidationError(
            message or _("办件当前状态为“%(status)s”，不能进行此操作。") % {"status": case.get_status_display()}
        )


def _ensure_received(case: Case) -> None:
    if case.received_at is None:
        raise ValidationError(_("该办件尚在交接单中等待部门取件，取件签收后才能办理。"))


def _text(value, field: str, *, required: bool = True, limit: int = _TEXT_LIMIT) -> str:
    text = str(value or "").strip()
    if "\x00" in text:
        raise ValidationError({field: [_("内容含有不允许的控制字符。")]})
    if required and not text:
        raise ValidationError({field: [_("此项为必填。")]})
    if len(text) > limit:
        raise ValidationError({field: [_("不能超过 %(n)d 个字。") % {"n": limit}]})
    return text


def site_clock(case: Case) -> deadlines.SiteClock:
    return deadlines.site_calendar(case.submission.site)


def _calendar_error(exc: CalendarUnknown) -> ValidationError:
    return ValidationError(
        _("%(year)d年的工作日历尚未录入，无法计算期限；请管理员录入该年节假日安排。") % {"year": exc.year}
    )


def _event(case: Case, kind: str, actor, now: dt.datetime, /, **detail) -> TimelineEvent:
    event = TimelineEvent.objects.create(
        submission_id=case.submission_id,
        case=case,
        kind=kind,
        at=now,
        actor=actor if getattr(actor, "pk", None) else None,
        detail=detail,
    )
    exchange_outbox.publish([event])
    return event


def _save(case: Case, *fields: str) -> None:
    case.save(update_fields=list(fields))


def _notify(case: Case, kind: str, /, **context) -> None:
    notify_applicant(case.submission, kind, {"case": case.number, "matter": case.matter_name, **context})


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


# --- inbox -----------------------------------------------------------------------------------------


@transaction.atomic
def claim(case: Case, actor, *, now: dt.datetime | None = None, request=None) -> Case:
    """An officer takes a case of the inbox as their own (认领)."""
    now = now or timezone.now()
    case = _locked(case)
    _ensure_officer(actor, case)
    _ensure_received(case)
    _ensure_status(case, CaseStatus.ACCEPTED, message=_("该办件已有承办人。"))
    case.status, case.assignee = CaseStatus.IN_PROGRESS, actor
    _save(case, "status", "assignee")
    _event(case, Kind.CLAIMED, actor, now, assignee=actor.username)
    audit.record(actor, "backoffice.claim", case, summary=case.number, request=request)
    return case


@transaction.atomic
def assign(case: Case, officer: User, actor, *, now: dt.datetime | None = None, request=None) -> Case:
    """A department lead gives a case to one of the department's officers (分派); also to move it on."""
    now = now or timezone.now()
    case = _locked(case)
    if not is_lead_of(actor, case.department_id):
        raise PermissionDenied(_("只有本部门负责人可以分派办件。"))
    _ensure_received(case)
    _ensure_status(case, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.CORRECTION, CaseStatus.SPECIAL)
    if not is_officer_of(officer, case.department_id):
        raise ValidationError({"officer": [_("承办人须是本部门的后台审批人员。")]})
    case.assignee = officer
    if case.status == CaseStatus.ACCEPTED:
        case.status = CaseStatus.IN_PROGRESS
    _save(case, "status", "assignee")
    _event(case, Kind.ASSIGNED, actor, now, assignee=officer.username)
    audit.record(actor, "backoffice.assign", case, summary=f"{case.number} → {officer.username}", request=request)
    return case


# --- correction (补正) -------------------------------------------------------------------------------


def correction_deadline(case: Case, clock: deadlines.SiteClock | None = None) -> dt.date:
    """The last day on which the department may still ask for a correction (art. 32: within 5 days of receipt)."""
    clock = clock or site_clock(case)
    days = ClockRules.current().correction_days
    return clock.calendar.add_working_days(_local_date(case.received_at), days)


@transaction.atomic
def request_correction(
    case: Case, actor, *, items: list[dict], due: dt.date, note: str = "", now=None, request=None
) -> Correction:
    """Tell the applicant everything to correct, at once: one request per case; the clock stops."""
    now = now or timezone.now()
    case = _locked(case)
    _ensure_officer(actor, case)
    _ensure_received(case)
    _ensure_status(case, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)
    if Correction.objects.filter(case=case).exists():
        raise ValidationError(_("补正须一次性告知：该办件已告知过补正，不能再次要求补正。"))
    clock = site_clock(case)
    try:
        last_day = correction_deadline(case, clock)
    except CalendarUnknown as exc:
        raise _calendar_error(exc) from exc
    if _local_date(now) > last_day:
        raise ValidationError(
            _("部门收件已超过 %(n)d 个工作日（最后期限 %(day)s），依法视为受理，不能再要求补正。")
            % {"n": ClockRules.current().correction_days, "day": last_day.isoformat()}
        )
    clean_items = _correction_items(case, items)
    if not isinstance(due, dt.date) or isinstance(due, dt.datetime):
        raise ValidationError({"due": [_("请填写补正期限。")]})
    if due < _local_date(now):
        raise ValidationError({"due": [_("补正期限不能早于今天。")]})
    note = _text(note, "note", required=False)
    correction = Correction.objects.create(
        case=case, items=clean_items, note=note, due=due, requested_by=actor, requested_at=now
    )
    caseclock.pause(case, now, clock.calendar)
    if case.assignee_id is None:
        case.assignee = actor
    case.status = CaseStatus.CORRECTION
    _save(case, "status", "assignee", "paused_at", "left_us")
    _event(case, Kind.CORRECTION_REQUESTED, actor, now, items=clean_items, due=due.isoformat(), left_us=case.left_us)
    audit.record(actor, "backoffice.request_correction", case, summary=case.number, request=request)
    _notify(case, "correction", items="；".join(i["name"] for i in clean_items), due=due.isoformat())
    return correction


def _correction_items(case: Case, items) -> list[dict]:
    if not isinstance(items, list) or not items:
        raise ValidationError({"items": [_("请列出需要补正的全部内容（一次性告知）。")]})
    names = dict(SubmissionMaterial.objects.filter(submission_id=case.submission_id).values_list("code", "name"))
    clean, seen = [], set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValidationError({f"items[{i}]": [_("格式不正确。")]})
        code = str(item.get("material") or "").strip()
        text = _text(item.get("note"), f"items[{i}].note", required=False, limit=500)
        if code:
            if code not in names:
                raise ValidationError(
                    {f"items[{i}].material": [_("材料“%(code)s”不在本次申请的材料清单中。") % {"code": code[:32]}]}
                )
            name = names[code]
        else:
            name = _text(item.get("name"), f"items[{i}].name", limit=200)
        if (code, name) in seen:
            continue
        seen.add((code, name))
        clean.append({"material": code, "name": name, "note": text})
    return clean


@transaction.atomic
def receive_correction(case: Case, actor=None, *, now=None, request=None, channel: str = "window") -> Case:
    """The corrected materials arrived (at a window, by an officer, or online from the applicant: actor None):
    the clock restarts with the time that was left."""
    now = now or timezone.now()
    case = _locked(case)
    if actor is not None:
        _ensure_officer(actor, case)
    _ensure_status(case, CaseStatus.CORRECTION, message=_("该办件没有待补正的内容。"))
    correction = Correction.objects.select_for_update().get(case=case)
    correction.received_at, correction.received_by = now, actor
    correction.save(update_fields=["received_at", "received_by"])
    try:
        clock = site_clock(case)
        caseclock.resume(case, now, clock.calendar, clock.close)
    except CalendarUnknown as exc:
        if actor is None:  # the applicant online: a plain sentence for them, the log line for the administrator
            logger.warning("online correction of %s refused: the holidays of %s are not entered", case.number, exc.year)
            raise ValidationError(
                _(
                    "办理期限要用到%(year)d年的节假日安排，该安排尚未录入本系统，补正材料暂时无法在网上提交。"
                    "请在安排录入后再提交，也可拨打大厅电话咨询。"
                )
                % {"year": exc.year}
            ) from exc
        raise _calendar_error(exc) from exc
    case.status = CaseStatus.IN_PROGRESS
    _save(case, "status", "paused_at", "left_us", "due_at", "warn_at", "budget_us")
    _event(case, Kind.CORRECTION_RECEIVED, actor, now, channel=channel, due=case.due_at.isoformat())
    audit.record(actor, "backoffice.receive_correction", case, summary=case.number, request=request, channel=channel)
    return case


# --- special procedures (特别程序) ---------------------------------------------------------------------


@transaction.atomic
def start_special(
    case: Case, actor, *, kind: str, reason: str, limit_days: int, now=None, request=None
) -> SpecialProcedure:
    """Start a hearing, inspection, expert review …: the clock stops; the applicant is told in writing."""
    now = now or timezone.now()
    case = _locked(case)
    _ensure_officer(actor, case)
    _ensure_received(case)
    _ensure_status(case, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)
    if kind not in SpecialProcedure.Kind.values:
        raise ValidationError({"kind": [_("请选择特别程序的种类。")]})
    reason = _text(reason, "reason")
    if isinstance(limit_days, bool) or not isinstance(limit_days, int) or not 1 <= limit_days <= 365:
        raise ValidationError({"limit_days": [_("程序时限应为 1 至 365 个工作日。")]})
    clock = site_clock(case)
    try:
        due_at = clock.close(clock.calendar.add_working_days(_local_date(now), limit_days))
        caseclock.pause(case, now, clock.calendar)
    except CalendarUnknown as exc:
        raise _calendar_error(exc) from exc
    procedure = SpecialProcedure.objects.create(
        case=case, kind=kind, reason=reason, limit_days=limit_days, started_at=now, due_at=due_at, started_by=actor
    )
    if case.assignee_id is None:
        case.assignee = actor
    case.status = CaseStatus.SPECIAL
    _save(case, "status", "assignee", "paused_at", "left_us")
    _event(
        case, Kind.SPECIAL_STARTED, actor, now, procedure=procedure.pk, procedure_kind=kind, due=due_at.isoformat(),
        left_us=case.left_us,
    )  # fmt: skip
    audit.record(actor, "backoffice.start_special", case, summary=f"{case.number} {kind}", request=request)
    _notify(
        case, "special_procedure", kind=procedure.get_kind_display(), due=timezone.localtime(due_at).date().isoformat()
    )
    return procedure


@transaction.atomic
def end_special(case: Case, actor, *, outcome: str = "", now=None, request=None) -> SpecialProcedure:
    now = now or timezone.now()
    case = _locked(case)
    _ensure_officer(actor, case)
    _ensure_status(case, CaseStatus.SPECIAL, message=_("该办件没有进行中的特别程序。"))
    procedure = SpecialProcedure.objects.select_for_update().get(case=case, ended_at__isnull=True)
    procedure.ended_at, procedure.ended_by = now, actor
    procedure.outcome = _text(outcome, "outcome", required=False)
    procedure.save(update_fields=["ended_at", "ended_by", "outcome"])
    try:
        clock = site_clock(case)
        caseclock.resume(case, now, clock.calendar, clock.close)
    except CalendarUnknown as exc:
        raise _calendar_error(exc) from exc
    case.status = CaseStatus.IN_PROGRESS
    _save(case, "status", "paused_at", "left_us", "due_at", "warn_at", "budget_us")
    _event(case, Kind.SPECIAL_ENDED, actor, now, procedure=procedure.pk, due=case.due_at.isoformat())
    audit.record(actor, "backoffice.end_special", case, summary=case.number, request=request)
    return procedure


# --- extension (延期) --------------------------------------------------------------------------------


@transaction.atomic
def request_extension(case: Case, actor, *, days: int, reason: str, now=None, request=None) -> Extension:
    now = now or timezone.now()
    case = _locked(case)
    _ensure_officer(actor, case)
    _ensure_status(case, *OPEN_STATUSES)
    _ensure_received(case)
    limit = ClockRules.current().max_extension_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= limit:
        raise ValidationError({"days": [_("延长天数应为 1 至 %(n)d 个工作日。") % {"n": limit}]})
    reason = _text(reason, "reason")
    if case.extensions.filter(status=Extension.Status.APPROVED).exists():
        raise ValidationError(_("该办件已延期一次，不能再次延期。"))
    if case.extensions.filter(status=Extension.Status.PENDING).exists():
        raise ValidationError(_("该办件已有待审批的延期申请。"))
    extension = Extension.objects.create(case=case, days=days, reason=reason, requested_by=actor, requested_at=now)
    _event(case, Kind.EXTENSION_REQUESTED, actor, now, extension=extension.pk, days=days, reason=reason)
    audit.record(actor, "backoffice.request_extension", case, summary=f"{case.number} +{days}", request=request)
    return extension


@transaction.atomic
def decide_extension(
    extension: Extension, actor, *, approve: bool, note: str = "", now=None, request=None
) -> Extension:
    """The department lead approves (the deadline moves, the applicant is told why) or rejects."""
    now = now or timezone.now()
    case = _locked(extension.case_id)
    _ensure_lead(actor, case)
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    if extension.status != Extension.Status.PENDING:
        raise ValidationError(_("该延期申请已审批。"))
    if extension.requested_by_id == actor.pk:
        raise PermissionDenied(_("延期申请须由申请人以外的负责人审批。"))
    note = _text(note, "note", required=not approve)
    if approve:
        _ensure_status(case, *OPEN_STATUSES)
        clock = site_clock(case)
        try:
            caseclock.extend(case, extension.days, clock.calendar, clock.day_us, clock.close)
        except CalendarUnknown as exc:
            raise _calendar_error(exc) from exc
        _save(case, "due_at", "warn_at", "left_us", "budget_us", "extended_days")
    extension.status = Extension.Status.APPROVED if approve else Extension.Status.REJECTED
    extension.decided_by, extension.decided_at, extension.decision_note = actor, now, note
    extension.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _event(
        case,
        Kind.EXTENSION_APPROVED if approve else Kind.EXTENSION_REJECTED,
        actor,
        now,
        extension=extension.pk,
        days=extension.days,
        due=case.due_at.isoformat(),
        note=note,
    )
    audit.record(
        actor, "backoffice.decide_extension", case, summary=f"{case.number} {extension.status}", request=request
    )
    if approve:
        due = "" if case.paused_at else timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M")
        _notify(case, "extension", days=extension.days, reason=extension.reason, due=due or _("恢复计时后顺延"))
    return extension


# --- conclusion (办结) ---------------------------------------------------------------------------------


def _checked_document(document):
    """The result document as uploaded, or ValidationError at the field `document` (intake's upload check:
    size, and PDF, JPEG, PNG or OFD by its content)."""
    if document is None:
        return None
    if (problem := upload_problem(document)) is not None:
        raise ValidationError({"document": [problem]})
    document.seek(0)
    return document


@transaction.atomic
def conclude(
    case: Case,
    actor,
    *,
    outcome: str,
    reasons: str = "",
    legal_basis: str = "",
    certificate_number: str = "",
    document=None,
    fee_units: dict | None = None,
    now=None,
    request=None,
) -> Decision:
    """Approve (准予) or reject (不予, with reasons and legal basis). `fee_units`: {fee item id: units} for the
    matter's fees charged per unit (fees.services). A case whose deferred material is still
    outstanding cannot be approved: its result would be issued without the material (容缺未补齐不出证)."""
    now = now or timezone.now()
    case = _locked(case)
    _ensure_officer(actor, case)
    _ensure_received(case)
    if case.status in (CaseStatus.CORRECTION, CaseStatus.SPECIAL):
        raise ValidationError(_("补正或特别程序进行中，结束后才能办结。"))
    _ensure_status(case, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)
    if outcome not in (Decision.Outcome.APPROVED, Decision.Outcome.REJECTED):
        raise ValidationError({"outcome": [_("请选择准予或不予。")]})
    reasons = _text(reasons, "reasons", required=outcome == Decision.Outcome.REJECTED)
    legal_basis = _text(legal_basis, "legal_basis", required=outcome == Decision.Outcome.REJECTED)
    certificate_number = _text(certificate_number, "certificate_number", required=False, limit=64)
    document = _checked_document(document)
    if outcome == Decision.Outcome.APPROVED:
        missing = outstanding_deferred(case)
        if missing:
            raise ValidationError(
                _("容缺材料“%(names)s”尚未补齐，不能准予办结出证。")
                % {"names": "、".join(line.name for line in missing)}
            )
    decision = Decision(
        case=case,
        outcome=outcome,
        reasons=reasons,
        legal_basis=legal_basis,
        certificate_number=certificate_number,
        decided_by=actor,
        decided_at=now,
    )
    if document is not None:
        decision.document.save(getattr(document, "name", "result.pdf"), document, save=False)
    decision.save()
    case.status = CaseStatus.APPROVED if outcome == Decision.Outcome.APPROVED else CaseStatus.REJECTED
    case.concluded_at = now
    if case.assignee_id is None:
        case.assignee = actor
    fields = ["status", "concluded_at", "assignee"]
    if not case.department.is_delegated:  # a stationed department's result is at the output window at once
        case.returned_at = now
        fields.append("returned_at")
    _save(case, *fields)
    if outcome == Decision.Outcome.APPROVED:
        licences.issue_for(case, decision, actor, now=now, request=request)
    fees.case_changed(case, actor, now=now, units=fee_units, request=request)  # approved: fees; rejected: refunds
    performance.touch(now)  # concluded on a day that is over (a backdated `now`): that day's rollup is stale
    _event(
        case,
        Kind.APPROVED if outcome == Decision.Outcome.APPROVED else Kind.REJECTED,
        actor,
        now,
        certificate_number=certificate_number,
        reasons=reasons,
        legal_basis=legal_basis,
        within_limit=case.due_at >= now,
    )
    audit.record(actor, "backoffice.conclude", case, summary=f"{case.number} {outcome}", request=request)
    if case.returned_at:
        _notify_result(case, decision)
    return decision


def _notify_result(case: Case, decision: Decision) -> None:
    """A result reached the output window: a rejection is told at once (with its reasons); "ready for pickup"
    is told once for the whole submission, when its last result arrives (output.services.result_returned)."""
    from yichuang.output.services import result_returned

    if decision.outcome == Decision.Outcome.REJECTED:
        _notify(case, "rejected", reasons=decision.reasons, place=_("综合出件窗口"))
    result_returned(case)


@transaction.atomic
def record_result(
    case: Case, actor, *, certificate_number: str = "", document=None, now=None, request=None
) -> Decision:
    """Add or correct the result of a concluded case (certificate number, document file: PDF, JPEG, PNG or OFD
    by its content). With a document the certificate number may stay as it is."""
    now = now or timezone.now()
    case = _locked(case)
    _ensure_officer(actor, case)
    _ensure_status(case, CaseStatus.APPROVED, CaseStatus.REJECTED, message=_("办件办结后才能登记办理结果。"))
    decision = Decision.objects.select_for_update().get(case=case)
    document = _checked_document(document)
    certificate_number = _text(certificate_number, "certificate_number", required=document is None, limit=64)
    if certificate_number:
        decision.certificate_number = certificate_number
    if document is not None:
        decision.document.save(getattr(document, "name", "result.pdf"), document, save=False)
    licences.renumber(case, decision.certificate_number, actor, request=request)
    decision.save(update_fields=["certificate_number", "document"])
    _event(case, Kind.RESULT_RECORDED, actor, now, certificate_number=decision.certificate_number)
    audit.record(actor, "backoffice.record_result", case, summary=case.number, request=request)
    return decision


@transaction.atomic
def terminate_unsupplied(case: Case, *, actor=None, now=None, request=None) -> Decision | None:
    """终止: a deferred material of the case was not supplied by its due date. The applicant is marked (no
    deferral until an admin clears it) and told. Returns None (and changes nothing) when the case is no longer
    open or the material was supplied meanwhile — so the worker may run it twice."""
    now = now or timezone.now()
    case = _locked(case)
    if actor is not None:
        _ensure_officer(actor, case)
    if case.status in CONCLUDED_STATUSES:
        return None
    today = _local_date(now)
    overdue = [line for line in outstanding_deferred(case) if line.due is not None and line.due < today]
    if not overdue:
        if actor is not None:
            raise ValidationError(_("该办件没有逾期未补交的容缺材料，不能终止。"))
        return None
    names = "、".join(line.name for line in overdue)
    decision = Decision.objects.create(
        case=case,
        outcome=Decision.Outcome.TERMINATED,
        reasons=_("容缺材料“%(names)s”未在承诺期限内补交。") % {"names": names},
        legal_basis=_("容缺受理承诺书"),
        decided_by=actor if getattr(actor, "pk", None) else None,
        decided_at=now,
    )
    case.status, case.concluded_at = CaseStatus.TERMINATED, now
    case.paused_at = case.left_us = None
    _save(case, "status", "concluded_at", "paused_at", "left_us")
    fees.case_changed(case, actor, now=now, request=request)  # unpaid notices cancelled, paid ones refunded
    performance.touch(now)
    _event(case, Kind.TERMINATED, actor, now, materials=[line.code for line in overdue], automatic=actor is None)
    audit.record(actor, "backoffice.terminate", case, summary=f"{case.number} {names}"[:255], request=request)
    applicant = case.submission.applicant
    if not applicant.deferral_blocked:
        mark_deferral_broken(
            applicant, reason=_("办件 %(case)s 容缺材料逾期未补交") % {"case": case.number}, actor=actor
        )
    first = overdue[0]
    _notify(case, "terminated", material=names, due=first.due.isoformat())
    from yichuang.output.services import result_returned

    result_returned(case, now=now)  # the other cases' results need no longer wait for this one
    return decision


# --- delegated departments (定时取件) ------------------------------------------------------------------


@transaction.atomic
def collect_handoff(handoff: Handoff, actor, *, signer: str, now=None, request=None) -> Handoff:
    """The delegated department collects its batch and signs the transfer slip (交接单): who, when. Its cases
    arrive in the department's inbox (their clocks have run since acceptance)."""
    now = now or timezone.now()
    handoff = Handoff.objects.select_for_update().get(pk=handoff.pk)
    if not is_officer_of(actor, handoff.department_id):
        raise PermissionDenied(_("只有本部门的后台审批人员可以签收交接单。"))
    if handoff.status != Handoff.Status.OPEN:
        raise ValidationError(_("该交接单已签收。"))
    handoff.collected_by = _text(signer, "signer", limit=50)
    handoff.collected_at = now
    handoff.status = Handoff.Status.COLLECTED
    handoff.save(update_fields=["collected_by", "collected_at", "status"])
    cases = list(Case.objects.select_for_update().filter(handoff=handoff))
    Case.objects.filter(handoff=handoff, received_at__isnull=True).update(received_at=now)
    collected = TimelineEvent.objects.bulk_create(
        [
            TimelineEvent(
                submission_id=c.submission_id,
                case=c,
                kind=Kind.COLLECTED,
                at=now,
                actor=actor,
                detail={"handoff": handoff.pk, "signer": handoff.collected_by},
            )
            for c in cases
        ]
    )
    exchange_outbox.publish(collected)
    audit.record(
        actor, "backoffice.collect_handoff", handoff, summary=f"{handoff} {len(cases)}", request=request,
        cases=[c.number for c in cases],
    )  # fmt: skip
    return handoff


@transaction.atomic
def return_results(cases: list[Case], actor, *, now=None, request=None) -> list[Case]:
    """A delegated department brings concluded cases' results back to the output window (结果送达)."""
    now = now or timezone.now()
    locked = [_locked(c) for c in sorted(cases, key=lambda c: c.pk)]
    if not locked:
        raise ValidationError(_("请选择要送回出件窗口的办件。"))
    for case in locked:
        _ensure_officer(actor, case)
        _ensure_status(case, *CONCLUDED_STATUSES, message=_("办件 %(n)s 尚未办结。") % {"n": case.number})
        if case.returned_at is not None:
            raise ValidationError(_("办件 %(n)s 的结果已送达出件窗口。") % {"n": case.number})
    for case in locked:
        case.returned_at = now
        _save(case, "returned_at")
        _event(case, Kind.RESULT_RETURNED, actor, now)
        audit.record(actor, "backoffice.return_result", case, summary=case.number, request=request)
        decision = Decision.objects.filter(case=case).first()
        if decision is not None:
            _notify_result(case, decision)
    return locked


# --- correction overdue: deemed withdrawn (补正逾期，视为撤回申请) -------------------------------------------


@transaction.atomic
def deem_withdrawn(
    case: Case, actor=None, *, reasons: str = "", legal_basis: str = "", now=None, request=None
) -> Decision | None:
    """视为撤回申请: the applicant did not supply the correction by its due date, so the application is deemed
    withdrawn and the case ends (status terminated, decision "withdrawn"); the applicant is told and gets a
    written notice (views.withdrawn_notice). Only while the correction is open and its due date has passed (the
    due day itself is still in time); only an officer or lead of the department, or the system (actor None:
    the sweep, when BackofficeRules allow it), which gets None instead of an error when there is nothing to do
    — so the worker may run it twice."""
    now = now or timezone.now()
    case = _locked(case)
    system = actor is None
    if not system:
        _ensure_officer(actor, case)
    correction = Correction.objects.select_for_update().filter(case=case).first()
    if case.status != CaseStatus.CORRECTION or correction is None or correction.received_at is not None:
        if system:
            return None
        if case.status in CONCLUDED_STATUSES:
            raise ValidationError(
                _("办件已办结（%(status)s），不能视为撤回申请。") % {"status": case.get_status_display()}
            )
        raise ValidationError(_("该办件没有待补正的内容，不能视为撤回申请。"))
    today = _local_date(now)
    if today <= correction.due:
        if system:
            return None
        raise ValidationError(
            _("补正期限 %(due)s 尚未届满；申请人逾期仍未补正的，才能视为撤回申请。")
            % {"due": correction.due.isoformat()}
        )
    default_reasons = _("申请人未在补正期限（%(due)s）内提交补正材料，视为撤回申请。") % {
        "due": correction.due.isoformat()
    }
    reasons = _text(reasons, "reasons", required=False) or default_reasons
    legal_basis = _text(legal_basis, "legal_basis", required=False)
    decision = Decision.objects.create(
        case=case,
        outcome=Decision.Outcome.WITHDRAWN,
        reasons=reasons,
        legal_basis=legal_basis,
        decided_by=None if system else actor,
        decided_at=now,
    )
    case.status, case.concluded_at = CaseStatus.TERMINATED, now
    if case.assignee_id is None and not system:
        case.assignee = actor
    case.paused_at = case.left_us = None
    _save(case, "status", "concluded_at", "assignee", "paused_at", "left_us")
    fees.case_changed(case, actor, now=now, request=request)  # unpaid notices cancelled, paid ones refunded
    performance.touch(now)
    _event(
        case, Kind.WITHDRAWN, actor, now, withdrawn=True, reason=str(Decision.Outcome.WITHDRAWN.label),
        correction_due=correction.due.isoformat(), automatic=system,
    )  # fmt: skip
    audit.record(
        actor, "backoffice.deem_withdrawn", case, summary=case.number, request=request,
        correction_due=correction.due.isoformat(), automatic=system,
    )  # fmt: skip
    # The department's lead and the supervisors see it among their alerts; the officer who did it has read it.
    alert, _created = Alert.objects.get_or_create(
        kind=Alert.Kind.WITHDRAWN,
        subject=case.number,
        defaults={"case": case, "department_id": case.department_id, "created_at": now},
    )
    if not system:
        AlertRead.objects.get_or_create(alert=alert, user=actor, defaults={"read_at": now})
    _notify(case, "terminated", withdrawn=True, due=correction.due.isoformat())
    from yichuang.output.services import result_returned

    result_returned(case, now=now)  # the other cases' results need no longer wait for this one
    return decision


# --- alerts (预警提醒) -----------------------------------------------------------------------------------


def _alert_ids(ids) -> list[int]:
    if not isinstance(ids, (list, tuple, set, frozenset)):
        raise ValidationError({"ids": [_("请选择预警提醒。")]})
    clean = []
    for value in ids:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise ObjectDoesNotExist(_("没有这条预警提醒。"))
        clean.append(value)
    if len(clean) > 500:
        raise ValidationError({"ids": [_("一次最多标记 500 条。")]})
    return sorted(set(clean))


@transaction.atomic
def mark_alerts_read(user, ids, *, now=None, request=None) -> int:
    """Mark the user's own alerts as read by them (one or all shown). Idempotent: an alert already read stays
    read at its first time (a double click, two tabs). An id that is not one of the user's own alerts — another
    department's, or none at all — raises ObjectDoesNotExist (404) and marks nothing. Returns how many were new."""
    now = now or timezone.now()
    wanted = _alert_ids(ids)
    if not wanted:
        return 0
    visible = set(queries.alerts_for(user).filter(pk__in=wanted).values_list("pk", flat=True))
    if visible != set(wanted):
        raise ObjectDoesNotExist(_("没有这条预警提醒，或不是您的预警提醒。"))
    already = set(AlertRead.objects.filter(user=user, alert_id__in=wanted).values_list("alert_id", flat=True))
    new = [pk for pk in wanted if pk not in already]
    # ignore_conflicts: another tab marking the same alert at this moment is not an error, it is the same fact.
    AlertRead.objects.bulk_create([AlertRead(alert_id=pk, user=user, read_at=now) for pk in new], ignore_conflicts=True)
    if new:
        audit.record(user, "backoffice.alerts_read", None, summary=f"{len(new)}", request=request, alerts=new)
    return len(new)
