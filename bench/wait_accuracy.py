"""Honest wait estimates, measured against queueing theory (issue 16, item 5): `python -m bench wait_accuracy`.

Plays the six simulated days of bench/queue_wait.py (the same function, seeds and hall: four zones, peaks, 绿色通道,
no-shows, appointments, a transfer, breaks) through the real services in a temporary SQLite database, then replays
every ticket with `hall.capacity.accuracy` and prints per zone, over the test days 2–6 (day 1 chose the
estimator's constants): the share of real waits inside the range shown, the relative squared error of the point
estimate, 1 − ρ (what a queue-length predictor achieves in M/M/s) and the error of the last-to-enter-service
predictor on the same tickets; also how many replayed ranges equal the ones shown, and what the replay of one day of
the hall costs (statements and time).

One change to queue_wait's day: its clerks take and leave their seats on the real clock (organisation.services reads
timezone.now()), which is all the estimator needed while the day was played. The replay reads the seats' history,
so here seats are taken and left at the simulated time of the event being played.
"""

import datetime as dt
import heapq
import json
import os
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD_FLAG = "YICHUANG_BENCH_WAIT_ACCURACY_CHILD"
TEST_SEEDS = [2, 3, 4, 5, 6]


class SimulatedClock:
    """`django.utils.timezone` as organisation.services sees it while a day is simulated: now() is the simulated
    time of the event being played (08:00 before the first), everything else is Django's."""

    def __init__(self, real, midnight: dt.datetime):
        self.real, self.midnight, self.minute = real, midnight, None

    def now(self) -> dt.datetime:
        return self.midnight + dt.timedelta(minutes=8 * 60 if self.minute is None else self.minute)

    def __getattr__(self, name):
        return getattr(self.real, name)


def play(seed: int) -> None:
    """bench.queue_wait's day `seed`, with seats on the simulated clock."""
    from django.utils import timezone

    from bench import queue_wait
    from yichuang.organisation import services as org_services

    clock = SimulatedClock(timezone, timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time())))

    def heappop(heap):
        item = heapq.heappop(heap)
        clock.minute = item[0]
        return item

    queue_wait.heapq = types.SimpleNamespace(heappush=heapq.heappush, heappop=heappop)
    org_services.timezone = clock
    try:
        queue_wait.simulate_day(seed)
    finally:
        queue_wait.heapq, org_services.timezone = heapq, timezone


def child() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yichuang.settings")
    django.setup()
    from dataclasses import asdict

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.queue_wait import ZONES
    from yichuang.hall.capacity import accuracy
    from yichuang.organisation.models import Site

    call_command("migrate", verbosity=0)
    seeds = [int(s) for s in os.environ[CHILD_FLAG].split(",")]
    today = timezone.localdate()
    replays: dict[str, list] = {code: [] for code, *_ in ZONES}
    cost = {}
    for seed in seeds:
        play(seed)
        site = Site.objects.get(code=f"sim{seed}")
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            day = [(zone, accuracy.replay(zone, today, today)) for zone in site.zones.all()]
            elapsed = time.perf_counter() - started
        for zone, found in day:
            replays[zone.code.removesuffix(str(seed))].append(found)
        tickets = sum(len(found.tickets) for _zone, found in day)
        cost[seed] = {"statements": len(queries), "seconds": elapsed, "tickets": tickets}
    out = {
        "zones": {code: asdict(accuracy.summarise(found)) for code, found in replays.items()},
        "cost": cost,
    }
    print(json.dumps(out))


def run(seeds: list[int]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            CHILD_FLAG: ",".join(map(str, seeds)),
            "DATABASE_URL": f"sqlite:///{tmp}/sim.sqlite3",
            "YICHUANG_VAR_DIR": tmp,
            "DJANGO_SETTINGS_MODULE": "yichuang.settings",
        }
        done = subprocess.run(
            [sys.executable, "-m", "bench.wait_accuracy"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise SystemExit(done.stderr[-4000:])
        return json.loads(done.stdout.strip().splitlines()[-1])


def figure(value, pattern: str = "{:.3f}") -> str:
    return "—" if value is None else pattern.format(value)


def main() -> None:
    from bench.queue_wait import ZONES

    found = run(TEST_SEEDS)
    print(f"simulated days {TEST_SEEDS} of bench/queue_wait.py (its test days), every ticket replayed at its issue")
    print(
        f"  {'zone':<24} {'tickets':>7} {'called':>6} {'inside':>7} {'delayed':>7} {'mean wait':>9} "
        f"{'RSE ours':>8} {'1 − ρ':>6} {'ρ':>6} {'RSE LES':>7} {'replayed = shown':>16}"
    )
    for code, _name, _letter, windows, mean, _cv in ZONES:
        s = found["zones"][code]
        label = f"{code} ({windows} × {mean:g} min)"
        print(
            f"  {label:<24} {s['tickets']:>7} {s['called']:>6} {figure(s['inside_share'], '{:.1%}'):>7} "
            f"{s['delayed']:>7} {figure(s['mean_wait'], '{:.1f}'):>9} {figure(s['relative_squared_error']):>8} "
            f"{figure(s['theory_queue_length']):>6} {figure(s['utilisation']):>6} "
            f"{figure(s['last_to_enter_service_error']):>7} {s['replayed_as_shown']:>9} of {s['tickets']}"
        )
    called = sum(s["called"] for s in found["zones"].values())
    inside = sum(s["inside_share"] * s["called"] for s in found["zones"].values() if s["inside_share"] is not None)
    print(f"  all zones: {inside / called:.1%} of {called} called tickets inside the range shown")
    for seed, c in found["cost"].items():
        print(
            f"  replay of day {seed} (4 zones, {c['tickets']} tickets): {c['statements']} statements, "
            f"{c['seconds'] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    if os.environ.get(CHILD_FLAG):
        child()
    else:
        main()
