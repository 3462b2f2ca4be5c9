"""The video pages: the citizen's call and booking pages, the consultation desk, the department expert's page, the
clerk's support call, the call log. The call itself runs in static/video/call.js against the API (api.py)."""

import datetime as dt
import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yichuang.core import once
from yichuang.core.masking import mask_name, mask_phone
from yichuang.organisation.access import sees_all_departments
from yichuang.organisation.models import Department
from yichuang.organisation.roles import Role, acts_as

from . import queries, services
from .models import Booking, Call, Recording


def _call_context(request, **extra) -> dict:
    """What the call area needs: the ICE servers and the poll interval (data attributes for call.js)."""
    return {
        "ice_json": json.dumps(queries.ice_servers()),
        "poll_ms": queries.POLL_MS,
        "rules": services.rules(),
        **extra,
    }


# --- the citizen ------------------------------------------------------------------------------------------------


@never_cache
def citizen(request):
    """远程视频咨询: a citizen (portal or a township terminal) calls the consultation desk."""
    booking = None
    if token := request.GET.get("booking"):
        booking = Booking.objects.filter(token=token[:64], kind=Booking.Kind.CONSULT).first()
    return render(request, "video/citizen.html", _call_context(request, booking=booking))


def _slot_choices() -> list[tuple[str, str]]:
    step = services.rules().slot_minutes
    start, end = 9 * 60, 17 * 60 + 30  # the desk's hours; the booking rule itself is the slot grid
    return [(f"{m // 60:02d}:{m % 60:02d}", f"{m // 60:02d}:{m % 60:02d}") for m in range(start, end, step)]


class BookingForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_lazy("部门"), queryset=Department.objects.all(), required=False, empty_label=_lazy("（综合咨询台）")
    )
    day = forms.DateField(label=_lazy("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time = forms.ChoiceField(label=_lazy("时段"))
    name = forms.CharField(label=_lazy("姓名"), max_length=100, required=False)
    phone = forms.CharField(label=_lazy("联系电话"), max_length=32, required=False)
    topic = forms.CharField(label=_lazy("咨询事由"), max_length=200, required=False)

    def __init__(self, *args, clerk: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time"].choices = _slot_choices()
        if clerk:
            self.fields["department"].required = True
            self.fields["department"].empty_label = None
            self.fields["department"].queryset = Department.objects.order_by("presence", "name")
            del self.fields["name"], self.fields["phone"]
        else:
            del self.fields["department"]


@never_cache
@once.form
def book(request):
    """Book a slot: a citizen with the consultation desk, a clerk with a department's experts."""
    clerk = acts_as(request.user, Role.WINDOW_CLERK)
    form = BookingForm(request.POST or None, clerk=clerk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        hour, minute = map(int, data["time"].split(":"))
        starts_at = timezone.make_aware(dt.datetime.combine(data["day"], dt.time(hour, minute)))
        try:
            booking = services.book(
                kind=Booking.Kind.SUPPORT if clerk else Booking.Kind.CONSULT,
                department=data.get("department"),
                starts_at=starts_at,
                name=data.get("name", ""),
                phone=data.get("phone", ""),
                topic=data["topic"],
                by=request.user if clerk else None,
                request=request,
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else ("day" if field == "starts_at" else None), messages)
        else:
            return redirect("video:booking", token=booking.token)
    status = 422 if request.method == "POST" else 200
    return render(request, "video/book.html", {"form": form, "clerk": clerk, "rules": services.rules()}, status=status)


@never_cache
def booking(request, token: str):
    """The booking's own page (its link is the citizen's credential): when, with whom, cancel, call at the time."""
    found = get_object_or_404(Booking.objects.select_related("department"), token=token[:64])
    if found.booked_by_id and found.booked_by_id != getattr(request.user, "pk", None):
        raise PermissionDenied(_("这是其他人员的预约。"))
    now = timezone.now()
    callable_now = found.cancelled_at is None and found.starts_at - services.BOOKING_EARLY <= now < found.ends_at
    context = {
        "booking": found,
        "masked_phone": mask_phone(found.phone),
        "callable_now": callable_now,
        "upcoming": found.cancelled_at is None and now < found.ends_at,
    }
    return render(request, "video/booking.html", context)


@require_POST
def cancel_booking(request, token: str):
    found = get_object_or_404(Booking, token=token[:64])
    if found.booked_by_id and found.booked_by_id != getattr(request.user, "pk", None):
        raise PermissionDenied(_("这是其他人员的预约。"))
    try:
        services.cancel_booking(found, by=request.user, request=request)
    except services.Refused:
        pass  # cancelled already: the page says so
    return redirect("video:booking", token=found.token)


# --- staff ---------------------------------------------------------------------------------------------------


def _booking_rows(bookings) -> list[dict]:
    return [
        {
            "starts_at": b.starts_at,
            "ends_at": b.ends_at,
            "who": mask_name(b.name) if b.name else (b.booked_by.display_name if b.booked_by else ""),
            "topic": b.topic,
        }
        for b in bookings.select_related("booked_by")
    ]


@never_cache
@login_required
def desk(request):
    """The consultation desk: citizens' calls ring here for every consultant who has the page open."""
    if not acts_as(request.user, Role.CONSULTANT):
        raise PermissionDenied(_("只有咨询人员可以接听视频咨询。"))
    today = timezone.localdate()
    bookings = _booking_rows(queries.bookings_on(today, kind=Booking.Kind.CONSULT))
    return render(request, "video/desk.html", _call_context(request, bookings=bookings, title=_("视频咨询台")))


@never_cache
@login_required
def expert(request):
    """A department's expert (officer or lead): the clerks' support calls to this department ring here."""
    if not queries.is_expert(request.user):
        raise PermissionDenied(_("只有部门的后台审批人员或负责人可以接听业务支撑呼叫。"))
    today = timezone.localdate()
    bookings = _booking_rows(
        queries.bookings_on(today, kind=Booking.Kind.SUPPORT, department_id=request.user.department_id)
    )
    context = _call_context(request, bookings=bookings, department=request.user.department, title=_("远程视频指导"))
    return render(request, "video/expert.html", context)


@never_cache
@login_required
def support(request):
    """A window clerk calls a department's experts (业务支撑), optionally about a case or from a booking."""
    if not acts_as(request.user, Role.WINDOW_CLERK):
        raise PermissionDenied(_("只有综合受理人员可以呼叫部门业务支撑。"))
    context = _call_context(
        request,
        departments=queries.support_departments(),
        case_number=request.GET.get("case", "")[:44],
        bookings=queries.my_bookings(request.user),
        now=timezone.now(),
        early=services.BOOKING_EARLY,
    )
    return render(request, "video/support.html", context)


@never_cache
@login_required
def log(request):
    """通话记录: who, when, how long, which consultation or case."""
    if not queries.may_see_log(request.user):
        raise PermissionDenied(_("无权查看通话记录。"))
    calls = queries.call_log(request.user).select_related("recording")
    kind = request.GET.get("kind")
    if kind in Call.Kind.values:
        calls = calls.filter(kind=kind)
    rows = [
        {
            "call": call,
            "caller": mask_name(call.caller_name) if call.caller_id is None else call.caller.display_name,
            "callee": call.callee.display_name if call.callee else "",
            "recording": hasattr(call, "recording"),
        }
        for call in calls[:200]
    ]
    context = {"rows": rows, "kind": kind, "may_play": sees_all_departments(request.user)}
    return render(request, "video/log.html", context)


@never_cache
@login_required
def recording(request, call_id: int):
    """A call's recording, for hall admins, supervisors and auditors only (never a public media URL)."""
    if not sees_all_departments(request.user):
        raise PermissionDenied(_("只有大厅管理员、督办和审计人员可以查看通话录像。"))
    found = get_object_or_404(Recording.objects.select_related("call"), call_id=call_id)
    return FileResponse(found.file.open("rb"), content_type="video/webm")
