"""The back-office API under /api/office/: the department's worklist, a case with its clock, one POST per
transition (each calls the one function of `backoffice.services`, so the rules and messages are the pages'), and
the caller's own alerts with their read state (per person).

Errors: a rule refused the input → 422 `{"detail", "errors": [{"field", "reason"}]}`; the caller may see the
case but not act on it (a supervisor, an officer asking to approve) → 403; a case of another department, or
none with that number → 404. Staff bearer token (`yichuang token USERNAME`) or the staff session.
"""

import datetime

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Field, File, Form, Router, Schema, UploadedFile

from yichuang.clock import caseclock
from yichuang.core.pagination import page_query, page_slice
from yichuang.core.schemas import ErrorOut, InvalidOut, RowId
from yichuang.intake.models import Case, Handoff, SubmissionMaterial, TimelineEvent
from yichuang.organisation.api_auth import staff_auth
from yichuang.organisation.models import User

from . import queries, services
from .models import Extension

router = Router(tags=["office"], auth=staff_auth)
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: InvalidOut}


# --- schemas -----------------------------------------------------------------------------------------


class WorkItemOut(Schema):
    number: str
    matter: str = Field(description="Matter code.")
    matter_name: str
    department: str = Field(description="Department code.")
    status: str = Field(description="accepted, in_progress, correction, special (open statuses).")
    level: str | None = Field(description="green, yellow or red (预警), from the database; null when concluded.")
    due: datetime.datetime = Field(description="Due time (Asia/Shanghai); stands still while paused.")
    time_left_us: int | None = Field(description="Opening time left in µs (negative: overdue by that much).")
    time_used_us: int | None = Field(description="Opening time used of the budget in µs.")
    clock_problem: str = Field(
        "", description="Why time left and used are null for an open case (a year's holidays not entered), else ''."
    )
    paused: bool = Field(description="The clock stands still (correction or special procedure).")
    assignee: str | None = Field(description="User name of the officer in charge.")


class WorklistOut(Schema):
    items: list[WorkItemOut]
    page: int
    pages: int
    total: int = Field(description="open cases, counted up to 1,000 (`total_capped` says the count stopped there)")
    total_capped: bool


class MaterialOut(Schema):
    material: str
    name: str
    required: bool
    core: bool
    status: str = Field(description="received, deferred (容缺), pledged, missing.")
    due: datetime.date | None = Field(description="Deferred materials: the day by which it must be supplied.")
    supplied_at: datetime.datetime | None


class TimelineOut(Schema):
    at: datetime.datetime
    kind: str
    label: str
    actor: str | None
    detail: dict


class ClockOut(Schema):
    level: str | None
    paused: bool
    due: datetime.datetime
    left_us: int | None
    used_us: int | None
    budget_us: int = Field(description="The case's whole opening-time budget in µs (grows with an extension).")
    day_us: int = Field(description="One standard working day of the site in µs.")
    extended_days: int


class CorrectionOut(Schema):
    items: list[dict] = Field(description="[{material, name, note}]: everything to correct, told at once.")
    note: str
    due: datetime.date
    requested_by: str
    requested_at: datetime.datetime
    received_at: datetime.datetime | None
    overdue: bool = Field(description="补正逾期: still open and its due date has passed (the due day is in time).")


class SpecialOut(Schema):
    id: int
    kind: str
    reason: str
    limit_days: int
    started_at: datetime.datetime
    due_at: datetime.datetime
    ended_at: datetime.datetime | None
    outcome: str


class ExtensionOut(Schema):
    id: int
    days: int
    reason: str
    status: str = Field(description="pending, approved, rejected.")
    requested_by: str
    requested_at: datetime.datetime
    decided_by: str | None
    decided_at: datetime.datetime | None
    decision_note: str


class DecisionOut(Schema):
    outcome: str = Field(
        description="approved, rejected, terminated (deferred material overdue), withdrawn (视为撤回申请: the "
        "correction was not supplied in time; the case status is terminated)."
    )
    reasons: str
    legal_basis: str
    certificate_number: str
    has_document: bool = Field(description="A result document (scan of the licence, the written decision) is attached.")
    decided_by: str | None
    decided_at: datetime.datetime


class CaseOut(WorkItemOut):
    submission: str
    department_name: str
    received_at: datetime.datetime | None = Field(description="When the department has it (delegated: pickup).")
    concluded_at: datetime.datetime | None
    returned_at: datetime.datetime | None = Field(description="When the result reached the output window.")
    handoff: int | None = Field(description="Pickup batch (交接单) of a delegated department's case.")
    clock: ClockOut
    materials: list[MaterialOut]
    timeline: list[TimelineOut]
    correction: CorrectionOut | None
    special_procedures: list[SpecialOut]
    extensions: list[ExtensionOut]
    decision: DecisionOut | None


class AssignIn(Schema):
    officer: str = Field(description="User name of an officer of the case's department.")


class CorrectionItemIn(Schema):
    material: str = Field("", description="Material code of the submission's list, or empty with a name.")
    name: str = Field("", description="What to add when it is not a listed material.")
    note: str = ""


class CorrectionIn(Schema):
    items: list[CorrectionItemIn] = Field(description="Everything to correct, at once (only one request per case).")
    due: datetime.date = Field(description="Day by which the applicant should supply it.")
    note: str = ""


class ReceivedIn(Schema):
    channel: str = Field("window", description='"window" or "online".')


class SpecialIn(Schema):
    kind: str = Field(
        description="hearing, tender, auction, inspection, testing, quarantine, appraisal, expert_review."
    )
    reason: str
    limit_days: int = Field(description="The procedure's own limit in working days (1–365).")


class SpecialEndIn(Schema):
    outcome: str = ""


class ExtensionIn(Schema):
    days: int = Field(description="Working days (at most ClockRules.max_extension_days, default 10; once per case).")
    reason: str


class ExtensionDecisionIn(Schema):
    approve: bool
    note: str = Field("", description="Required when rejecting.")


class ConcludeIn(Schema):
    outcome: str = Field(description='"approved" (准予) or "rejected" (不予, with reasons and legal_basis).')
    reasons: str = ""
    legal_basis: str = ""
    certificate_number: str = ""
    fee_units: dict[int, int] = Field(
        default_factory=dict, description="Fee item id → units, for the matter's fees charged per unit (准予 only)."
    )


class ResultIn(Schema):
    certificate_number: str


class WithdrawIn(Schema):
    reasons: str = Field("", description="Empty: the standard text naming the correction's due date.")
    legal_basis: str = ""


class AlertOut(Schema):
    id: int
    kind: str = Field(
        description="case_yellow, case_red, special_overdue, material_due, terminated, correction_due, "
        "correction_overdue, withdrawn."
    )
    label: str = Field(description="The kind in words (zh-Hans).")
    case: str = Field(description="Case number.")
    matter_name: str
    department: str = Field(description="Department code.")
    department_name: str
    created_at: datetime.datetime
    read_at: datetime.datetime | None = Field(description="When the caller read it; null: unread (per person).")


class AlertListOut(Schema):
    items: list[AlertOut]
    unread: int = Field(description="The caller's unread alerts, counted up to 100.")
    page: int
    pages: int


class AlertsReadIn(Schema):
    ids: list[int] = Field(description="Ids of the caller's own alerts (at most 500).")


class AlertsReadOut(Schema):
    marked: int = Field(description="How many were newly marked read (0 when they were already read).")
    unread: int = Field(description="The caller's unread alerts now, counted up to 100.")


class HandoffOut(Schema):
    id: int
    department: str
    site: str
    status: str = Field(description="open (待取件) or collected.")
    scheduled_for: datetime.datetime
    collected_by: str
    collected_at: datetime.datetime | None
    cases: list[str]


class CollectIn(Schema):
    signer: str = Field(description="Name of the person who signs the transfer slip (交接单).")


class ReturnIn(Schema):
    cases: list[str] = Field(description="Numbers of concluded cases whose results go to the output window.")


# --- helpers -----------------------------------------------------------------------------------------


def _case(request, number: str) -> Case:
    case = queries.case_detail(request.user, number)
    if case is None:
        raise Http404("no such case")
    return case


def _name(user) -> str | None:
    return user.username if user else None


def _code(case: Case) -> str:
    return case.matter_snapshot.get("code") or case.matter.code


def _item(case: Case, now, clocks: dict) -> dict:
    clock = clocks.get(case.submission.site_id)
    if clock is None:
        clock = clocks[case.submission.site_id] = queries.clock_of(case)
    level = case.level if hasattr(case, "level") else caseclock.level(case, now)  # annotated in the worklist
    view = queries.clock_view(case, now, clock)
    return {
        "number": case.number,
        "matter": _code(case),
        "matter_name": case.matter_name,
        "department": case.department.code,
        "status": case.status,
        "level": level,
        "due": timezone.localtime(case.due_at),
        "time_left_us": view.left_us,
        "time_used_us": view.used_us,
        "clock_problem": view.problem,
        "paused": case.paused_at is not None,
        "assignee": _name(case.assignee),
    }


def case_out(case: Case, now=None) -> dict:
    now = now or timezone.now()
    case = Case.objects.select_related("submission__site", "department", "assignee").get(pk=case.pk)
    clock = queries.clock_of(case)
    view = queries.clock_view(case, now, clock)
    code = _code(case)
    correction = getattr(case, "correction", None)
    decision = getattr(case, "decision", None)
    materials = [
        m for m in SubmissionMaterial.objects.filter(submission_id=case.submission_id) if code in (m.matters or [])
    ]
    events = TimelineEvent.objects.filter(case=case).select_related("actor").order_by("at", "id")
    return {
        **_item(case, now, {case.submission.site_id: clock}),
        "submission": case.submission.number,
        "department_name": case.department.name,
        "received_at": case.received_at,
        "concluded_at": case.concluded_at,
        "returned_at": case.returned_at,
        "handoff": case.handoff_id,
        "clock": {
            "level": view.level, "paused": view.paused, "due": timezone.localtime(view.due_at),
            "left_us": view.left_us, "used_us": view.used_us, "budget_us": view.budget_us, "day_us": view.day_us,
            "extended_days": case.extended_days,
        },
        "materials": [
            {"material": m.code, "name": m.name, "required": m.required, "core": m.core, "status": m.status,
             "due": m.due, "supplied_at": m.supplied_at}
            for m in materials
        ],
        "timeline": [
            {"at": timezone.localtime(e.at), "kind": e.kind, "label": e.kind_display, "actor": _name(e.actor),
             "detail": e.detail}
            for e in events
        ],
        "correction": {
            "items": correction.items, "note": correction.note, "due": correction.due,
            "requested_by": correction.requested_by.username, "requested_at": correction.requested_at,
            "received_at": correction.received_at,
            "overdue": queries.correction_overdue(correction, case, timezone.localtime(now).date()),
        } if correction else None,
        "special_procedures": [
            {"id": p.pk, "kind": p.kind, "reason": p.reason, "limit_days": p.limit_days, "started_at": p.started_at,
             "due_at": p.due_at, "ended_at": p.ended_at, "outcome": p.outcome}
            for p in case.special_procedures.order_by("started_at", "id")
        ],
        "extensions": [
            {"id": x.pk, "days": x.days, "reason": x.reason, "status": x.status,
             "requested_by": x.requested_by.username, "requested_at": x.requested_at,
             "decided_by": _name(x.decided_by), "decided_at": x.decided_at, "decision_note": x.decision_note}
            for x in case.extensions.select_related("requested_by", "decided_by").order_by("requested_at", "id")
        ],
        "decision": {
            "outcome": decision.outcome, "reasons": decision.reasons, "legal_basis": decision.legal_basis,
            "certificate_number": decision.certificate_number, "has_document": bool(decision.document),
            "decided_by": _name(decision.decided_by),
            "decided_at": decision.decided_at,
        } if decision else None,
    }  # fmt: skip


def handoff_out(handoff: Handoff) -> dict:
    return {
        "id": handoff.pk,
        "department": handoff.department.code,
        "site": handoff.site.code,
        "status": handoff.status,
        "scheduled_for": timezone.localtime(handoff.scheduled_for),
        "collected_by": handoff.collected_by,
        "collected_at": handoff.collected_at,
        "cases": list(Case.objects.filter(handoff=handoff).order_by("number").values_list("number", flat=True)),
    }


# --- reading -----------------------------------------------------------------------------------------


@router.get(
    "/office/cases",
    response={200: WorklistOut, **ERRORS},
    summary="The department's open cases by time left (预警 level from the database)",
    description="`show`: all (default), inbox (not claimed), mine (assigned to the caller), paused "
    "(correction or special procedure). 25 a page.",
)
def worklist(request, show: str = "all", page: int = page_query()):
    if show not in queries.SHOW:
        raise ValidationError({"show": [f"show must be one of: {', '.join(queries.SHOW)}"]})
    now = timezone.now()
    qs = queries.worklist(request.user, now=now, show=show)
    paginator = queries.WorklistPaginator(qs.select_related("submission__site"), queries.PAGE_SIZE)
    rows = list(paginator.object_list[page_slice(page, queries.PAGE_SIZE)])
    clocks: dict = {}
    return {
        "items": [_item(c, now, clocks) for c in rows],
        "page": page,
        "pages": paginator.num_pages,
        "total": paginator.count,
        "total_capped": paginator.capped,
    }


@router.get(
    "/office/cases/{number}",
    response={200: CaseOut, **ERRORS},
    summary="A case with its materials, timeline, clock, correction, special procedures, extensions, decision",
)
def case_detail(request, number: str):
    return case_out(_case(request, number))


# --- transitions -------------------------------------------------------------------------------------


@router.post(
    "/office/cases/{number}/claim", response={200: CaseOut, **ERRORS}, summary="认领: take a case of the inbox"
)
def claim(request, number: str):
    case = services.claim(_case(request, number), request.user, request=request)
    return case_out(case)


@router.post(
    "/office/cases/{number}/assign",
    response={200: CaseOut, **ERRORS},
    summary="分派: a lead gives the case to an officer",
)
def assign(request, number: str, payload: AssignIn):
    case = _case(request, number)
    officer = User.objects.filter(username=payload.officer).first()
    if officer is None:
        raise ValidationError({"officer": ["承办人须是本部门的后台审批人员。"]})
    return case_out(services.assign(case, officer, request.user, request=request))


@router.post(
    "/office/cases/{number}/correction",
    response={200: CaseOut, **ERRORS},
    summary="补正: tell the applicant everything to correct, at once; the clock stops",
)
def request_correction(request, number: str, payload: CorrectionIn):
    case = _case(request, number)
    items = [item.dict() for item in payload.items]
    services.request_correction(case, request.user, items=items, due=payload.due, note=payload.note, request=request)
    return case_out(case)


@router.post(
    "/office/cases/{number}/correction/received",
    response={200: CaseOut, **ERRORS},
    summary="The corrected materials arrived: the clock restarts with the time left",
)
def receive_correction(request, number: str, payload: ReceivedIn | None = None):
    channel = payload.channel if payload else "window"
    if channel not in ("window", "online"):
        raise ValidationError({"channel": ['channel must be "window" or "online"']})
    case = services.receive_correction(_case(request, number), request.user, channel=channel, request=request)
    return case_out(case)


@router.post(
    "/office/cases/{number}/special",
    response={200: CaseOut, **ERRORS},
    summary="特别程序: start a hearing, inspection, expert review …; the clock stops",
)
def start_special(request, number: str, payload: SpecialIn):
    case = _case(request, number)
    services.start_special(
        case, request.user, kind=payload.kind, reason=payload.reason, limit_days=payload.limit_days, request=request
    )
    return case_out(case)


@router.post(
    "/office/cases/{number}/special/end",
    response={200: CaseOut, **ERRORS},
    summary="End the running special procedure: the clock restarts",
)
def end_special(request, number: str, payload: SpecialEndIn | None = None):
    case = _case(request, number)
    services.end_special(case, request.user, outcome=payload.outcome if payload else "", request=request)
    return case_out(case)


@router.post(
    "/office/cases/{number}/extension",
    response={200: CaseOut, **ERRORS},
    summary="延期: request more working days, with a reason (approved by the department lead)",
)
def request_extension(request, number: str, payload: ExtensionIn):
    case = _case(request, number)
    services.request_extension(case, request.user, days=payload.days, reason=payload.reason, request=request)
    return case_out(case)


@router.post(
    "/office/cases/{number}/extensions/{extension_id}/decision",
    response={200: CaseOut, **ERRORS},
    summary="The lead approves (the deadline moves) or rejects an extension",
)
def decide_extension(request, number: str, extension_id: RowId, payload: ExtensionDecisionIn):
    case = _case(request, number)
    extension = Extension.objects.filter(pk=extension_id, case=case).first()
    if extension is None:
        raise Http404("no such extension")
    services.decide_extension(extension, request.user, approve=payload.approve, note=payload.note, request=request)
    return case_out(case)


@router.post(
    "/office/cases/{number}/conclude",
    response={200: CaseOut, **ERRORS},
    summary="办结: approve (准予) or reject (不予, with reasons and legal basis)",
)
def conclude(request, number: str, payload: ConcludeIn):
    case = _case(request, number)
    services.conclude(
        case,
        request.user,
        outcome=payload.outcome,
        reasons=payload.reasons,
        legal_basis=payload.legal_basis,
        certificate_number=payload.certificate_number,
        fee_units=payload.fee_units,
        request=request,
    )
    return case_out(case)


@router.post(
    "/office/cases/{number}/result",
    response={200: CaseOut, **ERRORS},
    summary="Record or correct the result of a concluded case (certificate number)",
)
def record_result(request, number: str, payload: ResultIn):
    case = _case(request, number)
    services.record_result(case, request.user, certificate_number=payload.certificate_number, request=request)
    return case_out(case)


@router.post(
    "/office/cases/{number}/result/document",
    response={200: CaseOut, **ERRORS},
    summary="Attach the result document of a concluded case (multipart: `document`, optional `certificate_number`)",
    description="The file is checked by its content (PDF, JPEG, PNG or OFD) and its size (INTAKE_MAX_UPLOAD_MB); "
    "another file is a 422 at the field `document`. Replaces an earlier document.",
)
def record_result_document(
    request, number: str, document: File[UploadedFile], certificate_number: Form[str] = ""
):  # fmt: skip
    case = _case(request, number)
    services.record_result(
        case, request.user, certificate_number=certificate_number, document=document, request=request
    )
    return case_out(case)


@router.post(
    "/office/cases/{number}/terminate",
    response={200: CaseOut, **ERRORS},
    summary="终止: a deferred material was not supplied by its due date (the worker also does it by itself)",
)
def terminate(request, number: str):
    case = _case(request, number)
    services.terminate_unsupplied(case, actor=request.user, request=request)
    return case_out(case)


@router.post(
    "/office/cases/{number}/withdraw",
    response={200: CaseOut, **ERRORS},
    summary="视为撤回申请: the correction was not supplied by its due date; the case ends (status terminated)",
    description="Only while the correction is open and its due date has passed; the applicant is told, and the "
    "written notice is at /office/cases/{number}/withdrawn/ (PDF: withdrawn.pdf).",
)
def withdraw(request, number: str, payload: WithdrawIn | None = None):
    case = _case(request, number)
    payload = payload or WithdrawIn()
    services.deem_withdrawn(
        case, request.user, reasons=payload.reasons, legal_basis=payload.legal_basis, request=request
    )
    return case_out(case)


# --- alerts ------------------------------------------------------------------------------------------


def _alert_out(alert) -> dict:
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "label": alert.get_kind_display(),
        "case": alert.case.number,
        "matter_name": alert.case.matter_name,
        "department": alert.department.code,
        "department_name": alert.department.name,
        "created_at": timezone.localtime(alert.created_at),
        "read_at": alert.read_at,
    }


@router.get(
    "/office/alerts",
    response={200: AlertListOut, **ERRORS},
    summary="The caller's own alerts (预警提醒), newest first, with the unread count",
    description="Officers and leads: their department's alerts of every kind; supervisors: case_red, "
    "special_overdue, terminated and withdrawn in every department; anyone else: none. `show`: unread "
    "(default) or all. 50 a page.",
)
def alerts(request, show: str = "unread", page: int = page_query()):
    if show not in ("unread", "all"):
        raise ValidationError({"show": ["show must be one of: unread, all"]})
    qs = queries.alerts_for(request.user, unread_only=show == "unread").select_related("case", "department")
    paginator = queries.WorklistPaginator(qs, queries.ALERT_PAGE_SIZE)
    rows = list(qs[page_slice(page, queries.ALERT_PAGE_SIZE)])
    return {
        "items": [_alert_out(a) for a in rows],
        "unread": queries.unread_count(request.user),
        "page": page,
        "pages": paginator.num_pages,
    }


def _mark(request, ids: list[int]) -> dict:
    try:
        marked = services.mark_alerts_read(request.user, ids, request=request)
    except ObjectDoesNotExist:
        raise Http404("no such alert") from None
    return {"marked": marked, "unread": queries.unread_count(request.user)}


@router.post(
    "/office/alerts/read",
    response={200: AlertsReadOut, **ERRORS},
    summary="Mark some of the caller's alerts read (idempotent); any id not the caller's own is a 404",
)
def alerts_read(request, payload: AlertsReadIn):
    return _mark(request, payload.ids)


@router.post(
    "/office/alerts/{alert_id}/read",
    response={200: AlertsReadOut, **ERRORS},
    summary="Mark one of the caller's alerts read (idempotent); another department's alert is a 404",
)
def alert_read(request, alert_id: RowId):
    return _mark(request, [alert_id])


# --- delegated departments ---------------------------------------------------------------------------


@router.get(
    "/office/handoffs",
    response={200: list[HandoffOut], **ERRORS},
    summary="Pickup batches (交接单) of the caller's delegated department",
    description="`status`: open (待取件) or collected; all when empty.",
)
def handoffs(request, status: str = ""):
    if status and status not in Handoff.Status.values:
        raise ValidationError({"status": [f"status must be one of: {', '.join(Handoff.Status.values)}"]})
    return [handoff_out(h) for h in queries.handoffs_for(request.user, status=status or None)]


@router.post(
    "/office/handoffs/{handoff_id}/collect",
    response={200: HandoffOut, **ERRORS},
    summary="Collect a pickup batch and sign the transfer slip: its cases arrive in the inbox",
)
def collect(request, handoff_id: RowId, payload: CollectIn):
    handoff = queries.handoffs_for(request.user).filter(pk=handoff_id).first()
    if handoff is None:
        raise Http404("no such handoff")
    return handoff_out(services.collect_handoff(handoff, request.user, signer=payload.signer, request=request))


@router.post(
    "/office/return-results",
    response={200: list[WorkItemOut], **ERRORS},
    summary="Bring concluded cases' results back to the output window (结果送达)",
)
def return_results(request, payload: ReturnIn):
    cases = []
    for i, number in enumerate(payload.cases):
        case = queries.case_detail(request.user, number)
        if case is None:
            raise ValidationError({f"cases[{i}]": [f"no such case: {number[:40]}"]})
        cases.append(case)
    returned = services.return_results(cases, request.user, request=request)
    now, clocks = timezone.now(), {}
    return [
        _item(Case.objects.select_related("submission__site", "department", "assignee").get(pk=c.pk), now, clocks)
        for c in returned
    ]
