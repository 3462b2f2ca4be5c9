"""一窗受理 over HTTP: granian (WSGI, 2 workers, --blocking-threads 1) with PostgreSQL, intake of the 企业开办
bundle (6 cases, its merged materials, no files) by several clients at once (`python -m bench intake_http`).

- A scratch database `bench_intake` on the server of $DATABASE_URL (if postgres://) or
  postgres://postgres@127.0.0.1:5432/postgres, created, migrated and dropped by the benchmark.
- The hall: the Shenqiu demo (yichuang.demo: hall, staff seated today, catalogue); the two 企业开办 intake
  windows (10 and 11) each with its seated clerk's API token.
- Each request: POST /api/submissions with the bundle `enterprise-opening`, every required material of its
  merged list received, a new organisation (a valid unified social credit code) and its own Idempotency-Key —
  what a window sends for a real intake. The service checks everything (credit code, take-in rules of all six
  matters, material rules), then in one transaction writes the applicant, the submission, 16 material rows,
  6 cases with snapshots and due times, the number, the timeline, the audit event and the notification.
- Two runs on the same server: CLOSED (CLIENTS clients, each sending its next request when the last one is
  answered) for the capacity, then OPEN (requests sent on a schedule at RATE per second whatever the answers;
  latency counts from the scheduled moment, so a late server cannot hide its lateness) for the latency at the
  target rate. Each after a warm-up.
- Checked afterwards in the database: one submission per 201, no duplicate submission or case number, numbers
  gap-free per day, six well-formed case numbers per submission.

Environment: YICHUANG_BENCH_SECONDS (each run, default 30), YICHUANG_BENCH_RATE (open run, default 150),
YICHUANG_BENCH_CLIENTS (default 8), YICHUANG_BENCH_PORT (default 8766); YICHUANG_BENCH_WORKERS and
YICHUANG_BENCH_BLOCKING_THREADS (default 2 and 1, the deployment's settings) to try others.
"""

import itertools
import json
import os
import socket
import sys
import threading
import time

from bench._http import ROOT, drop_database, granian, pct, run_setup, scratch_database, server_env, wait_for_server

BENCH_DB = "bench_intake"
CHILD_FLAG = "YICHUANG_BENCH_INTAKE_HTTP_SETUP"
PORT = int(os.environ.get("YICHUANG_BENCH_PORT", "8766"))
SECONDS = int(os.environ.get("YICHUANG_BENCH_SECONDS", "30"))
RATE = float(os.environ.get("YICHUANG_BENCH_RATE", "150"))
CLIENTS = int(os.environ.get("YICHUANG_BENCH_CLIENTS", "8"))
WORKERS = os.environ.get("YICHUANG_BENCH_WORKERS", "2")  # granian worker processes
BLOCKING_THREADS = os.environ.get("YICHUANG_BENCH_BLOCKING_THREADS", "1")
OPEN_SENDERS = 24  # threads sending the open-loop schedule (each waits for its answer)
WARMUP = 5
BUNDLE = "enterprise-opening"
TARGET_RATE = 150
TARGET_P99_MS = 250


# --- setup child (Django) ------------------------------------------------------------------------------


def setup_child() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yichuang.settings")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from yichuang.catalogue.models import Bundle
    from yichuang.catalogue.queries import merged_materials
    from yichuang.clock.models import CalendarYear
    from yichuang.demo import hall as demo
    from yichuang.organisation import services as org_services
    from yichuang.organisation.models import Seat

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    demo.load_demo()
    # Limits may reach into next year late in December: the bench measures intake, not the calendar.
    CalendarYear.objects.get_or_create(year=timezone.localdate().year + 1, defaults={"complete": True})
    seats = Seat.objects.filter(
        window__zone__code="sq-enterprise", window__kind="intake", date=timezone.localdate(), until__isnull=True
    ).select_related("user", "window")
    tokens = [{"window": s.window.number, "token": org_services.issue_api_token(s.user, "bench")} for s in seats]
    bundle = Bundle.objects.get(code=BUNDLE)
    lines = merged_materials(bundle.ordered_matters())
    materials = [{"material": line.material, "status": "received", "due": None} for line in lines if line.required]
    print(
        json.dumps({"tokens": tokens, "materials": materials, "lines": len(lines), "cases": len(bundle.matters.all())})
    )


# --- parent ----------------------------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency: list[float] = []
        self.status: dict[int, int] = {}
        self.numbers: list[str] = []
        self.errors: list[str] = []
        self.done_at: list[float] = []  # monotonic time of every 201 answer
        self.window = (0.0, 0.0)  # the measured stretch (monotonic)
        self.cpu: dict[str, float] = {}

    def add(self, status: int, ms: float, number: str | None, measuring: bool):
        with self.lock:
            if number:
                self.numbers.append(number)
                self.done_at.append(time.monotonic())
            if measuring:
                self.latency.append(ms)
                self.status[status] = self.status.get(status, 0) + 1

    def throughput(self) -> float:
        """201 answers received within the measured stretch, per second."""
        start, stop = self.window
        return sum(1 for t in self.done_at if start <= t < stop) / (stop - start)


class Bodies:
    """Request bodies made before the clock starts: each a new organisation (valid unified social credit code)
    and its own Idempotency-Key, so that the load generator spends no time building them during a run."""

    def __init__(self, materials: list[dict], count: int):
        sys.path.insert(0, str(ROOT / "src"))
        from yichuang.intake.identity import uscc_check

        self.items = []
        for n in range(1, count + 1):
            first17 = f"91411624MA{n:07d}"
            body = {
                "applicant": {"kind": "org", "name": f"沈丘县压测商贸有限公司{n}",
                              "id_number": first17 + uscc_check(first17), "phone": f"139{n % 100_000_000:08d}"},
                "agent": None, "bundle": BUNDLE, "matters": [], "materials": materials, "channel": "window",
                "window": None, "ticket": None,
            }  # fmt: skip
            self.items.append((json.dumps(body).encode(), f"bench-{os.getpid()}-{n}"))
        self._next = itertools.count()
        self._lock = threading.Lock()

    def take(self) -> tuple[bytes, str]:
        with self._lock:
            return self.items[next(self._next)]


class Client:
    """One keep-alive HTTP/1.1 connection, kept lean: the two cores are shared with the server and the database,
    and http.client parses every response's headers with the email package (a tenth of a core at 150/s)."""

    def __init__(self, timeout: float = 60):
        self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def post(self, token: str, body: bytes, key: str) -> tuple[int, bytes]:
        head = (
            f"POST /api/submissions HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nIdempotency-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.sock.sendall(head.encode() + body)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        header, _sep, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = header.split(b"\r\n")
        status = int(lines[0].split()[1])
        fields = dict(line.split(b":", 1) for line in lines[1:])
        fields = {k.strip().lower(): v.strip() for k, v in fields.items()}
        if b"content-length" not in fields:
            raise RuntimeError(f"answer without Content-Length: {header[:300]!r}")
        length = int(fields[b"content-length"])
        while len(self.buffer) < length:
            self._read()
        data, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, data

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def _one(conn, token, bodies: Bodies, rec: Recorder, scheduled: float, measuring: bool) -> None:
    body, key = bodies.take()
    status, data = conn.post(token, body, key)
    number = None
    if status == 201:
        answer = json.loads(data)
        number = answer["number"]
        if len(answer["cases"]) != 6:
            rec.errors.append(f"{number}: {len(answer['cases'])} cases")
    elif len(rec.errors) < 20:
        rec.errors.append(f"{status}: {data[:200]!r}")
    rec.add(status, (time.monotonic() - scheduled) * 1000, number, measuring)


def run_closed(setup: dict) -> Recorder:
    """CLIENTS clients, each sending its next intake as soon as the last one is answered."""
    rec = Recorder()
    start = time.monotonic() + 0.5
    measure_from, stop_at = start + WARMUP, start + WARMUP + SECONDS
    rec.window = (measure_from, stop_at)
    sampler = CpuSampler(measure_from, stop_at)

    def client(i: int):
        token = setup["tokens"][i % len(setup["tokens"])]["token"]
        conn = Client()
        try:
            while time.monotonic() < start:
                time.sleep(0.001)
            while (t := time.monotonic()) < stop_at:
                _one(conn, token, setup["bodies"], rec, t, t >= measure_from)
        except Exception as exc:  # reported, not hidden
            rec.errors.append(f"client {i}: {exc!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for th in threads + [sampler]:
        th.start()
    for th in threads + [sampler]:
        th.join()
    rec.cpu = sampler.cores
    return rec


def run_open(setup: dict) -> Recorder:
    """Intakes sent on a fixed schedule of RATE per second (spread over OPEN_SENDERS connections)."""
    rec = Recorder()
    start = time.monotonic() + 0.5
    measure_from, stop_at = start + WARMUP, start + WARMUP + SECONDS
    rec.window = (measure_from, stop_at)
    sampler = CpuSampler(measure_from, stop_at)
    period = OPEN_SENDERS / RATE

    def sender(i: int):
        token = setup["tokens"][i % len(setup["tokens"])]["token"]
        conn = Client()
        t = start + i * period / OPEN_SENDERS
        try:
            while t < stop_at:
                delay = t - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                _one(conn, token, setup["bodies"], rec, t, t >= measure_from)
                t += period
        except Exception as exc:
            rec.errors.append(f"sender {i}: {exc!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(OPEN_SENDERS)]
    for th in threads + [sampler]:
        th.start()
    for th in threads + [sampler]:
        th.join()
    rec.cpu = sampler.cores
    return rec


def _cpu_by_process() -> dict[str, tuple[str, float]]:
    """{pid: (group, CPU seconds used so far)} for every process: granian, postgres or other (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        group = "granian" if "granian" in cmd else "postgres" if cmd.startswith("postgres") else "other"
        if int(pid) == os.getpid():
            group = "bench"
        used[pid] = (group, (int(fields[11]) + int(fields[12])) / tick)
    return used


class CpuSampler(threading.Thread):
    """Cores used by granian, PostgreSQL (all its processes), this load generator and the rest of the machine
    over the measured stretch, from /proc every half second (a process that starts within it counts from its
    start; one that ends counts up to the last sample before its end)."""

    def __init__(self, start: float, stop: float):
        super().__init__(daemon=True)
        self.start_at, self.stop_at, self.cores = start, stop, {}

    def run(self):
        time.sleep(max(0.0, self.start_at - time.monotonic()))
        seen, t0 = _cpu_by_process(), time.monotonic()
        used = {"granian": 0.0, "postgres": 0.0, "bench": 0.0, "other": 0.0}
        while (now := time.monotonic()) < self.stop_at:
            time.sleep(min(0.5, self.stop_at - now))
            sample = _cpu_by_process()
            for pid, (group, cpu) in sample.items():
                used[group] += max(0.0, cpu - seen.get(pid, (group, 0.0))[1])
            seen.update(sample)
        self.cores = {k: v / (time.monotonic() - t0) for k, v in used.items()}


def check_database(url: str) -> dict:
    """What the runs left in the database. Only the benchmark's own submissions count (their Idempotency-Key
    starts with "bench-"): the demo hall comes with a history of its own."""
    import psycopg

    mine = "SELECT * FROM intake_submission WHERE idempotency_key LIKE 'bench-%'"
    with psycopg.connect(url) as conn:
        one = lambda sql: conn.execute(sql.replace("{mine}", mine)).fetchone()[0]  # noqa: E731
        return {
            "submissions": one("SELECT count(*) FROM ({mine}) s"),
            "duplicate_numbers": one(
                "SELECT count(*) FROM (SELECT number FROM intake_submission GROUP BY number HAVING count(*) > 1) d"
            ),
            "without_number": one("SELECT count(*) FROM ({mine}) s WHERE number IS NULL"),
            "days_with_gaps": one(
                # The day's numbers from 1 to the highest, each used once (the demo's history included).
                "SELECT count(*) FROM (SELECT left(number, length(number) - 7) AS day, "
                "max(right(number, 6)::int) AS top, count(*) AS n FROM intake_submission GROUP BY 1) d "
                "WHERE top <> n"
            ),
            "cases": one("SELECT count(*) FROM intake_case c JOIN ({mine}) s ON s.id = c.submission_id"),
            "duplicate_case_numbers": one(
                "SELECT count(*) FROM (SELECT number FROM intake_case GROUP BY number HAVING count(*) > 1) d"
            ),
            "bad_case_numbers": one(
                "SELECT count(*) FROM intake_case c JOIN ({mine}) s ON s.id = c.submission_id "
                "WHERE c.number IS NULL OR c.number <> s.number || '-' || lpad(c.seq::text, 2, '0')"
            ),
            "submissions_without_six_cases": one(
                "SELECT count(*) FROM (SELECT s.id FROM ({mine}) s LEFT JOIN intake_case c "
                "ON c.submission_id = s.id GROUP BY s.id HAVING count(c.id) <> 6) d"
            ),
            "materials": one(
                "SELECT count(*) FROM intake_submissionmaterial m JOIN ({mine}) s ON s.id = m.submission_id"
            ),
            "messages": one(
                "SELECT count(*) FROM notifications_message m JOIN ({mine}) s ON s.number = m.submission"
            ),
        }


def report(name: str, rec: Recorder) -> tuple[float, float]:
    rate = rec.throughput()
    lat = rec.latency
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in rec.cpu.items())
    print(
        f"  {name:<6} {rate:6.1f} submissions/s ({rate * 6:5.0f} cases/s)   p50 {pct(lat, 0.5):6.1f}  "
        f"p95 {pct(lat, 0.95):6.1f}  p99 {pct(lat, 0.99):6.1f}  max {max(lat) if lat else 0:7.1f} ms   "
        f"statuses {rec.status}"
    )
    print(f"         cores used: {cpu}")
    if rec.errors:
        print(f"         errors: {len(rec.errors)}, e.g. {rec.errors[:3]}")
    return rate, pct(lat, 0.99)


def main() -> None:
    import psycopg

    base, url = scratch_database(BENCH_DB)
    env = server_env(url)
    setup = run_setup("bench.intake_http", env, CHILD_FLAG)
    # Enough for both runs, warm-ups included, even if the server answered far faster than the target.
    setup["bodies"] = Bodies(setup["materials"], int((2 * (SECONDS + WARMUP) + 2) * max(RATE, 400)))
    with granian(env, PORT, WORKERS, BLOCKING_THREADS) as proc:
        wait_for_server(proc, PORT, "/api/bundles")
        with psycopg.connect(url) as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
        closed = run_closed(setup)
        load_closed = os.getloadavg()[0]
        opened = run_open(setup)
        load_open = os.getloadavg()[0]
    checks = check_database(url)
    drop_database(base, BENCH_DB)

    print(
        f"granian WSGI, {WORKERS} workers, --blocking-threads {BLOCKING_THREADS}; PostgreSQL {pg_version}; "
        f"bundle {BUNDLE} "
        f"({setup['cases']} cases, {setup['lines']} merged materials, {len(setup['materials'])} required, no files); "
        f"windows {[t['window'] for t in setup['tokens']]}; each run {SECONDS} s after {WARMUP} s warm-up"
    )
    closed_rate, closed_p99 = report("closed", closed)
    print(f"         ({CLIENTS} clients back to back; load average {load_closed:.1f})")
    open_rate, open_p99 = report("open", opened)
    print(
        f"         ({RATE:.0f}/s offered on a fixed schedule over {OPEN_SENDERS} connections; "
        f"load average {load_open:.1f})"
    )
    answered = len(closed.numbers) + len(opened.numbers)
    repeated = answered - len(set(closed.numbers + opened.numbers))
    print(
        f"  database: {checks['submissions']} submissions for {answered} answers 201, {checks['cases']} cases, "
        f"{checks['materials']} material rows, {checks['messages']} messages; duplicate numbers "
        f"{checks['duplicate_numbers']}, duplicate case numbers {checks['duplicate_case_numbers']}, "
        f"days with a gap {checks['days_with_gaps']}, malformed case numbers {checks['bad_case_numbers']}, "
        f"submissions without 6 cases {checks['submissions_without_six_cases']}, without number "
        f"{checks['without_number']}; duplicate numbers in the answers {repeated}"
    )
    ok = (
        open_rate >= TARGET_RATE * 0.98
        and open_p99 < TARGET_P99_MS
        and closed_rate >= TARGET_RATE
        and checks["submissions"] == answered
        and checks["duplicate_numbers"] == checks["duplicate_case_numbers"] == 0
        and checks["days_with_gaps"] == checks["bad_case_numbers"] == checks["submissions_without_six_cases"] == 0
        and not closed.errors
        and not opened.errors
    )
    print(
        f"targets (≥ {TARGET_RATE} submissions/s, p99 < {TARGET_P99_MS} ms at {TARGET_RATE}/s, no duplicate or "
        f"missing number): {'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    if os.environ.get(CHILD_FLAG):
        setup_child()
    else:
        main()
