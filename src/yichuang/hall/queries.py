"""The live hall (`/hall/`): one site's state now, read in a handful of grouped statements and shared by every
viewer through the cache (`live`), so fifty open dashboards cost the database one computation every
LIVE_CACHE_SECONDS, not fifty.

Hot and cold (冷热不均), in one place (`_heat`):

- a zone's pressure is its waiting tickets per staffed window; the hall's is all waiting over all staffed
  windows. A zone is hot when people wait there and its pressure is at least HOT_RATIO times the hall's (or
  nobody staffs it); cold when it has a staffed window with nothing to do and nobody waiting.
- a window's load is the tickets it finished today against the mean of its zone's windows that served today:
  hot from HOT_RATIO, cold up to COLD_RATIO (only in a zone where at least two windows served).
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, DateTimeField, DurationField, ExpressionWrapper, F, Func, Max, Min, Q, Sum
from django.utils import timezone

from yichuang.clock import caseclock
from yichuang.core.masking import mask_text
from yichuang.feedback.models import Evaluation
from yichuang.intake.models import Case
from yichuang.organisation.models import Seat, Site, Window, Zone
from yichuang.organisation.roles import Role, acts_as
from yichuang.queue.models import Ticket, TicketEvent
from yichuang.queue.queries import OPEN_STATES

from .models import Alert, AlertRules

HOT_RATIO = 1.5
COLD_RATIO = 0.6
SATISFIED_LEVEL = 4  # levels 4–5 count as satisfied, as on the performance page
ALERTS_SHOWN = 30


def may_see(user) -> bool:
    """The hall manager (大厅管理员) and the supervisors."""
    return acts_as(user, Role.HALL_ADMIN, Role.SUPERVISOR)


def default_site() -> Site | None:
    return Site.objects.filter(is_default=True).first() or Site.objects.order_by("code").first()


class HalfHour(Func):
    """The start of the half hour a datetime column falls in, to group by: `date_bin` on PostgreSQL (no numeric
    arithmetic per row, which costs 20 ms on a big hall's day), the text of the minute on SQLite (times stored
    in UTC; Asia/Shanghai has no odd offset)."""

    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date_bin('30 minutes', {sql}, TIMESTAMPTZ '2000-01-01 00:00:00+00')", params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        half = f"CASE WHEN CAST(strftime('%%M', {sql}) AS INTEGER) >= 30 THEN '30' ELSE '00' END"
        return f"(strftime('%%Y-%%m-%%d %%H:', {sql}) || {half} || ':00')", params


def _minutes(delta: dt.timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds() / 60, 1)


def _day_bounds(now: dt.datetime) -> tuple[dt.date, dt.datetime, dt.datetime]:
    date = timezone.localdate(now)
    start = timezone.make_aware(dt.datetime.combine(date, dt.time.min))
    return date, start, start + dt.timedelta(days=1)


@dataclass(frozen=True)
class IdleWindow:
    window: Window
    zone: Zone
    staff: str
    idle_since: dt.datetime


@dataclass(frozen=True)
class Seated:
    since: dt.datetime
    staff: str


def seated_windows(site: Site, date: dt.date) -> dict[int, Seated]:
    """Open windows of the site with someone seated now: window id → when they sat down and who (plain rows: the
    page reads 300 of them every refresh)."""
    seats = Seat.objects.filter(window__zone__site=site, window__is_open=True, date=date, until__isnull=True)
    rows = seats.values_list("window_id", "since", "user__last_name", "user__first_name", "user__username")
    return {w: Seated(since, f"{last}{first}".strip() or username) for w, since, last, first, username in rows}


def busy_windows(site: Site, date: dt.date) -> dict[int, Ticket]:
    """Windows with a ticket called or being served now: window id → the ticket."""
    tickets = Ticket.objects.filter(zone__site=site, date=date, status__in=OPEN_STATES, window__isnull=False)
    return {t.window_id: t for t in tickets.only("id", "number", "window_id", "called_at", "status", "zone_id")}


def idle_windows(site: Site, now: dt.datetime) -> list[IdleWindow]:
    """Staffed, open windows with no ticket open, each with the moment it last had work (its last call today, or
    the clerk sitting down), longest idle first."""
    date, start, end = _day_bounds(now)
    seats = seated_windows(site, date)
    busy = busy_windows(site, date)
    free = [pk for pk in seats if pk not in busy]
    if not free:
        return []
    last_call = dict(
        TicketEvent.objects.filter(window_id__in=free, at__gte=start, at__lt=end)
        .values_list("window_id")
        .annotate(last=Max("at"))
        .values_list("window_id", "last")
    )
    windows = {w.pk: w for w in Window.objects.filter(pk__in=free).select_related("zone")}
    rows = []
    for pk in free:
        seat = seats[pk]
        since = max(filter(None, [seat.since, last_call.get(pk)]))
        rows.append(IdleWindow(windows[pk], windows[pk].zone, seat.staff, since))
    return sorted(rows, key=lambda r: (r.idle_since, r.window.number))


def long_waits(site: Site, now: dt.datetime, minutes: int) -> dict[int, tuple[int, dt.datetime]]:
    """Zones with tickets waiting longer than `minutes`: zone id → (how many, the oldest queued_at)."""
    date = timezone.localdate(now)
    rows = (
        Ticket.objects.filter(
            zone__site=site, date=date, status=Ticket.Status.WAITING, queued_at__lte=now - dt.timedelta(minutes=minutes)
        )
        .values("zone_id")
        .annotate(n=Count("id"), oldest=Min("queued_at"))
    )
    return {r["zone_id"]: (r["n"], r["oldest"]) for r in rows}


def waiting_by_zone(site: Site, now: dt.datetime) -> dict[int, int]:
    rows = Ticket.objects.filter(zone__site=site, date=timezone.localdate(now), status=Ticket.Status.WAITING)
    return dict(rows.values_list("zone_id").annotate(n=Count("id")).values_list("zone_id", "n"))


def _heat(ratio: float | None, *, hot: bool, cold: bool) -> str:
    if hot:
        return "hot"
    if cold:
        return "cold"
    return "even" if ratio is not None else ""


def zone_heat(waiting: int, staffed: int, idle: int, hall_pressure: float | None) -> tuple[float | None, str]:
    """(pressure, "hot" / "cold" / "even") of a zone: see the module's docstring."""
    pressure = waiting / staffed if staffed else None
    if waiting and not staffed:
        return None, "hot"
    if not waiting:
        return pressure, "cold" if idle else ("even" if staffed else "")
    hot = hall_pressure is not None and hall_pressure > 0 and pressure >= HOT_RATIO * hall_pressure
    return pressure, _heat(pressure, hot=hot, cold=False)


def window_heat(served: int, zone_mean: float | None, zone_serving: int) -> tuple[float | None, str]:
    """(load, heat) of a window: its tickets finished today against its zone's mean per serving window."""
    if not zone_mean or zone_serving < 2:
        return None, ""
    load = served / zone_mean
    return round(load, 2), _heat(load, hot=load >= HOT_RATIO, cold=load <= COLD_RATIO)


def compute(site: Site, now: dt.datetime | None = None) -> dict:
    """The site's live state, JSON-ready (see the module's docstring)."""
    now = now or timezone.now()
    date, start, end = _day_bounds(now)
    zones = list(Zone.objects.filter(site=site).order_by("order", "code"))
    windows_by_zone: dict[int, list[dict]] = {}
    for w in (
        Window.objects.filter(zone__site=site).order_by("number").values("id", "zone_id", "number", "name", "is_open")
    ):
        windows_by_zone.setdefault(w["zone_id"], []).append(w)
    seats = seated_windows(site, date)
    busy = busy_windows(site, date)
    zone_ids = [z.pk for z in zones]
    tickets = Ticket.objects.filter(zone_id__in=zone_ids, date=date)
    handled = ExpressionWrapper(F("finished_at") - F("called_at"), output_field=DurationField())
    finished = Q(status=Ticket.Status.FINISHED, called_at__isnull=False)
    # One pass over today's tickets per (zone, window): the zones' figures are the sums of their windows'.
    per_zone: dict[int, dict] = {}
    per_window: dict[int, int] = {}
    for r in tickets.values("zone_id", "window_id").annotate(
        issued=Count("id"),
        waiting=Count("id", filter=Q(status=Ticket.Status.WAITING)),
        oldest=Min("queued_at", filter=Q(status=Ticket.Status.WAITING)),
        served=Count("id", filter=finished),
        handled=Sum(handled, filter=finished),
        missed=Count("id", filter=Q(status=Ticket.Status.MISSED)),
    ):
        z = per_zone.setdefault(
            r["zone_id"], {"issued": 0, "waiting": 0, "oldest": None, "served": 0, "handled": None, "missed": 0}
        )
        for key in ("issued", "waiting", "served", "missed"):
            z[key] += r[key]
        if r["oldest"] is not None and (z["oldest"] is None or r["oldest"] < z["oldest"]):
            z["oldest"] = r["oldest"]
        if r["handled"] is not None:
            z["handled"] = r["handled"] + (z["handled"] or dt.timedelta())
        if r["window_id"] is not None and r["served"]:
            per_window[r["window_id"]] = r["served"]
    # Tickets issued per half hour.
    issued_by_slot: dict[str, int] = {}
    for r in tickets.annotate(slot=HalfHour("issued_at")).values("slot").annotate(n=Count("id")):
        issued_by_slot[timezone.localtime(r["slot"]).strftime("%H:%M")] = r["n"]
    slots = sorted(issued_by_slot)

    staffed_by_zone: dict[int, int] = {}
    idle_by_zone: dict[int, int] = {}
    for zone_id, zone_windows in windows_by_zone.items():
        for w in zone_windows:
            if w["id"] in seats:
                staffed_by_zone[zone_id] = staffed_by_zone.get(zone_id, 0) + 1
                if w["id"] not in busy:
                    idle_by_zone[zone_id] = idle_by_zone.get(zone_id, 0) + 1
    total_waiting = sum(r["waiting"] for r in per_zone.values())
    total_staffed = sum(staffed_by_zone.values())
    hall_pressure = total_waiting / total_staffed if total_staffed else None

    zone_rows = []
    for z in zones:
        r = per_zone.get(z.pk, {})
        waiting, served = r.get("waiting", 0), r.get("served", 0)
        staffed, idle = staffed_by_zone.get(z.pk, 0), idle_by_zone.get(z.pk, 0)
        pressure, heat = zone_heat(waiting, staffed, idle, hall_pressure)
        zone_windows = windows_by_zone.get(z.pk, [])
        serving_counts = [per_window[w["id"]] for w in zone_windows if per_window.get(w["id"])]
        zone_mean = sum(serving_counts) / len(serving_counts) if serving_counts else None
        window_rows = []
        for w in zone_windows:
            seat, ticket = seats.get(w["id"]), busy.get(w["id"])
            load, w_heat = window_heat(per_window.get(w["id"], 0), zone_mean, len(serving_counts))
            state = "closed" if not w["is_open"] else ("serving" if ticket else ("idle" if seat else "unstaffed"))
            window_rows.append(
                {
                    "number": w["number"],
                    "name": w["name"],
                    "state": state,
                    "staff": seat.staff if seat else "",
                    "ticket": ticket.number if ticket else "",
                    "served": per_window.get(w["id"], 0),
                    "load": load,
                    "heat": w_heat,
                }
            )
        zone_rows.append(
            {
                "code": z.code,
                "name": z.name,
                "letter": z.ticket_letter,
                "waiting": waiting,
                "longest_wait": _minutes(now - r["oldest"]) if r.get("oldest") else None,
                "issued": r.get("issued", 0),
                "served": served,
                "missed": r.get("missed", 0),
                "handling": _minutes(r["handled"] / served) if served and r.get("handled") is not None else None,
                "open": sum(1 for w in zone_windows if w["is_open"]),
                "staffed": staffed,
                "serving": staffed - idle,
                "idle": idle,
                "pressure": round(pressure, 2) if pressure is not None else None,
                "heat": heat,
                "windows": window_rows,
            }
        )

    # Each count an index range of its own (the clock's partial indexes). A hall alone in its installation needs
    # no join to the submissions for its site (the join costs a scan of every submission: 30 ms on 200,000 cases).
    alone = not Site.objects.exclude(pk=site.pk).exists()
    cases = Case.objects.all() if alone else Case.objects.filter(submission__site_id=site.pk)
    case_counts = {
        "today": cases.filter(accepted_at__gte=start, accepted_at__lt=end).count(),
        "red": sum(cases.filter(q).count() for q in caseclock.red_parts(now)),
        "yellow": sum(cases.filter(q).count() for q in caseclock.yellow_parts(now)),
    }
    ratings = Evaluation.objects.filter(created_at__gte=start, created_at__lt=end)
    if not alone:
        ratings = ratings.filter(Q(zone__site=site) | Q(zone__isnull=True, case__submission__site=site))
    rating_counts = ratings.aggregate(
        n=Count("id"),
        satisfied=Count("id", filter=Q(level__gte=SATISFIED_LEVEL)),
        bad=Count("id", filter=Q(level__lte=2)),
    )
    bad = [
        {
            "id": e.pk,
            "at": timezone.localtime(e.created_at).strftime("%H:%M"),
            "level": e.level,
            "label": e.get_level_display(),
            "window": e.window.number if e.window else None,
            "zone": e.zone.name if e.zone else "",
            "staff": e.staff.display_name if e.staff else "",
            "comment": mask_text(e.comment)[:120],
        }
        for e in ratings.filter(level__lte=2).select_related("window", "zone", "staff").order_by("-created_at")[:20]
    ]
    return {
        "site": site.code,
        "at": timezone.localtime(now).strftime("%H:%M:%S"),
        "totals": {
            "waiting": total_waiting,
            "issued": sum(r["issued"] for r in per_zone.values()),
            "served": sum(r["served"] for r in per_zone.values()),
            "staffed": total_staffed,
            "idle": sum(idle_by_zone.values()),
            "pressure": round(hall_pressure, 2) if hall_pressure is not None else None,
        },
        "zones": zone_rows,
        "slots": slots,
        "issued_by_slot": [issued_by_slot[s] for s in slots],
        "cases": case_counts,
        "ratings": {
            "count": rating_counts["n"],
            "bad": rating_counts["bad"],
            "satisfaction": round(rating_counts["satisfied"] / rating_counts["n"], 3) if rating_counts["n"] else None,
            "bad_list": bad,
        },
    }


def alerts(site: Site, now: dt.datetime | None = None) -> list[dict]:
    """Today's alerts of the site, newest first: open or not yet acknowledged ones, then the rest."""
    now = now or timezone.now()
    _date, start, end = _day_bounds(now)
    rows = (
        Alert.objects.filter(site=site, raised_at__gte=start, raised_at__lt=end)
        .select_related("acknowledged_by", "zone", "window")
        .order_by("-raised_at", "-id")[:ALERTS_SHOWN]
    )
    return [
        {
            "id": a.pk,
            "kind": a.kind,
            "kind_label": a.get_kind_display(),
            "text": a.text,
            "suggestion": a.suggestion,
            "at": timezone.localtime(a.raised_at).strftime("%H:%M"),
            "open": a.cleared_at is None,
            "acknowledged": a.acknowledged_at is not None,
            "acknowledged_by": a.acknowledged_by.display_name if a.acknowledged_by else "",
        }
        for a in rows
    ]


def _cache_key(site: Site) -> str:
    return f"hall:live:{site.pk}"


def live(site: Site, now: dt.datetime | None = None) -> dict:
    """The live state with today's alerts, the same for every viewer: computed at most once every
    HALL_LIVE_CACHE_SECONDS for the site, whichever app server asks (the cache is shared: Redis or the
    database). A viewer never sees it older than that."""
    now = now or timezone.now()
    key = _cache_key(site)
    hit = cache.get(key)
    if hit is not None and 0 <= (now.timestamp() - hit["computed"]) < settings.HALL_LIVE_CACHE_SECONDS:
        return hit["state"]
    state = {**compute(site, now), "alerts": alerts(site, now)}
    cache.set(key, {"computed": now.timestamp(), "state": state}, timeout=max(settings.HALL_LIVE_CACHE_SECONDS * 5, 10))
    return state


def forget(site: Site) -> None:
    """Drop the cached state (an alert acknowledged shows at once to the one who did it)."""
    cache.delete(_cache_key(site))


def rules_for(site: Site) -> AlertRules:
    return AlertRules.for_site(site)
