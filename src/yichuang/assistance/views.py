"""Assisted service's pages: the helper's list and the form to take someone on (/assist/), the project page
(/assist/<number>/) with every case of every submission made for it, and the person's own view of the same
progress through their link (/assist/t/<token>/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from yichuang.core import audit
from yichuang.core.masking import mask_id_number, mask_phone
from yichuang.core.schemas import row_id
from yichuang.organisation.models import User
from yichuang.organisation.roles import Role, acts_as

from . import queries, services
from .models import Assistance


def _ensure_staff(user) -> None:
    if not acts_as(user, Role.WINDOW_CLERK, Role.HALL_ADMIN, Role.SUPERVISOR):
        raise PermissionDenied(_("您没有帮办代办岗位。"))


def _helpers():
    return User.objects.filter(is_active=True, groups__name=str(Role.WINDOW_CLERK)).order_by("username")


@login_required
@never_cache
def index(request):
    _ensure_staff(request.user)
    errors, values = {}, {}
    if request.method == "POST":
        names = ("category", "subject.kind", "subject.name", "subject.id_number", "subject.phone", "project_name")
        values = {k: request.POST.get(k, "").strip()[:200] for k in (*names, "helper")}
        helper = None
        if row_id(values["helper"]) is not None and acts_as(request.user, Role.HALL_ADMIN):
            helper = _helpers().filter(pk=row_id(values["helper"])).first()
        try:
            assistance = services.start(
                actor=request.user, category=values["category"],
                subject={k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("subject.")},
                project_name=values["project_name"], helper=helper,
                consent_submit=request.POST.get("consent_submit") == "1",
                consent_collect=request.POST.get("consent_collect") == "1",
                consent_confirmed=request.POST.get("consent_confirmed") == "1",
                consent_file=request.FILES.get("consent_file"), request=request,
            )  # fmt: skip
        except ValidationError as exc:
            errors = {k.replace(".", "_"): v for k, v in exc.message_dict.items()}
        except PermissionDenied as exc:
            errors = {"general": [str(exc)]}
        else:
            messages.success(request, _("已建立帮办 %(n)s，已告知本人查看进度的链接。") % {"n": assistance.number})
            return redirect("assistance:detail", assistance.number)
    shown = {k.replace(".", "_"): v for k, v in values.items()}  # subject.name → subject_name for the template
    rows = list(queries.visible_to(request.user)[:200])
    for row in rows:
        row.open_cases = queries.open_cases(row)
    return render(request, "assistance/index.html", {
        "rows": rows, "errors": errors, "values": shown, "categories": Assistance.Category.choices,
        "is_admin": acts_as(request.user, Role.HALL_ADMIN), "helpers": _helpers(),
        "can_start": acts_as(request.user, *services.HELPER_ROLES),
    }, status=422 if errors else 200)  # fmt: skip


def _visible(request, number: str) -> Assistance:
    assistance = get_object_or_404(Assistance.objects.select_related("helper"), number=number[:20])
    if not services.may_view(request.user, assistance):
        raise Http404(_("没有这个帮办。"))  # another helper's project does not exist for them
    return assistance


@login_required
@never_cache
def detail(request, number: str):
    _ensure_staff(request.user)
    assistance = _visible(request, number)
    errors = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "note":
                services.note(assistance, request.POST.get("text", ""), actor=request.user, request=request)
            elif action in ("close", "withdraw"):
                services.end(assistance, actor=request.user, withdrawn=action == "withdraw",
                             reason=request.POST.get("reason", ""), request=request)  # fmt: skip
            elif action == "reassign":
                helper = _helpers().filter(pk=row_id(request.POST.get("helper"))).first()
                if helper is None:
                    raise ValidationError({"helper": [_("请选择帮办员。")]})
                services.reassign(assistance, helper, actor=request.user, request=request)
            else:
                raise ValidationError(_("未知操作。"))
        except ValidationError as exc:
            errors = {
                k.replace(".", "_"): v for k, v in getattr(exc, "message_dict", {"general": exc.messages}).items()
            }
        else:
            return redirect("assistance:detail", assistance.number)
    full = services.may_manage(request.user, assistance)  # the helper needs the person's data to act for them
    if full:
        audit.record(request.user, "assistance.view", assistance, summary=assistance.number, request=request)
    return render(request, "assistance/detail.html", {
        "assistance": assistance, "progress": queries.progress(assistance), "events": list(assistance.events.all()),
        "errors": errors, "full": full, "manage": full, "is_admin": acts_as(request.user, Role.HALL_ADMIN),
        "helpers": _helpers(), "id_number": assistance.subject_id_number if full else mask_id_number(
            assistance.subject_id_number), "phone": assistance.subject_phone if full else mask_phone(
            assistance.subject_phone),
        "may_submit": request.user.pk == assistance.helper_id and assistance.status == Assistance.Status.ACTIVE,
    }, status=422 if errors else 200)  # fmt: skip


@login_required
def consent_file(request, number: str):
    _ensure_staff(request.user)
    assistance = _visible(request, number)
    if not services.may_manage(request.user, assistance) and not acts_as(request.user, Role.SUPERVISOR):
        raise Http404
    audit.record(request.user, "assistance.view_consent", assistance, summary=assistance.number, request=request)
    response = FileResponse(assistance.consent_file.open("rb"))
    response["Content-Disposition"] = content_disposition_header(False, f"{assistance.number}-授权委托书")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
def person(request, token: str):
    """The person's (or enterprise's) own view: the same progress as the helper's page, their data masked."""
    assistance = get_object_or_404(Assistance.objects.select_related("helper"), token=token[:64])
    return render(request, "assistance/person.html", {
        "assistance": assistance, "progress": queries.progress(assistance),
        "events": [e for e in assistance.events.all() if e.kind != "note"],
    })  # fmt: skip


@login_required
def consent_form(request):
    """The consent form (授权委托书) to print and have signed: blank, or filled with the names on the form."""
    _ensure_staff(request.user)
    from django.utils import timezone

    from yichuang.catalogue.queries import default_site
    from yichuang.core.pdf import pdf_response

    site = default_site()
    context = {
        "site_name": site.name if site else "",
        "subject_name": request.GET.get("name", "")[:100],
        "project_name": request.GET.get("project", "")[:200],
        "helper_name": request.user.get_full_name(),
        "today": timezone.localdate(),
    }
    return pdf_response("assistance/consent_form.html", context, "帮办代办授权委托书.pdf", request=request)
