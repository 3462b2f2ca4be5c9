"""The output window's API under /api/output/: results waiting, find, a submission, hand over, mail. Each
POST calls the one function of `output.services`, so the rules and messages are the pages'.

Errors: a rule refused the input (identity mismatch, a credit code where a person's ID is needed, an agent
neither on record nor authorised, a blank signature without a reason, not ready, partial not asked for, missing
tracking number …) → 422 `{"detail", "errors": [{"field", "reason"}]}`; not an output clerk or hall admin → 403;
no submission with that number → 404. Staff bearer token (`yichuang token USERNAME`) or the staff session.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from yichuang.core import audit
from yichuang.core.masking import mask_id_number
from yichuang.core.schemas import ErrorOut, InvalidOut
from yichuang.fees import queries as fee_queries
from yichuang.intake.models import Case, Submission
from yichuang.organisation.api_auth import staff_auth
from yichuang.organisation.queries import current_seat

from . import services
from .models import Handover, HandoverItem

router = Router(tags=["output"], auth=staff_auth)
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: InvalidOut}


class ReadyCaseOut(Schema):
    number: str
    matter_name: str
    status: str = Field(description="approved, rejected or terminated.")


class ReadyOut(Schema):
    submission: str
    applicant: str = Field(description="Applicant's name, masked.")
    bundle: str | None
    complete: bool = Field(description="Every case's result is here (false: partly ready, some still waiting).")
    waiting_cases: int
    ready_since: datetime.datetime
    days: int = Field(description="Calendar days since the last result arrived.")
    owing: Decimal | None = Field(description="Fees still unpaid (待缴费, yuan) for its ready results; none: nothing.")
    cases: list[ReadyCaseOut]


class FoundOut(Schema):
    submission: str
    applicant: str
    bundle: str | None
    accepted_at: datetime.datetime


class CaseStateOut(Schema):
    number: str
    matter_name: str
    department: str
    status: str
    state: str = Field(
        description="ready, unpaid (here, its fee 待缴费: not handed over until paid), handed (handed over or mailed), "
        "open, not_returned, none."
    )
    certificate_number: str
    handover: int | None


class HandoverOut(Schema):
    id: int
    submission: str
    method: str = Field(description="in_person or mail.")
    receiver: str = Field(
        description="applicant (申请人本人), legal_rep (法定代表人), agent (委托代理人); empty for mail."
    )
    receiver_name: str
    receiver_document: str = Field(
        description="resident_id; credit_code only on handovers from before the collector showed their own ID."
    )
    receiver_id_masked: str
    agent_on_record: bool = Field(description="An agent whose ID is the agent's on record.")
    authorisation_kept: bool = Field(description="An agent's 授权委托书 received and kept.")
    representative_checked: bool = Field(description="A legal representative checked against the licence.")
    proof_note: str
    signed: bool = Field(description="A signature was taken on the pad (the image is on the receipt).")
    no_signature_reason: str
    address: str
    carrier: str
    tracking_number: str
    partial: bool
    window: str | None
    handed_by: str
    handed_at: datetime.datetime
    cases: list[str]


class SubmissionOut(Schema):
    submission: str
    applicant: str
    applicant_id_masked: str
    applicant_kind: str = Field(description="person (collects: applicant or agent) or org (legal_rep or agent).")
    agent: str
    agent_id_masked: str
    bundle: str | None
    complete: bool
    cases: list[CaseStateOut]
    handovers: list[HandoverOut]


class HandOverIn(Schema):
    receiver: str = Field(
        description='Who collects: "applicant" (申请人本人, a person applicant), "legal_rep" (法定代表人, an '
        'organisation applicant) or "agent" (委托代理人).'
    )
    id_number: str = Field(
        description="The collector's own resident ID number (never a credit code). 申请人本人: must be the "
        "applicant's on record; 委托代理人: the agent's on record, or else `authorisation_kept`."
    )
    receiver_name: str
    authorisation_kept: bool = Field(
        False, description="委托代理人 not on record: the applicant's 授权委托书 was received and is kept."
    )
    representative_checked: bool = Field(
        False, description="法定代表人: checked against the business licence (required; intake records none)."
    )
    proof_note: str = Field("", description="Optional note on the check (≤ 200 characters).")
    signature: str = Field(
        "", description="PNG data URL of the touch-screen signature; a blank pad counts as none."
    )
    no_signature_reason: str = Field(
        "", description="Why the collector cannot sign; required exactly when there is no signature."
    )
    partial: bool = Field(False, description="The applicant asks for the ready part only.")
    cases: list[str] | None = Field(None, description="With partial: which ready cases (default: all ready).")


class MailIn(Schema):
    address: str
    carrier: str
    tracking_number: str
    partial: bool = False
    cases: list[str] | None = None


def _ensure(request) -> None:
    if not services.can_hand_over(request.user):
        raise PermissionDenied(_("只有出件人员可以办理出件。"))


def _submission(number: str) -> Submission:
    sub = (
        Submission.objects.select_related("applicant", "bundle")
        .filter(number=number, status=Submission.Status.ACCEPTED)
        .first()
    )
    if sub is None:
        raise Http404(_("没有这个受理编号。"))
    return sub


def _window(request):
    seat = current_seat(request.user)
    return seat.window if seat is not None else None


def handover_out(h: Handover) -> dict:
    return {
        "id": h.pk,
        "submission": h.submission.number,
        "method": h.method,
        "receiver": h.receiver,
        "receiver_name": h.receiver_name,
        "receiver_document": h.receiver_document,
        "receiver_id_masked": h.receiver_id_masked,
        "agent_on_record": h.agent_on_record,
        "authorisation_kept": h.authorisation_kept,
        "representative_checked": h.representative_checked,
        "proof_note": h.proof_note,
        "signed": h.signed,
        "no_signature_reason": h.no_signature_reason,
        "address": h.address,
        "carrier": h.carrier,
        "tracking_number": h.tracking_number,
        "partial": h.partial,
        "window": str(h.window) if h.window_id else None,
        "handed_by": h.handed_by.username,
        "handed_at": h.handed_at,
        "cases": list(h.items.order_by("case__seq").values_list("case__number", flat=True)),
    }


def submission_out(sub: Submission) -> dict:
    from yichuang.backoffice.models import Decision

    cases = list(Case.objects.filter(submission=sub).select_related("department").order_by("seq"))
    ready = {c.pk for c in services.ready_cases(sub)}
    items = {i.case_id: i for i in HandoverItem.objects.filter(case__in=cases)}
    certs = dict(Decision.objects.filter(case__in=cases).values_list("case_id", "certificate_number"))
    owed = fee_queries.owing(cases)

    def state(c):
        if c.pk in items:
            return "handed"
        if c.pk in ready:
            return "unpaid" if c.pk in owed else "ready"
        if c.is_open:
            return "open"
        return "not_returned" if c.returned_at is None and c.status != "terminated" else "none"

    return {
        "submission": sub.number,
        "applicant": sub.as_given.masked_name,
        "applicant_id_masked": sub.as_given.masked_id_number,
        "applicant_kind": sub.applicant.kind,
        "agent": sub.agent_name,
        "agent_id_masked": sub.masked_agent_id_number,
        "bundle": sub.bundle.code if sub.bundle_id else None,
        "complete": services.is_ready(sub),
        "cases": [
            {
                "number": c.number,
                "matter_name": c.matter_name,
                "department": c.department.code,
                "status": c.status,
                "state": state(c),
                "certificate_number": certs.get(c.pk) or "",
                "handover": items[c.pk].handover_id if c.pk in items else None,
            }
            for c in cases
        ],
        "handovers": [
            handover_out(h) for h in Handover.objects.filter(submission=sub).select_related("handed_by", "window")
        ],
    }


@router.get("/ready", response={200: list[ReadyOut], **ERRORS}, summary="Results waiting at the output window")
def ready(request):
    _ensure(request)
    return [
        {
            "submission": row.submission.number,
            "applicant": row.submission.as_given.masked_name,
            "bundle": row.submission.bundle.code if row.submission.bundle_id else None,
            "complete": row.complete,
            "waiting_cases": row.waiting,
            "ready_since": row.since,
            "days": row.days,
            "owing": row.owing,
            "cases": [{"number": c.number, "matter_name": c.matter_name, "status": c.status} for c in row.ready],
        }
        for row in services.ready_list(now=timezone.now())
    ]


@router.get(
    "/find",
    response={200: list[FoundOut], **ERRORS},
    summary="Find by submission number, case number, today's ticket number or ID number",
)
def find(request, q: Query[str] = ""):
    _ensure(request)
    found = services.find(q)
    if services.looks_like_id_number(q):
        audit.record(
            request.user, "output.find_by_id_number", None, summary=mask_id_number(q), request=request,
            found=[s.number for s in found], channel="api",
        )  # fmt: skip
    return [
        {
            "submission": s.number,
            "applicant": s.as_given.masked_name,
            "bundle": s.bundle.code if s.bundle_id else None,
            "accepted_at": s.accepted_at,
        }
        for s in found
    ]


@router.get("/submissions/{number}", response={200: SubmissionOut, **ERRORS}, summary="A submission's results")
def detail(request, number: str):
    _ensure(request)
    return submission_out(_submission(number))


@router.post(
    "/submissions/{number}/hand-over",
    response={200: HandoverOut, **ERRORS},
    summary="Hand over at the window to the collector identified by their own ID, signed or with the reason why "
    "not (whole submission unless partial)",
)
def hand_over(request, number: str, payload: HandOverIn):
    _ensure(request)
    handover = services.hand_over(
        _submission(number),
        request.user,
        receiver=payload.receiver,
        id_number=payload.id_number,
        receiver_name=payload.receiver_name,
        authorisation_kept=payload.authorisation_kept,
        representative_checked=payload.representative_checked,
        proof_note=payload.proof_note,
        signature=payload.signature,
        no_signature_reason=payload.no_signature_reason,
        window=_window(request),
        cases=payload.cases if payload.partial else None,
        partial=payload.partial,
        request=request,
    )
    return handover_out(handover)


@router.post(
    "/submissions/{number}/mail",
    response={200: HandoverOut, **ERRORS},
    summary="Mail the results (address and tracking number required)",
)
def mail(request, number: str, payload: MailIn):
    _ensure(request)
    handover = services.mail(
        _submission(number),
        request.user,
        address=payload.address,
        carrier=payload.carrier,
        tracking_number=payload.tracking_number,
        window=_window(request),
        cases=payload.cases if payload.partial else None,
        partial=payload.partial,
        request=request,
    )
    return handover_out(handover)
