"""Reads of the queue shared by the kiosk, desk, display and mobile pages and the API."""

import datetime
import time
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yichuang.organisation.models import OpeningPeriod, Seat, Site, Window, Zone

from . import estimate as model
from . import sql
from .models import Appointment, QueueSettings, Ticket, TicketEvent

OPEN_STATES = (Ticket.Status.CALLED, Ticket.Status.SERVING)
LEARN_FROM_LAST = 60  # finished tickets of today the service time is learned from
RATE_WINDOW = datetime.timedelta(minutes=60)
DIGITS = "零一二三四五六七八九"
RECENT_CALLS = 8  # the strip of last calls on the display board


# Queue rules and opening hours are read on every call and every ticket but change a few times a year: each
# process keeps them for CONFIG_SECONDS, and forgets them at once when they are saved here (apps.py).
CONFIG_SECONDS = 10.0
_rules: dict[int, tuple[float, QueueSettings]] = {}
_periods: dict[tuple[int, int], tuple[float, list]] = {}


_window_zones: dict[int, tuple[float, Zone]] = {}


def clear_caches(**kwargs) -> None:
    _rules.clear()
    _periods.clear()
    _window_zones.clear()


def window_zone(window_id: int) -> Zone | None:
    """The zone (id and site only) a window was in a moment ago, if this process knows it."""
    cached = _window_zones.get(window_id)
    return cached[1] if cached and cached[0] > time.monotonic() else None


def remember_window_zone(window_id: int, zone: Zone) -> None:
    _window_zones[window_id] = (time.monotonic() + CONFIG_SECONDS, Zone(id=zone.pk, site_id=zone.site_id))


def rules_for(zone: Zone) -> QueueSettings:
    """The zone's queue rules: its own, else its site's, else the defaults."""
    cached = _rules.get(zone.pk)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    found = {
        (row.zone_id is not None): row
        for row in sql.fetch_models(
            QueueSettings,
            f"SELECT * FROM {sql.table(QueueSettings)} WHERE zone_id = %s OR (site_id = %s AND zone_id IS NULL)",
            [zone.pk, zone.site_id],
        )
    }
    rules = found.get(True) or found.get(False) or QueueSettings(zone_id=zone.pk)
    _rules[zone.pk] = (time.monotonic() + CONFIG_SECONDS, rules)
    return rules


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


@dataclass(frozen=True)
class Estimate:
    ahead: int
    low: int
    high: int
    servers: int
    service_minutes: float


def _minutes(delta: datetime.timedelta) -> float:
    return delta.total_seconds() / 60


@dataclass(frozen=True)
class ZoneSnapshot:
    """The numbers of a zone the estimate needs, read in one statement."""

    waiting: int  # every waiting ticket
    waiting_first: int  # transferred to the front, or 绿色通道
    waiting_before_walk_ins: int  # those, and appointments checked in within their window
    busy: int  # tickets called or being served
    seated: int  # open windows with someone seated
    open_windows: int
    priority_last_hour: int
    appointments_next_hour: int
    # Today's last finished tickets (count, sum and sum of squares of their minutes at the window, each capped),
    # and the last no-shows (count, sum of the minutes spent calling them).
    finished: int = 0
    finished_minutes: float = 0.0
    finished_squares: float = 0.0
    missed: int = 0
    missed_minutes: float = 0.0

    def position_for_new(self, *, priority: bool, booked: bool) -> int:
        """How many waiting tickets come before a ticket issued now."""
        if priority:
            return self.waiting_first
        if booked:
            return self.waiting_before_walk_ins
        return self.waiting

    @property
    def servers(self) -> int:
        """Windows working now; before opening or with everyone away, the open windows."""
        return self.seated or max(self.open_windows, 1)

    def service_time(self, default: float) -> model.ServiceTime:
        """What a window of the zone spends per ticket today, no-shows included."""
        service = model.learn_from_sums(self.finished, self.finished_minutes, self.finished_squares, default)
        if not self.missed or not self.finished:
            return service
        share = self.missed / (self.missed + self.finished)
        return model.blend_no_shows(service, share, self.missed_minutes / self.missed)


def _minutes_between(start: str, end: str) -> str:
    """SQL for the minutes from one datetime column to another, capped at the longest credible service."""
    cap = model.MAX_SERVICE_MINUTES
    if connection.vendor == "postgresql":
        return f"GREATEST(LEAST(EXTRACT(EPOCH FROM ({end} - {start})) / 60.0, {cap}), 0)"
    return f"max(min((julianday({end}) - julianday({start})) * 1440.0, {cap}), 0)"


def zone_snapshot(zone: Zone, now=None) -> ZoneSnapshot:
    """Everything the estimate needs about a zone, in one statement."""
    now = now or timezone.now()
    date = timezone.localdate(now)
    local = timezone.localtime(now)
    horizon = (local + RATE_WINDOW).time() if (local + RATE_WINDOW).date() == date else datetime.time.max
    t, seat, window = Ticket._meta.db_table, Seat._meta.db_table, Window._meta.db_table
    appointment, slot = Appointment._meta.db_table, Appointment._meta.get_field("slot").related_model._meta.db_table
    first = "CASE WHEN front = %s OR priority = %s THEN 1 ELSE 0 END"
    before = "CASE WHEN front = %s OR priority = %s OR booked = %s THEN 1 ELSE 0 END"
    served, lost = _minutes_between("called_at", "finished_at"), _minutes_between("called_at", "missed_at")
    statement = (
        f"SELECT q.n, q.first, q.before, b.n, s.n, w.n, p.n, a.n, f.n, f.total, f.squares, m.n, m.total FROM "
        f"(SELECT count(*) AS n, coalesce(sum({first}), 0) AS first, coalesce(sum({before}), 0) AS before "
        f" FROM {t} WHERE zone_id = %s AND date = %s AND status = %s) q, "
        f"(SELECT count(*) AS n FROM {t} WHERE zone_id = %s AND date = %s AND status IN (%s, %s)) b, "
        f"(SELECT count(*) AS n FROM {seat} JOIN {window} ON {window}.id = {seat}.window_id "
        f" WHERE {window}.zone_id = %s AND {window}.is_open = %s AND {seat}.date = %s AND {seat}.until IS NULL) s, "
        f"(SELECT count(*) AS n FROM {window} WHERE zone_id = %s AND is_open = %s) w, "
        f"(SELECT count(*) AS n FROM {t} WHERE zone_id = %s AND date = %s AND priority = %s "
        f" AND issued_at >= %s AND issued_at <= %s) p, "
        f"(SELECT count(*) AS n FROM {appointment} JOIN {slot} ON {slot}.id = {appointment}.slot_id "
        f" WHERE {slot}.zone_id = %s AND {slot}.date = %s AND {appointment}.status = %s "
        f" AND {slot}.start >= %s AND {slot}.start < %s) a, "
        f"(SELECT count(*) AS n, coalesce(sum(d), 0) AS total, coalesce(sum(d * d), 0) AS squares FROM "
        f" (SELECT {served} AS d FROM {t} WHERE zone_id = %s AND date = %s AND status = %s "
        f"  AND called_at IS NOT NULL ORDER BY finished_at DESC LIMIT %s) x) f, "
        f"(SELECT count(*) AS n, coalesce(sum(d), 0) AS total FROM "
        f" (SELECT {lost} AS d FROM {t} WHERE zone_id = %s AND date = %s AND status = %s "
        f"  AND called_at IS NOT NULL ORDER BY missed_at DESC LIMIT %s) y) m"
    )
    # fmt: off
    params = sql.params(
        True, True, True, True, True, zone.pk, date, Ticket.Status.WAITING,
        zone.pk, date, *OPEN_STATES,
        zone.pk, True, date,
        zone.pk, True,
        zone.pk, date, True, now - RATE_WINDOW, now,
        zone.pk, date, Appointment.Status.BOOKED, local.time(), horizon,
        zone.pk, date, Ticket.Status.FINISHED, LEARN_FROM_LAST,
        zone.pk, date, Ticket.Status.MISSED, LEARN_FROM_LAST // 4,
    )
    # fmt: on
    with sql.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    return ZoneSnapshot(*(int(v) for v in row[:9]), float(row[9]), float(row[10]), int(row[11]), float(row[12]))


def jump_rate(snapshot: ZoneSnapshot) -> float:
    """People per minute who will queue ahead of an ordinary walk-in: the 绿色通道 (today's recent rate)
    and appointments booked for the coming hour."""
    return (snapshot.priority_last_hour + snapshot.appointments_next_hour) / _minutes(RATE_WINDOW)


def opening_periods(site_id: int, date: datetime.date) -> list[tuple[datetime.time, datetime.time]]:
    key = (site_id, date.weekday())
    cached = _periods.get(key)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    with sql.cursor() as cursor:
        cursor.execute(
            f'SELECT start, "end" FROM {sql.table(OpeningPeriod)} WHERE site_id = %s AND weekday = %s ORDER BY start',
            [site_id, date.weekday()],
        )
        periods = [(sql.to_time(a), sql.to_time(b)) for a, b in cursor.fetchall()]
    _periods[key] = (time.monotonic() + CONFIG_SECONDS, periods)
    return periods


def position(
    snapshot: ZoneSnapshot, rules: QueueSettings, *, ahead: int, priority: bool, oldest: datetime.datetime | None, now
) -> tuple[float, float, model.ServiceTime]:
    """What the wait model is given for a ticket with `ahead` before it: (effective tickets ahead, rate of
    tickets jumping ahead per minute, service time). A priority ticket alternates with ordinary ones once the
    oldest ordinary ticket (`oldest`, None if none waits) would have waited past the bound by its turn; an
    ordinary ticket expects priority tickets to jump ahead. Pure: the replay of history
    (`hall.capacity.accuracy`) computes what the queue showed with it."""
    service = snapshot.service_time(rules.default_service_minutes)
    if not priority:
        return float(ahead), jump_rate(snapshot), service
    soon = _minutes(now - oldest) + (ahead + 1) * service.mean / snapshot.servers if oldest else 0.0
    effective = model.effective_ahead(
        ahead,
        priority=True,
        ordinary_waiting=oldest is not None,
        run_length=rules.priority_run_length,
        alternating=soon >= rules.priority_wait_bound_minutes,
    )
    return effective, 0.0, service


def estimate(
    zone: Zone,
    *,
    ahead: int,
    priority: bool,
    now=None,
    rules: QueueSettings | None = None,
    snapshot: ZoneSnapshot | None = None,
) -> Estimate:
    """The wait range for someone with `ahead` tickets before them in `zone`, now."""
    now = now or timezone.now()
    date = timezone.localdate(now)
    rules = rules or rules_for(zone)
    snapshot = snapshot or zone_snapshot(zone, now)
    oldest = None
    if priority:
        oldest = (
            Ticket.objects.filter(zone=zone, date=date, status=Ticket.Status.WAITING, priority=False)
            .order_by("queued_at")
            .values_list("queued_at", flat=True)
            .first()
        )
    effective, rate, service = position(snapshot, rules, ahead=ahead, priority=priority, oldest=oldest, now=now)
    servers = snapshot.servers
    low, high = model.wait_range(
        now=timezone.localtime(now),
        ahead=effective,
        servers=servers,
        busy=snapshot.busy,
        service=service,
        jump_rate=rate,
        periods=opening_periods(zone.site_id, date),
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
        data.update(ahead=est.ahead, wait_minutes=[est.low, est.high], near=est.ahead <= rules.near_turn_ahead)
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


def display_zones(site: Site, codes: str | None) -> list[Zone]:
    """The zones a board shows: `codes` (comma-separated zone codes of the site, an area of the hall), or all
    the site's zones when empty. Zone.DoesNotExist names a code the site does not have."""
    zones = list(Zone.objects.filter(site=site).order_by("order", "code"))
    wanted = [c.strip() for c in (codes or "").split(",") if c.strip()]
    if not wanted:
        return zones
    by_code = {z.code: z for z in zones}
    unknown = [c for c in wanted if c not in by_code]
    if unknown:
        raise Zone.DoesNotExist(", ".join(unknown))
    return [z for z in zones if z.code in wanted]


def display_state(site: Site, since: int | None = None, now=None, zones: list[Zone] | None = None) -> dict:
    """The display board of the site, or of some of its zones: the windows working now (someone seated, or a
    ticket still open there) grouped by zone with what each is serving and how many wait, the last calls, and
    the calls after event id `since` to announce (none when `since` is None: the page as first drawn)."""
    now = now or timezone.now()
    date = timezone.localdate(now)
    zones = zones if zones is not None else list(Zone.objects.filter(site=site).order_by("order", "code"))
    zone_ids = [z.pk for z in zones]
    current = dict(
        Ticket.objects.filter(
            zone_id__in=zone_ids, status__in=OPEN_STATES, date=date, window__isnull=False
        ).values_list("window_id", "number")
    )
    seated = set(
        Seat.objects.filter(window__zone_id__in=zone_ids, date=date, until__isnull=True).values_list(
            "window_id", flat=True
        )
    )
    windows = [
        w
        for w in Window.objects.filter(zone_id__in=zone_ids).order_by("number")
        if (w.is_open and w.pk in seated) or w.pk in current
    ]
    waiting = dict(
        Ticket.objects.filter(zone_id__in=zone_ids, date=date, status=Ticket.Status.WAITING)
        .values_list("zone_id")
        .annotate(n=Count("id"))
        .values_list("zone_id", "n")
    )
    # Today as a range of instants, not `at__date`: an index range instead of a function per row (on SQLite a
    # Python function, which can also lock up a connection shared between threads, as in the browser tests).
    day_starts = timezone.make_aware(datetime.datetime.combine(date, datetime.time.min))
    calls = TicketEvent.objects.filter(
        zone_id__in=zone_ids,
        kind__in=[TicketEvent.Kind.CALLED, TicketEvent.Kind.RECALLED],
        at__gte=day_starts,
        at__lt=day_starts + datetime.timedelta(days=1),
    ).select_related("ticket", "window")
    recent = list(calls.order_by("-id")[:RECENT_CALLS])
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

    groups = []
    for zone in zones:
        rows = [
            {"number": w.number, "name": w.name, "ticket": current.get(w.pk)} for w in windows if w.zone_id == zone.pk
        ]
        if rows:
            groups.append(
                {
                    "code": zone.code,
                    "name": zone.name,
                    "letter": zone.ticket_letter,
                    "waiting": waiting.get(zone.pk, 0),
                    "windows": rows,
                }
            )
    return {
        "cursor": max(cursor, since or 0),
        "zones": groups,
        "windows": [
            {"number": w["number"], "zone": g["name"], "name": w["name"], "ticket": w["ticket"]}
            for g in groups
            for w in g["windows"]
        ],
        "recent": [call(e) for e in recent],
        "announce": [call(e) for e in fresh],
        "waiting": sum(waiting.values()),
    }


def appointment_materials(appointment) -> list:
    """The materials to bring (catalogue.queries.NoticeLine): a pre-filled application's tailored list, a matter's
    own, or none."""
    if appointment.prefill_id:
        from yichuang.situation.queries import outcome

        prefill = appointment.prefill
        return outcome(prefill.version, prefill.answers).materials
    if appointment.matter_id:
        from yichuang.catalogue.queries import merged_materials

        return merged_materials([appointment.matter])
    return []
