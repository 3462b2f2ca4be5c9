"""The feedback API: `POST /api/evaluations` (from a paired rating pad, header `X-Rating-Pad: <window>:<secret>`,
or from a signed rating link, `"token"`), the rectification list and its actions, appeals and their review.

Errors: 422 `{"detail", "errors": [{"field", "reason"}]}` (a rule refused the input, already rated), 403 (no
pad or link, a link expired or forged, not allowed), 404 (unknown or not visible to the caller).
"""

import datetime as dt

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from yichuang.core.schemas import RowId
from yichuang.intake.models import Case
from yichuang.organisation.api_auth import staff_auth
from yichuang.queue.models import Ticket

from . import links, queries, services
from .models import Appeal, Channel, Evaluation, FeedbackRules, Rectification

router = Router(tags=["feedback"])
PAD_HEADER = "X-Rating-Pad"


class EvaluationIn(Schema):
    ticket: int | None = Field(None, description="Queue ticket id of the visit (rating pad only).")
    case: str | None = Field(None, description="Case number (办件编号).")
    token: str | None = Field(None, description="The signed rating link's token (instead of a rating pad).")
    level: int = Field(description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.")
    dimensions: dict[str, int] = Field(
        default_factory=dict,
        description="On-site (pad): efficiency, level, attitude; online (link): efficiency, guide_accuracy, "
        "convenience, usability; each 1–5.",
    )
    tags: list[str] = Field(default_factory=list)
    comment: str = ""
    real_name: bool = False


class RectificationBrief(Schema):
    id: int
    due_at: dt.datetime | None = Field(description="None while the due time waits for a year's holidays.")
    due_pending: str = Field(description="Why there is no due time yet (整改期限待X年节假日安排录入后计算), else ''.")
    follow_up_required: bool


class EvaluationOut(Schema):
    id: int
    channel: str
    level: int
    case: str | None
    ticket: int | None
    created_at: dt.datetime
    rectification: RectificationBrief | None


class AppealOut(Schema):
    id: int
    evaluation: int
    status: str
    reason: str
    appealed_by: str
    appealed_at: dt.datetime
    outcome: str
    reviewed_by: str | None
    reviewed_at: dt.datetime | None


class RectificationOut(Schema):
    id: int
    status: str
    overdue: bool
    due_at: dt.datetime | None = Field(description="None while the due time waits for a year's holidays.")
    due_pending: str = Field(description="Why there is no due time yet (整改期限待X年节假日安排录入后计算), else ''.")
    department: str | None
    assignee: str | None
    follow_up_required: bool
    follow_up_at: dt.datetime | None
    follow_up_note: str
    resolution: str
    resolved_at: dt.datetime | None
    evaluation: EvaluationOut
    appeals: list[AppealOut]


class ErrorOut(Schema):
    detail: str


class FollowUpIn(Schema):
    note: str


class ResolveIn(Schema):
    status: str = Field(description='"fixed" (已整改) or "explained" (已说明).')
    resolution: str


class AppealIn(Schema):
    reason: str


class ReviewIn(Schema):
    upheld: bool
    outcome: str


def _evaluation_out(e: Evaluation) -> dict:
    rect = Rectification.objects.filter(evaluation=e).first()
    return {
        "id": e.pk,
        "channel": e.channel,
        "level": e.level,
        "case": e.case.number if e.case_id else None,
        "ticket": e.ticket_id,
        "created_at": e.created_at,
        "rectification": (
            {
                "id": rect.pk,
                "due_at": rect.due_at,
                "due_pending": rect.due_pending_text,
                "follow_up_required": rect.follow_up_required,
            }
            if rect
            else None
        ),
    }


def _appeal_out(a: Appeal) -> dict:
    return {
        "id": a.pk,
        "evaluation": a.evaluation_id,
        "status": a.status,
        "reason": a.reason,
        "appealed_by": a.appealed_by.username,
        "appealed_at": a.appealed_at,
        "outcome": a.outcome,
        "reviewed_by": a.reviewed_by.username if a.reviewed_by_id else None,
        "reviewed_at": a.reviewed_at,
    }


def _rectification_out(r: Rectification, now) -> dict:
    return {
        "id": r.pk,
        "status": r.status,
        "overdue": r.status == Rectification.Status.OPEN and r.due_at is not None and r.due_at < now,
        "due_at": r.due_at,
        "due_pending": r.due_pending_text,
        "department": r.department.name if r.department_id else None,
        "assignee": r.assignee.username if r.assignee_id else None,
        "follow_up_required": r.follow_up_required,
        "follow_up_at": r.follow_up_at,
        "follow_up_note": r.follow_up_note,
        "resolution": r.resolution,
        "resolved_at": r.resolved_at,
        "evaluation": _evaluation_out(r.evaluation),
        "appeals": [_appeal_out(a) for a in r.evaluation.appeals.all()],
    }


def _pad_from_header(request):
    raw = request.headers.get(PAD_HEADER, "")
    window_id, _sep, secret = raw.partition(":")
    if not window_id.isdigit() or not secret:
        return None
    return services.pad_for(int(window_id), secret)


def _pad_subject(pad, body: EvaluationIn):
    """The ticket or case the pad may rate: finished (handed over) at its window within the last 15 minutes."""
    since = timezone.now() - queries.PAD_RECENT
    if body.case:
        from yichuang.output.models import HandoverItem

        item = (
            HandoverItem.objects.filter(
                case__number=body.case, handover__window=pad.window, handover__handed_at__gte=since
            )
            .select_related("case")
            .first()
        )
        if item is None:
            raise ValidationError({"case": ["this case was not just handed over at the pad's window"]})
        return None, item.case
    if body.ticket is None:
        raise ValidationError({"ticket": ["a ticket or a case is required"]})
    ticket = Ticket.objects.filter(
        pk=body.ticket, window=pad.window, status=Ticket.Status.FINISHED, finished_at__gte=since
    ).first()
    if ticket is None:
        raise ValidationError({"ticket": ["this ticket was not just finished at the pad's window"]})
    return ticket, None


@router.post(
    "/evaluations",
    response={201: EvaluationOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Rate a visit or a case (rating pad or signed link)",
)
def create_evaluation(request, body: EvaluationIn):
    common = {
        "level": body.level,
        "dimensions": body.dimensions,
        "tags": body.tags,
        "comment": body.comment,
        "real_name": body.real_name,
        "request": request,
    }
    if request.headers.get(PAD_HEADER):
        pad = _pad_from_header(request)
        if pad is None:
            raise PermissionDenied("the rating pad is not paired (X-Rating-Pad: <window id>:<secret>)")
        ticket, case = _pad_subject(pad, body)
        evaluation = services.rate(channel=Channel.PAD, ticket=ticket, case=case, window=pad.window, **common)
    elif body.token:
        try:
            number = links.read_token(body.token, FeedbackRules.current().link_valid_days)
        except signing.SignatureExpired:
            raise PermissionDenied("the rating link has expired") from None
        except signing.BadSignature:
            raise PermissionDenied("the rating link is not valid") from None
        if body.case and body.case != number:
            raise PermissionDenied("the rating link is for another case")
        if body.ticket is not None:
            raise ValidationError({"ticket": ["a rating link rates its case, not a visit"]})
        case = Case.objects.filter(number=number).first()
        if case is None:
            raise Http404("unknown case")
        evaluation = services.rate(channel=Channel.LINK, case=case, **common)
    else:
        raise PermissionDenied(f"a paired rating pad ({PAD_HEADER}) or a signed link token is required")
    return Status(201, _evaluation_out(evaluation))


# --- staff: rectifications and appeals ----------------------------------------------------------------


def _rectification(request, pk: int) -> Rectification:
    found = queries.rectifications_for(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("unknown rectification")
    return found


@router.get(
    "/rectifications",
    response={200: list[RectificationOut]},
    auth=staff_auth,
    summary="Rectifications the caller sees (status=open|fixed|explained; overdue=true)",
)
def list_rectifications(request, status: str | None = None, overdue: bool = False):
    if not queries.may_see_rectifications(request.user):
        raise PermissionDenied("no role that sees rectifications")
    now = timezone.now()
    qs = queries.rectifications_for(request.user, status=status or None)
    if overdue:
        qs = qs.filter(status=Rectification.Status.OPEN, due_at__lt=now)
    return [_rectification_out(r, now) for r in qs[:500]]


@router.post(
    "/rectifications/{pk}/follow-up",
    response={200: RectificationOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=staff_auth,
    summary="Record the follow-up call (回访)",
)
def follow_up(request, pk: RowId, body: FollowUpIn):
    rect = services.record_follow_up(_rectification(request, pk), request.user, body.note, request=request)
    return _rectification_out(queries.rectifications_for(request.user).get(pk=rect.pk), timezone.now())


@router.post(
    "/rectifications/{pk}/resolve",
    response={200: RectificationOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=staff_auth,
    summary="Fix or explain (整改完成)",
)
def resolve(request, pk: RowId, body: ResolveIn):
    rect = services.resolve(_rectification(request, pk), request.user, body.status, body.resolution, request=request)
    return _rectification_out(queries.rectifications_for(request.user).get(pk=rect.pk), timezone.now())


@router.post(
    "/evaluations/{pk}/appeals",
    response={201: AppealOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=staff_auth,
    summary="Appeal a rating as wrongful (申诉)",
)
def create_appeal(request, pk: RowId, body: AppealIn):
    evaluation = Evaluation.objects.select_related("staff").filter(pk=pk).first()
    visible = evaluation is not None and (
        services.may_appeal(request.user, evaluation)
        or queries.rectifications_for(request.user).filter(evaluation=evaluation).exists()
    )
    if not visible:
        raise Http404("unknown evaluation")
    return Status(201, _appeal_out(services.appeal(evaluation, request.user, body.reason, request=request)))


@router.post(
    "/appeals/{pk}/review",
    response={200: AppealOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=staff_auth,
    summary="Review an appeal (复核, supervisors)",
)
def review(request, pk: RowId, body: ReviewIn):
    found = Appeal.objects.filter(pk=pk).first()
    if found is None:
        raise Http404("unknown appeal")
    return _appeal_out(services.review_appeal(found, request.user, body.upheld, body.outcome, request=request))
