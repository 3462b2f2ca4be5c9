"""The live hall (`/hall/`) of a big hall on PostgreSQL (`python -m bench hall_live`).

A scratch database `bench_hall_live` (see bench/_scratch.py). The child creates the back office's hall
(bench/backoffice.py: a site, 30 departments) with 200,000 cases (20 % of its load; a tenth open, some red
and yellow), then 50 zones × 6 windows = 300 windows with a clerk seated at each, and a day of history up to
"now" (Wednesday 2026-12-02 16:30): per window the tickets it finished since 08:30 (about 40) with their events
(issued, called, served, finished), 600 tickets waiting, 4,000 ratings of the day (5 % bad).

Timed (REPEATS rounds after WARMUP, milliseconds p50/p95/p99):

* **live state** — `hall.queries.compute(site)`: every figure of the page, what one refresh of the cache costs.
  Target p95 < 50 ms.
* **cache hit** — `hall.queries.live(site)` within the cache period (the database cache, as without Redis).
* **50 dashboards** — fifty signed-in dashboards polling `/hall/feed.json` every HALL_POLL_SECONDS for
  DASHBOARD_SECONDS (Django's test client: the whole middleware stack, sessions and the database cache; one
  thread serves them all in turn): requests per second, each request's latency, and the share of one core the
  serving thread was busy — what fifty open dashboards cost the server.
"""

import datetime as dt
import os
import time

from bench._scratch import load, percentiles, run_in_scratch_database

PG_BENCH_DB = "bench_hall_live"
CHILD_FLAG = "YICHUANG_BENCH_HALL_LIVE_CHILD"
# The afternoon of the back office bench's day (its cases are dated from its 10:00): a whole day of tickets.
NOW = dt.datetime(2026, 12, 2, 16, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
ZONES, WINDOWS_PER_ZONE = 50, 6
FINISHED_PER_WINDOW = 60  # at most: a window finishes what fits between 08:30 and now
OPEN_TICKETS = 600
RATINGS = 4000
REPEATS, WARMUP = 100, 10
TARGET_MS = 50.0
DASHBOARDS = 50
DASHBOARD_SECONDS = int(os.environ.get("YICHUANG_BENCH_DASHBOARD_SECONDS", "30"))


def main() -> None:
    if os.environ.get(CHILD_FLAG):
        child()
        return
    run_in_scratch_database("bench.hall_live", PG_BENCH_DB, CHILD_FLAG)


def create_windows_and_day(site_id: int) -> dict:
    """Zones, windows, seated clerks and the day's tickets, events and ratings (bulk inserts)."""
    import random

    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from yichuang.feedback.models import Evaluation
    from yichuang.organisation.models import Seat, User, Window, Zone
    from yichuang.organisation.roles import Role
    from yichuang.queue.models import Ticket, TicketEvent

    rng = random.Random(7)
    date = NOW.date()
    opening = NOW.replace(hour=8, minute=30)
    letters = [chr(ord("A") + i) for i in range(26)]
    with transaction.atomic():
        clerk_group = Group.objects.get_or_create(name=str(Role.WINDOW_CLERK))[0]
        manager = User.objects.create_user(username="manager", password=None)
        manager.groups.add(Group.objects.get_or_create(name=str(Role.HALL_ADMIN))[0])
        # One site has 26 ticket letters, so a 50-zone hall does not exist yet; what the page reads does not
        # depend on letters, so the scratch database lets zones share them (the constraint dropped here only).
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {Zone._meta.db_table} DROP CONSTRAINT unique_ticket_letter_per_site")
        Zone.objects.bulk_create(
            [
                Zone(site_id=site_id, code=f"lz{z:02d}", name=f"服务区{z:02d}", kind=Zone.Kind.COMPREHENSIVE,
                     ticket_letter=letters[z % 26], order=z)
                for z in range(ZONES)
            ]
        )  # fmt: skip
        zones = list(Zone.objects.filter(site_id=site_id).order_by("order"))
        windows = []
        number = 1
        for zone in zones:
            for _ in range(WINDOWS_PER_ZONE):
                windows.append(Window(zone=zone, number=number, name=f"窗口{number}", kind=Window.Kind.INTAKE))
                number += 1
        Window.objects.bulk_create(windows)
        windows = list(Window.objects.filter(zone__site_id=site_id).order_by("number"))
        clerks = User.objects.bulk_create([User(username=f"clerk{w.number}", password="!") for w in windows])
        clerk_group.user_set.add(*clerks)
        Seat.objects.bulk_create(
            [Seat(window=w, user=c, date=date, since=opening) for w, c in zip(windows, clerks, strict=True)]
        )
        tickets, seq = [], {}
        for w, clerk in zip(windows, clerks, strict=True):
            t = opening
            for _ in range(FINISHED_PER_WINDOW):
                issued = t + dt.timedelta(minutes=rng.uniform(0, 1))
                called = issued + dt.timedelta(minutes=rng.uniform(0, 3))
                finished = called + dt.timedelta(minutes=rng.uniform(2, 12))
                if finished > NOW:
                    break
                seq[w.zone_id] = seq.get(w.zone_id, 0) + 1
                tickets.append(
                    Ticket(
                        zone_id=w.zone_id, issued_zone_id=w.zone_id, date=date, seq=seq[w.zone_id],
                        number=f"A{seq[w.zone_id]:03d}", status=Ticket.Status.FINISHED, issued_at=issued,
                        queued_at=issued, called_at=called, first_called_at=called, served_at=called,
                        finished_at=finished, call_count=1, window=w, called_by=clerk,
                    )
                )  # fmt: skip
                t = finished
        for i in range(OPEN_TICKETS):
            zone = zones[i % ZONES]
            seq[zone.pk] = seq.get(zone.pk, 0) + 1
            issued = NOW - dt.timedelta(minutes=rng.uniform(0, 40))
            tickets.append(
                Ticket(
                    zone=zone, issued_zone=zone, date=date, seq=seq[zone.pk], number=f"A{seq[zone.pk]:03d}",
                    status=Ticket.Status.WAITING, issued_at=issued, queued_at=issued,
                )
            )  # fmt: skip
        Ticket.objects.bulk_create(tickets, batch_size=2000)
        events = []
        for ticket in Ticket.objects.filter(zone__site_id=site_id, date=date).iterator():
            events.append(TicketEvent(ticket=ticket, kind="issued", at=ticket.issued_at, zone_id=ticket.zone_id))
            if ticket.called_at:
                for kind, at in (
                    ("called", ticket.called_at),
                    ("served", ticket.served_at),
                    ("finished", ticket.finished_at),
                ):  # noqa: E501
                    events.append(
                        TicketEvent(ticket=ticket, kind=kind, at=at, zone_id=ticket.zone_id,
                                    window_id=ticket.window_id, staff_id=ticket.called_by_id)
                    )  # fmt: skip
        TicketEvent.objects.bulk_create(events, batch_size=5000)
        finished = list(Ticket.objects.filter(zone__site_id=site_id, date=date, status="finished")[:RATINGS])
        Evaluation.objects.bulk_create(
            [
                Evaluation(
                    ticket=t, channel="pad", level=1 if i % 20 == 0 else rng.choice([4, 5, 5]), window_id=t.window_id,
                    staff_id=t.called_by_id, zone_id=t.zone_id, created_at=t.finished_at,
                )
                for i, t in enumerate(finished)
            ],
            batch_size=2000,
        )  # fmt: skip
    return {"manager": manager.pk, "tickets": len(tickets), "events": len(events), "windows": len(windows)}


def child() -> None:
    import django

    os.environ["YICHUANG_BENCH_SCALE"] = os.environ.get("YICHUANG_BENCH_CASES_SCALE", "0.1")
    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from bench import backoffice
    from yichuang.hall import queries
    from yichuang.organisation.models import Site

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    print(f"PostgreSQL {connection.pg_version}; migrated in {time.perf_counter() - t0:.1f} s; {load()}", flush=True)
    hall = backoffice.create_hall()
    print(f"loading {backoffice.N_CASES:,} cases …", flush=True)
    backoffice.bulk_load(hall)
    made = create_windows_and_day(hall["site"])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    site = Site.objects.get(pk=hall["site"])
    print(
        f"hall: {ZONES} zones, {made['windows']} windows seated; today {made['tickets']:,} tickets, "
        f"{made['events']:,} events, {RATINGS:,} ratings; {load()}",
        flush=True,
    )

    state = queries.compute(site, NOW)
    print(
        f"state at {state['at']}: waiting {state['totals']['waiting']}, served {state['totals']['served']}, "
        f"cases red {state['cases']['red']} / yellow {state['cases']['yellow']}, bad ratings {state['ratings']['bad']}"
    )
    timings = []
    for i in range(WARMUP + REPEATS):
        start = time.perf_counter()
        queries.compute(site, NOW)
        if i >= WARMUP:
            timings.append((time.perf_counter() - start) * 1000)
    p = percentiles(timings)
    verdict = "met" if p[1] < TARGET_MS else "NOT met"
    print(f"live state (compute): {fmt(p)} — target p95 < {TARGET_MS:.0f} ms: {verdict}", flush=True)

    cache.clear()
    queries.live(site)
    hits = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        queries.live(site)
        hits.append((time.perf_counter() - start) * 1000)
    print(f"cache hit (live within the cache period): {fmt(percentiles(hits))}", flush=True)
    dashboards(made["manager"])


def fmt(p: tuple[float, float, float]) -> str:
    return f"p50 {p[0]:.1f} ms, p95 {p[1]:.1f} ms, p99 {p[2]:.1f} ms"


def dashboards(manager_pk: int) -> None:
    """Fifty dashboards polling the feed on the real clock for DASHBOARD_SECONDS, served by one thread."""
    import random

    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from yichuang.organisation.models import User

    settings.ALLOWED_HOSTS = ["*"]
    settings.AXES_ENABLED = False  # force_login has no client address for the sign-in throttle to record
    manager = User.objects.get(pk=manager_pk)
    clients = []
    for _ in range(DASHBOARDS):
        client = Client()
        client.force_login(manager)  # each its own session, as fifty browsers
        clients.append(client)
    url = reverse("hall:feed") + "?site=bench"
    period = settings.HALL_POLL_SECONDS
    rng = random.Random(3)
    due = sorted((rng.uniform(0, period), i) for i in range(DASHBOARDS))
    latencies, busy = [], 0.0
    started = time.perf_counter()
    cpu0 = time.process_time()
    end = started + DASHBOARD_SECONDS
    while due:
        at, i = due.pop(0)
        moment = started + at
        if moment >= end:
            break
        pause = moment - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        t = time.perf_counter()
        response = clients[i].get(url)
        took = time.perf_counter() - t
        assert response.status_code == 200, response.status_code
        latencies.append((time.perf_counter() - moment) * 1000)
        busy += took
        due.append((at + period, i))
        due.sort()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    p = percentiles(latencies)
    print(
        f"{DASHBOARDS} dashboards polling every {period} s for {seconds:.0f} s "
        f"(cache {settings.HALL_LIVE_CACHE_SECONDS} s): {len(latencies) / seconds:.1f} requests/s, {fmt(p)}; "
        f"the serving thread busy {busy / seconds * 100:.1f} % of the time, its process "
        f"{cpu / seconds * 100:.1f} % of one core (PostgreSQL's share not included); {load()}",
        flush=True,
    )


if __name__ == "__main__":
    main()
