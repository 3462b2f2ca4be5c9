"""What a zone's own history says for planning: arrivals per half hour on a weekday, the windows' time per ticket,
no-shows, people who left, and their patience.

Read from `queue.Ticket` over a period [start, end) of local dates (`Ticket.date`, the hall's day):

* **arrivals** — tickets numbered by the zone (`issued_zone`, where the person asked to be served) on the chosen
  weekday, by the half hour of `issued_at` in local time, divided by the number of those weekdays on which the site
  issued any ticket (a holiday with the hall closed is not a day with no arrivals). Half hours follow the site's
  opening hours for that weekday, on :00 and :30; a ticket issued before opening or in a break counts in the next
  open half hour (its holder waits for it), one after closing in the last.
* **handling times** — the minutes a window spends on a ticket, as the wait estimate learns them
  (`queue.estimate`): for a finished ticket from its call to 办结 (`called_at` → `finished_at`), for a no-show
  from its first call until it was marked 过号 (the window called in vain) — each capped at
  `MAX_SERVICE_MINUTES`, counted by the zone that served it, over every day of the period (not only the weekday:
  handling does not depend on it, and more samples say more).
* **no-shows** — tickets that ended 过号 (`missed`); **left** — tickets cancelled before any call, and tickets of a
  past day never called.
* **patience** — exponential, estimated by maximum likelihood: the people who gave up divided by the minutes
  people spent waiting (until called, or until they cancelled). Who gave up: those who cancelled while waiting and
  the no-shows — a person who took a number and went away is, to the hall, a number called three times in vain.
  (The wait of a no-show is counted up to the call, though they left earlier: this overstates patience a little;
  a no-show who never meant to wait understates it.) None while nobody gave up.

Every figure is one aggregate query over the zones asked for (GROUP BY zone, and the half hour); only the handling
samples come back row by row, as the simulation draws from them. The same on SQLite and PostgreSQL.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, ExtractHour, ExtractMinute
from django.utils import timezone

from yichuang.organisation.models import Site, Zone
from yichuang.queue.estimate import MAX_SERVICE_MINUTES
from yichuang.queue.models import Ticket, TicketEvent

SLOT = datetime.timedelta(minutes=30)
DEFAULT_WEEKS = 4  # as many as `yichuang demo` plays (queue.demo.HISTORY_WEEKS)


@dataclass(frozen=True)
class ZoneHistory:
    zone: Zone
    weekday: int  # 0 = Monday
    start: datetime.date
    end: datetime.date  # exclusive
    days: int  # days of that weekday in the period on which the site issued tickets
    slots: list[tuple[datetime.time, datetime.time]]
    arrivals: list[float]  # mean tickets per half hour over `days`
    tickets: int  # tickets the zone numbered on those days
    handle_samples: list[float] = field(repr=False)  # minutes at the window per finished ticket
    no_show_samples: list[float] = field(repr=False)  # minutes spent calling each no-show
    finished: int = 0
    no_shows: int = 0
    left: int = 0  # cancelled before any call, or never called on a past day
    gave_up: int = 0  # counted for the patience: no-shows and those who cancelled while waiting
    waiting_minutes: float = 0.0  # time at risk: every wait until the call or the cancellation

    @property
    def window_samples(self) -> list[float]:
        """What a window spends per ticket it calls: finished tickets and no-shows alike."""
        return [*self.handle_samples, *self.no_show_samples]

    @property
    def handle_minutes(self) -> float | None:
        samples = self.window_samples
        return sum(samples) / len(samples) if samples else None

    @property
    def no_show_share(self) -> float | None:
        called = self.finished + self.no_shows
        return self.no_shows / called if called else None

    @property
    def patience_minutes(self) -> float | None:
        if not self.gave_up or self.waiting_minutes <= 0:
            return None
        return self.waiting_minutes / self.gave_up


def period(weeks: int, end: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last `weeks` whole weeks before `end` (default today, which is not over): [start, end)."""
    end = end or timezone.localdate()
    return end - datetime.timedelta(weeks=weeks), end


def half_hours(site: Site, weekday: int) -> list[tuple[datetime.time, datetime.time]]:
    """The half hours (on :00 and :30) that overlap the site's opening hours on that weekday."""
    day = datetime.date(2000, 1, 3)  # any date: only the times matter
    slots: list[tuple[datetime.time, datetime.time]] = []
    for start, end in sorted(site.hours_on(weekday)):
        t = datetime.datetime.combine(day, start.replace(minute=start.minute - start.minute % 30, second=0))
        stop = datetime.datetime.combine(day, end)
        while t < stop:
            slot = (t.time(), (t + SLOT).time())
            if slot not in slots:
                slots.append(slot)
            t += SLOT
    return slots


def _slot_index(slots: Sequence[tuple[datetime.time, datetime.time]], hour: int, minute: int) -> int:
    """The slot a ticket issued at hour:minute counts in: its own, else the next open one, else the last."""
    at = datetime.time(hour, minute)
    for i, (_start, end) in enumerate(slots):
        if at < end:  # inside this slot, or in the gap before it (before opening, a break)
            return i
    return len(slots) - 1


def _minutes(delta: datetime.timedelta | None) -> float:
    return delta.total_seconds() / 60 if delta is not None else 0.0


def _capped(delta: datetime.timedelta | None) -> float:
    return min(max(_minutes(delta), 0.0), MAX_SERVICE_MINUTES)


def zone_histories(
    zones: Iterable[Zone], weekday: int, start: datetime.date, end: datetime.date
) -> dict[int, ZoneHistory]:
    """The history of each zone for `weekday` (0 = Monday) over [start, end), keyed by zone id."""
    zones = list(zones)
    if not zones:
        return {}
    ids = [z.pk for z in zones]
    in_period = Q(date__gte=start, date__lt=end)
    today = timezone.localdate()

    # Days of the weekday on which each site issued tickets.
    sites = {z.site_id for z in zones}
    days: dict[int, int] = {
        row["issued_zone__site"]: row["n"]
        for row in Ticket.objects.filter(in_period, issued_zone__site__in=sites, date__iso_week_day=weekday + 1)
        .values("issued_zone__site")
        .annotate(n=Count("date", distinct=True))
    }

    # Arrivals by zone and minute of the day (local time), folded into half hours below.
    by_minute = (
        Ticket.objects.filter(in_period, issued_zone__in=ids, date__iso_week_day=weekday + 1)
        .annotate(hour=ExtractHour("issued_at"), minute=ExtractMinute("issued_at"))
        .values("issued_zone", "hour", "minute")
        .annotate(n=Count("id"))
    )
    counts: dict[int, dict[tuple[int, int], int]] = defaultdict(dict)
    for row in by_minute:
        counts[row["issued_zone"]][(int(row["hour"]), int(row["minute"]))] = row["n"]

    # Handling samples: finished tickets (call → 办结) and no-shows (first call → 过号), by the zone that served.
    handled: dict[int, list[float]] = defaultdict(list)
    for zone_id, delta in (
        Ticket.objects.filter(
            in_period, zone__in=ids, status=Ticket.Status.FINISHED, called_at__isnull=False, finished_at__isnull=False
        )
        .annotate(d=ExpressionWrapper(F("finished_at") - F("called_at"), output_field=DurationField()))
        .values_list("zone", "d")
    ):
        handled[zone_id].append(_capped(delta))
    calling: dict[int, list[float]] = defaultdict(list)
    for zone_id, delta in (
        Ticket.objects.filter(in_period, zone__in=ids, status=Ticket.Status.MISSED, missed_at__isnull=False)
        .annotate(
            d=ExpressionWrapper(F("missed_at") - Coalesce("first_called_at", "called_at"), output_field=DurationField())
        )
        .values_list("zone", "d")
    ):
        calling[zone_id].append(_capped(delta))

    # Waits, no-shows and people who left, per zone that numbered the ticket.
    waited = ExpressionWrapper(F("first_called_at") - F("issued_at"), output_field=DurationField())
    never_called = Q(first_called_at__isnull=True)
    outcome = {
        row["issued_zone"]: row
        for row in Ticket.objects.filter(in_period, issued_zone__in=ids)
        .values("issued_zone")
        .annotate(
            finished=Count("id", filter=Q(status=Ticket.Status.FINISHED)),
            no_shows=Count("id", filter=Q(status=Ticket.Status.MISSED)),
            left=Count(
                "id",
                filter=never_called
                & (Q(status=Ticket.Status.CANCELLED) | Q(status=Ticket.Status.WAITING, date__lt=today)),
            ),
            waited=Sum(waited, filter=Q(first_called_at__isnull=False)),
        )
    }
    # Those who cancelled before any call: their wait ends at the cancellation (its event).
    cancelled = {
        row["ticket__issued_zone"]: row
        for row in TicketEvent.objects.filter(
            kind=TicketEvent.Kind.CANCELLED,
            ticket__issued_zone__in=ids,
            ticket__date__gte=start,
            ticket__date__lt=end,
            ticket__first_called_at__isnull=True,
        )
        .values("ticket__issued_zone")
        .annotate(
            n=Count("ticket", distinct=True),
            waited=Sum(ExpressionWrapper(F("at") - F("ticket__issued_at"), output_field=DurationField())),
        )
    }

    site_of = {z.site_id: z.site for z in zones}
    slots_of = {site_id: half_hours(site, weekday) for site_id, site in site_of.items()}
    result: dict[int, ZoneHistory] = {}
    for zone in zones:
        slots = slots_of[zone.site_id]
        n_days = days.get(zone.site_id, 0)
        per_slot = [0] * len(slots)
        tickets = 0
        for (hour, minute), n in counts.get(zone.pk, {}).items():
            tickets += n
            if slots:
                per_slot[_slot_index(slots, hour, minute)] += n
        row = outcome.get(zone.pk, {})
        gone = cancelled.get(zone.pk, {})
        no_shows = row.get("no_shows", 0)
        result[zone.pk] = ZoneHistory(
            zone=zone,
            weekday=weekday,
            start=start,
            end=end,
            days=n_days,
            slots=slots,
            arrivals=[n / n_days if n_days else 0.0 for n in per_slot],
            tickets=tickets,
            handle_samples=handled.get(zone.pk, []),
            no_show_samples=calling.get(zone.pk, []),
            finished=row.get("finished", 0),
            no_shows=no_shows,
            left=row.get("left", 0),
            gave_up=no_shows + gone.get("n", 0),
            waiting_minutes=max(_minutes(row.get("waited")), 0.0) + max(_minutes(gone.get("waited")), 0.0),
        )
    return result


def zone_history(zone: Zone, weekday: int, start: datetime.date, end: datetime.date) -> ZoneHistory:
    return zone_histories([zone], weekday, start, end)[zone.pk]
