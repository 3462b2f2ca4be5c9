"""督查督办 pages: the board, the ledger of orders, one order with its steps and forms, the plan's tasks.

Thin: every change goes through `supervision.services`; a service's ValidationError is shown at its field and
the page answers 200 with the form again; a step the user may not take is a 403, an unknown order a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yichuang.clock import queries as clock_queries
from yichuang.core import once
from yichuang.organisation.access import visible_department_ids
from yichuang.organisation.models import Department
from yichuang.organisation.roles import has_any_role

from . import queries, services
from .forms import CloseForm, EscalateForm, IssueForm, LedgerFilter, ReplyForm, TaskStatusForm, apply_errors
from .models import Level, Order, SupervisionTask


def _ensure_board(user) -> None:
    if not queries.may_see_board(user):
        raise PermissionDenied(_("督办看板仅供督办人员、大厅管理员和审计人员查看。"))


def _ensure_ledger(user) -> None:
    if visible_department_ids(user) == set():
        raise PermissionDenied(_("您没有查看督办单的岗位。"))


@login_required
@never_cache
def board(request):
    _ensure_board(request.user)
    data = queries.board(request.user)
    return render(
        request,
        "supervision/board.html",
        {
            "board": data,
            "may_issue": services.is_supervisor(request.user),
            "size": queries.BOARD_SIZE,
            "calendar_warnings": clock_queries.calendar_warnings_today(),
        },
    )


@login_required
@never_cache
def orders(request):
    _ensure_ledger(request.user)
    ids = visible_department_ids(request.user)
    departments = Department.objects.order_by("name") if ids is None else Department.objects.filter(pk__in=ids)
    filters = LedgerFilter(request.GET or None, departments=departments)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    qs = queries.orders_for(
        request.user,
        status=chosen.get("status") or None,
        level=chosen.get("level") or None,
        department_id=chosen.get("department"),
    )
    page = Paginator(qs, queries.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/orders.html",
        {
            "filters": filters,
            "page": page,
            "is_supervisor": services.is_supervisor(request.user),
            "show_board": queries.may_see_board(request.user),
        },
    )


def _order_or_404(user, number: str) -> Order:
    order = queries.order_detail(user, number)
    if order is None:
        raise Http404(_("没有这张督办单。"))
    return order


def _order_page(request, order: Order, *, status: int = 200, **forms):
    user = request.user
    is_sup = services.is_supervisor(user)
    context = {
        "order": order,
        "show_board": queries.may_see_board(user),
        "events": queries.events_of(order),
        "reply_form": forms.get("reply_form")
        or (ReplyForm() if services.may_reply(user, order) and order.status == Order.Status.OPEN else None),
        "escalate_form": forms.get("escalate_form")
        or (EscalateForm() if is_sup and order.status != Order.Status.CLOSED and order.level != Level.RED else None),
        "close_form": forms.get("close_form")
        or (CloseForm() if is_sup and order.status != Order.Status.CLOSED else None),
    }
    return render(request, "supervision/order.html", context, status=status)


@login_required
@never_cache
def order(request, number: str):
    _ensure_ledger(request.user)
    return _order_page(request, _order_or_404(request.user, number))


def _step(request, number: str, form_class, form_name: str, call, done: str):
    _ensure_ledger(request.user)
    order = _order_or_404(request.user, number)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            call(order, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("supervision:order", order.number)
    return _order_page(request, order, **{form_name: form})


@login_required
@require_POST
def reply(request, number: str):
    def call(order, data):
        services.reply(order, request.user, data["text"], request=request)

    return _step(request, number, ReplyForm, "reply_form", call, _("已提交答复。"))


@login_required
@require_POST
def escalate(request, number: str):
    def call(order, data):
        services.escalate(order, request.user, data["text"], data["reply_due"], request=request)

    return _step(request, number, EscalateForm, "escalate_form", call, _("督办单已升级。"))


@login_required
@require_POST
def close(request, number: str):
    def call(order, data):
        services.close(order, request.user, data["text"], request=request)

    return _step(request, number, CloseForm, "close_form", call, _("督办单已办结销号。"))


@login_required
@never_cache
@once.form
def issue(request):
    """下发督办单 on a case (?case=<number>), a task (?task=<code>) or an overdue consultation (?escalation=<ZX-…>)."""
    if not services.is_supervisor(request.user):
        raise PermissionDenied(_("只有督办人员可以下发督办单。"))
    case_number = (request.GET.get("case") or request.POST.get("case") or "").strip()
    task_code = (request.GET.get("task") or request.POST.get("task") or "").strip()
    case = queries.open_case(case_number) if case_number and "\x00" not in case_number else None
    task = SupervisionTask.objects.filter(code=task_code).first() if task_code and "\x00" not in task_code else None
    escalation_number = (request.GET.get("escalation") or request.POST.get("escalation") or "").strip()[:40]
    escalation = (
        queries.open_escalation(escalation_number) if escalation_number and "\x00" not in escalation_number else None
    )
    if case is None and task is None and escalation is None:
        raise Http404(_("没有这个办件或任务。"))
    if case is not None:
        task = escalation = None
    elif task is not None:
        escalation = None
    form = IssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.issue_order(
                request.user,
                case=case,
                task=task,
                escalation=escalation,
                level=form.cleaned_data["level"],
                instruction=form.cleaned_data["instruction"],
                reply_due=form.cleaned_data["reply_due"],
                request=request,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("督办单 %(number)s 已下发。") % {"number": order.number})
            return redirect("supervision:order", order.number)
    clock = None
    if case is not None:
        from yichuang.backoffice.queries import clock_view

        clock = clock_view(case)
    return render(
        request,
        "supervision/issue.html",
        {"form": form, "case": case, "task": task, "escalation": escalation, "clock": clock},
    )


@login_required
@never_cache
def tasks(request):
    if not has_any_role(request.user):
        raise PermissionDenied(_("您没有查看督办任务的岗位。"))
    return render(
        request,
        "supervision/tasks.html",
        {
            "tasks": queries.tasks(),
            "may_set": services.may_set_task_status(request.user),
            "may_issue": services.is_supervisor(request.user),
            "statuses": SupervisionTask.Status.choices,
            "show_board": queries.may_see_board(request.user),
        },
    )


@login_required
@require_POST
def task_status(request, code: str):
    task = get_object_or_404(SupervisionTask, code=code)
    form = TaskStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("任务状态无效。"))
        return redirect("supervision:tasks")
    try:
        services.set_task_status(task, request.user, form.cleaned_data["status"], request=request)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("任务 %(code)s 的状态已更新。") % {"code": task.code})
    return redirect("supervision:tasks")
