"""A hall with weeks of ticket history for the capacity planner's tests: written as rows (quick), with known
counts, so that a test can work out what the planner must say. Not a test module."""

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from django.utils import timezone

from yichuang.organisation.tests.factories import SiteFactory, UserFactory, WindowFactory, ZoneFactory
from yichuang.queue.models import Ticket, TicketEvent

# Expected arrivals per half hour in each zone on an average day; the morning is busier.
RATES = {"cap-a": 4.0, "cap-b": 1.5}
MORNING = 1.5  # the rate before noon, times
HANDLE = {"cap-a": 10.0, "cap-b": 14.0}  # mean minutes at the window


@dataclass
class CapacityHall:
    site: object
    a: object
    b: object
    admin: object
    supervisor: object
    clerk: object
    days: list = field(default_factory=list)  # the working days with history, oldest first


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means here.
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def build(weeks: int = 4, *, today: dt.date | None = None, seed: int = 1) -> CapacityHall:
    """A site open Monday–Friday 09:00–12:00 and 13:30–17:30 with zones cap-a (3 windows) and cap-b (2), and
    `weeks` weeks of working days before today: arrivals, waits, handling times, no-shows and cancellations."""
    site = SiteFactory(code="cap", name="规划测试政务服务中心", is_default=True)
    a = ZoneFactory(site=site, code="cap-a", name="综合受理区", ticket_letter="A", order=1)
    b = ZoneFactory(site=site, code="cap-b", name="不动产专区", ticket_letter="B", order=2)
    for n in (1, 2, 3):
        WindowFactory(zone=a, number=n)
    for n in (4, 5):
        WindowFactory(zone=b, number=n)
    hall = CapacityHall(
        site=site,
        a=a,
        b=b,
        admin=UserFactory(hall_admin=True, username="cap-admin"),
        supervisor=UserFactory(supervisor=True, username="cap-supervisor"),
        clerk=UserFactory(window_clerk=True, username="cap-clerk"),
    )
    rng = random.Random(seed)
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    tickets, cancelled = [], []
    day = today - dt.timedelta(weeks=weeks)
    while day < today:
        if day.weekday() < 5:
            hall.days.append(day)
            for zone in (a, b):
                seq = 0
                for start in _half_hours():
                    rate = RATES[zone.code] * (MORNING if start.hour < 12 else 1.0)
                    for _ in range(_poisson(rng, rate)):
                        seq += 1
                        issued = dt.datetime.combine(day, start, tzinfo=tz) + dt.timedelta(minutes=rng.uniform(0, 30))
                        tickets.append(_ticket(rng, zone, day, seq, issued, cancelled))
        day += dt.timedelta(days=1)
    Ticket.objects.bulk_create(tickets)
    TicketEvent.objects.bulk_create(
        TicketEvent(ticket=t, kind=TicketEvent.Kind.CANCELLED, at=at, zone=t.zone) for t, at in cancelled
    )
    return hall


def _half_hours() -> list[dt.time]:
    times = []
    for first, last in ((dt.time(9), dt.time(11, 30)), (dt.time(13, 30), dt.time(17))):
        t = dt.datetime.combine(dt.date(2000, 1, 3), first)
        while t.time() <= last:
            times.append(t.time())
            t += dt.timedelta(minutes=30)
    return times


def _ticket(rng, zone, day, seq, issued, cancelled) -> Ticket:
    wait = rng.expovariate(1 / 4)
    called = issued + dt.timedelta(minutes=wait)
    ticket = Ticket(
        zone=zone,
        issued_zone=zone,
        date=day,
        seq=seq,
        number=f"{zone.ticket_letter}{seq:03d}",
        issued_at=issued,
        queued_at=issued,
    )
    draw = rng.random()
    if draw < 0.04:  # cancelled while waiting
        ticket.status = Ticket.Status.CANCELLED
        cancelled.append((ticket, called))
    elif draw < 0.10:  # a no-show: called three times in vain
        ticket.status = Ticket.Status.MISSED
        ticket.first_called_at = ticket.called_at = called
        ticket.missed_at = called + dt.timedelta(minutes=2)
    else:
        ticket.status = Ticket.Status.FINISHED
        ticket.first_called_at = ticket.called_at = ticket.served_at = called
        ticket.finished_at = called + dt.timedelta(minutes=rng.expovariate(1 / HANDLE[zone.code]))
    return ticket
