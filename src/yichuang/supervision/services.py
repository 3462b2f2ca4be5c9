"""督办: every change to a supervision order or task, one function per transition.

Each function checks who acts (a supervisor issues, escalates and closes; an officer or lead of the order's
department replies), locks the order row (`select_for_update`), checks that the step is allowed from the
order's status, and writes the order, one `OrderEvent` (the ledger, 台账) and one audit event — in one
transaction. Nothing is ever deleted. Pages, the API and the admin call these and nothing else.

Levels: blue (催办) → orange (警示) → red (问责); a serious case may start at orange or red; red is the last
level. Statuses: open (waiting for the department's reply) → replied → closed, or back to open on escalation.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.core import audit
from yichuang.core.counters import bump
from yichuang.intake.models import OPEN_STATUSES, Case
from yichuang.organisation.roles import Role, acts_as, member_of

from .models import LEVEL_ORDER, Level, Order, OrderCounter, OrderEvent, SupervisionTask

TEXT_LIMIT = 2000
Kind = OrderEvent.Kind


# --- who may act -------------------------------------------------------------------------------------


def is_supervisor(user) -> bool:
    return acts_as(user, Role.SUPERVISOR)


def may_reply(user, order: Order) -> bool:
    """An officer or the lead of the order's department."""
    return member_of(user, order.department_id, Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD)


def may_set_task_status(user) -> bool:
    return acts_as(user, Role.SUPERVISOR, Role.HALL_ADMIN)


def _ensure_supervisor(user) -> None:
    if not is_supervisor(user):
        raise PermissionDenied(_("只有督办人员可以下发、升级或办结督办单。"))


# --- input -------------------------------------------------------------------------------------------


def _text(value, field: str, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if "\x00" in text:
        raise ValidationError({field: [_("内容含有不允许的控制字符。")]})
    if required and not text:
        raise ValidationError({field: [_("此项为必填。")]})
    if len(text) > TEXT_LIMIT:
        raise ValidationError({field: [_("不能超过 %(n)d 个字。") % {"n": TEXT_LIMIT}]})
    return text


def _reply_due(value, now: dt.datetime, field: str = "reply_due") -> dt.datetime:
    if value is None or value == "":
        raise ValidationError({field: [_("请填写答复期限。")]})
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(17, 30))
    if not isinstance(value, dt.datetime):
        raise ValidationError({field: [_("答复期限不是有效的时间。")]})
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value <= now:
        raise ValidationError({field: [_("答复期限须晚于现在。")]})
    if value > now + dt.timedelta(days=366):
        raise ValidationError({field: [_("答复期限不能超过一年。")]})
    return value


def _level(value, field: str = "level") -> str:
    if value not in Level.values:
        raise ValidationError({field: [_("督办等级须为蓝色、橙色或红色。")]})
    return value


def _locked(order: Order | int) -> Order:
    pk = order.pk if isinstance(order, Order) else order
    return Order.objects.select_for_update().get(pk=pk)


def _event(order: Order, kind: str, actor, now: dt.datetime, text: str = "", reply_due=None) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order, kind=kind, level=order.level, text=text, reply_due=reply_due, actor=actor, at=now
    )


def next_number(now: dt.datetime) -> str:
    year = timezone.localtime(now).year
    return f"DB-{year}-{bump(OrderCounter, year=year):04d}"


# --- transitions -------------------------------------------------------------------------------------


@transaction.atomic
def issue_order(
    actor,
    *,
    case: Case | None = None,
    task: SupervisionTask | None = None,
    escalation=None,
    level: str = Level.BLUE,
    instruction: str,
    reply_due,
    now: dt.datetime | None = None,
    request=None,
) -> Order:
    """下发督办单 to the department of the case, to the lead department of the task, or to the department a
    consultation was escalated to (咨询转办) while it is unanswered."""
    _ensure_supervisor(actor)
    now = now or timezone.now()
    # Judge the case and the task as they are now, not as the caller last read them.
    if case is not None:
        case = Case.objects.get(pk=case.pk)
    if task is not None:
        task = SupervisionTask.objects.get(pk=task.pk)
    if escalation is not None:
        from yichuang.consultation.models import Escalation

        escalation = Escalation.objects.select_related("consultation").get(pk=escalation.pk)
    errors: dict[str, list[str]] = {}
    if [case, task, escalation].count(None) != 2:
        errors["case"] = [_("督办单须针对一个办件、一项任务或一条咨询转办。")]
    elif escalation is not None and escalation.status != escalation.Status.OPEN:
        errors["escalation"] = [_("该咨询已答复，无需督办。")]
    elif case is not None and case.status not in OPEN_STATUSES:
        errors["case"] = [_("该办件已办结，无需督办。")]
    elif task is not None and task.department_id is None:
        errors["task"] = [_("该任务的牵头单位不是本系统中的部门，无法下发督办单。")]
    elif task is not None and task.status == SupervisionTask.Status.DONE:
        errors["task"] = [_("该任务已完成，无需督办。")]
    for check in (
        lambda: _level(level),
        lambda: _text(instruction, "instruction"),
        lambda: _reply_due(reply_due, now),
    ):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    order = Order(
        number=next_number(now),
        case=case,
        task=task,
        escalation=escalation,
        department_id=(case or task or escalation).department_id,
        level=level,
        instruction=_text(instruction, "instruction"),
        reply_due=_reply_due(reply_due, now),
        status=Order.Status.OPEN,
        issued_by=actor,
        issued_at=now,
    )
    order.full_clean()
    order.save()
    _event(order, Kind.ISSUED, actor, now, order.instruction, order.reply_due)
    audit.record(
        actor, "supervision.issue", order, summary=f"{order.number} {order.subject}", request=request, level=level
    )
    return order


@transaction.atomic
def reply(order: Order, actor, text: str, *, now: dt.datetime | None = None, request=None) -> Order:
    """部门答复: an officer or the lead of the order's department tells what was done."""
    order = _locked(order)
    if not may_reply(actor, order):
        raise PermissionDenied(_("只有被督办部门的工作人员可以答复督办单。"))
    now = now or timezone.now()
    text = _text(text, "text")
    if order.status != Order.Status.OPEN:
        raise ValidationError(_("督办单当前状态为“%(status)s”，不能答复。") % {"status": order.get_status_display()})
    order.status = Order.Status.REPLIED
    order.save(update_fields=["status"])
    _event(order, Kind.REPLIED, actor, now, text)
    audit.record(actor, "supervision.reply", order, summary=order.number, request=request)
    return order


@transaction.atomic
def escalate(order: Order, actor, text: str, reply_due, *, now: dt.datetime | None = None, request=None) -> Order:
    """升级督办: one level up (blue → orange → red), with a new reply deadline; the order is open again."""
    _ensure_supervisor(actor)
    order = _locked(order)
    now = now or timezone.now()
    if order.status == Order.Status.CLOSED:
        raise ValidationError(_("督办单已办结，不能升级。"))
    if order.level == Level.RED:
        raise ValidationError({"level": [_("红色督办已是最高等级，不能再升级。")]})
    errors: dict[str, list[str]] = {}
    for check in (lambda: _text(text, "text"), lambda: _reply_due(reply_due, now)):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    previous = order.level
    order.level = LEVEL_ORDER[LEVEL_ORDER.index(Level(order.level)) + 1]
    order.reply_due = _reply_due(reply_due, now)
    order.status = Order.Status.OPEN
    order.save(update_fields=["level", "reply_due", "status"])
    _event(order, Kind.ESCALATED, actor, now, _text(text, "text"), order.reply_due)
    audit.record(
        actor, "supervision.escalate", order, summary=order.number, request=request, level=order.level,
        previous=previous,
    )  # fmt: skip
    return order


@transaction.atomic
def close(order: Order, actor, text: str = "", *, now: dt.datetime | None = None, request=None) -> Order:
    """办结销号: the supervisor is satisfied (or the matter settled otherwise) and closes the order."""
    _ensure_supervisor(actor)
    order = _locked(order)
    now = now or timezone.now()
    text = _text(text, "text")
    if order.status == Order.Status.CLOSED:
        raise ValidationError(_("督办单已办结。"))
    order.status = Order.Status.CLOSED
    order.closed_at = now
    order.save(update_fields=["status", "closed_at"])
    _event(order, Kind.CLOSED, actor, now, text)
    audit.record(actor, "supervision.close", order, summary=order.number, request=request)
    return order


@transaction.atomic
def set_task_status(
    task: SupervisionTask, actor, status: str, *, now: dt.datetime | None = None, request=None
) -> SupervisionTask:
    """A task's status (未完成 / 已完成 / 持续推进), set by a supervisor or a hall admin."""
    if not may_set_task_status(actor):
        raise PermissionDenied(_("只有督办人员或大厅管理员可以更改任务状态。"))
    if status not in SupervisionTask.Status.values:
        raise ValidationError({"status": [_("任务状态无效。")]})
    task = SupervisionTask.objects.select_for_update().get(pk=task.pk)
    now = now or timezone.now()
    previous = task.status
    if previous == status:
        return task
    task.status = status
    task.completed_at = now if status == SupervisionTask.Status.DONE else None
    task.save(update_fields=["status", "completed_at"])
    audit.record(
        actor, "supervision.task_status", task, summary=task.code, request=request, status=status, previous=previous
    )
    return task
