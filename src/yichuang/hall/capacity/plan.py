"""A zone's plan for a weekday: per half hour the windows the formulas ask for, and the day simulated with them.

For each half hour of the weekday's opening hours (history.py): the mean arrivals λ, the zone's minutes at the
window per ticket h (finished tickets and no-shows alike) and, when people give up, their patience. Then:

* **Erlang C** — the fewest windows with at least `target` of the arrivals called within `within_minutes`;
* **Erlang A** — the same with the patience (those who give up count against the target), when the options ask
  for it and a patience is known (entered, or estimated from the history);
* **the plan** — Erlang A's windows when it applies, else Erlang C's, with the formula's expected wait, share
  called within the target and share who give up;
* **the simulation** — the whole day played with that plan (simulation.py): arrivals Poisson per half hour,
  handling times drawn from the zone's own samples (an exponential of the mean while there are fewer than
  `MIN_SAMPLES`), the same patience. Queues carry over from one half hour to the next there, which the
  steady-state formulas do not see: the two side by side show where the formula's half hour is too optimistic.

What-ifs: `with_windows` plays the day with windows added or removed in some half hours (formula and simulation),
and `merge` pools two zones: their arrivals join one queue served by all their windows (无差别受理) — the wait
with the same windows, and the fewest windows the pool needs for the same target.
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from yichuang.organisation.models import Site, Window, Zone

from . import erlang, simulation
from .history import DEFAULT_WEEKS, ZoneHistory, period, zone_histories

MIN_SAMPLES = 20  # fewer handling samples than this: the simulation draws from an exponential of their mean
REPLICATIONS = 20
WEEKDAYS = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]

Progress = Callable[[str], None]


class PlanError(ValueError):
    """A plan that cannot be made as asked (zones of two sites, the same zone twice), in words for people."""


@dataclass(frozen=True)
class Options:
    target: float = 0.8  # share called within `within_minutes`
    within_minutes: float = 10.0
    patience: bool = True  # account for people who give up (Erlang A), when a patience is known
    patience_minutes: float | None = None  # overrides the history's estimate
    weeks: int = DEFAULT_WEEKS
    end: datetime.date | None = None  # the history ends the day before (default: today)
    replications: int = REPLICATIONS
    seed: int = 0

    def check(self) -> "Options":
        erlang.check_target(self.target)
        if not 0 <= self.within_minutes <= 24 * 60:
            raise erlang.CapacityError("目标等候时长须在 0 至 1440 分钟之间。")
        if self.patience_minutes is not None and not self.patience_minutes > 0:
            raise erlang.CapacityError("耐心时长须大于 0。")
        if not 1 <= self.weeks <= 104:
            raise erlang.CapacityError("历史周数须在 1 至 104 之间。")
        if not 1 <= self.replications <= 1000:
            raise erlang.CapacityError("模拟次数须在 1 至 1000 之间。")
        return self


@dataclass(frozen=True)
class SlotPlan:
    start: datetime.time
    end: datetime.time
    arrivals: float  # mean per half hour
    erlang_c: erlang.Performance
    erlang_a: erlang.Performance | None
    expected: erlang.Performance  # the plan's figures by formula
    simulated: simulation.Outcome

    @property
    def windows(self) -> int:
        return self.expected.windows

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclass(frozen=True)
class Day:
    """Figures for the whole day, weighted by each half hour's arrivals."""

    arrivals: float
    window_hours: float
    within_share: float | None
    mean_wait_minutes: float | None
    abandon_share: float | None


@dataclass(frozen=True)
class Variant:
    """The day played with other windows (a what-if): by formula per half hour and simulated."""

    label: str
    windows: list[int]
    expected: list[erlang.Performance]
    expected_day: Day
    simulation: simulation.Simulation


@dataclass(frozen=True)
class ZonePlan:
    zone: Zone
    weekday: int
    options: Options
    history: ZoneHistory
    handle_minutes: float | None  # None: no arrivals and nothing to plan
    handle_source: str  # "history" | "default" (the zone's default service minutes) | "none"
    patience_minutes: float | None  # the patience the plan uses (None: Erlang C)
    patience_source: str  # "entered" | "history" | "none" | "off"
    open_windows: int
    slots: list[SlotPlan]
    simulation: simulation.Simulation
    expected_day: Day

    @property
    def windows(self) -> list[int]:
        return [slot.windows for slot in self.slots]

    @property
    def arrivals(self) -> list[float]:
        return [slot.arrivals for slot in self.slots]

    @property
    def peak_windows(self) -> int:
        return max(self.windows, default=0)

    @property
    def erlang_c_windows(self) -> list[int]:
        return [slot.erlang_c.windows for slot in self.slots]

    @property
    def erlang_a_windows(self) -> list[int] | None:
        if self.patience_minutes is None:
            return None
        return [slot.erlang_a.windows for slot in self.slots]

    @property
    def service(self) -> float | list[float]:
        """What the simulation draws handling times from."""
        return _service(self.history, self.handle_minutes)

    def as_dict(self) -> dict:
        h = self.history
        return {
            "zone": self.zone.code,
            "zone_name": self.zone.name,
            "weekday": self.weekday,
            "history": {
                "start": h.start.isoformat(),
                "end": h.end.isoformat(),
                "days": h.days,
                "tickets": h.tickets,
                "finished": h.finished,
                "no_shows": h.no_shows,
                "no_show_share": h.no_show_share,
                "left": h.left,
                "gave_up": h.gave_up,
                "handle_samples": len(h.window_samples),
                "patience_estimate_minutes": h.patience_minutes,
            },
            "target": self.options.target,
            "within_minutes": self.options.within_minutes,
            "handle_minutes": self.handle_minutes,
            "handle_source": self.handle_source,
            "patience_minutes": self.patience_minutes,
            "patience_source": self.patience_source,
            "open_windows": self.open_windows,
            "replications": self.simulation.replications,
            "slots": [
                {
                    "start": slot.start.strftime("%H:%M"),
                    "end": slot.end.strftime("%H:%M"),
                    "arrivals": slot.arrivals,
                    "erlang_c_windows": slot.erlang_c.windows,
                    "erlang_a_windows": slot.erlang_a.windows if slot.erlang_a else None,
                    "windows": slot.windows,
                    "expected": slot.expected.as_dict(),
                    "simulated": _outcome_dict(slot.simulated),
                }
                for slot in self.slots
            ],
            "day": {"expected": _day_dict(self.expected_day), "simulated": _outcome_dict(self.simulation.day)},
        }


@dataclass(frozen=True)
class Merge:
    """Two zones as one pool: the same windows serving both queues, and the fewest the pool needs."""

    a: ZonePlan
    b: ZonePlan
    arrivals: list[float]
    handle_minutes: float
    patience_minutes: float | None
    separate: Day  # both zones as planned, each on its own (simulated)
    pooled: Variant  # the same windows, one queue
    pooled_minimum: Variant  # the fewest windows meeting the target as one queue

    @property
    def separate_windows(self) -> list[int]:
        return [x + y for x, y in zip(self.a.windows, self.b.windows, strict=True)]

    @property
    def separate_expected(self) -> Day:
        """Both zones' days by formula, weighted by their arrivals."""
        return combine(self.a.expected_day, self.b.expected_day)

    @property
    def window_hours_saved(self) -> float:
        return self.separate.window_hours - self.pooled_minimum.expected_day.window_hours

    def as_dict(self) -> dict:
        return {
            "zones": [self.a.zone.code, self.b.zone.code],
            "handle_minutes": self.handle_minutes,
            "patience_minutes": self.patience_minutes,
            "separate": {"windows": self.separate_windows, "simulated": _day_dict(self.separate)},
            "pooled": _variant_dict(self.pooled),
            "pooled_minimum": _variant_dict(self.pooled_minimum),
            "window_hours_saved": self.window_hours_saved,
        }


def _outcome_dict(outcome: simulation.Outcome) -> dict:
    return {
        "arrivals": outcome.arrivals,
        "within_share": outcome.within_share,
        "mean_wait_minutes": outcome.mean_wait_minutes,
        "abandon_share": outcome.abandon_share,
    }


def _day_dict(day: Day) -> dict:
    return {
        "arrivals": day.arrivals,
        "window_hours": day.window_hours,
        "within_share": day.within_share,
        "mean_wait_minutes": day.mean_wait_minutes,
        "abandon_share": day.abandon_share,
    }


def _variant_dict(variant: Variant) -> dict:
    return {
        "windows": variant.windows,
        "expected": _day_dict(variant.expected_day),
        "simulated": _outcome_dict(variant.simulation.day),
    }


# --- the figures of a day -------------------------------------------------------------------------------------


def _weighted(values: Sequence[tuple[float, float | None]]) -> float | None:
    total = sum(w for w, v in values if v is not None)
    if total <= 0:
        return None
    return sum(w * v for w, v in values if v is not None) / total


def expected_day(arrivals: Sequence[float], figures: Sequence[erlang.Performance]) -> Day:
    """The formula's day: each half hour's figures weighted by its arrivals (an unstable half hour: no figure)."""
    return Day(
        arrivals=sum(arrivals),
        window_hours=sum(p.windows for p in figures) / 2,
        within_share=_weighted([(n, p.service_level) for n, p in zip(arrivals, figures, strict=True)]),
        mean_wait_minutes=_weighted(
            [(n, p.mean_wait_minutes if p.stable else None) for n, p in zip(arrivals, figures, strict=True)]
        ),
        abandon_share=_weighted([(n, p.p_abandon or 0.0) for n, p in zip(arrivals, figures, strict=True)]),
    )


def simulated_day(windows: Sequence[int], result: simulation.Simulation) -> Day:
    day = result.day
    return Day(day.arrivals, sum(windows) / 2, day.within_share, day.mean_wait_minutes, day.abandon_share)


def _figures(arrivals: Sequence[float], windows: Sequence[int], h: float, options: Options, patience):
    return [
        erlang.performance(n * 2, h, s, options.within_minutes, patience)
        for n, s in zip(arrivals, windows, strict=True)
    ]


def _simulate(streams, windows, options: Options, patience) -> simulation.Simulation:
    return simulation.simulate(
        streams,
        windows,
        within_minutes=options.within_minutes,
        patience_minutes=patience,
        replications=options.replications,
        seed=options.seed,
    )


# --- plans ------------------------------------------------------------------------------------------------------


def _service(history: ZoneHistory, h: float | None) -> float | list[float]:
    """The zone's own handling samples, or an exponential of their mean while there are fewer than MIN_SAMPLES."""
    samples = history.window_samples
    return samples if len(samples) >= MIN_SAMPLES else (h or 1.0)


def _default_minutes(zone: Zone) -> float:
    from yichuang.queue.queries import rules_for

    return float(rules_for(zone).default_service_minutes)


def _plan(history: ZoneHistory, options: Options, open_windows: int) -> ZonePlan:
    zone = history.zone
    if history.handle_minutes is not None:
        h, handle_source = history.handle_minutes, "history"
    elif any(history.arrivals):
        h, handle_source = _default_minutes(zone), "default"
    else:
        h, handle_source = None, "none"
    h = max(h, 0.1) if h is not None else None  # a zone whose tickets all took no time still needs a window
    if not options.patience:
        patience, patience_source = None, "off"
    elif options.patience_minutes is not None:
        patience, patience_source = options.patience_minutes, "entered"
    elif history.patience_minutes is not None:
        patience, patience_source = history.patience_minutes, "history"
    else:
        patience, patience_source = None, "none"
    slots: list[SlotPlan] = []
    per_hour = [n * 2 for n in history.arrivals]
    for (start, end), lam in zip(history.slots, per_hour, strict=True):
        hh = h or 1.0
        c = erlang.minimum_windows(lam, hh, options.target, options.within_minutes)
        a = erlang.minimum_windows(lam, hh, options.target, options.within_minutes, patience) if patience else None
        slots.append(SlotPlan(start, end, lam / 2, c, a, a or c, simulation.Outcome(0.0, None, None, None)))
    windows = [slot.windows for slot in slots]
    if slots:
        result = _simulate(simulation.Stream(history.arrivals, _service(history, h)), windows, options, patience)
    else:
        result = simulation.Simulation([], simulation.Outcome(0.0, None, None, None), options.replications)
    slots = [
        SlotPlan(s.start, s.end, s.arrivals, s.erlang_c, s.erlang_a, s.expected, outcome)
        for s, outcome in zip(slots, result.slots, strict=True)
    ]
    return ZonePlan(
        zone=zone,
        weekday=history.weekday,
        options=options,
        history=history,
        handle_minutes=h,
        handle_source=handle_source,
        patience_minutes=patience,
        patience_source=patience_source,
        open_windows=open_windows,
        slots=slots,
        simulation=result,
        expected_day=expected_day(history.arrivals, [s.expected for s in slots]),
    )


def _open_windows(zones: Sequence[Zone]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for zone_id in Window.objects.filter(zone__in=zones, is_open=True).values_list("zone", flat=True):
        counts[zone_id] = counts.get(zone_id, 0) + 1
    return counts


def plan_zones(
    zones: Sequence[Zone], weekday: int, options: Options | None = None, *, progress: Progress | None = None
) -> list[ZonePlan]:
    """The plan of each zone (in the order given), from one reading of their history."""
    options = (options or Options()).check()
    if not 0 <= weekday <= 6:
        raise erlang.CapacityError("星期须为 0（星期一）至 6（星期日）。")
    zones = list(zones)
    start, end = period(options.weeks, options.end)
    histories = zone_histories(zones, weekday, start, end)
    open_windows = _open_windows(zones)
    plans = []
    for i, zone in enumerate(zones, 1):
        if progress:
            progress(f"{i}/{len(zones)} {zone.code} {zone.name}")
        plans.append(_plan(histories[zone.pk], options, open_windows.get(zone.pk, 0)))
    return plans


def plan_zone(zone: Zone, weekday: int, options: Options | None = None) -> ZonePlan:
    return plan_zones([zone], weekday, options)[0]


def plan_site(site: Site, weekday: int, options: Options | None = None, *, progress: Progress | None = None):
    zones = list(Zone.objects.filter(site=site).select_related("site").order_by("order", "code"))
    return plan_zones(zones, weekday, options, progress=progress)


# --- what-ifs ---------------------------------------------------------------------------------------------------


def with_windows(plan: ZonePlan, windows: Sequence[int], label: str = "") -> Variant:
    """The zone's day with these windows per half hour instead of the plan's (same seed: the same people)."""
    windows = [int(w) for w in windows]
    if len(windows) != len(plan.slots) or any(w < 0 for w in windows):
        raise erlang.CapacityError("每个时段一个不小于 0 的窗口数。")
    options, h = plan.options, plan.handle_minutes or 1.0
    figures = _figures(plan.arrivals, windows, h, options, plan.patience_minutes)
    result = _simulate(simulation.Stream(plan.arrivals, plan.service), windows, options, plan.patience_minutes)
    return Variant(label, windows, figures, expected_day(plan.arrivals, figures), result)


def change_windows(plan: ZonePlan, by: int, slots: Sequence[int] | None = None) -> Variant:
    """Add (by > 0) or remove (by < 0) windows in the given half hours (all when None); never below 0."""
    chosen = set(range(len(plan.slots)) if slots is None else slots)
    if not chosen <= set(range(len(plan.slots))):
        raise erlang.CapacityError("没有这个时段。")
    windows = [max(w + by, 0) if i in chosen else w for i, w in enumerate(plan.windows)]
    word = f"增加 {by} 个窗口" if by > 0 else f"减少 {-by} 个窗口"
    where = (
        "全天"
        if slots is None or len(chosen) == len(plan.slots)
        else "、".join(plan.slots[i].label for i in sorted(chosen))
    )
    return with_windows(plan, windows, f"{where}{word}")


def merge(a: ZonePlan, b: ZonePlan) -> Merge:
    """Zones a and b as one pool (their windows serve each other's tickets)."""
    if a.zone.pk == b.zone.pk:
        raise PlanError("请选择两个不同的服务区。")
    if a.zone.site_id != b.zone.site_id or a.weekday != b.weekday or a.history.slots != b.history.slots:
        raise PlanError("只能合并同一服务场所、同一天的两个服务区。")
    options = a.options
    arrivals = [x + y for x, y in zip(a.arrivals, b.arrivals, strict=True)]
    total_a, total_b = sum(a.arrivals), sum(b.arrivals)
    ha, hb = a.handle_minutes or 1.0, b.handle_minutes or 1.0
    h = (total_a * ha + total_b * hb) / (total_a + total_b) if total_a + total_b else max(ha, hb)
    patience = _pooled_patience(a, b)
    streams = [simulation.Stream(a.arrivals, a.service), simulation.Stream(b.arrivals, b.service)]
    separate_windows = [x + y for x, y in zip(a.windows, b.windows, strict=True)]
    separate = combine(simulated_day(a.windows, a.simulation), simulated_day(b.windows, b.simulation))

    figures = _figures(arrivals, separate_windows, h, options, patience)
    pooled = Variant(
        "合并后（窗口数不变）",
        separate_windows,
        figures,
        expected_day(arrivals, figures),
        _simulate(streams, separate_windows, options, patience),
    )
    least = [erlang.minimum_windows(n * 2, h, options.target, options.within_minutes, patience) for n in arrivals]
    fewest = [p.windows for p in least]
    pooled_minimum = Variant(
        "合并后（达标最少窗口）",
        fewest,
        least,
        expected_day(arrivals, least),
        _simulate(streams, fewest, options, patience),
    )
    return Merge(a, b, arrivals, h, patience, separate, pooled, pooled_minimum)


def _pooled_patience(a: ZonePlan, b: ZonePlan) -> float | None:
    if a.patience_minutes is None and b.patience_minutes is None:
        return None
    if a.options.patience_minutes is not None:
        return a.options.patience_minutes
    gave_up = a.history.gave_up + b.history.gave_up
    waited = a.history.waiting_minutes + b.history.waiting_minutes
    if gave_up and waited > 0:
        return waited / gave_up
    return a.patience_minutes or b.patience_minutes


def combine(*days: Day) -> Day:
    """Several days as one: arrivals and window hours added, the shares and waits weighted by arrivals."""
    return Day(
        arrivals=sum(d.arrivals for d in days),
        window_hours=sum(d.window_hours for d in days),
        within_share=_weighted([(d.arrivals, d.within_share) for d in days]),
        mean_wait_minutes=_weighted([(d.arrivals, d.mean_wait_minutes) for d in days]),
        abandon_share=_weighted([(d.arrivals, d.abandon_share) for d in days]),
    )
