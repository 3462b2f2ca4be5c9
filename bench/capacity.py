"""窗口承载力: what the capacity planner costs (`python -m bench capacity`).

In a temporary SQLite database (a child process): migrate, load the Shenqiu demo hall (`demo.hall.load_demo`) and
its weeks of ticket history (`queue.demo.load_history_weeks`, as `yichuang demo` does — both timed: this is what
`make demo` adds), then time, as the median of several rounds:

* the Erlang search for about 300 windows: `minimum_windows` at a load of 280 erlangs (2,100 tickets an hour,
  8 minutes each, 80 % within 5 minutes) by Erlang C, and by Erlang A with a 20-minute patience; one evaluation
  of each at 300 windows;
* the plan of one zone (its history, Erlang C and A per half hour, the simulated day: 20 replications);
* the plan of every zone of the demo hall for a Monday (10 replications each, as the page does), and a merge;
* the page `/hall/capacity/` through Django's test client as the hall admin: every zone (with the wait-estimate
  accuracy of each), and one zone with a merge.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD_FLAG = "YICHUANG_BENCH_CAPACITY_CHILD"


def timed(fn, rounds: int) -> tuple[float, object]:
    """Median milliseconds of `rounds` calls, and the last result."""
    times, result = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def child() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from yichuang.demo import hall as demo
    from yichuang.hall.capacity import erlang, plan
    from yichuang.organisation.models import Site, User, Zone
    from yichuang.queue.demo import HISTORY_WEEKS, load_history_weeks
    from yichuang.queue.models import Ticket

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    started = time.perf_counter()
    demo.load_demo()
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    line = load_history_weeks(weeks=HISTORY_WEEKS)
    history = time.perf_counter() - started
    site = Site.objects.get(is_default=True)
    print(f"demo: load_demo {loaded:.1f} s; {line}: {history:.1f} s; {Ticket.objects.count():,} tickets in all")

    rows = []
    ms, c = timed(lambda: erlang.minimum_windows(2100, 8, 0.8, 5), 20)
    rows.append(("Erlang C: fewest windows, a = 280", ms, f"{c.windows} windows, {c.service_level:.3f}"))
    ms, a = timed(lambda: erlang.minimum_windows(2100, 8, 0.8, 5, 20), 20)
    rows.append(("Erlang A (patience 20 min): fewest windows, a = 280", ms, f"{a.windows} windows"))
    ms, _ = timed(lambda: erlang.performance(2100, 8, 300, 5), 50)
    rows.append(("Erlang C: one evaluation at 300 windows", ms, ""))
    ms, _ = timed(lambda: erlang.performance(2100, 8, 300, 5, 20), 50)
    rows.append(("Erlang A: one evaluation at 300 windows", ms, ""))

    zones = list(Zone.objects.filter(site=site).select_related("site").order_by("order", "code"))
    busiest = max(zones, key=lambda z: Ticket.objects.filter(issued_zone=z).count())
    one = plan.Options(replications=20)
    ms, p = timed(lambda: plan.plan_zone(busiest, 0, one), 5)
    rows.append((f"plan of one zone ({busiest.code}, 20 simulated days)", ms, f"{sum(p.arrivals):.0f} a day"))
    every = plan.Options(replications=10)
    ms, plans = timed(lambda: plan.plan_zones(zones, 0, every), 3)
    rows.append((f"plans of all {len(zones)} zones (10 simulated days each)", ms, ""))
    by_code = {p.zone.code: p for p in plans}
    ms, merged = timed(lambda: plan.merge(by_code["sq-fund"], by_code["sq-enterprise"]), 5)
    rows.append(
        ("merge of two zones (2 × 10 simulated days)", ms, f"{merged.window_hours_saved:.1f} window hours saved")
    )

    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(username="admin"))

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response

    every_zone = "/hall/capacity/?zone=&weekday=1&weeks=4&target=80&within=10&patience=on"
    ms, page = timed(lambda: get(every_zone), 3)
    assert b'id="accuracy-table"' in page.content and b'id="roster-table"' in page.content
    rows.append(("page: every zone, with the wait-estimate accuracy of each", ms, ""))
    url = (
        "/hall/capacity/?zone=sq-comprehensive&weekday=1&weeks=4&target=80&within=10&patience=on"
        "&merge_a=sq-fund&merge_b=sq-enterprise"
    )
    ms, page = timed(lambda: get(url), 3)
    assert b'id="merge-headline"' in page.content and b'id="slot-table"' in page.content
    rows.append(("page: one zone and a merge", ms, ""))

    print("| what | median ms | result |")
    print("|---|---:|---|")
    for what, ms, note in rows:
        print(f"| {what} | {ms:,.2f} | {note} |" if ms < 10 else f"| {what} | {ms:,.0f} | {note} |")


def main() -> None:
    from bench._scratch import load, machine

    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M %Z')}; {load()}")
    with tempfile.TemporaryDirectory(prefix="bench-capacity-") as tmp:
        env = {
            **os.environ,
            CHILD_FLAG: "1",
            "DATABASE_URL": f"sqlite:///{tmp}/capacity.sqlite3",
            "DJANGO_SETTINGS_MODULE": "yichuang.settings",
            "SECRET_KEY": "bench-only-not-secret",
            "LOG_LEVEL": "WARNING",
            "YICHUANG_VAR_DIR": tmp,
        }
        code = subprocess.run([sys.executable, "-m", "bench.capacity"], cwd=ROOT, env=env).returncode
    if code:
        print(f"the benchmark failed (exit {code})")
    print(load())


if __name__ == "__main__":
    if os.environ.get(CHILD_FLAG):
        child()
    else:
        main()
