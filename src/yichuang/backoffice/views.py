"""The department's back office (后台分类审批) at /office/: the worklist, a case with its clock and every action
the status allows, the special-procedure notice, the pickup batches (交接单) of delegated departments.

Thin: each form is parsed here and handed to one function of `services`; a ValidationError is shown at its
field (or at the top of the form), PermissionDenied becomes 403, and a case the user may not see is a 404.
Supervisors, hall admins and auditors see every department's pages but get no forms.
"""

import datetime as dt
import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yichuang.clock.workcalendar import CalendarUnknown
from yichuang.core import audit
from yichuang.core.pdf import pdf_response
from yichuang.fees import queries as fee_queries
from yichuang.intake.materials import outstanding_deferred
from yichuang.intake.models import CONCLUDED_STATUSES, Case, CaseStatus, Handoff, SubmissionMaterial
from yichuang.organisation.access import visible_department_ids
from yichuang.organisation.models import User
from yichuang.organisation.roles import Role

from . import queries, services
from .models import Correction, Decision, Extension, SpecialProcedure

CORRECTION_DAYS = 10  # the default time the applicant gets to correct (working days)
FREE_ITEMS = 3  # rows for items that are not on the material list


def office_view(view):
    """Signed-in staff who see some department's back-office work; anyone else gets 403."""

    @functools.wraps(view)
    @login_required
    @never_cache
    def wrapper(request, *args, **kwargs):
        if visible_department_ids(request.user) == set():
            raise PermissionDenied(_("您没有后台审批岗位。"))
        return view(request, *args, **kwargs)

    return wrapper


def _errors(exc: ValidationError, fields=()) -> dict[str, list[str]]:
    """A ValidationError by field; item paths (items[0].note) collapse to their list, the rest is "top"."""
    if not hasattr(exc, "error_dict"):
        return {"top": exc.messages}
    out: dict[str, list[str]] = {}
    for key, texts in exc.message_dict.items():
        field = key.split("[", 1)[0].split(".", 1)[0] if key else "top"
        if field not in fields:
            field = "top"
        out.setdefault(field, []).extend(texts)
    return out


def _next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _case_or_404(request, number: str) -> Case:
    case = queries.case_detail(request.user, number)
    if case is None:
        raise Http404(_("没有这个办件，或不是本部门的办件。"))
    return case


def _department_officers(department_id: int) -> list[User]:
    return [
        u
        for u in User.objects.filter(department_id=department_id, is_active=True)
        .prefetch_related("groups")
        .order_by("username")
        if u.has_role(Role.BACKOFFICE_OFFICER, Role.DEPARTMENT_LEAD)
    ]


# --- the worklist --------------------------------------------------------------------------------------

TABS = [("inbox", _("待认领")), ("mine", _("我的")), ("paused", _("暂停计时")), ("all", _("全部"))]


@office_view
def worklist(request):
    user = request.user
    show = request.GET.get("show") or ("inbox" if user.department_id else "all")
    if show not in dict(TABS):
        show = "all"
    now = timezone.now()
    page = queries.WorklistPaginator(queries.worklist(user, now=now, show=show), queries.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    clocks: dict[int, object] = {}
    rows = []
    cases = list(page.object_list)
    dues = queries.open_correction_dues(c.pk for c in cases if c.status == CaseStatus.CORRECTION)
    today = timezone.localtime(now).date()
    for case in cases:
        site_id = case.submission.site_id
        if site_id not in clocks:
            clocks[site_id] = queries.clock_of(case)
        due = dues.get(case.pk)
        rows.append(
            {
                "case": case,
                "clock": queries.clock_view(case, now, clocks[site_id]),
                "correction_due": due,
                "correction_overdue": due is not None and due < today,
            }
        )
    is_officer = bool(user.department_id) and services.is_officer_of(user, user.department_id)
    is_lead = bool(user.department_id) and services.is_lead_of(user, user.department_id)
    return render(
        request,
        "backoffice/worklist.html",
        {
            "rows": rows,
            "page": page,
            "show": show,
            "tabs": TABS,
            "can_act": is_officer,
            "is_lead": is_lead,
            "officers": _department_officers(user.department_id) if is_lead else [],
            "department": user.department if user.department_id else None,
        },
    )


# --- a case --------------------------------------------------------------------------------------------


def _materials_of(case: Case) -> list[SubmissionMaterial]:
    return list(SubmissionMaterial.objects.filter(submission_id=case.submission_id).order_by("order", "id"))


def _calendar_missing(year: int, what) -> str:
    """Said on the case page where a date cannot be computed: never a guess, always what to do."""
    return _("%(what)s无法计算：%(year)d年节假日安排尚未录入，请管理员录入%(year)d年节假日安排。") % {
        "what": what,
        "year": year,
    }


def _default_correction_due(case: Case, problems: list[str]) -> dt.date | None:
    """CORRECTION_DAYS working days from today; None (and why, in `problems`) when that needs a year nobody has
    entered — the officer then picks the date, nothing is guessed."""
    today = timezone.localdate()
    try:
        return services.site_clock(case).calendar.add_working_days(today, CORRECTION_DAYS)
    except CalendarUnknown as exc:
        problems.append(_calendar_missing(exc.year, _("默认补正期限（%(n)d 个工作日）") % {"n": CORRECTION_DAYS}))
        return None


def _pause_reason(case: Case, procedure: SpecialProcedure | None) -> str:
    if case.status == CaseStatus.CORRECTION:
        return _("等待申请人补正材料")
    if case.status == CaseStatus.SPECIAL and procedure is not None:
        return _("特别程序：%(kind)s") % {"kind": procedure.get_kind_display()}
    return ""


def _case_context(request, case: Case, *, active: str = "", errors: dict | None = None) -> dict:
    user = request.user
    now = timezone.now()
    can_act = services.is_officer_of(user, case.department_id)
    is_lead = services.is_lead_of(user, case.department_id)
    materials = _materials_of(case)
    code = case.matter_snapshot.get("code") or ""
    attachments = list(case.submission.attachments.order_by("uploaded_at", "id"))
    correction = Correction.objects.filter(case=case).first()
    procedures = list(case.special_procedures.order_by("started_at", "id"))
    running = next((p for p in procedures if p.ended_at is None), None)
    extensions = list(case.extensions.select_related("requested_by", "decided_by").order_by("requested_at", "id"))
    pending = next((e for e in extensions if e.status == Extension.Status.PENDING), None)
    decision = Decision.objects.filter(case=case).first()
    status = case.status
    received = case.received_at is not None
    working = received and status in (CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS)
    today = timezone.localdate()
    overdue_deferred = [m for m in outstanding_deferred(case) if m.due and m.due < today]
    correction_overdue = queries.correction_overdue(correction, case, today)
    calendar_problems: list[str] = []
    try:
        correction_last_day = services.correction_deadline(case) if received else None
    except CalendarUnknown as exc:
        correction_last_day = None
        calendar_problems.append(_calendar_missing(exc.year, _("补正告知期限")))
    allowed = set()
    if can_act:
        if received and status == CaseStatus.ACCEPTED:
            allowed.add("claim")
        if working and correction is None:
            allowed.add("correction")
        if status == CaseStatus.CORRECTION:
            allowed.add("receive_correction")
        if working:
            allowed |= {"start_special", "conclude"}
        if status == CaseStatus.SPECIAL:
            allowed.add("end_special")
        if (
            received
            and case.is_open
            and pending is None
            and not any(e.status == Extension.Status.APPROVED for e in extensions)
        ):
            allowed.add("extension")
        if status in (CaseStatus.APPROVED, CaseStatus.REJECTED):
            allowed.add("record_result")
        if case.is_open and overdue_deferred:
            allowed.add("terminate")
        if correction_overdue:
            allowed.add("withdraw")
    if is_lead:
        if received and case.is_open:
            allowed.add("assign")
        if pending is not None and pending.requested_by_id != user.pk:
            allowed.add("decide_extension")
    posted = request.POST.dict() if request.method == "POST" else {}
    chosen = set(request.POST.getlist("material")) if active == "correction" else set()
    return {
        "case": case,
        "submission": case.submission,
        "applicant": case.submission.as_given,
        "clock": queries.clock_view(case, now),
        "pause_reason": _pause_reason(case, running),
        "materials": [
            {
                "line": m,
                "for_case": not code or code in (m.matters or []),
                "files": [a for a in attachments if a.material_code == m.code],
                "chosen": m.code in chosen,
                "note": posted.get(f"note-{m.code}", "") if active == "correction" else "",
            }
            for m in materials
        ],
        "other_files": [a for a in attachments if a.material_code not in {m.code for m in materials}],
        "timeline": list(case.timeline.select_related("actor").order_by("at", "id")),
        "correction": correction,
        "procedures": procedures,
        "running": running,
        "extensions": extensions,
        "pending": pending,
        "decision": decision,
        "overdue_deferred": overdue_deferred,
        "correction_overdue": correction_overdue,
        "case_alerts": list(queries.alerts_for(user, unread_only=True).filter(case=case)),
        "correction_last_day": correction_last_day,
        "allowed": allowed,
        "can_act": can_act,
        "is_lead": is_lead,
        "officers": _department_officers(case.department_id) if "assign" in allowed else [],
        "unit_fees": [
            {"item": item, "value": posted.get(f"fee_units-{item.pk}", "")}
            for item in (fee_queries.per_unit_items(case) if "conclude" in allowed else [])
        ],
        "kinds": SpecialProcedure.Kind.choices,
        "default_due": _default_correction_due(case, calendar_problems) if "correction" in allowed else None,
        "calendar_problems": calendar_problems,
        "free_rows": [
            {"i": i, "name": posted.get(f"free-name-{i}", ""), "note": posted.get(f"free-note-{i}", "")}
            for i in range(FREE_ITEMS)
        ],
        "active": active,
        "errors": {active: errors or {}} if active else {},
        "values": {active: posted} if active else {},
    }


@office_view
def case(request, number: str):
    found = _case_or_404(request, number)
    return render(request, "backoffice/case.html", _case_context(request, found))


def _int(post, name: str, label: str) -> int:
    raw = (post.get(name) or "").strip()
    try:
        return int(raw)
    except ValueError:
        raise ValidationError({name: [_("%(label)s须填写整数。") % {"label": label}]}) from None


def _date(post, name: str) -> dt.date:
    raw = (post.get(name) or "").strip()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: [_("请填写日期（年-月-日）。")]}) from None


def _correction_items(post, case: Case) -> list[dict]:
    items = []
    known = {m.code for m in _materials_of(case)}
    for code in post.getlist("material"):
        if code in known:
            items.append({"material": code, "note": post.get(f"note-{code}", "")})
        else:
            raise ValidationError({"items": [_("所选材料不在本次申请的材料清单中。")]})
    for i in range(FREE_ITEMS):
        name = (post.get(f"free-name-{i}") or "").strip()
        note = post.get(f"free-note-{i}") or ""
        if name or note.strip():
            items.append({"material": "", "name": name, "note": note})
    return items


def _claim(request, case):
    services.claim(case, request.user, request=request)
    return _("已认领办件 %(n)s。")


def _assign(request, case):
    officer_id = request.POST.get("officer") or ""
    officer = User.objects.filter(pk=int(officer_id)).first() if officer_id.isdigit() else None
    if officer is None:
        raise ValidationError({"officer": [_("请选择承办人。")]})
    services.assign(case, officer, request.user, request=request)
    return _("办件 %(n)s 已分派。")


def _correction(request, case):
    post = request.POST
    items = _correction_items(post, case)
    due = _date(post, "due")
    services.request_correction(case, request.user, items=items, due=due, note=post.get("note", ""), request=request)
    return _("已一次性告知补正，计时暂停。")


def _receive_correction(request, case):
    services.receive_correction(case, request.user, request=request, channel="window")
    return _("补正材料已收到，恢复计时。")


def _start_special(request, case):
    post = request.POST
    limit_days = _int(post, "limit_days", _("程序时限"))
    services.start_special(
        case, request.user, kind=post.get("kind", ""), reason=post.get("reason", ""), limit_days=limit_days,
        request=request,
    )  # fmt: skip
    return _("特别程序已启动，计时暂停；请打印特别程序告知书送达申请人。")


def _end_special(request, case):
    services.end_special(case, request.user, outcome=request.POST.get("outcome", ""), request=request)
    return _("特别程序已结束，恢复计时。")


def _extension(request, case):
    post = request.POST
    days = _int(post, "days", _("延长天数"))
    services.request_extension(case, request.user, days=days, reason=post.get("reason", ""), request=request)
    return _("延期申请已提交，待部门负责人审批。")


def _decide_extension(request, case):
    post = request.POST
    extension = case.extensions.filter(status=Extension.Status.PENDING).first()
    if extension is None:
        raise ValidationError(_("该办件没有待审批的延期申请。"))
    decision = post.get("decision")
    if decision not in ("approve", "reject"):
        raise ValidationError({"decision": [_("请选择批准或不批准。")]})
    services.decide_extension(
        extension, request.user, approve=decision == "approve", note=post.get("note", ""), request=request
    )
    return _("延期已批准。") if decision == "approve" else _("延期未批准。")


def _document(request):
    return request.FILES.get("document")  # checked by the service (type by content, size)


def _fee_units(post, case) -> dict:
    """The units the officer entered for the matter's fees charged per unit (checked by fees.services: a
    positive whole number; anything else is refused at the field)."""
    units = {}
    for item in fee_queries.per_unit_items(case):
        text = (post.get(f"fee_units-{item.pk}") or "").strip()
        units[item.pk] = int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else text
    return units


def _conclude(request, case):
    post = request.POST
    document = _document(request)
    services.conclude(
        case,
        request.user,
        outcome=post.get("outcome", ""),
        reasons=post.get("reasons", ""),
        legal_basis=post.get("legal_basis", ""),
        certificate_number=post.get("certificate_number", ""),
        document=document,
        fee_units=_fee_units(post, case) if post.get("outcome") == "approved" else None,
        request=request,
    )
    return _("办件 %(n)s 已办结。")


def _record_result(request, case):
    services.record_result(
        case,
        request.user,
        certificate_number=request.POST.get("certificate_number", ""),
        document=_document(request),
        request=request,
    )
    return _("办理结果已登记。")


def _terminate(request, case):
    services.terminate_unsupplied(case, actor=request.user, request=request)
    return _("办件 %(n)s 已终止办理。")


def _withdraw(request, case):
    post = request.POST
    services.deem_withdrawn(
        case, request.user, reasons=post.get("reasons", ""), legal_basis=post.get("legal_basis", ""), request=request
    )
    return _("办件 %(n)s 已视为撤回申请；请打印视为撤回申请告知书送达申请人。")


# The fields of each form: an error about any other field is shown at the top of the form.
ACTION_FIELDS = {
    "assign": ("officer",),
    "correction": ("items", "due", "note"),
    "start_special": ("kind", "reason", "limit_days"),
    "end_special": ("outcome",),
    "extension": ("days", "reason"),
    "decide_extension": ("decision", "note"),
    "conclude": ("outcome", "reasons", "legal_basis", "certificate_number", "document", "fee_units"),
    "record_result": ("certificate_number", "document"),
    "withdraw": ("reasons", "legal_basis"),
}

ACTIONS = {
    "claim": _claim,
    "assign": _assign,
    "correction": _correction,
    "receive_correction": _receive_correction,
    "start_special": _start_special,
    "end_special": _end_special,
    "extension": _extension,
    "decide_extension": _decide_extension,
    "conclude": _conclude,
    "record_result": _record_result,
    "terminate": _terminate,
    "withdraw": _withdraw,
}


@office_view
@require_POST
def act(request, number: str, action: str):
    """One form of the case page (or the worklist's claim/assign): the service decides; errors at their field."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    found = _case_or_404(request, number)
    try:
        done = handler(request, found)
    except ValidationError as exc:
        found = _case_or_404(request, number)  # as it is in the database (nothing was saved)
        context = _case_context(request, found, active=action, errors=_errors(exc, ACTION_FIELDS.get(action, ())))
        return render(request, "backoffice/case.html", context, status=422)
    messages.success(request, done % {"n": found.number})
    return redirect(_next(request, reverse("backoffice:case", args=[found.number])))


@office_view
def attachment(request, number: str, attachment_id: int):
    """A file of the case's submission, streamed to those who may see the case (recorded in the audit log)."""
    found = _case_or_404(request, number)
    item = get_object_or_404(found.submission.attachments, pk=attachment_id)
    audit.record(
        request.user, "backoffice.view_file", item, summary=f"{found.number} {item.material_code}", request=request
    )
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = content_disposition_header(False, item.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _special_context(request, number: str, pk: int) -> dict:
    found = _case_or_404(request, number)
    procedure = get_object_or_404(SpecialProcedure, case=found, pk=pk)
    return {
        "case": found,
        "submission": found.submission,
        "site": found.submission.site,
        "applicant": found.submission.as_given,
        "procedure": procedure,
        "title": _("特别程序告知书"),
        "today": timezone.localdate(),
    }


@office_view
def special_notice(request, number: str, pk: int):
    return render(request, "backoffice/special_notice.html", _special_context(request, number, pk))


@office_view
def special_notice_pdf(request, number: str, pk: int):
    context = _special_context(request, number, pk)
    filename = f"{context['title']}-{context['case'].number}.pdf"
    return pdf_response("backoffice/special_notice.html", context, filename, request=request)


def _withdrawn_context(request, number: str) -> dict:
    found = _case_or_404(request, number)
    decision = Decision.objects.filter(case=found, outcome=Decision.Outcome.WITHDRAWN).first()
    if decision is None:
        raise Http404(_("该办件没有视为撤回申请的决定。"))
    return {
        "case": found,
        "submission": found.submission,
        "site": found.submission.site,
        "applicant": found.submission.as_given,
        "decision": decision,
        "correction": Correction.objects.filter(case=found).first(),
        "title": _("视为撤回申请告知书"),
        "today": timezone.localdate(),
    }


@office_view
def withdrawn_notice(request, number: str):
    return render(request, "backoffice/withdrawn_notice.html", _withdrawn_context(request, number))


@office_view
def withdrawn_notice_pdf(request, number: str):
    context = _withdrawn_context(request, number)
    filename = f"{context['title']}-{context['case'].number}.pdf"
    return pdf_response("backoffice/withdrawn_notice.html", context, filename, request=request)


# --- alerts (预警提醒) ------------------------------------------------------------------------------------

ALERT_TABS = [("unread", _("未读")), ("all", _("全部"))]


@office_view
def alerts(request):
    """The person's own alerts, newest first: unread (default) or all; 50 a page."""
    user = request.user
    show = request.GET.get("show") if request.GET.get("show") in dict(ALERT_TABS) else "unread"
    qs = queries.alerts_for(user, unread_only=show == "unread").select_related("case", "department")
    page = queries.WorklistPaginator(qs, queries.ALERT_PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    return render(
        request,
        "backoffice/alerts.html",
        {
            "items": items,
            "page": page,
            "show": show,
            "tabs": ALERT_TABS,
            "sees_alerts": queries.sees_alerts(user),
            "unread_shown": [a.pk for a in items if a.read_at is None],
            "unread": queries.unread_count(user),
            "cap": queries.UNREAD_CAP,
        },
    )


@office_view
@require_POST
def alerts_read(request):
    """Mark one alert (`alert`) or all shown (several `alert`) as read by this person; another department's alert
    is a 404, like a missing one."""
    raw = request.POST.getlist("alert")
    if not all(value.isdigit() and len(value) < 19 for value in raw):
        raise Http404(_("没有这条预警提醒。"))
    ids = [int(value) for value in raw]
    try:
        marked = services.mark_alerts_read(request.user, ids, request=request)
    except ObjectDoesNotExist:
        raise Http404(_("没有这条预警提醒，或不是您的预警提醒。")) from None
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect(_next(request, reverse("backoffice:alerts")))
    if ids:
        messages.success(request, _("已标为已读 %(n)d 条。") % {"n": marked} if marked else _("这些预警提醒已读过。"))
    return redirect(_next(request, reverse("backoffice:alerts")))


# --- pickups of delegated departments (定时取件) ------------------------------------------------------


def _unreturned(user):
    return (
        queries.cases_for(user)
        .filter(department__presence="delegated", status__in=CONCLUDED_STATUSES, returned_at__isnull=True)
        .select_related("submission__applicant", "department")
        .order_by("concluded_at", "id")
    )


@office_view
def handoffs(request):
    user = request.user
    batches = list(queries.handoffs_for(user))
    counts = {}
    for row in Case.objects.filter(handoff__in=batches).values_list("handoff_id", flat=True):
        counts[row] = counts.get(row, 0) + 1
    return render(
        request,
        "backoffice/handoffs.html",
        {
            "open": [(h, counts.get(h.pk, 0)) for h in batches if h.status == Handoff.Status.OPEN],
            "collected": [(h, counts.get(h.pk, 0)) for h in batches if h.status == Handoff.Status.COLLECTED][:50],
            "unreturned": list(_unreturned(user)[:200]),
            "can_act": bool(user.department_id) and services.is_officer_of(user, user.department_id),
        },
    )


def _handoff_or_404(request, pk: int) -> Handoff:
    found = queries.handoffs_for(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("没有这个交接单，或不是本部门的交接单。"))
    return found


def _slip_context(request, handoff: Handoff) -> dict:
    cases = list(handoff.cases.select_related("submission__applicant").order_by("accepted_at", "id"))
    rows, originals, copies = [], 0, 0
    lines = SubmissionMaterial.objects.filter(submission_id__in=[c.submission_id for c in cases]).order_by(
        "order", "id"
    )
    by_submission: dict[int, list] = {}
    for line in lines:
        by_submission.setdefault(line.submission_id, []).append(line)
    for c in cases:
        code = c.matter_snapshot.get("code") or ""
        mine = [m for m in by_submission.get(c.submission_id, []) if not code or code in (m.matters or [])]
        originals += sum(m.originals for m in mine)
        copies += sum(m.copies for m in mine)
        rows.append({"case": c, "materials": mine})
    return {
        "handoff": handoff,
        "site": handoff.site,
        "rows": rows,
        "total_cases": len(cases),
        "total_originals": originals,
        "total_copies": copies,
        "title": _("委托收件交接单"),
        "today": timezone.localdate(),
        "can_sign": handoff.status == Handoff.Status.OPEN
        and services.is_officer_of(request.user, handoff.department_id),
    }


@office_view
def handoff(request, pk: int):
    found = _handoff_or_404(request, pk)
    return render(request, "backoffice/handoff.html", _slip_context(request, found))


@office_view
def handoff_pdf(request, pk: int):
    found = _handoff_or_404(request, pk)
    context = _slip_context(request, found)
    filename = f"{context['title']}-{found.pk}.pdf"
    return pdf_response("backoffice/handoff.html", context, filename, request=request)


@office_view
@require_POST
def collect(request, pk: int):
    found = _handoff_or_404(request, pk)
    try:
        services.collect_handoff(found, request.user, signer=request.POST.get("signer", ""), request=request)
    except ValidationError as exc:
        context = _slip_context(request, found)
        context.update(errors=_errors(exc, ("signer",)), signer=request.POST.get("signer", ""))
        return render(request, "backoffice/handoff.html", context, status=422)
    messages.success(request, _("交接单已签收，办件已进入部门待办。"))
    return redirect("backoffice:handoff", found.pk)


@office_view
@require_POST
def return_results(request):
    ids = [int(i) for i in request.POST.getlist("case") if i.isdigit()]
    chosen = list(_unreturned(request.user).filter(pk__in=ids))
    try:
        if len(chosen) != len(set(ids)):
            raise ValidationError(_("所选办件已送回或不可送回，请刷新后重试。"))
        services.return_results(chosen, request.user, request=request)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("backoffice:handoffs")
    messages.success(request, _("%(n)d 件办理结果已送回出件窗口。") % {"n": len(chosen)})
    return redirect("backoffice:handoffs")
