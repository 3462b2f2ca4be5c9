"""Reads of the queue shared by the kiosk, desk, display and mobile pages and the API."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.organisation.models import Seat, Site, Window, Zone

from . import estimate as model
from .models import Appointment, QueueSettings, Ticket, TicketEvent

OPEN_STATES = (Ticket.Status.CALLED, Ticket.Status.SERVING)
LEARN_FROM_LAST = 60  # finished tickets of today the service time is learned from
RATE_WINDOW = datetime.timedelta(minutes=60)
DIGITS = "零一二三四五六七八九"


def rules_for(zone: Zone) -> QueueSettings:
    """The zone's queue rules: its own, else its site's, else the defaults."""
    found = {
        (row.zone_id is not None): row
        for row in QueueSettings.objects.filter(Q(zone_id=zone.pk) | Q(site_id=zone.site_id, zone__isnull=True))
    }
    return found.get(True) or found.get(False) or QueueSettings(zone=zone)


def before(*, front: bool, priority: bool, booked: bool, queued_at, pk: int | None) -> Q:
    """Waiting tickets that come before one with these keys in the zone's nominal order: transferred to the
    front, then the 绿色通道, then appointments, then by time queued (pk None: a ticket not yet created)."""
    parts, prefix = [], Q()
    for field, value in (("front", front), ("priority", priority), ("booked", booked)):
        if not value:
            parts.append(prefix & Q(**{field: True}))
        prefix &= Q(**{field: value})
    parts.append(prefix & Q(queued_at__lt=queued_at))
    parts.append(prefix & (Q(queued_at=queued_at, id__lt=pk) if pk else Q(queued_at=queued_at)))
    result = parts[0]
    for part in parts[1:]:
        result |= part
    return result


def ahead_of(ticket: Ticket) -> int:
    """How many waiting tickets come before this one (0 if it is not waiting)."""
    if ticket.status != Ticket.Status.WAITING:
        return 0
    condition = before(
        front=ticket.front, priority=ticket.priority, booked=ticket.booked, queued_at=ticket.queued_at, pk=ticket.pk
    )
    return Ticket.objects.filter(
        condition, zone_id=ticket.zone_id, date=ticket.date, status=Ticket.Status.WAITING
    ).count()


def position_for_new(zone: Zone, date: datetime.date, *, priority: bool, booked: bool, now=None) -> int:
    """How many waiting tickets come before a ticket issued now."""
    condition = before(front=False, priority=priority, booked=booked, queued_at=now or timezone.now(), pk=None)
    return Ticket.objects.filter(condition, zone=zone, date=date, status=Ticket.Status.WAITING).count()


@dataclass(frozen=True)
class Estimate:
    ahead: int
    low: int
    high: int
    servers: int
    service_minutes: float


def _minutes(delta: datetime.timedelta) -> float:
    return delta.total_seconds() / 60


def zone_service_time(zone: Zone, date: datetime.date, default: float) -> model.ServiceTime:
    """What a window of the zone spends per ticket today: finished tickets, and the time lost on no-shows."""
    finished = list(
        Ticket.objects.filter(zone=zone, date=date, status=Ticket.Status.FINISHED, called_at__isnull=False)
        .order_by("-finished_at")
        .values_list("called_at", "finished_at")[:LEARN_FROM_LAST]
    )
    service = model.learn_service_time([_minutes(b - a) for a, b in finished], default)
    missed = list(
        Ticket.objects.filter(zone=zone, date=date, status=Ticket.Status.MISSED, called_at__isnull=False)
        .order_by("-missed_at")
        .values_list("called_at", "missed_at")[: LEARN_FROM_LAST // 4]
    )
    if not missed or not finished:
        return service
    share = len(missed) / (len(missed) + len(finished))
    lost = sum(_minutes(b - a) for a, b in missed) / len(missed)
    return model.blend_no_shows(service, share, lost)


def windows_working(zone: Zone, date: datetime.date) -> int:
    """Windows of the zone with someone seated now; else (before opening, everyone away) the open windows."""
    seated = Seat.objects.filter(window__zone=zone, window__is_open=True, date=date, until__isnull=True).count()
    if seated:
        return seated
    return max(Window.objects.filter(zone=zone, is_open=True).count(), 1)


def jump_rate(zone: Zone, now: datetime.datetime) -> float:
    """People per minute who will queue ahead of an ordinary walk-in: the 绿色通道 (today's recent rate)
    and appointments booked for the coming hour."""
    date = timezone.localdate(now)
    priority = Ticket.objects.filter(
        zone=zone, date=date, priority=True, issued_at__gte=now - RATE_WINDOW, issued_at__lte=now
    ).count()
    local = timezone.localtime(now)
    horizon = (local + RATE_WINDOW).time() if (local + RATE_WINDOW).date() == date else datetime.time.max
    upcoming = Appointment.objects.filter(
        slot__zone=zone,
        slot__date=date,
        status=Appointment.Status.BOOKED,
        slot__start__gte=local.time(),
        slot__start__lt=horizon,
    ).count()
    return (priority + upcoming) / _minutes(RATE_WINDOW)


def opening_periods(site: Site, date: datetime.date) -> list[tuple[datetime.time, datetime.time]]:
    return list(site.opening_periods.filter(weekday=date.weekday()).values_list("start", "end"))


def estimate(zone: Zone, *, ahead: int, priority: bool, now=None, rules: QueueSettings | None = None) -> Estimate:
    """The wait range for someone with `ahead` tickets before them in `zone`, now."""
    now = now or timezone.now()
    date = timezone.localdate(now)
    rules = rules or rules_for(zone)
    service = zone_service_time(zone, date, rules.default_service_minutes)
    servers = windows_working(zone, date)
    busy = Ticket.objects.filter(zone=zone, date=date, status__in=OPEN_STATES).count()
    if priority:
        oldest = (
            Ticket.objects.filter(zone=zone, date=date, status=Ticket.Status.WAITING, priority=False)
            .order_by("queued_at")
            .values_list("queued_at", flat=True)
            .first()
        )
        # Will ordinary tickets have waited past the bound by the time this one's turn comes?
        soon = _minutes(now - oldest) + (ahead + 1) * service.mean / max(servers, 1) if oldest else 0.0
        effective = model.effective_ahead(
            ahead,
            priority=True,
            ordinary_waiting=oldest is not None,
            run_length=rules.priority_run_length,
            alternating=soon >= rules.priority_wait_bound_minutes,
        )
        rate = 0.0
    else:
        effective = float(ahead)
        rate = jump_rate(zone, now)
    low, high = model.wait_range(
        now=timezone.localtime(now),
        ahead=effective,
        servers=servers,
        busy=busy,
        service=service,
        jump_rate=rate,
        periods=opening_periods(zone.site, date),
    )
    return Estimate(ahead=ahead, low=low, high=high, servers=servers, service_minutes=round(service.mean, 1))


def estimate_for(ticket: Ticket, now=None) -> Estimate:
    ahead = ahead_of(ticket)
    return estimate(ticket.zone, ahead=ahead, priority=ticket.priority, now=now)


# --- what people see -------------------------------------------------------------------------------


def spoken_number(number: str) -> str:
    """A023 → "A零二三": digits one by one, as halls announce them."""
    return "".join(DIGITS[int(c)] if c.isdigit() else c for c in number)


def announcement(number: str, window_number: int) -> tuple[str, str]:
    """(text shown, text spoken) of a call."""
    text = _("请 %(number)s 号到 %(window)s 号窗口") % {"number": number, "window": window_number}
    speech = _("请%(number)s号到%(window)s号窗口") % {"number": spoken_number(number), "window": window_number}
    return text, speech


def ticket_status(ticket: Ticket, now=None) -> dict:
    """What the person holding the ticket sees on /t/<token>/."""
    ticket = Ticket.objects.select_related("zone__site", "window").get(pk=ticket.pk)
    rules = rules_for(ticket.zone)
    data = {
        "number": ticket.number,
        "zone": ticket.zone.name,
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "ahead": None,
        "wait_minutes": None,
        "window": None,
        "near": False,
        "message": "",
    }
    if ticket.status == Ticket.Status.WAITING:
        est = estimate_for(ticket, now)
        data.update(ahead=est.ahead, wait_minutes=[est.low, est.high], near=est.ahead < rules.near_turn_ahead)
        if est.ahead == 0:
            data["message"] = _("下一个就轮到您，请留意叫号。")
        elif data["near"]:
            data["message"] = _("即将轮到您：前面还有 %(n)s 人，请到 %(zone)s 附近等候。") % {
                "n": est.ahead,
                "zone": ticket.zone.name,
            }
        else:
            data["message"] = _("前面还有 %(n)s 人，预计等候 %(low)s–%(high)s 分钟。") % {
                "n": est.ahead,
                "low": est.low,
                "high": est.high,
            }
    elif ticket.status in OPEN_STATES and ticket.window_id:
        data["window"] = ticket.window.number
        data["message"] = _("请到 %(window)s 号窗口办理。") % {"window": ticket.window.number}
    elif ticket.status == Ticket.Status.MISSED:
        data["message"] = _("您已过号，请到服务区窗口说明情况，工作人员可为您恢复排队。")
    elif ticket.status == Ticket.Status.FINISHED:
        data["message"] = _("已办结，感谢您的耐心等候。")
    return data


def zone_queue(zone: Zone, now=None) -> dict:
    """The waiting and called tickets of a zone (numbers only: no personal data)."""
    now = now or timezone.now()
    date = timezone.localdate(now)
    waiting = list(
        Ticket.objects.filter(zone=zone, date=date, status=Ticket.Status.WAITING)
        .order_by("-front", "-priority", "-booked", "queued_at", "id")
        .values("id", "number", "priority", "booked", "front", "queued_at")
    )
    called = list(
        Ticket.objects.filter(zone=zone, date=date, status__in=OPEN_STATES)
        .order_by("called_at")
        .values("id", "number", "status", "window__number", "call_count", "called_at")
    )
    missed = list(
        Ticket.objects.filter(zone=zone, date=date, status=Ticket.Status.MISSED)
        .order_by("-missed_at")
        .values("id", "number", "missed_at")[:20]
    )
    counts = dict(
        Ticket.objects.filter(zone=zone, date=date)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {"waiting": waiting, "called": called, "missed": missed, "counts": counts}


def display_state(site: Site, since: int | None = None, now=None) -> dict:
    """The display board: one line per open window, the last calls, and the calls after event id `since`
    to announce (none when `since` is None: the page as first drawn)."""
    now = now or timezone.now()
    date = timezone.localdate(now)
    windows = list(Window.objects.filter(zone__site=site, is_open=True).select_related("zone").order_by("number"))
    current = dict(
        Ticket.objects.filter(window__in=windows, status__in=OPEN_STATES, date=date).values_list("window_id", "number")
    )
    calls = TicketEvent.objects.filter(
        zone__site=site, kind__in=[TicketEvent.Kind.CALLED, TicketEvent.Kind.RECALLED], at__date=date
    ).select_related("ticket", "window")
    recent = list(calls.order_by("-id")[:8])
    fresh = list(calls.filter(id__gt=since).order_by("id")[:20]) if since is not None else []
    cursor = recent[0].pk if recent else 0

    def call(event):
        text, speech = announcement(event.ticket.number, event.window.number if event.window else 0)
        return {
            "id": event.pk,
            "number": event.ticket.number,
            "window": event.window.number if event.window else None,
            "kind": event.kind,
            "text": text,
            "speech": speech,
            "at": timezone.localtime(event.at).strftime("%H:%M"),
        }

    return {
        "cursor": max(cursor, since or 0),
        "windows": [
            {"number": w.number, "zone": w.zone.name, "name": w.name, "ticket": current.get(w.pk)} for w in windows
        ],
        "recent": [call(e) for e in recent],
        "announce": [call(e) for e in fresh],
        "waiting": Ticket.objects.filter(zone__site=site, date=date, status=Ticket.Status.WAITING).count(),
    }
