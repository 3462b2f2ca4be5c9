"""一号服务 over HTTP: granian (WSGI, 2 workers, --blocking-threads 1) with PostgreSQL, a mixed load of issuing
and calling with 30 windows calling at once for 60 s (`python -m bench queue_http`).

- A scratch database `bench_queue` on the server of $DATABASE_URL (if postgres://) or
  postgres://postgres@127.0.0.1:5432/postgres, created, migrated and dropped by the benchmark.
- The hall: 5 zones × 6 windows = 30 windows, a clerk seated at each with an API token; a backlog of waiting
  tickets per zone issued through the services, so that calls find tickets from the first second.
- The load, open-loop (requests are sent on a schedule, whatever the answers; latency counts from the
  scheduled moment, so a late server cannot hide its lateness): 30 window threads, each calling its
  window every WINDOW_PERIOD seconds (start times spread at random) and finishing the ticket at once
  (POST /api/windows/{id}/call, then POST /api/tickets/{id}/finish); ISSUERS kiosk threads taking tickets
  (POST /api/tickets, no token, through the rate limiter with QUEUE_TICKET_RATE raised for the run) at
  ISSUE_RATE per second in all, spread over the zones, each kiosk from its own loopback address.
- Checked afterwards in the database: no ticket called twice (its 'called' events; the clients' answers),
  ticket numbers unique and gap-free per zone.
- Then, on the same machine in the same run, the bare claim statement (services.claim_sql("postgresql"))
  from psycopg, 30 threads in autocommit, for CLAIM_SECONDS: its rate, and the ratio between the two.
"""

import http.client
import json
import os
import random
import sys
import threading
import time

from bench._http import ROOT, drop_database, granian, pct, run_setup, scratch_database, server_env, wait_for_server

BENCH_DB = "bench_queue"
CHILD_FLAG = "YICHUANG_BENCH_QUEUE_HTTP_SETUP"
PORT = int(os.environ.get("YICHUANG_BENCH_PORT", "8765"))

ZONES = 5
WINDOWS_PER_ZONE = 6
BACKLOG_PER_ZONE = 150
SECONDS = int(os.environ.get("YICHUANG_BENCH_SECONDS", "60"))
WARMUP = 5
# YICHUANG_BENCH_SCALE multiplies the offered load (1.2: 20 % more), to see how much room there is.
SCALE = float(os.environ.get("YICHUANG_BENCH_SCALE", "1"))
WINDOW_PERIOD = 0.3 / SCALE  # each window calls every 300 ms: 100 calls/s + 100 finishes/s
ISSUERS = 6
ISSUE_RATE = 102.0 * SCALE  # tickets per second in all (a little more than are called: queues do not run dry)
CLAIM_SECONDS = 10
CLAIM_THREADS = 30
TARGET_OPS = 300
TARGET_CALL_P99_MS = 100


# --- setup child (Django) ------------------------------------------------------------------------------


def setup_child() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yichuang.settings")
    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from yichuang.organisation import services as org_services
    from yichuang.organisation.models import OpeningPeriod, Site, User, Window, Zone
    from yichuang.organisation.roles import Role
    from yichuang.queue import services

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    group, _ = Group.objects.get_or_create(name=str(Role.WINDOW_CLERK))
    site = Site.objects.create(code="bench", name="压测大厅", division_code="411624", is_default=True)
    for weekday in range(7):
        OpeningPeriod.objects.create(site=site, weekday=weekday, start="00:00", end="23:59")
    windows, zones = [], []
    number = 1
    for z in range(ZONES):
        zone = Zone.objects.create(
            site=site, code=f"bz{z}", name=f"压测服务区{z}", kind=Zone.Kind.COMPREHENSIVE, ticket_letter="ABCDEFGH"[z]
        )
        zones.append(zone.code)
        for _ in range(WINDOWS_PER_ZONE):
            window = Window.objects.create(zone=zone, number=number, name=f"窗口{number}", kind=Window.Kind.INTAKE)
            clerk = User.objects.create(username=f"bench{number}")
            clerk.groups.add(group)
            org_services.take_seat(clerk, window)
            windows.append({"id": window.pk, "zone": zone.code, "token": org_services.issue_api_token(clerk, "bench")})
            number += 1
        for _ in range(BACKLOG_PER_ZONE):
            services.issue_ticket(zone)
    print(json.dumps({"windows": windows, "zones": zones}))


# --- parent ----------------------------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = {"issue": [], "call": [], "finish": []}
        self.status: dict[str, dict[int, int]] = {"issue": {}, "call": {}, "finish": {}}
        self.called: list[int] = []
        self.errors: list[str] = []
        self.empty: list = []
        self.last_done = 0.0

    def add(self, kind: str, status: int, ms: float, measuring: bool):
        if not measuring:
            return
        self.last_done = max(self.last_done, time.monotonic())
        with self.lock:
            self.latency[kind].append(ms)
            self.status[kind][status] = self.status[kind].get(status, 0) + 1


def request(conn: http.client.HTTPConnection, path: str, body: dict | None = None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request("POST", path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def run_load(setup: dict) -> tuple[Recorder, float]:
    rec = Recorder()
    start = time.monotonic() + 1.0
    measure_from, stop_at = start + WARMUP, start + WARMUP + SECONDS

    def window_thread(window: dict):
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        rng = random.Random(window["id"])
        t = start + rng.uniform(0, WINDOW_PERIOD)
        try:
            while t < stop_at:
                delay = t - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                measuring = t >= measure_from
                status, data = request(conn, f"/api/windows/{window['id']}/call", token=window["token"])
                rec.add("call", status, (time.monotonic() - t) * 1000, measuring)
                if status == 204 and measuring and len(rec.empty) < 5:
                    rec.empty.append((round(time.monotonic() - start, 2), window["zone"]))
                if status == 200:
                    ticket = json.loads(data)["ticket"]["id"]
                    with rec.lock:
                        rec.called.append(ticket)
                    sent = time.monotonic()
                    status, _ = request(conn, f"/api/tickets/{ticket}/finish", token=window["token"])
                    rec.add("finish", status, (time.monotonic() - sent) * 1000, measuring)
                    if status != 200:
                        rec.errors.append(f"finish {ticket}: {status}")
                t += WINDOW_PERIOD
        except Exception as exc:  # reported, not hidden
            rec.errors.append(f"window {window['id']}: {exc!r}")
        finally:
            conn.close()

    def issuer_thread(i: int):
        # Each kiosk from its own address (127.0.0.11, .12 …), as kiosks in a hall: the rate limit counts
        # per address, and one address issues one ticket at a time.
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30, source_address=(f"127.0.0.{11 + i}", 0))
        rng = random.Random(1000 + i)
        period = ISSUERS / ISSUE_RATE
        t = start + rng.uniform(0, period)
        try:
            while t < stop_at:
                delay = t - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                zone = setup["zones"][rng.randrange(len(setup["zones"]))]
                status, _ = request(conn, "/api/tickets", {"zone": zone, "priority": rng.random() < 0.08})
                rec.add("issue", status, (time.monotonic() - t) * 1000, t >= measure_from)
                t += period
        except Exception as exc:
            rec.errors.append(f"issuer {i}: {exc!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=window_thread, args=(w,)) for w in setup["windows"]]
    threads += [threading.Thread(target=issuer_thread, args=(i,)) for i in range(ISSUERS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # Requests scheduled in the measured minute, over the time it took to answer them all: if the server
    # falls behind, this is longer than SECONDS and the rate shows it.
    return rec, max(SECONDS, rec.last_done - measure_from)


def check_database(url: str) -> dict:
    import psycopg

    with psycopg.connect(url) as conn:
        double = conn.execute(
            "SELECT count(*) FROM (SELECT ticket_id FROM queue_ticketevent WHERE kind = 'called' "
            "GROUP BY ticket_id HAVING count(*) > 1) d"
        ).fetchone()[0]
        duplicate_numbers = conn.execute(
            "SELECT count(*) FROM (SELECT issued_zone_id, date, number FROM queue_ticket "
            "GROUP BY issued_zone_id, date, number HAVING count(*) > 1) d"
        ).fetchone()[0]
        gaps = conn.execute(
            "SELECT count(*) FROM (SELECT issued_zone_id, date, max(seq) AS top, count(*) AS n FROM queue_ticket "
            "GROUP BY issued_zone_id, date) z WHERE top <> n"
        ).fetchone()[0]
        tickets = conn.execute("SELECT count(*) FROM queue_ticket").fetchone()[0]
        waiting = conn.execute(
            "SELECT z.code, count(t.id) FROM organisation_zone z LEFT JOIN queue_ticket t ON t.zone_id = z.id "
            "AND t.status = 'waiting' GROUP BY z.code ORDER BY z.code"
        ).fetchall()
        called = conn.execute("SELECT count(*) FROM queue_ticketevent WHERE kind = 'called'").fetchone()[0]
    return {
        "double_calls": double,
        "duplicate_numbers": duplicate_numbers,
        "zones_with_gaps": gaps,
        "tickets": tickets,
        "called_events": called,
        "waiting": dict(waiting),
    }


def bare_claim_rate(url: str) -> dict:
    """The claim statement alone: CLAIM_THREADS threads, autocommit, each claiming for CLAIM_SECONDS."""
    import datetime as dt

    import psycopg

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yichuang.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from types import SimpleNamespace

    from yichuang.queue.services import claim_params, claim_sql

    sql = claim_sql("postgresql")

    with psycopg.connect(url, autocommit=True) as conn:
        zones = [r[0] for r in conn.execute("SELECT id FROM organisation_zone ORDER BY id")]
        windows = conn.execute(
            "SELECT w.id, w.zone_id, s.user_id FROM organisation_window w "
            "JOIN organisation_seat s ON s.window_id = w.id AND s.until IS NULL ORDER BY w.id"
        ).fetchall()
        today = conn.execute("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date").fetchone()[0]
        # Enough waiting tickets that no claimer runs dry: numbered after the HTTP run's.
        for zone in zones:
            top = conn.execute(
                "SELECT coalesce(max(seq), 0) FROM queue_ticket WHERE issued_zone_id = %s AND date = %s", [zone, today]
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO queue_ticket (zone_id, issued_zone_id, date, seq, number, status, source, priority, "
                "front, booked, phone, token, issued_at, queued_at, call_count, ahead_at_issue, wait_low, wait_high) "
                "SELECT %s, %s, %s, g, 'Z' || g, 'waiting', 'api', random() < 0.08, false, false, '', "
                "md5(random()::text || g), now(), now() + g * interval '1 microsecond', 0, 0, 0, 0 "
                "FROM generate_series(%s::int, %s::int) g",
                [zone, zone, today, top + 1, top + 40_000],
            )
        conn.execute("ANALYZE queue_ticket")
    counts = [0] * len(windows[:CLAIM_THREADS])
    empty = [0] * len(counts)
    claimed: list[list[int]] = [[] for _ in counts]
    barrier = threading.Barrier(len(counts))
    stop = [0.0]

    errors: list[str] = []

    def claimer(i: int, window_id: int, zone_id: int, user_id: int):
        # The same statement with window_id NULL: a window may hold one open ticket only (a unique index),
        # and the bare loop never finishes what it claims.
        window, zone, user = SimpleNamespace(pk=None), SimpleNamespace(pk=zone_id), SimpleNamespace(pk=user_id)
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                barrier.wait()
                if i == 0:
                    stop[0] = time.monotonic() + CLAIM_SECONDS
                while not stop[0]:
                    time.sleep(0.0001)
                while time.monotonic() < stop[0]:
                    params = claim_params(zone, today, window, user, dt.datetime.now(dt.UTC))
                    row = conn.execute(sql, params).fetchone()
                    if row:
                        counts[i] += 1
                        claimed[i].append(row[0])
                    else:
                        empty[i] += 1
        except Exception as exc:
            errors.append(repr(exc))

    threads = [
        threading.Thread(target=claimer, args=(i, w, z, u)) for i, (w, z, u) in enumerate(windows[:CLAIM_THREADS])
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    every = [t for c in claimed for t in c]
    if errors:
        raise SystemExit(f"bare claim failed: {errors[:3]}")
    return {
        "claims": sum(counts),
        "rate": sum(counts) / CLAIM_SECONDS,
        "empty": sum(empty),
        "double": len(every) - len(set(every)),
        "threads": len(counts),
    }


def wait_for_quiet(limit: float = 1.0, patience: float = 300.0) -> float:
    """The machine is shared: wait (up to `patience` s) until the 1-minute load average is below `limit`."""
    deadline = time.monotonic() + patience
    while os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        time.sleep(10)
    return os.getloadavg()[0]


def main() -> None:
    import psycopg

    base, url = scratch_database(BENCH_DB)
    env = server_env(url, QUEUE_TICKET_RATE="1000000/60")
    setup = run_setup("bench.queue_http", env, CHILD_FLAG)
    with granian(env, PORT) as proc:
        wait_for_server(proc, PORT, "/api/windows?site=bench")
        quiet = wait_for_quiet(patience=float(os.environ.get("YICHUANG_BENCH_PATIENCE", "300")))
        with psycopg.connect(url) as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
        rec, seconds = run_load(setup)
    checks = check_database(url)
    bare = bare_claim_rate(url)
    drop_database(base, BENCH_DB)

    ops = {k: len(v) for k, v in rec.latency.items()}
    total = sum(ops.values())
    load = os.getloadavg()
    print(
        f"granian WSGI, 2 workers, --blocking-threads 1; PostgreSQL {pg_version}; {len(setup['windows'])} windows "
        f"calling every {WINDOW_PERIOD * 1000:.0f} ms each, {ISSUERS} kiosks issuing {ISSUE_RATE:.0f}/s; "
        f"{SECONDS} s of load measured after {WARMUP} s warm-up (answered within {seconds:.1f} s); "
        f"load average {quiet:.1f} before, {load[0]:.1f} after"
    )
    for kind in ("issue", "call", "finish"):
        lat = rec.latency[kind]
        print(
            f"  {kind:<7} {ops[kind] / seconds:7.1f}/s   p50 {pct(lat, 0.5):6.1f}  p95 {pct(lat, 0.95):6.1f}  "
            f"p99 {pct(lat, 0.99):6.1f}  max {max(lat) if lat else 0:7.1f} ms   statuses {rec.status[kind]}"
        )
    calls_with_ticket = rec.status["call"].get(200, 0)
    print(f"  all     {total / seconds:7.1f} operations/s (target ≥ {TARGET_OPS})")
    print(
        f"  double calls: {checks['double_calls']} in the database (tickets with two 'called' events), "
        f"{len(rec.called) - len(set(rec.called))} in the clients' answers; duplicate numbers: "
        f"{checks['duplicate_numbers']}; zones with a gap in their numbers: {checks['zones_with_gaps']} "
        f"({checks['tickets']} tickets, {checks['called_events']} calls in all)"
    )
    print(f"  still waiting at the end: {checks['waiting']}; first empty calls (s, zone): {rec.empty}")
    if rec.errors:
        print(f"  client errors: {len(rec.errors)}, e.g. {rec.errors[:3]}")
    print(
        f"bare claim statement (psycopg, autocommit, {bare['threads']} threads, {CLAIM_SECONDS} s): "
        f"{bare['rate']:.0f} claims/s, {bare['empty']} empty, {bare['double']} double"
    )
    http_calls = calls_with_ticket / seconds
    print(
        f"ratio: HTTP calls {http_calls:.0f}/s = {http_calls / bare['rate'] * 100:.1f} % of the bare claim rate; "
        f"all HTTP operations {total / seconds:.0f}/s = {total / seconds / bare['rate'] * 100:.1f} %"
    )
    call_p99 = pct(rec.latency["call"], 0.99)
    ok = (
        total / seconds >= TARGET_OPS
        and call_p99 < TARGET_CALL_P99_MS
        and checks["double_calls"] == 0
        and checks["duplicate_numbers"] == 0
        and checks["zones_with_gaps"] == 0
        and not rec.errors
    )
    print(
        f"targets (≥ {TARGET_OPS} ops/s, call p99 < {TARGET_CALL_P99_MS} ms, no double call, no duplicate "
        f"or missing number): {'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    if os.environ.get(CHILD_FLAG):
        setup_child()
    else:
        main()
