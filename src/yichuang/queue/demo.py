"""Ticket history for the demo hall: yesterday, and this morning up to now (called by yichuang.demo).

A day is played through the real services with a simulated clock (`now=`): people arrive (8 % 绿色通道),
the seated clerks call, serve and finish them, a few never come (called three times, then 过号). So the
display board, the desk, the wait estimates and later the statistics start from a hall with a past. Days
on which the site is closed are played with its usual weekday hours. Loading again changes nothing.
"""

import datetime
import heapq
import math
import random

from django.utils import timezone

from yichuang.organisation.models import Seat, Site

from . import queries, services
from .models import Ticket

UTILISATION = 0.35  # of the seated windows' capacity
MEAN_MINUTES = {"intake": 12.0, "specialized": 15.0, "output": 4.0, "consult": 6.0, "cashier": 5.0, "assist": 15.0}
PRIORITY_SHARE = 0.08
NO_SHOW_SHARE = 0.04
DEFAULT_HOURS = [(datetime.time(9), datetime.time(12)), (datetime.time(13, 30), datetime.time(17, 30))]


def _lognormal(rng: random.Random, mean: float, cv: float = 0.6) -> float:
    sigma = math.sqrt(math.log(1 + cv * cv))
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def _hours(site: Site, day: datetime.date) -> list[tuple[datetime.time, datetime.time]]:
    periods = site.hours_on(day.weekday())
    if periods:
        return sorted(periods)
    usual = [site.hours_on(weekday) for weekday in range(5)]
    return sorted(next((p for p in usual if p), DEFAULT_HOURS))


def play_day(site: Site, day: datetime.date, *, until: datetime.datetime | None = None, seed: int = 0) -> int:
    """Play `day` at `site` through the services, stopping at `until`; the number of tickets issued."""
    rng = random.Random(seed)
    seats = list(
        Seat.objects.select_related("window__zone", "user")
        .filter(window__zone__site=site, window__is_open=True, date=timezone.localdate(), until__isnull=True)
        .order_by("window__number")
    )
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
    events: list = []
    n = [0]

    def push(at: datetime.datetime, kind: str, **data):
        n[0] += 1
        heapq.heappush(events, (at, n[0], kind, data))

    for zone_seats in by_zone.values():
        zone = zone_seats[0].window.zone
        mean = sum(MEAN_MINUTES.get(s.window.kind, 10.0) for s in zone_seats) / len(zone_seats)
        rate = UTILISATION * len(zone_seats) / mean  # per minute
        for start, end in periods:
            t = start + datetime.timedelta(minutes=rng.expovariate(rate))
            while t < end - datetime.timedelta(minutes=20):
                push(t, "arrive", zone=zone, priority=rng.random() < PRIORITY_SHARE)
                t += datetime.timedelta(minutes=rng.expovariate(rate))
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
                        push(at + datetime.timedelta(minutes=_lognormal(rng, 10.0)), "done", seat=seat, ticket=ticket)
                continue
            ticket = services.call_next(seat.window, seat.user, now=at)
            if ticket is None:
                idle[seat.window.zone_id].append(seat)
            elif rng.random() < NO_SHOW_SHARE:
                push(at + datetime.timedelta(minutes=1), "recall", seat=seat, ticket=ticket, calls=1)
            else:
                minutes = _lognormal(rng, MEAN_MINUTES.get(seat.window.kind, 10.0))
                push(at + datetime.timedelta(minutes=minutes), "done", seat=seat, ticket=ticket)
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
    return issued


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
