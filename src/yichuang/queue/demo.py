"""Ticket history for the demo hall: yesterday, and this morning up to now (called by yichuang.demo).

A day is played through the real services with a simulated clock (`now=`): people arrive (8 % 绿色通道),
the seated clerks call them, start serving when they reach the window (开始办理, so that handling times exist)
and finish them, a few never come (called three times, then 过号). So the display board, the desk, the wait
estimates and the performance page start from a hall with a past. Days on which the site is closed are played
with its usual weekday hours. This morning's arrivals stop half an hour before the moment of loading and whoever
is still at a window then is finished: the hall is quiet when the demo starts, so that the README's walk (take a
ticket, call the next one) calls the ticket just taken. Loading again changes nothing.

`load_history_weeks()` plays the working days of the weeks before yesterday as well (`yichuang demo` asks for
HISTORY_WEEKS), so that the capacity planner (hall.capacity) reads each weekday several times. Those days follow a
hall's usual rhythm (`busy`): a morning rush, a quiet hour after lunch, an afternoon peak, Mondays busier and
Fridays quieter than the average day; yesterday and this morning keep a steady rate.

`open_booking()` opens appointment slots (网上预约) for the coming working days.
"""

import datetime
import heapq
import math
import random
from collections.abc import Callable

from django.utils import timezone

from yichuang.clock.workcalendar import CalendarUnknown
from yichuang.organisation.models import Seat, Site, Zone

from . import queries, services
from .models import AppointmentSlot, Ticket

UTILISATION = 0.35  # of the seated windows' capacity
MEAN_MINUTES = {"intake": 12.0, "specialized": 15.0, "output": 4.0, "consult": 6.0, "cashier": 5.0, "assist": 15.0}
PRIORITY_SHARE = 0.08
NO_SHOW_SHARE = 0.04
DEFAULT_HOURS = [(datetime.time(9), datetime.time(12)), (datetime.time(13, 30), datetime.time(17, 30))]
QUIET_BEFORE_NOW = datetime.timedelta(minutes=30)  # no arrivals in the last half hour before loading
WALK_SECONDS = (20, 90)  # from the call until the person is at the window (开始办理)
BOOKING_DAYS = 5  # working days with appointment slots, today included
SLOT_MINUTES = 30
SLOT_CAPACITY = 2
HISTORY_WEEKS = 4  # weeks of working days before yesterday that `yichuang demo` plays (load_history_weeks)
# A hall's rhythm for those days: the rate relative to the day's average from each time on, and per weekday.
DAY_RHYTHM = [
    (datetime.time(9), 1.4),
    (datetime.time(10, 30), 1.0),
    (datetime.time(12), 0.6),
    (datetime.time(13, 30), 0.7),
    (datetime.time(14, 30), 1.2),
    (datetime.time(16, 30), 0.6),
]
WEEK_RHYTHM = [1.25, 1.0, 0.95, 1.0, 0.85, 0.8, 0.8]  # Monday … Sunday


def busy(at: datetime.datetime) -> float:
    """How busy the hall is at `at` relative to its average day (DAY_RHYTHM × WEEK_RHYTHM)."""
    local = timezone.localtime(at)
    level = DAY_RHYTHM[0][1]
    for start, factor in DAY_RHYTHM:
        if local.time() >= start:
            level = factor
    return level * WEEK_RHYTHM[local.weekday()]


def _lognormal(rng: random.Random, mean: float, cv: float = 0.6) -> float:
    sigma = math.sqrt(math.log(1 + cv * cv))
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def _hours(site: Site, day: datetime.date) -> list[tuple[datetime.time, datetime.time]]:
    periods = site.hours_on(day.weekday())
    if periods:
        return sorted(periods)
    usual = [site.hours_on(weekday) for weekday in range(5)]
    return sorted(next((p for p in usual if p), DEFAULT_HOURS))


def _seats(site: Site) -> list[Seat]:
    return list(
        Seat.objects.select_related("window__zone", "user")
        .filter(window__zone__site=site, window__is_open=True, date=timezone.localdate(), until__isnull=True)
        .order_by("window__number")
    )


def play_day(
    site: Site,
    day: datetime.date,
    *,
    until: datetime.datetime | None = None,
    seed: int = 0,
    rhythm: Callable[[datetime.datetime], float] | None = None,
) -> int:
    """Play `day` at `site` through the services, stopping at `until`; the number of tickets issued.

    With `until`, nobody arrives in the last half hour before it, and whoever is still waiting or at a window at
    `until` is served then (`_close`): no ticket of the day is left open. With `rhythm` (e.g. `busy`), people
    arrive at the steady rate times rhythm(t) (a Poisson stream thinned from its highest rate)."""
    rng = random.Random(seed)
    seats = _seats(site)
    if not seats:
        return 0
    by_zone: dict[int, list[Seat]] = {}
    for seat in seats:
        by_zone.setdefault(seat.window.zone_id, []).append(seat)
    periods = [
        (
            timezone.make_aware(datetime.datetime.combine(day, a)),
            timezone.make_aware(datetime.datetime.combine(day, b)),
        )
        for a, b in _hours(site, day)
    ]
    stop = min(until, periods[-1][1]) if until else periods[-1][1] + datetime.timedelta(hours=2)
    last_arrival = until - QUIET_BEFORE_NOW if until else periods[-1][1]
    events: list = []
    n = [0]

    def push(at: datetime.datetime, kind: str, **data):
        n[0] += 1
        heapq.heappush(events, (at, n[0], kind, data))

    for zone_seats in by_zone.values():
        zone = zone_seats[0].window.zone
        mean = sum(MEAN_MINUTES.get(s.window.kind, 10.0) for s in zone_seats) / len(zone_seats)
        rate = UTILISATION * len(zone_seats) / mean  # per minute
        top = max(rhythm(a + (b - a) * i / 16) for a, b in periods for i in range(17)) if rhythm else 1.0
        for start, end in periods:
            t = start + datetime.timedelta(minutes=rng.expovariate(rate * top))
            while t < end - datetime.timedelta(minutes=20) and t < last_arrival:
                if rhythm is None or rng.random() * top < rhythm(t):
                    push(t, "arrive", zone=zone, priority=rng.random() < PRIORITY_SHARE)
                t += datetime.timedelta(minutes=rng.expovariate(rate * top))
        for seat in zone_seats:
            push(periods[0][0] + datetime.timedelta(minutes=rng.uniform(0, 3)), "free", seat=seat)

    issued = 0
    idle: dict[int, list[Seat]] = {zone_id: [] for zone_id in by_zone}
    while events:
        at, _n, kind, data = heapq.heappop(events)
        if at > stop:
            break
        if kind == "arrive":
            services.issue_ticket(data["zone"], priority=data["priority"], now=at)
            issued += 1
            if idle[data["zone"].pk]:
                push(at + datetime.timedelta(seconds=20), "free", seat=idle[data["zone"].pk].pop(0))
        elif kind == "free":
            seat = data["seat"]
            later = next((a for a, b in periods if at < a), None)
            if not any(a <= at < b for a, b in periods):
                if later is not None:
                    push(later, "free", seat=seat)
                elif at < stop:  # after closing: the queue is served until it is empty
                    ticket = services.call_next(seat.window, seat.user, now=at)
                    if ticket is not None:
                        push(_walk(rng, at), "serve", seat=seat, ticket=ticket, minutes=_lognormal(rng, 10.0))
                continue
            ticket = services.call_next(seat.window, seat.user, now=at)
            if ticket is None:
                idle[seat.window.zone_id].append(seat)
            elif rng.random() < NO_SHOW_SHARE:
                push(at + datetime.timedelta(minutes=1), "recall", seat=seat, ticket=ticket, calls=1)
            else:
                minutes = _lognormal(rng, MEAN_MINUTES.get(seat.window.kind, 10.0))
                push(_walk(rng, at), "serve", seat=seat, ticket=ticket, minutes=minutes)
        elif kind == "serve":
            services.start_serving(data["ticket"], data["seat"].user, now=at)
            push(at + datetime.timedelta(minutes=data["minutes"]), "done", seat=data["seat"], ticket=data["ticket"])
        elif kind == "recall":
            seat, ticket = data["seat"], data["ticket"]
            if data["calls"] < queries.rules_for(seat.window.zone).no_show_after_calls:
                services.recall(ticket, seat.user, now=at)
                push(at + datetime.timedelta(minutes=1), "recall", seat=seat, ticket=ticket, calls=data["calls"] + 1)
            else:
                services.mark_no_show(ticket, seat.user, now=at)
                push(at + datetime.timedelta(seconds=30), "free", seat=seat)
        elif kind == "done":
            services.finish(data["ticket"], data["seat"].user, now=at)
            push(at + datetime.timedelta(seconds=30), "free", seat=data["seat"])
    if until is not None:
        _close(site, day, stop, seats)
    return issued


def _walk(rng: random.Random, called: datetime.datetime) -> datetime.datetime:
    return called + datetime.timedelta(seconds=rng.uniform(*WALK_SECONDS))


def _close(site: Site, day: datetime.date, at: datetime.datetime, seats: list[Seat]) -> None:
    """Serve and finish at `at` whoever of `day` is still at a window or waiting: the hall is quiet at the moment
    the demo is loaded (rare after the quiet half hour; a ticket called three times is 过号 as in the play)."""
    seat_at = {seat.window_id: seat for seat in seats}
    for ticket in Ticket.objects.filter(zone__site=site, date=day, status__in=queries.OPEN_STATES).order_by("pk"):
        seat = seat_at[ticket.window_id]
        calls_allowed = queries.rules_for(seat.window.zone).no_show_after_calls
        if ticket.status == Ticket.Status.CALLED and ticket.call_count >= calls_allowed:
            services.mark_no_show(ticket, seat.user, now=at)
            continue
        if ticket.status == Ticket.Status.CALLED:
            ticket = services.start_serving(ticket, seat.user, now=at)
        services.finish(ticket, seat.user, now=at)
    by_zone: dict[int, list[Seat]] = {}
    for seat in seats:
        by_zone.setdefault(seat.window.zone_id, []).append(seat)
    waiting = Ticket.objects.filter(zone__site=site, date=day, status=Ticket.Status.WAITING)
    for zone_id in waiting.values_list("zone_id", flat=True).distinct():
        seat = by_zone[zone_id][0]
        while (ticket := services.call_next(seat.window, seat.user, now=at)) is not None:
            services.start_serving(ticket, seat.user, now=at)
            services.finish(ticket, seat.user, now=at)


def load_demo_history(site: Site | None = None, *, now: datetime.datetime | None = None) -> str:
    """Yesterday's tickets and this morning's up to now, once; a line for the demo loader's report."""
    site = site or Site.objects.filter(is_default=True).first()
    if site is None:
        return "一号服务历史：没有服务场所"
    now = now or timezone.now()
    today = timezone.localdate(now)
    yesterday = today - datetime.timedelta(days=1)
    if Ticket.objects.filter(zone__site=site, date__in=[yesterday, today]).exists():
        return "一号服务历史：已有，未改动"
    before = play_day(site, yesterday, seed=yesterday.toordinal())
    noon = timezone.make_aware(datetime.datetime.combine(today, datetime.time(12)))
    morning = play_day(site, today, until=min(now, noon), seed=today.toordinal())
    return f"一号服务历史：昨日 {before} 个号，今日上午 {morning} 个号"


def load_history_weeks(
    site: Site | None = None,
    *,
    weeks: int = HISTORY_WEEKS,
    now: datetime.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> str:
    """The working days of the `weeks` weeks before yesterday, each played once with the hall's rhythm (`busy`);
    a day that already has tickets is left as it is, so loading again changes nothing. A line for the report."""
    from yichuang.intake.deadlines import site_calendar

    site = site or Site.objects.filter(is_default=True).first()
    if site is None:
        return "一号服务往期历史：没有服务场所"
    if weeks <= 0:
        return "一号服务往期历史：未载入"
    today = timezone.localdate(now or timezone.now())
    yesterday = today - datetime.timedelta(days=1)
    calendar = site_calendar(site).calendar
    days = []
    day = today - datetime.timedelta(weeks=weeks)
    while day < yesterday:
        try:
            working = calendar.is_workday(day)
        except CalendarUnknown:
            working = day.weekday() < 5
        if working:
            days.append(day)
        day += datetime.timedelta(days=1)
    played = set(Ticket.objects.filter(zone__site=site, date__in=days).values_list("date", flat=True).distinct())
    missing = [d for d in days if d not in played]
    if not missing:
        return f"一号服务往期历史：{len(days)} 个工作日已有，未改动"
    issued = 0
    for n, day in enumerate(missing, 1):
        issued += play_day(site, day, seed=day.toordinal(), rhythm=busy)
        if progress:
            progress(f"    一号服务往期历史：{n}/{len(missing)} {day:%m-%d}")
    return (
        f"一号服务往期历史：{weeks} 周内 {len(missing)} 个工作日，{issued} 个号（{days[0]:%m-%d} 至 {days[-1]:%m-%d}）"
    )


def open_booking(site: Site | None = None, *, now: datetime.datetime | None = None) -> str:
    """Appointment slots (网上预约) for every zone on the next BOOKING_DAYS working days, today included while the hall
    is open: SLOT_MINUTES each over the opening hours, SLOT_CAPACITY people each. A zone and day that already have
    slots are left as they are, so loading again changes nothing; a day the calendar cannot date ends the run."""
    from yichuang.intake.deadlines import site_calendar

    site = site or Site.objects.filter(is_default=True).first()
    if site is None:
        return "网上预约：没有服务场所"
    now = timezone.localtime(now or timezone.now())
    clock = site_calendar(site)
    zones = list(Zone.objects.filter(site=site).order_by("order", "code"))
    days: list[datetime.date] = []
    day = now.date()
    try:
        if not (clock.calendar.is_workday(day) and now < clock.close(day)):
            day = clock.calendar.add_working_days(day, 1)
        while len(days) < BOOKING_DAYS:
            days.append(day)
            day = clock.calendar.add_working_days(day, 1)
    except CalendarUnknown as exc:
        if not days:
            return f"网上预约：{exc.year}年节假日安排尚未录入，未开放"
    made = 0
    for day in days:
        for zone in zones:
            if AppointmentSlot.objects.filter(zone=zone, date=day).exists():
                continue
            for start, end in clock.periods(day):
                made += len(services.open_slots(zone, day, start, end, minutes=SLOT_MINUTES, capacity=SLOT_CAPACITY))
    if not made:
        return "网上预约：已开放，未改动"
    return (
        f"网上预约：{len(zones)} 个服务区 {days[0]:%m-%d} 至 {days[-1]:%m-%d} 共 {len(days)} 个工作日，"
        f"新开放 {made} 个时段（每段 {SLOT_MINUTES} 分钟，可约 {SLOT_CAPACITY} 人）"
    )
