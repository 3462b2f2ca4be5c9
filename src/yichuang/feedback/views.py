"""Pages of 一次评价: the rating pad beside a window (/rate/<window>), the signed rating link
(/rate/case/<token>), rating in the online hall (/rate/portal/<case>), and the staff's list of rectifications
(/feedback/rectifications/). Thin: each form goes to one function of `services`."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yichuang.core import once
from yichuang.intake.models import Case
from yichuang.organisation.models import Window
from yichuang.portal import services as portal_services

from . import links, queries, services
from .models import (
    ONLINE_DIMENSIONS,
    ONSITE_DIMENSIONS,
    Appeal,
    Channel,
    Evaluation,
    FeedbackRules,
    Level,
    Rectification,
)

PAD_COOKIE = "yichuang_pad_{}"
PAD_SALT = "yichuang.feedback.pad"
PAD_COOKIE_AGE = 5 * 365 * 86400
LEVELS = [(level.value, level.label) for level in Level]


def _errors(exc: ValidationError) -> list[str]:
    return exc.messages


def _form_input(request, channel: str) -> dict:
    dims = {}
    for key in services.dimensions_for(channel):
        value = request.POST.get(f"dim_{key}", "")
        if value:
            dims[key] = value
    return {
        "level": request.POST.get("level", ""),
        "dimensions": dims,
        "tags": request.POST.getlist("tags"),
        "comment": request.POST.get("comment", ""),
        "real_name": request.POST.get("real_name") == "1",
    }


def _rating_context(channel: str, **extra) -> dict:
    dims = ONSITE_DIMENSIONS if channel == Channel.PAD else ONLINE_DIMENSIONS
    return {
        "levels": LEVELS,
        "dimensions": list(dims.items()),
        "tags": list(services.TAGS.items()),
        "comment_limit": services.COMMENT_LIMIT,
        **extra,
    }


# --- the rating pad ----------------------------------------------------------------------------------


def _pad(request, window_id: int):
    window = get_object_or_404(Window.objects.select_related("zone__site"), pk=window_id)
    secret = request.get_signed_cookie(PAD_COOKIE.format(window.pk), default=None, salt=PAD_SALT)
    pad = services.pad_for(window, secret)
    return window, pad


def _unpaired(request, window):
    return render(request, "feedback/pad_unpaired.html", {"window": window}, status=403)


@never_cache
@once.form
def pad(request, window_id: int):
    window, paired = _pad(request, window_id)
    if paired is None:
        return _unpaired(request, window)
    service = queries.pad_service(window)
    context = _rating_context(Channel.PAD, window=window, service=service, errors=[])
    if request.method == "POST":
        if request.POST.get("service") != service.key or service.idle:
            context["errors"] = [_("这次服务已评价或已超时，请等待下一次服务。")]
        else:
            data = _form_input(request, Channel.PAD)
            try:
                with transaction.atomic():
                    if service.ticket is not None:
                        services.rate(channel=Channel.PAD, ticket=service.ticket, window=window, **data)
                    for case in service.cases:
                        services.rate(channel=Channel.PAD, case=case, window=window, **data)
            except ValidationError as exc:
                context["errors"] = _errors(exc)
            else:
                return redirect("feedback:pad_thanks", window_id=window.pk)
        return render(request, "feedback/pad.html", context, status=422)
    return render(request, "feedback/pad.html", context)


@never_cache
def pad_thanks(request, window_id: int):
    window, paired = _pad(request, window_id)
    if paired is None:
        return _unpaired(request, window)
    return render(request, "feedback/pad_thanks.html", {"window": window})


@never_cache
def pad_current(request, window_id: int):
    """What the pad's script polls: the key of the service to rate now ("" when idle)."""
    window, paired = _pad(request, window_id)
    if paired is None:
        return JsonResponse({"detail": _("评价器未配对。")}, status=403)
    return JsonResponse({"service": queries.pad_service(window).key})


@login_required
@never_cache
def pad_pair(request, window_id: int):
    """A signed-in member of staff opens this once on the tablet: the tablet keeps the secret in a cookie."""
    window = get_object_or_404(Window.objects.select_related("zone__site"), pk=window_id)
    if not services.has_role_at_hall(request.user):
        raise PermissionDenied(_("只有大厅工作人员可以配对评价器。"))
    if request.method == "POST":
        secret = services.pair_pad(window, request.user, request=request)
        response = redirect("feedback:pad", window_id=window.pk)
        response.set_signed_cookie(
            PAD_COOKIE.format(window.pk),
            secret,
            salt=PAD_SALT,
            max_age=PAD_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
        return response
    return render(request, "feedback/pad_pair.html", {"window": window, "paired": hasattr(window, "rating_pad")})


# --- the signed rating link --------------------------------------------------------------------------


@never_cache
@once.form
def rate_case(request, token: str):
    rules = FeedbackRules.current()
    try:
        number = links.read_token(token, rules.link_valid_days)
    except signing.SignatureExpired:
        return render(request, "feedback/link_invalid.html", {"expired": True}, status=410)
    except signing.BadSignature:
        return render(request, "feedback/link_invalid.html", {"expired": False}, status=400)
    case = Case.objects.filter(number=number).select_related("submission").first()
    if case is None:
        return render(request, "feedback/link_invalid.html", {"expired": False}, status=404)
    context = _rating_context(Channel.LINK, case=case, errors=[], done=None)
    context["done"] = Evaluation.objects.filter(case=case, channel=Channel.LINK).first()
    if request.method == "POST" and context["done"] is None:
        try:
            services.rate(channel=Channel.LINK, case=case, request=request, **_form_input(request, Channel.LINK))
        except ValidationError as exc:
            context["errors"] = _errors(exc)
            return render(request, "feedback/rate_case.html", context, status=422)
        return render(request, "feedback/thanks.html", {"case": case})
    return render(request, "feedback/rate_case.html", context)


# --- the online hall ---------------------------------------------------------------------------------


@require_POST
@once.form
def rate_portal(request, number: str):
    """A signed-in applicant rates a concluded case of their own submission (channel portal)."""
    case = Case.objects.filter(number=number).select_related("submission").first()
    if case is None or not portal_services.owns(request, case.submission):
        raise Http404
    target = reverse("portal:submission", args=[case.submission.number])
    try:
        services.rate(channel=Channel.PORTAL, case=case, request=request, **_form_input(request, Channel.PORTAL))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("感谢您的评价。"))
    return redirect(target)


# --- rectifications (staff) --------------------------------------------------------------------------


def staff_view(view):
    @functools.wraps(view)
    @login_required
    @never_cache
    def wrapper(request, *args, **kwargs):
        if not queries.may_see_rectifications(request.user):
            raise PermissionDenied(_("您没有查看差评整改的岗位。"))
        return view(request, *args, **kwargs)

    return wrapper


@staff_view
def rectifications(request):
    status = request.GET.get("status", "open")
    if status not in Rectification.Status.values and status != "all":
        status = "open"
    rows = list(queries.rectifications_for(request.user, status=None if status == "all" else status)[:200])
    now = timezone.now()
    user = request.user
    items = [
        {
            "r": r,
            "overdue": r.status == Rectification.Status.OPEN and r.due_at is not None and r.due_at < now,
            "may_handle": services.may_handle(user, r),
            "may_appeal": services.may_appeal(user, r.evaluation),
            "pending_appeal": next((a for a in r.evaluation.appeals.all() if a.status == Appeal.Status.PENDING), None),
        }
        for r in rows
    ]
    return render(
        request,
        "feedback/rectifications.html",
        {
            "items": items,
            "status": status,
            "statuses": [("open", _("整改中")), ("fixed", _("已整改")), ("explained", _("已说明")), ("all", _("全部"))],
            "may_review": services.may_review(user),
            "onsite": ONSITE_DIMENSIONS,
            "online": ONLINE_DIMENSIONS,
            "tag_names": services.TAGS,
        },
    )


@staff_view
@require_POST
def rectification_act(request, pk: int, action: str):
    rect = get_object_or_404(queries.rectifications_for(request.user), pk=pk)
    post = request.POST
    try:
        if action == "follow-up":
            services.record_follow_up(rect, request.user, post.get("note", ""), request=request)
            messages.success(request, _("回访已记录。"))
        elif action == "resolve":
            services.resolve(rect, request.user, post.get("status", ""), post.get("resolution", ""), request=request)
            messages.success(request, _("整改已办结。"))
        elif action == "appeal":
            services.appeal(rect.evaluation, request.user, post.get("reason", ""), request=request)
            messages.success(request, _("申诉已提交，等待复核。"))
        elif action == "review":
            found = get_object_or_404(Appeal, pk=post.get("appeal") or 0, evaluation=rect.evaluation)
            services.review_appeal(
                found, request.user, post.get("upheld") == "1", post.get("outcome", ""), request=request
            )
            messages.success(request, _("复核意见已记录。"))
        else:
            raise Http404
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return redirect(f"{reverse('feedback:rectifications')}#r{rect.pk}")
