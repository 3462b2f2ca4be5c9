"""Honest wait estimates, measured (issue 16, item 5): how the queue's wait range and its point estimate did on
the hall's own history, per zone, next to what queueing theory says the best simple predictors can do.

**Replayed history.** Every ticket issued in the zone (`Ticket.issued_zone`) over the period is put back at the
instant it was issued, with what the estimator (`queue.queries.estimate`, `queue.estimate`) knew then:

- *Stored at issue and used as stored*: the number ahead (`Ticket.ahead_at_issue`, the estimator's own input) and
  the range shown (`wait_low`, `wait_high`: the inside share is measured on it).
- *Reconstructed from the history*: the rest of the estimator's snapshot (`queries.zone_snapshot`) at that instant —
  the windows seated (`Seat.since`/`until`), the tickets at a window, today's last 60 finished and last 15 missed
  tickets with their minutes at the window, the 绿色通道 tickets of the last hour, the appointments booked for the
  coming hour, and for a 绿色通道 ticket the oldest ordinary ticket waiting — from the tickets' events
  (`TicketEvent`, in the order they were written). The point estimate (`estimate.work_wait`'s expected working
  minutes) is computed from them with the queue's own functions (`ZoneSnapshot.service_time`, `jump_rate`,
  `effective_ahead`). The replay also computes the range again; `replayed_as_shown` counts the tickets where it
  equals the range shown — the check that the replay saw what the estimator saw.
- *Not in the history, taken as they are now*: the zone's queue rules, the site's opening hours, which windows are
  open, and appointments cancelled (when is not kept: they count as never booked). Where these changed during the
  period, `replayed_as_shown` falls short of `tickets`.

**Definitions.** Minutes are working minutes of the ticket's day as `estimate.on_the_clock` lays the estimate: time
before the first opening period and between periods (the lunch break) does not count, time after the last period
does (the queue is served until it is empty).

- *Real wait*: issue → first call (`Ticket.first_called_at`). A no-show (过号) was called: its wait ends at its first
  call. A ticket never called (cancelled, or still waiting) has no real wait: it counts in `tickets`, in no share or
  error — neither inside (flattering) nor outside (blaming the estimate for someone who left).
- *Inside share*: among the called tickets, the share whose real wait lies within the range shown, both ends
  included, the range laid onto the same working clock from the ticket's issue (a call made during a break counts
  as made when the break began; otherwise this is the wall-clock comparison of the range shown).
- *Delayed tickets* (the sample of both errors): the estimator saw no window free for them (point estimate > 0 — in
  an M/M/s queue exactly the customers who must wait), they were called, and some ticket had already been called for
  the first time in the zone that day (so that the last-to-enter-service predictor has a value: same tickets for both).
- *Relative squared error* (Ibrahim & Whitt): the mean squared error of a predictor over the delayed tickets divided
  by the square of their mean real wait, E[(W − Ŵ)²] / E[W]². For the queue-length predictor in M/M/s — Ŵ = (n + 1)
  service steps for one who finds n waiting — it is 1 − ρ; for the last-to-enter-service (LES) predictor about
  2(1 − ρ) in heavy traffic (more at moderate loads: ≈ 2.3 (1 − ρ) at ρ = 0.8).
- *LES predictor*: Ŵ = the real wait of the last ticket called for the first time in the zone before this one was
  issued, that day.
- *ρ (utilisation)*: λ·S/c — λ the tickets issued in the zone per minute of opening time, S the mean minutes a window
  of the zone spent per ticket it called (call to finish, no-show or transfer, capped as the estimator caps them), c
  the mean number of windows seated during the opening periods (the open windows on a day nobody was seated, as the
  estimator assumes). Days without opening hours count in the shares and errors, not in ρ.

None where there is too little data: no ticket called (inside share), fewer than MIN_DELAYED delayed tickets (the
errors), no window time or no service (ρ); 1 − ρ is None when ρ ≥ 1 (no steady state).

Cost: six statements per zone (its tickets, their events, seats, appointments, opening hours, open windows) and the
zone's queue rules, whatever the number of tickets; the replay itself is one pass over the events in Python.
"""

import datetime
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from yichuang.organisation.models import OpeningPeriod, Seat, Site, Window, Zone
from yichuang.queue import estimate as model
from yichuang.queue import queries as queue_queries
from yichuang.queue.models import Appointment, Ticket, TicketEvent

MIN_DELAYED = 10  # delayed tickets below which the errors are not given
Periods = Sequence[tuple[datetime.time, datetime.time]]
Kind = TicketEvent.Kind
HOUR = datetime.timedelta(hours=1)


def _spans(day: datetime.date, periods: Periods, tz) -> list[tuple[datetime.datetime, datetime.datetime]]:
    return sorted(
        (datetime.datetime.combine(day, a, tzinfo=tz), datetime.datetime.combine(day, b, tzinfo=tz)) for a, b in periods
    )


def working_minutes(start: datetime.datetime, end: datetime.datetime, periods: Periods) -> float:
    """Working minutes from `start` to `end` (local, aware): the inverse of `estimate.on_the_clock`.

    Time in `periods` (the opening periods of start's day) counts, time before the first and between them does not,
    time after the last counts; without periods every minute counts."""
    if end <= start:
        return 0.0
    if not periods:
        return (end - start).total_seconds() / 60
    total, t = 0.0, start
    for span_start, span_end in _spans(start.date(), periods, start.tzinfo):
        if t >= span_end:
            continue
        t = max(t, span_start)
        if end <= t:
            return total
        if end <= span_end:
            return total + (end - t).total_seconds() / 60
        total += (span_end - t).total_seconds() / 60
        t = span_end
    return total + max((end - t).total_seconds() / 60, 0.0)


@dataclass(frozen=True)
class Replayed:
    """One ticket issued in the zone: what the estimator knew and said at its issue, and how it went."""

    ticket_id: int
    issued_at: datetime.datetime
    priority: bool
    ahead: int  # stored at issue
    shown: tuple[int, int]  # the range shown, wall-clock minutes from issue (stored at issue)
    shown_working: tuple[float, float]  # the same range on the working clock
    replayed: tuple[int, int]  # the range the replay gives
    expected: float  # the point estimate, working minutes (replayed)
    wait: float | None  # the real wait, working minutes; None: never called
    les: float | None  # the last-to-enter-service prediction, working minutes; None: nobody called yet that day

    @property
    def inside(self) -> bool:
        return self.wait is not None and self.shown_working[0] <= self.wait <= self.shown_working[1]

    @property
    def delayed(self) -> bool:
        """In the errors' sample (see the module's definition)."""
        return self.expected > 0 and self.wait is not None and self.les is not None


@dataclass(frozen=True)
class Replay:
    """A zone's period replayed: its tickets and the sums ρ is estimated from."""

    zone_id: int
    tickets: tuple[Replayed, ...]
    arrivals: int  # tickets issued on days with opening hours
    opening_minutes: float
    window_minutes: float  # windows seated × minutes, within the opening periods
    service_minutes: float  # minutes windows spent on the tickets they called (each capped)
    services: int


@dataclass(frozen=True)
class WaitAccuracy:
    tickets: int  # issued in the zone over the period
    called: int  # of them, called at least once (the inside share's base)
    inside_share: float | None
    delayed: int  # the errors' sample
    mean_wait: float | None  # working minutes, over the delayed tickets
    relative_squared_error: float | None  # of the estimate's point estimate
    last_to_enter_service_error: float | None
    theory_queue_length: float | None  # 1 − ρ
    utilisation: float | None  # ρ
    replayed_as_shown: int  # tickets whose replayed range equals the range shown

    @property
    def never_called(self) -> int:
        return self.tickets - self.called


def summarise(replays: Iterable[Replay]) -> WaitAccuracy:
    """The figures of one or more replays taken together (e.g. the same zone over several periods)."""
    replays = list(replays)
    tickets = [r for replay in replays for r in replay.tickets]
    called = [r for r in tickets if r.wait is not None]
    sample = [r for r in tickets if r.delayed]
    mean_wait = sum(r.wait for r in sample) / len(sample) if sample else None
    rse = les = None
    if len(sample) >= MIN_DELAYED and mean_wait:
        rse = sum((r.wait - r.expected) ** 2 for r in sample) / len(sample) / mean_wait**2
        les = sum((r.wait - r.les) ** 2 for r in sample) / len(sample) / mean_wait**2
    arrivals = sum(replay.arrivals for replay in replays)
    services = sum(replay.services for replay in replays)
    window_minutes = sum(replay.window_minutes for replay in replays)
    rho = None
    if arrivals and services and window_minutes > 0:
        rho = arrivals * (sum(replay.service_minutes for replay in replays) / services) / window_minutes
    return WaitAccuracy(
        tickets=len(tickets),
        called=len(called),
        inside_share=sum(r.inside for r in called) / len(called) if called else None,
        delayed=len(sample),
        mean_wait=mean_wait,
        relative_squared_error=rse,
        last_to_enter_service_error=les,
        theory_queue_length=1 - rho if rho is not None and rho < 1 else None,
        utilisation=rho,
        replayed_as_shown=sum(r.replayed == r.shown for r in tickets),
    )


def wait_accuracy(zone: Zone, start: datetime.date, end: datetime.date) -> WaitAccuracy:
    """The zone's figures for the days `start` … `end` (both included)."""
    return summarise([replay(zone, start, end)])


def past_wait_accuracy(zone: Zone, start: datetime.date, end: datetime.date) -> WaitAccuracy:
    """wait_accuracy, kept in the shared cache for HALL_ACCURACY_CACHE_SECONDS when every day is past: a replay
    of four weeks costs 50–100 ms a zone and past days no longer change (a day still open is replayed each time)."""
    if end >= timezone.localdate():
        return wait_accuracy(zone, start, end)
    key = f"hall:wait-accuracy:{zone.pk}:{start.isoformat()}:{end.isoformat()}"
    figures = cache.get(key)
    if figures is None:
        figures = wait_accuracy(zone, start, end)
        cache.set(key, figures, settings.HALL_ACCURACY_CACHE_SECONDS)
    return figures


def site_wait_accuracy(site: Site, start: datetime.date, end: datetime.date) -> list[tuple[Zone, WaitAccuracy]]:
    """Every zone of the site, in the site's order."""
    return [
        (zone, wait_accuracy(zone, start, end)) for zone in Zone.objects.filter(site=site).order_by("order", "code")
    ]


# --- the replay -------------------------------------------------------------------------------------------------


def _capped(since: datetime.datetime, until: datetime.datetime) -> float:
    """Minutes at a window, capped as queries._minutes_between caps them."""
    return max(min((until - since).total_seconds() / 60, model.MAX_SERVICE_MINUTES), 0.0)


class _ZoneDay:
    """The zone's state through one day's events, as zone_snapshot would have read it at any instant."""

    WAITING, OPEN, DONE, MISSED = "waiting", "open", "done", "missed"

    def __init__(self, zone_id: int, priority: dict[int, bool], issued: dict[int, datetime.datetime]):
        self.zone_id = zone_id
        self.is_priority, self.issued_at = priority, issued
        self.zone_of: dict[int, int] = {}
        self.status: dict[int, str] = {}
        self.last_call: dict[int, datetime.datetime] = {}
        self.first_call: dict[int, datetime.datetime] = {}
        self.busy = 0
        self.finished: deque[float] = deque()  # the last LEARN_FROM_LAST, with their sum and sum of squares
        self.finished_sum = self.finished_squares = 0.0
        self.missed: dict[int, float] = {}  # in the order they were missed
        self.ordinary_waiting: dict[int, datetime.datetime] = {}  # ticket → queued at
        self.priority_here: dict[int, datetime.datetime] = {}  # 绿色通道 tickets in the zone → issued at
        self.last_first_called: int | None = None
        self.service_minutes, self.services = 0.0, 0

    def _leave(self, ticket: int, at: datetime.datetime) -> None:
        """The ticket stops waiting or being at a window of its zone."""
        self.ordinary_waiting.pop(ticket, None)
        if self.status.get(ticket) == self.OPEN and self.zone_of.get(ticket) == self.zone_id:
            self.busy -= 1
            self.service_minutes += _capped(self.last_call[ticket], at)
            self.services += 1

    def _queue(self, ticket: int, zone_id: int, at: datetime.datetime) -> None:
        self.zone_of[ticket], self.status[ticket] = zone_id, self.WAITING
        if zone_id == self.zone_id:
            if self.is_priority.get(ticket):
                self.priority_here[ticket] = self.issued_at[ticket]
            else:
                self.ordinary_waiting[ticket] = at

    def apply(self, ticket: int, kind: str, at: datetime.datetime, zone_id: int) -> None:
        if kind == Kind.ISSUED:
            self._queue(ticket, zone_id, at)
        elif kind == Kind.TRANSFERRED:  # the event names the zone it went to
            self._leave(ticket, at)
            if self.zone_of.get(ticket) == self.zone_id:
                self.priority_here.pop(ticket, None)
            self._queue(ticket, zone_id, at)
        elif kind == Kind.CALLED:
            self.ordinary_waiting.pop(ticket, None)
            self.status[ticket], self.last_call[ticket] = self.OPEN, at
            if self.zone_of.get(ticket) == self.zone_id:
                self.busy += 1
                if ticket not in self.first_call:
                    self.last_first_called = ticket
            self.first_call.setdefault(ticket, at)
        elif kind in (Kind.FINISHED, Kind.NO_SHOW, Kind.CANCELLED):
            here = self.zone_of.get(ticket) == self.zone_id
            was_open = self.status.get(ticket) == self.OPEN
            self._leave(ticket, at)
            if here and was_open and kind == Kind.FINISHED:
                self._finished(_capped(self.last_call[ticket], at))
            if here and was_open and kind == Kind.NO_SHOW:
                self.missed[ticket] = _capped(self.last_call[ticket], at)
            self.status[ticket] = self.MISSED if kind == Kind.NO_SHOW else self.DONE
        elif kind == Kind.REACTIVATED:
            self.missed.pop(ticket, None)
            self._queue(ticket, self.zone_of.get(ticket, zone_id), at)
        # RECALLED and SERVED change nothing the estimator reads.

    def _finished(self, minutes: float) -> None:
        self.finished.append(minutes)
        self.finished_sum += minutes
        self.finished_squares += minutes * minutes
        if len(self.finished) > queue_queries.LEARN_FROM_LAST:
            old = self.finished.popleft()
            self.finished_sum -= old
            self.finished_squares -= old * old

    def snapshot(self, *, seated: int, open_windows: int, appointments: int, now: datetime.datetime):
        missed = list(self.missed.values())[-(queue_queries.LEARN_FROM_LAST // 4) :]
        recent = sum(1 for issued in self.priority_here.values() if now - HOUR <= issued <= now)
        return queue_queries.ZoneSnapshot(
            waiting=0,
            waiting_first=0,
            waiting_before_walk_ins=0,
            busy=self.busy,
            seated=seated,
            open_windows=open_windows,
            priority_last_hour=recent,
            appointments_next_hour=appointments,
            finished=len(self.finished),
            finished_minutes=self.finished_sum,
            finished_squares=self.finished_squares,
            missed=len(missed),
            missed_minutes=sum(missed),
        )


def _booked_next_hour(appointments: list[tuple], now: datetime.datetime) -> int:
    """Appointments booked (not yet checked in) at `now` for a slot starting within the hour, as zone_snapshot."""
    local = now.astimezone(timezone.get_current_timezone())
    later = local + HOUR
    horizon = later.time() if later.date() == local.date() else datetime.time.max
    return sum(
        1
        for start, status, created_at, checked_in_at in appointments
        if local.time() <= start < horizon
        and status != Appointment.Status.CANCELLED
        and created_at <= now
        and (checked_in_at is None or checked_in_at > now)
    )


def _seated(seats: list[tuple], now: datetime.datetime) -> int:
    return sum(1 for since, until in seats if since <= now and (until is None or until > now))


def _window_minutes(seats: list[tuple], spans: list[tuple]) -> float:
    total = 0.0
    for since, until in seats:
        for a, b in spans:
            lo, hi = max(since, a), min(until or b, b)
            if hi > lo:
                total += (hi - lo).total_seconds() / 60
    return total


@dataclass
class _Day:
    """What the replay of one day of a zone reads: its tickets, their events, seats, appointments, hours."""

    day: datetime.date
    rows: list  # (id, issued zone, date, priority, issued at, first called at, ahead, low, high) of the day's tickets
    events: list  # (at, id, ticket, kind, zone) of their events, in the order written
    seats: list  # (since, until) of the zone's open windows
    appointments: list  # (slot start, status, created at, checked in at)
    periods: list  # opening periods
    open_windows: int


def _replay_day(zone_id: int, rules, data: _Day) -> tuple[list[Replayed], _ZoneDay]:
    rows = {row[0]: row for row in data.rows}
    periods = data.periods
    tz = timezone.get_current_timezone()
    state = _ZoneDay(zone_id, {pk: row[3] for pk, row in rows.items()}, {pk: row[4] for pk, row in rows.items()})
    issue_event = {
        ticket: event_id for _at, event_id, ticket, kind, _zone in reversed(data.events) if kind == Kind.ISSUED
    }
    # A ticket is put back just before its own 'issued' event (or before anything else written at its instant).
    timeline = [(at, event_id, (ticket, kind, at, zone)) for at, event_id, ticket, kind, zone in data.events]
    timeline += [(row[4], issue_event.get(row[0], 0) - 0.5, row) for row in data.rows if row[1] == zone_id]
    timeline.sort(key=lambda item: (item[0], item[1]))
    waits: dict[int, float | None] = {}

    def wait_of(pk: int, called_at: datetime.datetime | None) -> float | None:
        if pk not in waits:
            issued = rows[pk][4].astimezone(tz)
            waits[pk] = working_minutes(issued, called_at.astimezone(tz), periods) if called_at else None
        return waits[pk]

    replayed = []
    for _at, _order, item in timeline:
        if len(item) == 4:
            state.apply(*item)
            continue
        pk, _zone, _date, priority, issued_at, first_called_at, ahead, low, high = item
        snapshot = state.snapshot(
            seated=_seated(data.seats, issued_at),
            open_windows=data.open_windows,
            appointments=_booked_next_hour(data.appointments, issued_at),
            now=issued_at,
        )
        oldest = min(state.ordinary_waiting.values(), default=None) if priority else None
        effective, rate, service = queue_queries.position(
            snapshot, rules, ahead=ahead, priority=priority, oldest=oldest, now=issued_at
        )
        servers = snapshot.servers
        local = issued_at.astimezone(tz)
        _low, expected, _high = model.work_wait(effective, servers, snapshot.busy, service, jump_rate=rate)
        again = model.wait_range(
            now=local, ahead=effective, servers=servers, busy=snapshot.busy, service=service, jump_rate=rate,
            periods=periods,
        )  # fmt: skip
        previous = state.last_first_called
        replayed.append(
            Replayed(
                ticket_id=pk,
                issued_at=issued_at,
                priority=priority,
                ahead=ahead,
                shown=(low, high),
                shown_working=(
                    working_minutes(local, local + datetime.timedelta(minutes=low), periods),
                    working_minutes(local, local + datetime.timedelta(minutes=high), periods),
                ),
                replayed=again,
                expected=expected,
                wait=wait_of(pk, first_called_at),
                les=wait_of(previous, state.first_call[previous]) if previous is not None else None,
            )
        )
    return replayed, state


def _days(zone: Zone, start: datetime.date, end: datetime.date) -> list[_Day]:
    """The zone's history of the days `start` … `end`, by day, in six statements."""
    first = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    last = timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=2), datetime.time.min))
    # Tickets issued in the zone, and those that came into it (a transfer): their events make the zone's state.
    touched = TicketEvent.objects.filter(zone_id=zone.pk, at__gte=first, at__lt=last).values("ticket_id")
    ours = Ticket.objects.filter(Q(issued_zone_id=zone.pk) | Q(pk__in=touched), date__gte=start, date__lte=end)
    columns = ("id", "issued_zone_id", "date", "priority", "issued_at", "first_called_at", "ahead_at_issue")
    rows: dict[datetime.date, list] = {}
    day_of: dict[int, datetime.date] = {}
    for row in ours.values_list(*columns, "wait_low", "wait_high"):
        rows.setdefault(row[2], []).append(row)
        day_of[row[0]] = row[2]
    events: dict[datetime.date, list] = {}
    for event_id, ticket, kind, at, zone_id in (
        TicketEvent.objects.filter(ticket_id__in=ours.values("id"))
        .order_by("at", "id")
        .values_list("id", "ticket_id", "kind", "at", "zone_id")
    ):
        if ticket in day_of:
            events.setdefault(day_of[ticket], []).append((at, event_id, ticket, kind, zone_id))
    seats: dict[datetime.date, list] = {}
    for date, since, until in Seat.objects.filter(
        window__zone_id=zone.pk, window__is_open=True, date__gte=start, date__lte=end
    ).values_list("date", "since", "until"):
        seats.setdefault(date, []).append((since, until))
    appointments: dict[datetime.date, list] = {}
    for date, *rest in Appointment.objects.filter(
        slot__zone_id=zone.pk, slot__date__gte=start, slot__date__lte=end
    ).values_list("slot__date", "slot__start", "status", "created_at", "checked_in_at"):
        appointments.setdefault(date, []).append(tuple(rest))
    hours: dict[int, list] = {}
    for weekday, a, b in OpeningPeriod.objects.filter(site_id=zone.site_id).values_list("weekday", "start", "end"):
        hours.setdefault(weekday, []).append((a, b))
    open_windows = Window.objects.filter(zone_id=zone.pk, is_open=True).count()
    return [
        _Day(
            day=day,
            rows=day_rows,
            events=events.get(day, []),
            seats=seats.get(day, []),
            appointments=appointments.get(day, []),
            periods=sorted(hours.get(day.weekday(), [])),
            open_windows=open_windows,
        )
        for day, day_rows in sorted(rows.items())
        if any(row[1] == zone.pk for row in day_rows)
    ]


def replay(zone: Zone, start: datetime.date, end: datetime.date) -> Replay:
    """The zone's tickets of the days `start` … `end`, each put back at its issue (see the module's doc)."""
    rules = queue_queries.rules_for(zone)
    tz = timezone.get_current_timezone()
    replayed: list[Replayed] = []
    arrivals, opening, window_minutes, service_minutes, services = 0, 0.0, 0.0, 0.0, 0
    for data in _days(zone, start, end):
        tickets, state = _replay_day(zone.pk, rules, data)
        replayed += tickets
        spans = _spans(data.day, data.periods, tz)
        if spans:
            arrivals += len(tickets)
            day_opening = sum((b - a).total_seconds() / 60 for a, b in spans)
            opening += day_opening
            seated = _window_minutes(data.seats, spans)
            window_minutes += seated or day_opening * max(data.open_windows, 1)
            service_minutes += state.service_minutes
            services += state.services
    return Replay(
        zone_id=zone.pk,
        tickets=tuple(replayed),
        arrivals=arrivals,
        opening_minutes=opening,
        window_minutes=window_minutes,
        service_minutes=service_minutes,
        services=services,
    )
