"""A zone's day, simulated: Poisson arrivals that change every half hour, windows that change every half hour,
handling times drawn from the hall's own samples (or an exponential distribution), optional patience.

Built on SimPy (a small, well-kept discrete-event library: processes are generators, time jumps from event to
event). Each replication plays one day with its own seeded random stream; the figures are pooled over the
replications, so the same seed gives the same figures.

The day is a row of slots (half hours of opening time, `slot_minutes` each, breaks left out: a person who arrives
just before lunch waits through it in the hall's clock, here they wait until the next open slot). In slot k:

* people arrive as a Poisson stream of `arrivals[k]` expected arrivals per slot — one stream per source (`Stream`),
  each with its own handling times, all joining one first-come-first-served queue (two merged zones are two
  streams);
* windows 0 … windows[k] − 1 are on duty. A window that is serving when its slot ends finishes that person and then
  stops; an idle window stops at once. After the last slot nobody arrives and the windows of the last slot (at
  least one) stay until the queue is empty — the hall serves whoever holds a ticket;
* with a patience, each person gives up after an exponential time of that mean unless called first.

The figures per slot are those of the people who arrived in it, as the formulas define them (erlang.py): the share
called within `within_minutes` (those who gave up count as not called within it), the mean wait (until called or
until they gave up, zero waits included) and the share who gave up.
"""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import simpy

SLOT_MINUTES = 30.0
REPLICATIONS = 20


@dataclass(frozen=True)
class Stream:
    """Arrivals per slot (expected count, fractional) and the minutes a window spends on each: a mean (exponential
    handling times) or the hall's own samples (drawn at random, with replacement)."""

    arrivals: Sequence[float]
    service: float | Sequence[float]


@dataclass(frozen=True)
class Outcome:
    """What the people of one slot (or of the day) met; None where nobody arrived."""

    arrivals: float  # mean per replication
    within_share: float | None
    mean_wait_minutes: float | None
    abandon_share: float | None


@dataclass(frozen=True)
class Simulation:
    slots: list[Outcome]
    day: Outcome
    replications: int
    # 95 % half-width of the day's share called within the target, from the spread between replications.
    within_halfwidth: float | None = None
    streams: list[Outcome] = field(default_factory=list)  # the day per stream


@dataclass
class _Tally:
    arrivals: int = 0
    within: int = 0
    waited: float = 0.0
    abandoned: int = 0

    def add(self, other: "_Tally") -> None:
        self.arrivals += other.arrivals
        self.within += other.within
        self.waited += other.waited
        self.abandoned += other.abandoned

    def outcome(self, replications: int) -> Outcome:
        if not self.arrivals:
            return Outcome(0.0, None, None, None)
        n = self.arrivals
        return Outcome(n / replications, self.within / n, self.waited / n, self.abandoned / n)


class _Person:
    __slots__ = ("arrived", "slot", "stream", "called", "gone")

    def __init__(self, arrived: float, slot: int, stream: int):
        self.arrived = arrived
        self.slot = slot
        self.stream = stream
        self.called: float | None = None
        self.gone: float | None = None


def _check(streams: Sequence[Stream], windows: Sequence[int], within: float, patience: float | None, slot: float):
    if not streams:
        raise ValueError("at least one stream")
    for stream in streams:
        if len(stream.arrivals) != len(windows):
            raise ValueError("one arrival figure per slot")
        if any(not math.isfinite(a) or a < 0 for a in stream.arrivals):
            raise ValueError("arrivals must be finite and not negative")
        if isinstance(stream.service, int | float):
            if not stream.service > 0:
                raise ValueError("the mean handling time must be positive")
        elif not stream.service or any(not (math.isfinite(x) and x >= 0) for x in stream.service):
            raise ValueError("handling samples must be non-negative numbers, at least one")
    if any(int(w) != w or w < 0 for w in windows):
        raise ValueError("windows must be whole numbers, not negative")
    if within < 0 or slot <= 0 or (patience is not None and not patience > 0):
        raise ValueError("bad target, slot length or patience")


def _replication(
    streams: Sequence[Stream],
    windows: Sequence[int],
    within: float,
    patience: float | None,
    slot: float,
    rng: random.Random,
) -> list[_Person]:
    env = simpy.Environment()
    queue = simpy.Store(env)
    slots = len(windows)
    day_end = slots * slot
    after = max(windows[-1] if slots else 1, 1)  # windows that serve the queue out after the last slot
    people: list[_Person] = []

    def slot_of(now: float) -> int:
        return int((now + 1e-9) // slot)  # a boundary reached by adding minutes belongs to the slot it starts

    def on_duty(i: int, now: float) -> bool:
        k = slot_of(now)
        return i < (windows[k] if k < slots else after)

    def next_start(i: int, now: float) -> float | None:
        """When window i is next on duty, from the slot after now's."""
        k = slot_of(now) + 1
        while k < slots:
            if i < windows[k]:
                return k * slot
            k += 1
        return day_end if i < after else None

    def sampler(service):
        if isinstance(service, int | float):
            rate = 1 / float(service)
            return lambda: rng.expovariate(rate)
        values = [float(x) for x in service]
        return lambda: rng.choice(values)

    draw = [sampler(stream.service) for stream in streams]

    def give_up(person: _Person):
        def callback(_event):
            if person.called is None and person in queue.items:
                queue.items.remove(person)
                person.gone = env.now

        return callback

    def arrivals():
        times = []
        for s, stream in enumerate(streams):
            for k, expected in enumerate(stream.arrivals):
                if expected <= 0:
                    continue
                rate = expected / slot
                t = k * slot + rng.expovariate(rate)
                while t < (k + 1) * slot:
                    times.append((t, k, s))
                    t += rng.expovariate(rate)
        times.sort()
        for t, k, s in times:
            yield env.timeout(t - env.now)
            person = _Person(env.now, k, s)
            people.append(person)
            queue.put(person)
            if patience is not None:
                env.timeout(rng.expovariate(1 / patience)).callbacks.append(give_up(person))

    def window(i: int):
        while True:
            now = env.now
            if not on_duty(i, now):
                start = next_start(i, now)
                if start is None:
                    return
                yield env.timeout(start - now)
                continue
            get = queue.get()
            k = slot_of(now)
            if k < slots:
                yield get | env.timeout((k + 1) * slot - now)
                if not get.triggered:  # the slot ended first: off duty, unless the next slot keeps this window
                    get.cancel()
                    continue
            else:
                yield get
            person = get.value
            person.called = env.now
            yield env.timeout(draw[person.stream]())

    env.process(arrivals())
    for i in range(max([*windows, after])):
        env.process(window(i))
    env.run()
    return people


def simulate(
    streams: Sequence[Stream] | Stream,
    windows: Sequence[int],
    *,
    within_minutes: float,
    patience_minutes: float | None = None,
    replications: int = REPLICATIONS,
    seed: int = 0,
    slot_minutes: float = SLOT_MINUTES,
) -> Simulation:
    """Play the day `replications` times; the figures per slot (by arrival) and for the day, pooled."""
    if isinstance(streams, Stream):
        streams = [streams]
    windows = [int(w) for w in windows]
    _check(streams, windows, within_minutes, patience_minutes, slot_minutes)
    if replications < 1:
        raise ValueError("at least one replication")
    per_slot = [_Tally() for _ in windows]
    per_stream = [_Tally() for _ in streams]
    day = _Tally()
    shares: list[float] = []
    for r in range(replications):
        rng = random.Random(seed * 1_000_003 + r)
        people = _replication(streams, windows, within_minutes, patience_minutes, slot_minutes, rng)
        this = _Tally()
        for person in people:
            tally = _Tally(arrivals=1)
            if person.called is not None:
                wait = person.called - person.arrived
                tally.within = int(wait <= within_minutes + 1e-9)
            else:  # gave up (the queue is always served out, so nobody else is left uncalled)
                wait = person.gone - person.arrived
                tally.abandoned = 1
            tally.waited = wait
            per_slot[person.slot].add(tally)
            per_stream[person.stream].add(tally)
            this.add(tally)
        day.add(this)
        if this.arrivals:
            shares.append(this.within / this.arrivals)
    halfwidth = None
    if len(shares) > 1:
        mean = sum(shares) / len(shares)
        sd = math.sqrt(sum((x - mean) ** 2 for x in shares) / (len(shares) - 1))
        halfwidth = 1.96 * sd / math.sqrt(len(shares))
    return Simulation(
        slots=[t.outcome(replications) for t in per_slot],
        day=day.outcome(replications),
        replications=replications,
        within_halfwidth=halfwidth,
        streams=[t.outcome(replications) for t in per_stream],
    )
