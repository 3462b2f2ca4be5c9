"""Pages of 一号服务: the kiosk, the person's mobile page, the window desk, the display board, booking."""

import datetime

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from yichuang.catalogue.models import LifeEvent, Matter
from yichuang.core.links import absolute
from yichuang.core.schemas import row_id
from yichuang.organisation import queries as org_queries
from yichuang.organisation import services as org_services
from yichuang.organisation.models import Seat, Site, Window, Zone
from yichuang.organisation.roles import Role, acts_as

from . import queries, ratelimit, services
from .models import Appointment, AppointmentSlot, Ticket


def _site(code: str) -> Site:
    return get_object_or_404(Site, code=code)


def _first_error(exc: ValidationError) -> str:
    return exc.messages[0] if exc.messages else _("操作未完成。")


# --- kiosk ----------------------------------------------------------------------------------------


def _matters_at(site: Site):
    return Matter.objects.in_use().filter(zones__site=site).distinct()


@never_cache
def kiosk(request, site: str):
    site = _site(site)
    zones = list(Zone.objects.filter(site=site).order_by("order", "code"))
    matters = _matters_at(site)
    event = None
    event_matters = []
    if code := request.GET.get("event"):
        event = LifeEvent.objects.filter(code=code).first()
        if event is not None:
            event_matters = list(matters.filter(life_events=event).prefetch_related("zones").order_by("name"))
    events = LifeEvent.objects.filter(matters__in=matters).distinct().order_by("order", "code")
    waiting = dict(
        (z.pk, n)
        for z, n in (
            (z, z.tickets.filter(date=timezone.localdate(), status=Ticket.Status.WAITING).count()) for z in zones
        )
    )
    return render(
        request,
        "queue/kiosk.html",
        {
            "site": site,
            "zones": [(z, waiting[z.pk]) for z in zones],
            "events": events,
            "event": event,
            "event_matters": event_matters,
        },
    )


def _refused_by_rate(request, site: Site):
    wait = ratelimit.check(request)
    if not wait:
        return None
    messages.error(request, _("取号过于频繁，请 %(s)s 秒后再试。") % {"s": int(wait + 0.999)})
    response = redirect("queue:kiosk", site.code)
    response.status_code = 303
    return response


@require_POST
def kiosk_take(request, site: str):
    site = _site(site)
    matter = None
    if code := request.POST.get("matter"):
        matter = _matters_at(site).filter(code=code).first()
        if matter is None:
            raise Http404
        zone = matter.zones.filter(site=site).order_by("order", "code").first()
    else:
        zone = get_object_or_404(Zone, site=site, code=request.POST.get("zone", ""))
    try:
        ticket = services.issue_ticket(
            zone,
            priority=request.POST.get("priority") == "1",
            phone=request.POST.get("phone"),
            matter=matter,
            source=Ticket.Source.KIOSK,
            request=request,
            rate_key=ratelimit.client_key(request),
        )
    except services.RateLimited as refused:
        messages.error(request, _("取号过于频繁，请 %(s)s 秒后再试。") % {"s": int(refused.wait + 0.999)})
        return redirect("queue:kiosk", site.code)
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
        return redirect("queue:kiosk", site.code)
    return redirect("queue:kiosk_ticket", site.code, ticket.token)


@require_POST
def kiosk_check_in(request, site: str):
    site = _site(site)
    if refused := _refused_by_rate(request, site):
        return refused
    try:
        ticket, in_time = services.check_in(request.POST.get("code", ""), site=site, request=request)
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
        return redirect("queue:kiosk", site.code)
    if not in_time:
        messages.warning(request, _("您已超过预约时间，已为您排入普通队列。"))
    return redirect("queue:kiosk_ticket", site.code, ticket.token)


def qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=5, border=2)


@never_cache
def kiosk_ticket(request, site: str, token: str):
    site = _site(site)
    ticket = get_object_or_404(Ticket.objects.select_related("zone", "appointment"), token=token, zone__site=site)
    url = absolute(reverse("queue:mobile", args=[ticket.token]), request)
    rules = queries.rules_for(ticket.zone)
    return render(
        request,
        "queue/kiosk_ticket.html",
        {
            "site": site,
            "ticket": ticket,
            "qr": qr_svg(url),
            "url": url,
            # The text message promised on the ticket (services.remind_near_turn): a phone, and more ahead than that.
            "remind_at": rules.near_turn_ahead,
            "will_remind": bool(ticket.phone) and ticket.ahead_at_issue > rules.near_turn_ahead,
        },
    )


# --- the person's mobile page ----------------------------------------------------------------------


@never_cache
def mobile(request, token: str):
    ticket = get_object_or_404(Ticket.objects.select_related("zone__site"), token=token)
    return render(request, "queue/mobile.html", {"ticket": ticket, "status": queries.ticket_status(ticket)})


@never_cache
def mobile_status(request, token: str):
    ticket = get_object_or_404(Ticket, token=token)
    return JsonResponse(queries.ticket_status(ticket))


# --- display board ----------------------------------------------------------------------------------

ROTATE_SECONDS = 10  # how long a page of windows stays up when a hall's windows need several pages


def _board_zones(request, site: Site) -> list[Zone]:
    try:
        return queries.display_zones(site, request.GET.get("zone"))
    except Zone.DoesNotExist as unknown:
        raise Http404(_("本服务场所没有服务区 %(code)s。") % {"code": unknown}) from None


def _seconds(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high) if value else default
    except ValueError:
        return default


@never_cache
def display(request, site: str):
    """The hall's board (1920×1080): `?zone=code[,code…]` for the board of a zone or an area of the hall,
    `?rotate=seconds` for how long each page of windows stays up."""
    site = _site(site)
    zones = _board_zones(request, site)
    everything = not request.GET.get("zone")
    return render(
        request,
        "queue/display.html",
        {
            "site": site,
            "zones": zones,
            "everything": everything,
            "zone_param": "" if everything else ",".join(z.code for z in zones),
            "rotate": _seconds(request.GET.get("rotate"), ROTATE_SECONDS, 2, 120),
            "state": queries.display_state(site, zones=zones),
        },
    )


@never_cache
def display_feed(request, site: str):
    site = _site(site)
    try:
        since = max(int(request.GET.get("since", "0")), 0)
    except ValueError:
        since = 0
    return JsonResponse(queries.display_state(site, since=since, zones=_board_zones(request, site)))


@never_cache
def display_boards(request, site: str):
    """Every board of the site: the whole hall, and one per zone (with the windows working there now)."""
    site = _site(site)
    state = queries.display_state(site)
    working = {g["code"]: len(g["windows"]) for g in state["zones"]}
    zones = [(z, working.get(z.code, 0)) for z in Zone.objects.filter(site=site).order_by("order", "code")]
    return render(request, "queue/display_boards.html", {"site": site, "zones": zones})


# --- window desk -----------------------------------------------------------------------------------


DESK_ROLES = (Role.WINDOW_CLERK, Role.OUTPUT_CLERK, Role.CONSULTANT, Role.HALL_ADMIN)


def _staff_site(user) -> Site | None:
    return user.site or Site.objects.filter(is_default=True).first() or Site.objects.order_by("code").first()


@login_required
@never_cache
def desk(request):
    if not acts_as(request.user, *DESK_ROLES):
        raise PermissionDenied(_("您没有窗口岗位。"))
    seat = org_queries.current_seat(request.user)
    if seat is None:
        site = _staff_site(request.user)
        today = timezone.localdate()
        taken = set(Seat.objects.filter(date=today, until__isnull=True).values_list("window_id", flat=True))
        windows = [w for w in org_queries.windows(site=site).filter(is_open=True) if w.pk not in taken]
        return render(request, "queue/desk_seat.html", {"site": site, "windows": windows})
    window = seat.window
    zone = window.zone
    current = (
        Ticket.objects.select_related("zone", "appointment", "matter")
        .filter(window=window, status__in=queries.OPEN_STATES)
        .first()
    )
    state = queries.zone_queue(zone)
    rules = queries.rules_for(zone)
    other_zones = Zone.objects.filter(site=zone.site).exclude(pk=zone.pk).order_by("order", "code")
    return render(
        request,
        "queue/desk.html",
        {
            "seat": seat,
            "window": window,
            "zone": zone,
            "current": current,
            "state": state,
            "rules": rules,
            "other_zones": other_zones,
            "can_no_show": current is not None
            and current.status == Ticket.Status.CALLED
            and current.call_count >= rules.no_show_after_calls,
        },
    )


@login_required
@require_POST
def desk_seat(request):
    window = get_object_or_404(Window, pk=request.POST.get("window") or 0)
    try:
        org_services.take_seat(request.user, window)
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
    return redirect("queue:desk")


@login_required
@require_POST
def desk_leave(request):
    current = org_queries.current_seat(request.user)
    if current and Ticket.objects.filter(window=current.window, status__in=queries.OPEN_STATES).exists():
        messages.error(request, _("请先办结、过号或转移当前号码再离座。"))
        return redirect("queue:desk")
    org_services.leave_seat(request.user)
    return redirect("queue:desk")


@login_required
@require_POST
def desk_call(request):
    seat = org_queries.current_seat(request.user)
    if seat is None:
        return redirect("queue:desk")
    try:
        ticket = services.call_next(seat.window, request.user, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _first_error(exc) if isinstance(exc, ValidationError) else str(exc))
        return redirect("queue:desk")
    if ticket is None:
        messages.info(request, _("当前没有等候的号码。"))
    return redirect("queue:desk")


DESK_ACTIONS = {
    "recall": services.recall,
    "serve": services.start_serving,
    "no_show": services.mark_no_show,
    "finish": services.finish,
}


@login_required
@require_POST
def desk_ticket(request, ticket_id: int, action: str):
    ticket = get_object_or_404(Ticket, pk=ticket_id)
    front = request.POST.get("front") == "1"
    try:
        if action in DESK_ACTIONS:
            DESK_ACTIONS[action](ticket, request.user, request=request)
        elif action == "reactivate":
            services.reactivate(ticket, request.user, front=front, request=request)
        elif action == "transfer":
            zone = Zone.objects.filter(pk=request.POST.get("zone") or 0).first()
            if zone is None:
                raise services.QueueError({"zone": _("请选择要转入的服务区。")})
            services.transfer(ticket, zone, request.user, front=front, request=request)
            messages.success(request, _("%(number)s 已转至 %(zone)s。") % {"number": ticket.number, "zone": zone.name})
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("queue:desk")


@login_required
@never_cache
def desk_appointments(request):
    """Staff book for a person (phone, counter) and the hall admin opens slots."""
    if not acts_as(request.user, *DESK_ROLES):
        raise PermissionDenied(_("您没有窗口岗位。"))
    site = _staff_site(request.user)
    zones = list(Zone.objects.filter(site=site).order_by("order", "code"))
    day = _day(request.GET.get("date") or request.POST.get("date"))
    if request.method == "POST":
        try:
            if request.POST.get("action") == "open":
                if not acts_as(request.user, Role.HALL_ADMIN):
                    raise PermissionDenied(_("只有大厅管理员可以开放预约时段。"))
                zone = get_object_or_404(Zone, site=site, pk=request.POST.get("zone") or 0)
                made = services.open_slots(
                    zone,
                    day,
                    _time(request.POST.get("start"), "start"),
                    _time(request.POST.get("end"), "end"),
                    minutes=_int(request.POST.get("minutes"), 30),
                    capacity=_int(request.POST.get("capacity"), 4),
                    actor=request.user,
                )
                messages.success(request, _("已开放 %(n)s 个时段。") % {"n": len(made)})
            else:
                slot = get_object_or_404(AppointmentSlot, pk=request.POST.get("slot") or 0, zone__site=site)
                appointment = services.book_appointment(
                    slot,
                    name=request.POST.get("name", ""),
                    phone=request.POST.get("phone", ""),
                    actor=request.user,
                    request=request,
                )
                messages.success(request, _("预约成功，预约码 %(code)s。") % {"code": appointment.code})
        except ValidationError as exc:
            messages.error(request, _first_error(exc))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        return redirect(f"{reverse('queue:desk_appointments')}?date={day:%Y-%m-%d}")
    slots = AppointmentSlot.objects.filter(zone__site=site, date=day).select_related("zone").order_by("zone", "start")
    appointments = Appointment.objects.filter(slot__zone__site=site, slot__date=day).select_related("slot__zone")
    return render(
        request,
        "queue/desk_appointments.html",
        {
            "site": site,
            "zones": zones,
            "day": day,
            "slots": slots,
            "appointments": appointments,
            "is_admin": acts_as(request.user, Role.HALL_ADMIN),
        },
    )


def _day(value: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _time(value: str | None, field: str) -> datetime.time:
    try:
        return datetime.time.fromisoformat(value or "")
    except ValueError:
        raise services.QueueError({field: _("请输入时间，如 09:00。")}) from None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        raise services.QueueError(_("请输入整数。")) from None


# --- online booking --------------------------------------------------------------------------------


@never_cache
def booking(request, site: str):
    """网上预约: a slot of a zone, optionally for one of its matters or for a pre-filled application (`?prefill=`,
    a situation guide's result: its zone is chosen and its materials confirmed). Booked → the confirmation page."""
    site = _site(site)
    prefill = _booking_prefill(request)
    zones = list(
        Zone.objects.filter(site=site, appointment_slots__date__gte=timezone.localdate())
        .distinct()
        .order_by("order", "code")
    )
    wanted = request.POST.get("zone") or request.GET.get("zone")
    if prefill is not None and not wanted:
        guide = prefill.version.guide
        wanted = guide.bundle.zone.code if guide.bundle_id else None
    zone = next((z for z in zones if z.code == wanted), zones[0] if zones else None)
    today = timezone.localdate()
    slots = (
        AppointmentSlot.objects.filter(
            zone=zone, date__gte=today, date__lte=today + datetime.timedelta(days=14)
        ).order_by("date", "start")
        if zone
        else AppointmentSlot.objects.none()
    )
    matters = list(_matters_at(site).filter(zones=zone).order_by("name")) if zone else []
    if request.method == "POST":
        if refused := ratelimit.check(request):
            messages.error(request, _("操作过于频繁，请 %(s)s 秒后再试。") % {"s": int(refused + 0.999)})
        else:
            slot = (
                AppointmentSlot.objects.select_related("zone")
                .filter(pk=row_id(request.POST.get("slot")), zone__site=site)
                .first()
            )
            matter = next((m for m in matters if m.code == request.POST.get("matter")), None)
            try:
                if slot is None:
                    raise services.QueueError({"slot": _("请选择时段。")})
                booked = services.book_appointment(
                    slot, name=request.POST.get("name", ""), phone=request.POST.get("phone", ""),
                    matter=None if prefill else matter, prefill=prefill, request=request,
                )  # fmt: skip
            except ValidationError as exc:
                messages.error(request, _first_error(exc))
            else:
                return redirect("queue:appointment", booked.token)
    now_local = timezone.localtime()
    open_slots = [s for s in slots if s.free and (s.date > today or s.start >= now_local.time())]
    return render(
        request,
        "queue/booking.html",
        {
            "site": site,
            "zones": zones,
            "zone": zone,
            "slots": open_slots,
            "matters": matters,
            "prefill": prefill,
        },
    )


def _booking_prefill(request):
    """The pre-filled application the booking is for: its code in the address (from its page), usable."""
    code = request.POST.get("prefill") or request.GET.get("prefill")
    if not code:
        return None
    from yichuang.prefill.services import find, usable_problem

    prefill = find(code)
    if usable_problem(prefill) is not None:
        raise Http404(_("没有这个预填申请，或它已受理、已过期。"))
    return prefill


@never_cache
def appointment(request, token: str):
    """The booking's own page (the link in the confirmation): the code and its QR to scan at the kiosk, the materials
    to bring, and cancelling."""
    booked = get_object_or_404(
        Appointment.objects.select_related("slot__zone__site", "matter", "prefill__version__guide"), token=token[:32]
    )
    if request.method == "POST" and request.POST.get("action") == "cancel":
        try:
            services.cancel_appointment(booked, request=request)
        except ValidationError as exc:
            messages.error(request, _first_error(exc))
        else:
            messages.success(request, _("预约已取消。"))
        return redirect("queue:appointment", booked.token)
    return render(
        request,
        "queue/appointment.html",
        {
            "booked": booked,
            "site": booked.slot.zone.site,
            "qr": qr_svg(booked.code),
            "materials": [line for line in queries.appointment_materials(booked) if line.required],
        },
    )
