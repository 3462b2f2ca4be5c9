"""Honest wait estimates, measured: simulated hall days through the real queue services
(`python -m bench queue_wait`).

Each simulated day runs the real services (issue_ticket, check_in, call_next, recall, mark_no_show,
transfer, finish) on a fresh hall in a temporary SQLite database, with a simulated clock passed as `now`. The
range a ticket was given when issued (Ticket.wait_low/high, from queue/estimate.py) is compared with the wait
it actually had (first call − issue). The estimator sees only what the hall sees: today's finished tickets,
the windows seated, the queue; it knows nothing of the simulation's parameters.

The day (Shenqiu-like, 9:00–12:00 and 13:30–17:30):
- four zones: 综合审批 (6 windows, 9 min per person), 不动产登记 (4 windows, 15 min), 企业开办 (2 windows,
  20 min), 公安/人社/医保 (3 windows, 6 min); service times log-normal (CV 0.5–0.8);
- walk-ins Poisson with a morning and an afternoon peak (0.95 of capacity, ≈ 1.05 with appointments: queues
  build up at the peaks and drain after), no new tickets after 17:00; 8 % 绿色通道; 5 % never come when
  called (3 calls, a minute apart, then 过号); 2 % of 公安 tickets transferred to 综合审批 (to the front);
- appointments: hourly slots holding 12 % of the zone's capacity, 85 % come, arriving 25 min early to 15 min
  late (too early: they wait until they may check in; late: ordinary queue);
- a clerk of 综合审批 takes a 30-minute break at 10:30 and one of 不动产 at 15:00 (seat left, taken again);
- windows stop calling at 12:00 and resume at 13:30; after 17:30 the queue is served until empty.

Day 1 (seed 1) is the day the constants of estimate.py were chosen on; days 2–6 are the test.
"""

import heapq
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD_FLAG = "YICHUANG_BENCH_QUEUE_WAIT_CHILD"
SEEDS = [1, 2, 3, 4, 5, 6]
TARGET = 0.85

ZONES = [
    # code, name, letter, windows, mean minutes per person, coefficient of variation
    ("zh", "综合审批服务区", "A", 6, 9.0, 0.7),
    ("bdc", "不动产登记服务专区", "B", 4, 15.0, 0.6),
    ("qy", "企业开办服务专区", "C", 2, 20.0, 0.5),
    ("ga", "公安/人社/医保服务专区", "D", 3, 6.0, 0.8),
]
# Walk-in arrivals over the day as a share of the zone's capacity (windows / mean service time).
PROFILE = [
    (9 * 60, 9 * 60 + 30, 0.8),
    (9 * 60 + 30, 10 * 60 + 30, 1.15),
    (10 * 60 + 30, 12 * 60, 0.9),
    (13 * 60 + 30, 14 * 60 + 30, 0.85),
    (14 * 60 + 30, 15 * 60 + 30, 1.1),
    (15 * 60 + 30, 17 * 60, 0.75),
]
APPOINTMENT_SHARE = 0.12  # hourly slots, capacity 12 % of the zone's hourly capacity (at least 1)
PRIORITY_SHARE = 0.08
NO_SHOW_SHARE = 0.05
TRANSFER_SHARE = 0.02
APPOINTMENT_SHOW = 0.85
REACTION = 0.2  # minutes from a window being free to pressing 叫号
RECALL_EVERY = 1.0
BREAKS = [("zh", 10 * 60 + 30, 30), ("bdc", 15 * 60, 30)]
OPEN = [(9 * 60, 12 * 60), (13 * 60 + 30, 17 * 60 + 30)]
LAST_TICKET = 17 * 60


# --- child: one simulated day -------------------------------------------------------------------------


def lognormal(rng: random.Random, mean: float, cv: float) -> float:
    import math

    sigma = math.sqrt(math.log(1 + cv * cv))
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def simulate_day(seed: int) -> list[dict]:
    import datetime as dt

    from django.utils import timezone

    from yichuang.organisation import services as org_services
    from yichuang.organisation.models import OpeningPeriod, Site, User, Window, Zone
    from yichuang.organisation.roles import Role
    from yichuang.queue import estimate, services
    from yichuang.queue.models import AppointmentSlot, Ticket

    # What the estimator was given for each ticket, so that other calibrations can be replayed on the same day.
    captured: list[dict] = []
    real_wait_range = estimate.wait_range

    def recording_wait_range(**kwargs):
        service = kwargs["service"]
        captured.append(
            {
                "minute": round(minute_of(kwargs["now"]), 3),
                "ahead": kwargs["ahead"],
                "servers": kwargs["servers"],
                "busy": kwargs["busy"],
                "mean": service.mean,
                "sd": service.sd,
                "jump_rate": kwargs.get("jump_rate", 0.0),
            }
        )
        return real_wait_range(**kwargs)

    estimate.wait_range = recording_wait_range
    inputs: dict[int, dict] = {}

    rng = random.Random(seed)
    today = timezone.localdate()
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time()))

    def at(minute: float) -> dt.datetime:
        return midnight + dt.timedelta(minutes=minute)

    def minute_of(moment: dt.datetime) -> float:
        return (moment - midnight).total_seconds() / 60

    from django.contrib.auth.models import Group

    clerk_group, _ = Group.objects.get_or_create(name=str(Role.WINDOW_CLERK))
    site = Site.objects.create(code=f"sim{seed}", name=f"模拟大厅{seed}", division_code="411624")
    for a, b in OPEN:
        OpeningPeriod.objects.create(site=site, weekday=today.weekday(), start=at(a).time(), end=at(b).time())
    zones, windows, clerks, params = {}, {}, {}, {}
    number = 1
    for code, name, letter, n_windows, mean, cv in ZONES:
        zone = Zone.objects.create(
            site=site, code=f"{code}{seed}", name=name, kind=Zone.Kind.COMPREHENSIVE, ticket_letter=letter
        )
        zones[code], params[code] = zone, (mean, cv, n_windows)
        windows[code] = []
        for _ in range(n_windows):
            window = Window.objects.create(zone=zone, number=number, name=f"窗口{number}", kind=Window.Kind.INTAKE)
            clerk = User.objects.create(username=f"sim{seed}-{number}")
            clerk.groups.add(clerk_group)
            org_services.take_seat(clerk, window)
            windows[code].append(window)
            clerks[window.pk] = clerk
            number += 1

    events: list = []
    counter = [0]

    def push(minute: float, kind: str, **data):
        counter[0] += 1
        heapq.heappush(events, (minute, counter[0], kind, data))

    # Walk-ins.
    for code, (mean, _cv, n_windows) in params.items():
        for start, end, share in PROFILE:
            rate = share * n_windows / mean  # per minute
            t = start + rng.expovariate(rate)
            while t < min(end, LAST_TICKET):
                push(t, "arrive", zone=code, priority=rng.random() < PRIORITY_SHARE)
                t += rng.expovariate(rate)
    # Appointments: booked the day before (now: 8:00), coming around their slot.
    for code, zone in zones.items():
        mean, _cv, n_windows = params[code]
        capacity = max(1, round(APPOINTMENT_SHARE * 60 * n_windows / mean))
        for a, b in OPEN:
            slot_start = a
            while slot_start + 60 <= min(b, LAST_TICKET) or slot_start == a:
                slot = AppointmentSlot.objects.create(
                    zone=zone,
                    date=today,
                    start=at(slot_start).time(),
                    end=at(slot_start + 60).time(),
                    capacity=capacity,
                )
                for i in range(capacity):
                    booked = services.book_appointment(
                        slot, name="模拟", phone=f"139{seed:02d}{counter[0]:04d}{i:02d}", now=at(8 * 60)
                    )
                    counter[0] += 1
                    if rng.random() < APPOINTMENT_SHOW:
                        push(slot_start + rng.uniform(-25, 15), "check_in", code=booked.code)
                slot_start += 60
    for code, start, length in BREAKS:
        push(start, "break", zone=code, length=length)
    idle: dict[str, list[int]] = {code: [] for code in zones}
    for code in zones:
        for window in windows[code]:
            push(OPEN[0][0], "free", zone=code, window=window.pk)
    window_by_id = {w.pk: (code, w) for code, ws in windows.items() for w in ws}
    on_break: set[int] = set()
    away: set[int] = set()
    fate: dict[int, str] = {}

    def wake(code: str, minute: float):
        if idle[code]:
            push(minute + REACTION, "free", zone=code, window=idle[code].pop(0))

    def opening_at(minute: float) -> float | None:
        """When windows may call at or after `minute` (None: now)."""
        for a, b in OPEN:
            if minute < a:
                return a
            if minute < b:
                return None
        return None  # after closing: the queue is served until empty

    while events:
        minute, _n, kind, data = heapq.heappop(events)
        now = at(minute)
        if kind == "arrive":
            ticket = services.issue_ticket(zones[data["zone"]], priority=data["priority"], now=now)
            inputs[ticket.pk] = captured.pop()
            fate[ticket.pk] = (
                "no_show"
                if rng.random() < NO_SHOW_SHARE
                else ("transfer" if data["zone"] == "ga" and rng.random() < TRANSFER_SHARE else "serve")
            )
            wake(data["zone"], minute)
        elif kind == "check_in":
            try:
                ticket, _in_time = services.check_in(data["code"], now=now)
            except services.Conflict:  # too early: wait until the window opens
                push(minute + 1, "check_in", **data)
                continue
            inputs[ticket.pk] = captured.pop()
            fate[ticket.pk] = "serve"
            wake(ticket.zone.code.rstrip("0123456789"), minute)
        elif kind == "break":
            code = data["zone"]
            window = windows[code][0]
            on_break.add(window.pk)
            if window.pk in idle[code]:
                idle[code].remove(window.pk)
                org_services.leave_seat(clerks[window.pk])
                away.add(window.pk)
            push(minute + data["length"], "back", zone=code, window=window.pk)
        elif kind == "back":
            on_break.discard(data["window"])
            if data["window"] in away:
                away.discard(data["window"])
                org_services.take_seat(clerks[data["window"]], window_by_id[data["window"]][1])
                push(minute, "free", zone=data["zone"], window=data["window"])
        elif kind == "free":
            code, window = window_by_id[data["window"]]
            if data["window"] in on_break:
                org_services.leave_seat(clerks[window.pk])
                away.add(window.pk)
                continue
            resume = opening_at(minute)
            if resume is not None:
                push(resume, "free", **data)
                continue
            ticket = services.call_next(window, clerks[window.pk], now=now)
            if ticket is None:
                idle[code].append(window.pk)
                continue
            what = fate.get(ticket.pk, "serve")
            if what == "no_show":
                push(minute + RECALL_EVERY, "recall", zone=code, window=window.pk, ticket=ticket.pk, n=2)
            else:
                mean, cv, _n = params[code]
                push(
                    minute + lognormal(rng, mean, cv),
                    "done",
                    zone=code,
                    window=window.pk,
                    ticket=ticket.pk,
                    transfer=(what == "transfer"),
                )
        elif kind == "recall":
            ticket = Ticket.objects.get(pk=data["ticket"])
            clerk = clerks[data["window"]]
            if data["n"] <= 3:
                services.recall(ticket, clerk, now=now)
                push(minute + RECALL_EVERY, "recall", **{**data, "n": data["n"] + 1})
            else:
                services.mark_no_show(ticket, clerk, now=now)
                push(minute, "free", zone=data["zone"], window=data["window"])
        elif kind == "done":
            ticket = Ticket.objects.get(pk=data["ticket"])
            clerk = clerks[data["window"]]
            if data["transfer"]:
                fate[ticket.pk] = "serve"
                services.transfer(ticket, zones["zh"], clerk, front=True, now=now)
                wake("zh", minute)
            else:
                services.finish(ticket, clerk, now=now)
            push(minute, "free", zone=data["zone"], window=data["window"])

    rows = []
    for t in Ticket.objects.filter(issued_zone__site=site).select_related("issued_zone"):
        if t.first_called_at is None:
            continue
        actual = (t.first_called_at - t.issued_at).total_seconds() / 60
        rows.append(
            {
                "zone": t.issued_zone.code.rstrip("0123456789"),
                "kind": "priority"
                if t.priority
                else ("appointment" if t.booked else ("late appointment" if t.appointment_id else "walk-in")),
                "issued": round(minute_of(t.issued_at), 2),
                "ahead": t.ahead_at_issue,
                "low": t.wait_low,
                "high": t.wait_high,
                "actual": round(actual, 3),
                "inputs": inputs[t.pk],
            }
        )
    estimate.wait_range = real_wait_range
    return rows


def child() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yichuang.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seeds = [int(s) for s in os.environ[CHILD_FLAG].split(",")]
    out = {seed: simulate_day(seed) for seed in seeds}
    print(json.dumps(out))


# --- parent: run the days, report ---------------------------------------------------------------------


def run_days(seeds: list[int], extra_env: dict | None = None) -> dict[int, list[dict]]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            CHILD_FLAG: ",".join(map(str, seeds)),
            "DATABASE_URL": f"sqlite:///{tmp}/sim.sqlite3",
            "YICHUANG_VAR_DIR": tmp,
            "DJANGO_SETTINGS_MODULE": "yichuang.settings",
            **(extra_env or {}),
        }
        done = subprocess.run(
            [sys.executable, "-m", "bench.queue_wait"], env=env, cwd=ROOT, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise SystemExit(done.stderr[-4000:])
        return {int(k): v for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def summary(rows: list[dict]) -> dict:
    inside = [r for r in rows if r["low"] <= r["actual"] <= r["high"]]
    below = [r["low"] - r["actual"] for r in rows if r["actual"] < r["low"]]
    above = [r["actual"] - r["high"] for r in rows if r["actual"] > r["high"]]
    return {
        "n": len(rows),
        "coverage": len(inside) / len(rows) if rows else 0.0,
        "below": len(below),
        "below_median": statistics.median(below) if below else 0.0,
        "below_p90": pct(below, 0.9),
        "above": len(above),
        "above_median": statistics.median(above) if above else 0.0,
        "above_p90": pct(above, 0.9),
        "width": statistics.mean(r["high"] - r["low"] for r in rows) if rows else 0.0,
        "wait": statistics.mean(r["actual"] for r in rows) if rows else 0.0,
        "wait_p90": pct([r["actual"] for r in rows], 0.9),
    }


def line(label: str, s: dict) -> str:
    return (
        f"  {label:<22} {s['n']:5d} tickets  inside {s['coverage'] * 100:5.1f} %   "
        f"below {s['below']:4d} (median {s['below_median']:4.1f}, p90 {s['below_p90']:4.1f} min)   "
        f"above {s['above']:4d} (median {s['above_median']:4.1f}, p90 {s['above_p90']:4.1f} min)   "
        f"width {s['width']:4.1f} min   wait mean {s['wait']:5.1f}, p90 {s['wait_p90']:5.1f} min"
    )


def replay(rows: list[dict], calibration) -> list[dict]:
    """The same tickets with the ranges another calibration would have given."""
    import datetime as dt
    import zoneinfo

    from yichuang.queue import estimate

    tz = zoneinfo.ZoneInfo("Asia/Shanghai")
    midnight = dt.datetime(2026, 11, 30, tzinfo=tz)
    periods = [
        ((midnight + dt.timedelta(minutes=a)).time(), (midnight + dt.timedelta(minutes=b)).time()) for a, b in OPEN
    ]
    out = []
    for r in rows:
        i = r["inputs"]
        low, high = estimate.wait_range(
            now=midnight + dt.timedelta(minutes=i["minute"]),
            ahead=i["ahead"],
            servers=i["servers"],
            busy=i["busy"],
            service=estimate.ServiceTime(i["mean"], i["sd"], 0),
            jump_rate=i["jump_rate"],
            periods=periods,
            calibration=calibration,
        )
        out.append({**r, "low": low, "high": high})
    return out


def calibrate() -> None:
    """Grid search on day 1 only: the narrowest ranges that contain ≥ 88 % of its tickets' waits."""
    import itertools

    from yichuang.queue.estimate import CALIBRATION, Calibration

    rows = run_days(SEEDS[:1])[SEEDS[0]]
    mismatches = sum(
        1
        for a, b in zip(replay(rows, CALIBRATION), rows, strict=True)
        if (a["low"], a["high"]) != (b["low"], b["high"])
    )
    print(f"replay of day 1 with the current calibration: {mismatches} of {len(rows)} ranges differ from the day's")
    results = []
    for z_low, z_high, rel, absolute in itertools.product(
        (0.8, 1.0, 1.2, 1.4, 1.6), (1.0, 1.2, 1.4, 1.6, 1.8, 2.0), (0.0, 0.1, 0.15, 0.2, 0.25, 0.3), (0.0, 0.5, 1.0)
    ):
        cal = Calibration(z_low, z_high, rel, absolute)
        s = summary(replay(rows, cal))
        results.append((s["coverage"] >= 0.88, -s["width"], s["coverage"], s["below"], s["above"], cal))
    results.sort(key=lambda x: (x[0], x[1]), reverse=True)
    for _ok, width, coverage, below, above, cal in results[:10]:
        print(f"  {cal}  inside {coverage * 100:5.1f} % (below {below}, above {above})  width {-width:5.1f} min")


def main() -> None:
    days = run_days(SEEDS)
    print(f"simulated days {SEEDS} (day 1 was used to choose the estimator's constants; days 2–6 are the test)")
    for seed, rows in days.items():
        print(line(f"day {seed}", summary(rows)))
    test = [r for seed, rows in days.items() if seed != SEEDS[0] for r in rows]
    overall = summary(test)
    print(line("days 2–6", overall))
    print(line("  someone ahead", summary([r for r in test if r["ahead"] > 0])))
    for kind in ("walk-in", "priority", "appointment", "late appointment"):
        part = [r for r in test if r["kind"] == kind]
        if part:
            print(line(f"  {kind}", summary(part)))
    for code, *_ in ZONES:
        print(line(f"  zone {code}", summary([r for r in test if r["zone"] == code])))
    for lo, hi, label in ((0, 0, "0 ahead"), (1, 5, "1–5 ahead"), (6, 15, "6–15 ahead"), (16, 10**6, "16+ ahead")):
        print(line(f"  {label}", summary([r for r in test if lo <= r["ahead"] <= hi])))
    verdict = "met" if overall["coverage"] >= TARGET else "NOT met"
    print(f"target: the range contains the actual wait for ≥ {TARGET:.0%} of tickets — {verdict}")


if __name__ == "__main__":
    if os.environ.get(CHILD_FLAG):
        child()
    elif "--calibrate" in sys.argv:
        calibrate()
    else:
        main()
