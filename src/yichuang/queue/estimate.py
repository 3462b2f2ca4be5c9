"""Honest wait estimates: a range from the number ahead and the windows open (pure functions).

The model, in working minutes of one zone:

- A window spends `mean` minutes per ticket on average (standard deviation `sd`), learned from today's
  finished tickets of the zone and shrunk towards a default while there are few (`learn_service_time`);
  tickets that did not show up cost the window the time it spent calling them (`blend_no_shows`).
- A person with `ahead` tickets before them, in a zone with `servers` windows of which `busy` are
  serving, needs m = ahead + 1 − idle windows to free up. With c windows working in parallel the m-th
  departure comes after about (m − ½)·mean/c, with variance m·sd²/c² (superposed renewal processes).
- People who will join ahead of them (the 绿色通道, appointments checking in) arrive at `jump_rate` per
  minute while they wait; each costs mean/c, which stretches the wait geometrically.
- Error terms, relative to the wait and in window-steps, cover what the model does not see (a clerk
  pausing, a window closing, a service far longer than usual).
- The range is expected − z_low·sd … expected + z_high·sd in working minutes, then laid onto the site's
  opening periods, so that a ticket taken before lunch waits through the break.

The quantiles and error terms (CALIBRATION) were chosen on one simulated day and checked on five others
(bench/queue_wait.py; figures in docs/performance.md).
"""

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Calibration:
    """How wide the range is: quantiles below and above the expected wait (waits are skewed to the right),
    a model error relative to the expected wait, and one in units of one window-step (mean/c)."""

    z_low: float
    z_high: float
    relative: float
    absolute_steps: float


# Chosen on simulated day 1 of bench/queue_wait.py, checked on days 2–6 (docs/performance.md).
CALIBRATION = Calibration(z_low=1.4, z_high=1.6, relative=0.1, absolute_steps=1.0)

# Durations above this are a clerk who forgot to press 办结, not a service time.
MAX_SERVICE_MINUTES = 90.0
DEFAULT_CV = 0.6
PRIOR_WEIGHT = 4.0


@dataclass(frozen=True)
class ServiceTime:
    mean: float  # minutes a window spends per ticket
    sd: float
    samples: int


def learn_service_time(
    durations: Sequence[float], default: float, *, prior_weight: float = PRIOR_WEIGHT, default_cv: float = DEFAULT_CV
) -> ServiceTime:
    """Mean and spread of today's service times (minutes), shrunk towards `default` while samples are few."""
    values = [min(max(float(d), 0.0), MAX_SERVICE_MINUTES) for d in durations]
    return learn_from_sums(
        len(values),
        sum(values),
        sum(v * v for v in values),
        default,
        prior_weight=prior_weight,
        default_cv=default_cv,
    )


def learn_from_sums(
    n: int,
    total: float,
    total_sq: float,
    default: float,
    *,
    prior_weight: float = PRIOR_WEIGHT,
    default_cv: float = DEFAULT_CV,
) -> ServiceTime:
    """learn_service_time from the count, sum and sum of squares of the (capped) durations."""
    prior_var = (default_cv * default) ** 2
    if n == 0:
        return ServiceTime(float(default), math.sqrt(prior_var), 0)
    sample_mean = total / n
    sample_var = max(total_sq - n * sample_mean**2, 0.0) / (n - 1) if n > 1 else prior_var
    mean = (n * sample_mean + prior_weight * default) / (n + prior_weight)
    var = (n * sample_var + prior_weight * prior_var) / (n + prior_weight)
    return ServiceTime(mean, math.sqrt(var), n)


def blend_no_shows(service: ServiceTime, no_show_share: float, no_show_minutes: float) -> ServiceTime:
    """A window's time per ticket when a share of tickets are called in vain for `no_show_minutes`."""
    p = min(max(no_show_share, 0.0), 1.0)
    if p == 0:
        return service
    mean = (1 - p) * service.mean + p * no_show_minutes
    # Mixture variance: within-component plus between-component.
    var = (1 - p) * (service.sd**2 + service.mean**2) + p * no_show_minutes**2 - mean**2
    return ServiceTime(mean, math.sqrt(max(var, 0.0)), service.samples)


def effective_ahead(
    ahead: int, *, priority: bool, ordinary_waiting: bool, run_length: int, alternating: bool = False
) -> float:
    """Calls before a 绿色通道 ticket: one ordinary ticket gets through after every `run_length` priority
    calls, or after every priority call while ordinary tickets wait past the bound (`alternating`)."""
    if not (priority and ordinary_waiting):
        return float(ahead)
    if alternating:
        return 2 * ahead + 0.5
    if run_length > 0:
        return ahead + (ahead + 1) / run_length
    return float(ahead)


def work_wait(
    ahead: float,
    servers: int,
    busy: int,
    service: ServiceTime,
    *,
    jump_rate: float = 0.0,
    calibration: Calibration | None = None,
) -> tuple[float, float, float]:
    """(low, expected, high) working minutes until this ticket is called."""
    cal = calibration or CALIBRATION
    c = max(int(servers), 1)
    idle = max(c - max(int(busy), 0), 0)
    m = ahead + 1 - idle
    if m <= 0:
        return 0.0, 0.0, min(2.0, service.mean / c)
    step = service.mean / c
    expected = (m - 0.5) * step
    var = m * service.sd**2 / c**2 + step**2 / 12  # the residual of the service in progress
    # People joining ahead while this one waits: a Poisson stream, each costing one step.
    rate = max(jump_rate, 0.0)
    load = min(rate * step, 0.9)
    if load > 0:
        expected /= 1 - load
        var += rate * expected * step**2
    var += (cal.relative * expected) ** 2 + (cal.absolute_steps * step) ** 2
    sd = math.sqrt(var)
    return max(0.0, expected - cal.z_low * sd), expected, expected + cal.z_high * sd


def on_the_clock(
    start: datetime.datetime, minutes: float, periods: Sequence[tuple[datetime.time, datetime.time]]
) -> float:
    """Wall-clock minutes from `start` until `minutes` of opening time have passed.

    `periods` are the day's opening periods; outside them the windows do not call. Work beyond the
    last period is counted as if the last period went on (the queue is served until it is empty).
    """
    minutes = max(float(minutes), 0.0)
    if not periods:
        return minutes
    day = start.date()
    tz = start.tzinfo
    spans = sorted(
        (datetime.datetime.combine(day, a, tzinfo=tz), datetime.datetime.combine(day, b, tzinfo=tz)) for a, b in periods
    )
    t, left = start, minutes
    for span_start, span_end in spans:
        if t >= span_end:
            continue
        t = max(t, span_start)
        room = (span_end - t).total_seconds() / 60
        if left <= room:
            return (t - start).total_seconds() / 60 + left
        left -= room
        t = span_end
    return (t - start).total_seconds() / 60 + left


def wait_range(
    *,
    now: datetime.datetime,
    ahead: float,
    servers: int,
    busy: int,
    service: ServiceTime,
    jump_rate: float = 0.0,
    periods: Sequence[tuple[datetime.time, datetime.time]] = (),
    calibration: Calibration | None = None,
) -> tuple[int, int]:
    """The range shown to a person: whole minutes [low, high] of wall-clock time, high ≥ low + 1."""
    low, _expected, high = work_wait(ahead, servers, busy, service, jump_rate=jump_rate, calibration=calibration)
    low_clock = on_the_clock(now, low, periods)
    high_clock = on_the_clock(now, high, periods)
    lo = int(math.floor(low_clock))
    hi = max(int(math.ceil(high_clock)), lo + 1)
    return lo, hi
