"""The consultation API (mounted in yichuang/api.py): `/api/consultations` — record and list, escalate, answer.

Each POST calls the one function of `consultation.services`, so the rules and messages are the pages'. Errors: a
rule refused the input → 422 `{"detail", "errors": [{"field", "reason"}]}`; the caller may see the consultation but
not take the step → 403; a consultation the caller may not see (another department's) or none with that number →
404. Staff bearer token (`yichuang token USERNAME`) or the staff session. The asker's name and phone are always
masked here (the full data is shown, and audited, only on the desk's page).
"""

import datetime
import math

from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from yichuang.core.pagination import page_query, page_slice
from yichuang.core.schemas import ErrorOut, InvalidOut
from yichuang.organisation.api_auth import staff_auth

from . import queries, services
from .models import Consultation

router = Router(tags=["consultation"], auth=staff_auth)
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: InvalidOut}
PAGE_SIZE = 50


class EscalationOut(Schema):
    department: str = Field(description="Department code.")
    department_name: str
    note: str
    due_at: datetime.datetime = Field(description="Reply deadline: the close of the n-th working day (Asia/Shanghai).")
    status: str = Field(description="open or answered.")
    level: str = Field(description="red (past the deadline), yellow (due today), green; '' once answered.")
    reply: str
    expert: str | None
    replied_at: datetime.datetime | None


class ConsultationOut(Schema):
    number: str = Field(description="ZX-<year>-<seq>.")
    channel: str = Field(description="window, phone, online or video.")
    status: str = Field(description="open, answered (solved at the desk), escalated, replied (by the department).")
    solved: bool
    question: str
    answer: str
    matters: list[str] = Field(description="Matter codes.")
    articles: list[int] = Field(description="Knowledge article ids used in the answer.")
    asker_name: str = Field(description="Masked.")
    asker_phone: str = Field(description="Masked.")
    ticket: str | None = Field(description="Queue number of a window consultation.")
    staff: str | None
    created_at: datetime.datetime
    answered_at: datetime.datetime | None
    escalation: EscalationOut | None
    rating: int | None = Field(description="1–5 once the asker rated it.")


class ConsultationListOut(Schema):
    items: list[ConsultationOut]
    page: int
    pages: int
    total: int


class ConsultationIn(Schema):
    channel: str = Field(description='"window" (the ticket called at the caller\'s window), "phone" or "video".')
    question: str
    matters: list[str] = Field(default_factory=list, description="Matter codes.")
    asker_name: str = ""
    asker_phone: str = ""
    solved: bool = Field(description="Solved on the spot (answer required); otherwise escalated to `department`.")
    answer: str = ""
    articles: list[int] = Field(default_factory=list, description="Ids of published knowledge articles used.")
    department: str = Field("", description="Department code for an escalation; empty: the matters' department.")
    note: str = ""
    video_call: int | None = Field(
        None, ge=1, le=2**63 - 1, description="Id of the video call (channel video) the caller answered; linked."
    )


class EscalateIn(Schema):
    department: str = Field("", description="Department code; empty: the department of the question's matters.")
    note: str = ""


class AnswerIn(Schema):
    reply: str
    articles: list[int] = Field(default_factory=list)


class ListFilter(Schema):
    status: str | None = Field(None, description="open, answered, escalated, replied.")
    channel: str | None = None
    overdue: bool = Field(False, description="Only escalations past their reply deadline, still unanswered.")


def consultation_out(c: Consultation, now=None) -> dict:
    now = now or timezone.now()
    asker = queries.asker(c, full=False)
    escalation = getattr(c, "escalation", None)
    rating = getattr(c, "rating", None)
    return {
        "number": c.number,
        "channel": c.channel,
        "status": c.status,
        "solved": c.solved,
        "question": c.question,
        "answer": c.answer,
        "matters": [m.code for m in c.matters.all()],
        "articles": [a.pk for a in c.articles.all()],
        "asker_name": asker["name"],
        "asker_phone": asker["phone"],
        "ticket": c.ticket.number if c.ticket_id else None,
        "staff": c.staff.username if c.staff_id else None,
        "created_at": timezone.localtime(c.created_at),
        "answered_at": c.answered_at,
        "escalation": {
            "department": escalation.department.code,
            "department_name": escalation.department.name,
            "note": escalation.note,
            "due_at": timezone.localtime(escalation.due_at),
            "status": escalation.status,
            "level": queries.level(escalation, now),
            "reply": escalation.reply,
            "expert": escalation.expert.username if escalation.expert_id else None,
            "replied_at": escalation.replied_at,
        }
        if escalation is not None
        else None,
        "rating": rating.level if rating is not None else None,
    }


def _found(request, number: str) -> Consultation:
    found = queries.detail(request.user, number[:40])
    if found is None:
        raise Http404("没有这条咨询。")
    return found


def _fresh(request, number: str) -> dict:
    return consultation_out(_found(request, number))


@router.post(
    "/consultations",
    response={201: ConsultationOut, **ERRORS},
    summary="登记咨询: record a consultation",
    description="Send an `Idempotency-Key` header (as for `POST /api/submissions`): a retry with the same key "
    "returns the first consultation (201, header `Idempotent-Replayed: true`) and records nothing; the same key "
    "with a different body, or another caller's key, is 422 with the reason at `idempotency_key`.",
)
def create(request, response: HttpResponse, payload: ConsultationIn):
    consultation = services.record(
        request.user,
        channel=payload.channel,
        question=payload.question,
        matters=payload.matters,
        asker_name=payload.asker_name,
        asker_phone=payload.asker_phone,
        answer=payload.answer,
        articles=payload.articles,
        solved=payload.solved,
        department=payload.department or None,
        note=payload.note,
        video_call=payload.video_call,
        idempotency_key=request.headers.get("Idempotency-Key"),
        request=request,
    )
    if consultation.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(201, _fresh(request, consultation.number))


@router.get("/consultations", response={200: ConsultationListOut, **ERRORS}, summary="The consultations you may see")
def listing(request, filters: Query[ListFilter], page: int = page_query()):
    qs = queries.visible(request.user).prefetch_related("matters", "articles").select_related("rating")
    if filters.status:
        qs = qs.filter(status=filters.status[:16])
    if filters.channel:
        qs = qs.filter(channel=filters.channel[:16])
    now = timezone.now()
    if filters.overdue:
        qs = qs.filter(escalation__status="open", escalation__due_at__lt=now)
    total = qs.count()
    items = list(qs.order_by("-created_at", "-id")[page_slice(page, PAGE_SIZE)])
    return {
        "items": [consultation_out(c, now) for c in items],
        "page": page,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "total": total,
    }


@router.get("/consultations/{number}", response={200: ConsultationOut, **ERRORS}, summary="One consultation")
def detail(request, number: str):
    return _fresh(request, number)


@router.post(
    "/consultations/{number}/escalate",
    response={200: ConsultationOut, **ERRORS},
    summary="咨询转办: pass a waiting question to the department responsible",
)
def escalate(request, number: str, payload: EscalateIn):
    services.escalate(_found(request, number), request.user, department=payload.department, note=payload.note,
                      request=request)  # fmt: skip
    return _fresh(request, number)


@router.post(
    "/consultations/{number}/answer",
    response={200: ConsultationOut, **ERRORS},
    summary="部门答复: the department's expert answers an escalated question",
)
def answer(request, number: str, payload: AnswerIn):
    services.answer(_found(request, number), request.user, reply=payload.reply, articles=payload.articles,
                    request=request)  # fmt: skip
    return _fresh(request, number)
