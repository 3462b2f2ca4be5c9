"""The supervision API (mounted at /api/supervision/): the board's red and yellow lists, and the ledger of orders
with the same steps as the pages — issue, reply, escalate, close — through the same services.

Errors as everywhere in the API: 422 `{"detail", "errors": [{"field", "reason"}]}`, 403, 404.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from yichuang.core.pagination import page_query, page_slice
from yichuang.core.schemas import ErrorOut, InvalidOut
from yichuang.organisation.access import visible_department_ids
from yichuang.organisation.api_auth import staff_auth
from yichuang.organisation.models import Department

from . import queries, services
from .models import Order, SupervisionTask

router = Router(tags=["supervision"], auth=staff_auth)
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: InvalidOut}


class BoardCaseOut(Schema):
    number: str | None
    matter: str = Field(description="Matter name.")
    department: str = Field(description="Department code.")
    department_name: str
    status: str
    level: str = Field(description='"red" or "yellow".')
    due: datetime.datetime
    paused: bool


class DepartmentCountOut(Schema):
    department: str
    department_name: str
    red: int
    yellow: int


class BoardOut(Schema):
    at: datetime.datetime
    red_total: int
    yellow_total: int
    red: list[BoardCaseOut] = Field(description="The first 50, most overdue first.")
    yellow: list[BoardCaseOut] = Field(description="The first 50, due first.")
    departments: list[DepartmentCountOut]


class EventOut(Schema):
    kind: str
    level: str
    text: str
    reply_due: datetime.datetime | None
    actor: str
    at: datetime.datetime


class OrderOut(Schema):
    number: str
    level: str
    status: str
    department: str
    department_name: str
    case: str | None
    task: str | None
    consultation: str | None = Field(None, description="Consultation number (ZX-…) of an escalation supervised.")
    instruction: str
    reply_due: datetime.datetime
    issued_by: str
    issued_at: datetime.datetime
    closed_at: datetime.datetime | None


class OrderDetailOut(OrderOut):
    events: list[EventOut]


class IssueIn(Schema):
    case: str | None = Field(None, description="Case number; or `task`.")
    task: str | None = Field(None, description="Task code; or `case`.")
    consultation: str | None = Field(
        None, description="Consultation number (ZX-…) whose escalation is unanswered; or `case` or `task`."
    )
    level: str = Field("blue", description='"blue" (催办), "orange" (警示) or "red" (问责).')
    instruction: str
    reply_due: datetime.datetime = Field(description="Reply deadline (a time zone, or Asia/Shanghai).")


class TextIn(Schema):
    text: str


class EscalateIn(Schema):
    text: str
    reply_due: datetime.datetime


def _case_out(c) -> dict:
    return {
        "number": c.number, "matter": c.matter_name, "department": c.department.code,
        "department_name": c.department.name, "status": c.status, "level": c.level, "due": localtime(c.due_at),
        "paused": c.paused_at is not None,
    }  # fmt: skip


def _order_out(o: Order) -> dict:
    return {
        "number": o.number, "level": o.level, "status": o.status, "department": o.department.code,
        "department_name": o.department.name, "case": o.case.number if o.case else None,
        "task": o.task.code if o.task else None,
        "consultation": o.escalation.consultation.number if o.escalation_id else None,
        "instruction": o.instruction, "reply_due": localtime(o.reply_due),
        "issued_by": o.issued_by.display_name, "issued_at": localtime(o.issued_at),
        "closed_at": localtime(o.closed_at) if o.closed_at else None,
    }  # fmt: skip


def _detail_out(o: Order) -> dict:
    events = [
        {"kind": e.kind, "level": e.level, "text": e.text, "reply_due": localtime(e.reply_due) if e.reply_due else None,
         "actor": e.actor.display_name, "at": localtime(e.at)}
        for e in queries.events_of(o)
    ]  # fmt: skip
    return {**_order_out(o), "events": events}


def _ensure_ledger(user) -> None:
    if visible_department_ids(user) == set():
        raise PermissionDenied(_("您没有查看督办单的岗位。"))


def _order(request, number: str) -> Order:
    _ensure_ledger(request.user)
    if "\x00" in number or len(number) > 32:
        raise Http404("no such order")
    order = queries.order_detail(request.user, number)
    if order is None:
        raise Http404("no such order")
    return order


@router.get("/board", response={200: BoardOut, **ERRORS}, summary="The supervisor's board: red and yellow cases")
def board(request):
    if not queries.may_see_board(request.user):
        raise PermissionDenied(_("督办看板仅供督办人员、大厅管理员和审计人员查看。"))
    data = queries.board(request.user)
    ids = [d.department_id for d in data.departments]
    codes = dict(Department.objects.filter(pk__in=ids).values_list("pk", "code"))
    return {
        "at": localtime(data.now),
        "red_total": data.red_total,
        "yellow_total": data.yellow_total,
        "red": [_case_out(c) for c in data.red],
        "yellow": [_case_out(c) for c in data.yellow],
        "departments": [
            {"department": codes.get(d.department_id, ""), "department_name": d.name, "red": d.red, "yellow": d.yellow}
            for d in data.departments
        ],
    }


@router.get("/orders", response={200: list[OrderOut], **ERRORS}, summary="The ledger of orders (台账)")
def list_orders(
    request,
    status: str | None = None,
    level: str | None = None,
    department: str | None = None,
    page: int = page_query(),
):
    _ensure_ledger(request.user)
    errors = {}
    if status and status not in Order.Status.values:
        errors["status"] = [_("状态无效。")]
    if level and level not in ("blue", "orange", "red"):
        errors["level"] = [_("等级无效。")]
    department_id = None
    if department:
        department_id = Department.objects.filter(code=department[:64]).values_list("pk", flat=True).first()
        if department_id is None:
            errors["department"] = [_("没有这个部门。")]
    if errors:
        raise ValidationError(errors)
    qs = queries.orders_for(request.user, status=status, level=level, department_id=department_id)
    return [_order_out(o) for o in qs[page_slice(page, queries.PAGE_SIZE)]]


@router.get("/orders/{number}", response={200: OrderDetailOut, **ERRORS}, summary="An order with its ledger")
def get_order(request, number: str):
    return _detail_out(_order(request, number))


@router.post("/orders", response={201: OrderDetailOut, **ERRORS}, summary="Issue an order (supervisors)")
def issue_order(request, payload: IssueIn):
    if not services.is_supervisor(request.user):
        raise PermissionDenied(_("只有督办人员可以下发督办单。"))
    case = task = None
    if payload.case:
        case = queries.open_case(payload.case[:44].replace("\x00", ""))
        if case is None:
            raise ValidationError({"case": [_("没有这个办件。")]})
    if payload.task:
        task = SupervisionTask.objects.filter(code=payload.task[:32].replace("\x00", "")).first()
        if task is None:
            raise ValidationError({"task": [_("没有这项任务。")]})
    escalation = None
    if payload.consultation:
        escalation = queries.open_escalation(payload.consultation[:40].replace("\x00", ""))
        if escalation is None:
            raise ValidationError({"consultation": [_("没有这条咨询转办。")]})
    order = services.issue_order(
        request.user,
        case=case,
        task=task,
        escalation=escalation,
        level=payload.level,
        instruction=payload.instruction,
        reply_due=payload.reply_due,
        request=request,
    )
    return Status(201, _detail_out(queries.order_detail(request.user, order.number)))


@router.post("/orders/{number}/reply", response={200: OrderDetailOut, **ERRORS}, summary="The department replies")
def reply(request, number: str, payload: TextIn):
    order = services.reply(_order(request, number), request.user, payload.text, request=request)
    return _detail_out(queries.order_detail(request.user, order.number))


@router.post("/orders/{number}/escalate", response={200: OrderDetailOut, **ERRORS}, summary="Escalate one level")
def escalate(request, number: str, payload: EscalateIn):
    order = services.escalate(_order(request, number), request.user, payload.text, payload.reply_due, request=request)
    return _detail_out(queries.order_detail(request.user, order.number))


@router.post("/orders/{number}/close", response={200: OrderDetailOut, **ERRORS}, summary="Close the order")
def close(request, number: str, payload: TextIn):
    order = services.close(_order(request, number), request.user, payload.text, request=request)
    return _detail_out(queries.order_detail(request.user, order.number))
