"""绩效考核 on 1 million ratings, before and after the daily rollup (`python -m bench performance`, PostgreSQL only).

The parent process creates a scratch database `bench_performance` on the server of $DATABASE_URL (if that is a
postgres:// URL) or postgres://postgres@127.0.0.1:5432/postgres, runs this module as a child process against
it, and drops it afterwards.

The child migrates (Django), creates the hall by the ORM (a site, 30 departments with one matter each, 6 zones ×
8 windows, a clerk per window and two officers per department, all with a department; a supervisor; the lead of
县市场监督管理局), then loads 2026-01-01 … 2026-12-01 with set-based SQL (`INSERT … SELECT … FROM
generate_series`): 2,000 tickets a day (92 % finished, handling and waiting times spread over minutes), 1,500
submissions a day at the windows (10 % online) with 1–3 cases each, most of them concluded (85 % within the
limit), and **1,000,000 ratings** over the year — 600,000 of visits (one per finished ticket, from the rating pad)
and 400,000 of cases (from the invitation link), levels 5/4/3/2/1 at 60/25/8/4/3 %. Then VACUUM ANALYZE.

"Today" is 2026-12-01 (the last loaded day), so the page's presets are this month (December: today's rows and
days to come), last month (November) and this year (2026: every row). Timed, milliseconds p50/p95/p99, rounds
interleaved after WARMUP:

1. **before**: the rollup empty (as before it existed: every day from the source rows) — `queries.report(preset,
   by)` for each preset and tab (staff, window, zone, department) as the supervisor sees them, BEFORE_REPEATS rounds;
2. the rollup built for 2026-01-01 … 2026-11-30 (`services.rebuild`, as `yichuang performance rollup` does): its
   time, rows and size; then every preset and tab checked equal to `report(…, rollup=False)` (supervisor and lead);
3. **after**: the same reports, the rendered page `/performance/?from=…&to=…&by=staff` of each preset through
   Django's test client as the supervisor, and the lead's year (their department only) per tab, REPEATS rounds;
4. one day of June written to late (`services.touch`): the year with that day read live, and the worker's run
   (`services.roll_up`) that rebuilds it.

Target: every period under 300 ms (p95). YICHUANG_BENCH_SCALE (default 1) scales the rows (0.1 for a quick
try); YICHUANG_BENCH_KEEP=1 keeps the scratch database; YICHUANG_BENCH_REUSE=1 times a kept one again (after
migrating it, emptying its rollup) without loading anew.
"""

import datetime as dt
import os
import time

from bench._scratch import load, percentiles, run_in_scratch_database

SCALE = float(os.environ.get("YICHUANG_BENCH_SCALE", "1"))
DAYS = 335  # 2026-01-01 … 2026-12-01
TICKETS_PER_DAY = int(2_000 * SCALE)
SUBMISSIONS_PER_DAY = int(1_500 * SCALE)
TICKET_RATINGS = int(600_000 * SCALE)
CASE_RATINGS = int(400_000 * SCALE)
REPEATS = int(os.environ.get("YICHUANG_BENCH_REPEATS", "60"))
BEFORE_REPEATS = int(os.environ.get("YICHUANG_BENCH_BEFORE_REPEATS", "15"))
WARMUP = 3
TARGET_MS = 300.0
PG_BENCH_DB = "bench_performance"
CHILD_FLAG = "YICHUANG_BENCH_PERFORMANCE_CHILD"
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
TODAY = dt.date(2026, 12, 1)  # the last loaded day
LEAD_DEPARTMENT = 8  # 县市场监督管理局
N_ZONES, WINDOWS_PER_ZONE = 6, 8

DEPARTMENTS = (
    "县自然资源局 县税务局 县城管局 县电业局 县供水公司 县燃气公司 县住建局 县公积金中心 "
    "县市场监督管理局 县公安局 县人社局 县医保局 人民银行沈丘分行 县政务服务和大数据管理局 县发改委 "
    "县工信局 县生态环境局 县应急管理局 县水利局 县农业局 县文旅局 县人防办 县气象局 消防支队 "
    "县通信管理办公室 县民政局 县交通运输局 县商务局 县卫健委 县能源局"
).split()


# --- parent -------------------------------------------------------------------------------------------


def main() -> None:
    if os.environ.get(CHILD_FLAG):
        child()
        return
    run_in_scratch_database("bench.performance", PG_BENCH_DB, CHILD_FLAG)


# --- child: the hall ----------------------------------------------------------------------------------


def create_hall() -> dict:
    from decimal import Decimal

    from django.contrib.auth.models import Group
    from django.db import transaction

    from yichuang.catalogue.models import LimitUnit, Matter
    from yichuang.organisation.models import Department, Site, User, Window, Zone
    from yichuang.organisation.roles import Role

    with transaction.atomic():
        site = Site.objects.create(code="bench", name="基准测试政务服务中心", division_code="411624", is_default=True)
        departments = [Department.objects.create(code=f"d{i:02d}", name=name) for i, name in enumerate(DEPARTMENTS)]
        matters = [
            Matter.objects.create(
                code=f"411624-PF-{i:02d}",
                name=f"{d.name}许可事项",
                kind=Matter.Kind.values[0],
                department=d,
                limit_unit=LimitUnit.WORKING_DAYS,
                legal_limit=Decimal("20"),
                promised_limit=Decimal("5"),
            )
            for i, d in enumerate(departments)
        ]
        clerk_group = Group.objects.get_or_create(name=str(Role.WINDOW_CLERK))[0]
        officer_group = Group.objects.get_or_create(name=str(Role.BACKOFFICE_OFFICER))[0]
        windows, clerks = [], []
        for z in range(N_ZONES):
            zone = Zone.objects.create(
                site=site,
                code=f"z{z}",
                name=f"第{z + 1}服务区",
                kind=Zone.Kind.COMPREHENSIVE,
                ticket_letter="ABCDEF"[z],
            )
            for k in range(WINDOWS_PER_ZONE):
                n = z * WINDOWS_PER_ZONE + k
                windows.append(
                    Window.objects.create(zone=zone, number=n + 1, name=f"综合受理{n + 1}", kind=Window.Kind.INTAKE)
                )
                clerk = User.objects.create_user(
                    username=f"clerk_{n:02d}", password=None, last_name="窗", first_name=f"员{n:02d}",
                    department=departments[n % len(departments)],
                )  # fmt: skip
                clerk.groups.add(clerk_group)
                clerks.append(clerk)
        officers = []
        for i, d in enumerate(departments):
            for k in range(2):
                officer = User.objects.create_user(username=f"officer_{i:02d}_{k}", password=None, department=d)
                officer.groups.add(officer_group)
                officers.append(officer)
        supervisor = User.objects.create_user(username="supervisor", password=None)
        supervisor.groups.add(Group.objects.get_or_create(name=str(Role.SUPERVISOR))[0])
        lead = User.objects.create_user(username="lead", password=None, department=departments[LEAD_DEPARTMENT])
        lead.groups.add(Group.objects.get_or_create(name=str(Role.DEPARTMENT_LEAD))[0])
    return {
        "site": site.pk,
        "windows": [(w.pk, w.zone_id, c.pk, c.department_id) for w, c in zip(windows, clerks, strict=True)],
        "matters": [(m.pk, m.department_id, officers[2 * i].pk, officers[2 * i + 1].pk) for i, m in enumerate(matters)],
        "supervisor": supervisor.pk,
    }


def bulk_load(hall: dict) -> None:
    from django.db import connection

    t_start = time.perf_counter()

    def step(label: str, sql: str, params=None) -> None:
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.rowcount
        print(
            f"  {label}: {rows:,} rows in {time.perf_counter() - t0:.1f} s "
            f"(total {time.perf_counter() - t_start:.0f} s; {load()})",
            flush=True,
        )

    n_windows = len(hall["windows"])
    n_matters = len(hall["matters"])
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute("SELECT setseed(0.20261202)")
        cursor.execute(
            "CREATE TEMP TABLE bench_window (n int PRIMARY KEY, window_id bigint, zone_id bigint, clerk_id bigint, "
            "department_id bigint)"
        )
        for n, row in enumerate(hall["windows"]):
            cursor.execute("INSERT INTO bench_window VALUES (%s, %s, %s, %s, %s)", [n, *row])
        cursor.execute(
            "CREATE TEMP TABLE bench_matter (n int PRIMARY KEY, matter_id bigint, department_id bigint, "
            "officer1 bigint, officer2 bigint)"
        )
        for n, row in enumerate(hall["matters"]):
            cursor.execute("INSERT INTO bench_matter VALUES (%s, %s, %s, %s, %s)", [n, *row])

    # A moment within a day's opening hours (9:00–17:00 local) of day `d` (0-based from 2026-01-01).
    moment = "%(y0)s + ({d}) * interval '1 day' + interval '9 hours' + random() * interval '8 hours'"
    n_tickets = TICKETS_PER_DAY * DAYS
    step(
        "tickets",
        f"""INSERT INTO queue_ticket (zone_id, issued_zone_id, date, seq, number, status, source, priority, front,
                                       booked, phone, token, issued_at, queued_at, called_at, first_called_at,
                                       served_at, finished_at, call_count, window_id, called_by_id, ahead_at_issue,
                                       wait_low, wait_high)
            SELECT w.zone_id, w.zone_id, (x.issued AT TIME ZONE 'Asia/Shanghai')::date, x.g, 'A' || x.g,
                   CASE WHEN x.r < 0.92 THEN 'finished' WHEN x.r < 0.97 THEN 'no_show' ELSE 'cancelled' END,
                   'kiosk', false, false, false, '', md5(x.g::text), x.issued, x.issued,
                   CASE WHEN x.r < 0.97 THEN x.issued + x.wait END, CASE WHEN x.r < 0.97 THEN x.issued + x.wait END,
                   CASE WHEN x.r < 0.92 THEN x.issued + x.wait + interval '1 minute' END,
                   CASE WHEN x.r < 0.92 THEN x.issued + x.wait + interval '1 minute' + x.handle END,
                   CASE WHEN x.r < 0.97 THEN 1 ELSE 0 END,
                   CASE WHEN x.r < 0.97 THEN w.window_id END, CASE WHEN x.r < 0.97 THEN w.clerk_id END, 0, 0, 0
            FROM (SELECT g, random() AS r, {moment.format(d="(g - 1) / %(per_day)s")} AS issued,
                         random() * interval '40 minutes' AS wait, (2 + random() * 25) * interval '1 minute' AS handle,
                         floor(random() * {n_windows})::int AS wn
                  FROM generate_series(1, %(n)s) g) x
            JOIN bench_window w ON w.n = x.wn""",
        {"n": n_tickets, "per_day": TICKETS_PER_DAY, "y0": YEAR_START},
    )
    n_subs = SUBMISSIONS_PER_DAY * DAYS
    step(
        "applicants",
        """INSERT INTO intake_applicant (kind, name, id_number, phone, deferral_blocked, deferral_block_reason,
                                         created_at, updated_at)
           SELECT 'person', '申请人' || g, lpad(g::text, 17, '0') || 'X', '', false, '', %(y0)s, %(y0)s
           FROM generate_series(1, 20000) g""",
        {"y0": YEAR_START},
    )
    step(
        "submissions",
        f"""INSERT INTO intake_submission (number, site_id, applicant_id, applicant_name, applicant_id_number,
                                           applicant_phone, agent_name, agent_id_number, agent_phone,
                                           situation_answers, channel, window_id, accepted_by_id, accepted_at, status)
            SELECT '411624-PF-' || lpad(x.g::text, 9, '0'), %(site)s,
                   (SELECT min(id) FROM intake_applicant) + x.g %% 20000, '申请人', '', '', '', '', '',
                   '{{}}'::jsonb, CASE WHEN x.online THEN 'online' ELSE 'window' END,
                   CASE WHEN NOT x.online THEN w.window_id END, CASE WHEN NOT x.online THEN w.clerk_id END,
                   x.accepted, 'accepted'
            FROM (SELECT g, random() < 0.1 AS online, {moment.format(d="(g - 1) / %(per_day)s")} AS accepted,
                         floor(random() * {n_windows})::int AS wn
                  FROM generate_series(1, %(n)s) g) x
            JOIN bench_window w ON w.n = x.wn""",
        {"n": n_subs, "per_day": SUBMISSIONS_PER_DAY, "y0": YEAR_START, "site": hall["site"]},
    )
    step(
        "cases",
        f"""INSERT INTO intake_case (number, submission_id, seq, matter_id, department_id, matter_snapshot,
                                     accepted_at, due_at, warn_at, warn_us, budget_us, extended_days, status,
                                     assignee_id, received_at, concluded_at, window_id)
            SELECT s.number || '-' || k, s.id, k, m.matter_id, m.department_id, '{{}}'::jsonb, s.accepted_at,
                   s.accepted_at + interval '7 days', s.accepted_at + interval '5 days', 0, 0, 0,
                   x.status, CASE WHEN random() < 0.5 THEN m.officer1 ELSE m.officer2 END, s.accepted_at,
                   CASE WHEN x.status <> 'in_progress' THEN s.accepted_at + x.took END, s.window_id
            FROM intake_submission s
            CROSS JOIN LATERAL generate_series(1, 1 + (s.id %% 3)::int) k
            CROSS JOIN LATERAL (
                SELECT floor(random() * {n_matters})::int AS mn,
                       CASE WHEN s.accepted_at > %(recent)s AND random() < 0.5 THEN 'in_progress'
                            WHEN random() < 0.9 THEN 'approved' WHEN random() < 0.8 THEN 'rejected'
                            ELSE 'terminated' END AS status,
                       CASE WHEN random() < 0.85 THEN random() * interval '7 days'
                            ELSE interval '7 days' + random() * interval '10 days' END AS took,
                       k AS kk
            ) x
            JOIN bench_matter m ON m.n = x.mn""",
        {"recent": YEAR_START + dt.timedelta(days=DAYS - 10)},
    )
    levels = "CASE WHEN r < 0.60 THEN 5 WHEN r < 0.85 THEN 4 WHEN r < 0.93 THEN 3 WHEN r < 0.97 THEN 2 ELSE 1 END"
    step(
        "ratings of visits",
        f"""INSERT INTO feedback_evaluation (ticket_id, channel, level, dimensions, tags, comment, real_name,
                                             window_id, staff_id, department_id, zone_id, created_at)
            SELECT t.id, 'pad', {levels}, '{{}}'::jsonb, '[]'::jsonb, '', false, t.window_id, t.called_by_id,
                   w.department_id, t.zone_id, t.finished_at + interval '1 minute'
            FROM (SELECT t.*, random() AS r FROM queue_ticket t WHERE t.status = 'finished'
                  ORDER BY t.id LIMIT %(n)s) t
            JOIN bench_window w ON w.window_id = t.window_id""",
        {"n": TICKET_RATINGS},
    )
    step(
        "ratings of cases",
        f"""INSERT INTO feedback_evaluation (case_id, channel, level, dimensions, tags, comment, real_name,
                                             window_id, staff_id, department_id, zone_id, created_at)
            SELECT c.id, 'link', {levels}, '{{}}'::jsonb, '[]'::jsonb, '', random() < 0.3, s.window_id,
                   c.assignee_id, c.department_id, w.zone_id, c.concluded_at + random() * interval '2 days'
            FROM (SELECT c.*, random() AS r FROM intake_case c WHERE c.concluded_at IS NOT NULL
                  ORDER BY c.id LIMIT %(n)s) c
            JOIN intake_submission s ON s.id = c.submission_id
            LEFT JOIN bench_window w ON w.window_id = s.window_id""",
        {"n": CASE_RATINGS},
    )
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE queue_ticket, intake_submission, intake_case, feedback_evaluation")
    print(f"  VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (SELECT count(*) FROM queue_ticket), (SELECT count(*) FROM intake_submission),
                      (SELECT count(*) FROM intake_case), (SELECT count(*) FROM feedback_evaluation),
                      (SELECT count(*) FROM feedback_evaluation WHERE created_at >= %s AND created_at < %s),
                      (SELECT count(*) FROM queue_ticket WHERE finished_at >= %s AND finished_at < %s),
                      (SELECT count(*) FROM intake_case WHERE concluded_at >= %s AND concluded_at < %s),
                      pg_size_pretty(pg_total_relation_size('feedback_evaluation'))""",
            [*november_bounds()] * 3,
        )
        tickets, subs, cases, ratings, nov_ratings, nov_tickets, nov_cases, size = cursor.fetchone()
    print(
        f"loaded in {time.perf_counter() - t_start:.0f} s: {tickets:,} tickets, {subs:,} submissions, "
        f"{cases:,} cases, {ratings:,} ratings ({size} with indexes); November: {nov_tickets:,} finished tickets, "
        f"{nov_cases:,} concluded cases, {nov_ratings:,} ratings",
        flush=True,
    )


def november_bounds():
    from yichuang.performance.queries import Period

    return Period(dt.date(2026, 11, 1), dt.date(2026, 12, 1)).bounds()


# --- child: timing ------------------------------------------------------------------------------------


def explain(fn) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
        print(f"    {sql[:200]}…")
        for line in plan:
            print("      " + line)


def timed_rounds(timed: list, repeats: int) -> dict[str, list[float]]:
    """Each (name, fn) of `timed` once per round, interleaved, after WARMUP rounds: milliseconds per name."""
    for _ in range(WARMUP):
        for _name, fn in timed:
            fn()
    samples: dict[str, list[float]] = {name: [] for name, _fn in timed}
    t_all = time.perf_counter()
    for _ in range(repeats):
        for name, fn in timed:
            t0 = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - t0) * 1000)
    print(f"{repeats} rounds in {time.perf_counter() - t_all:.1f} s; {load()}", flush=True)
    return samples


def child() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from yichuang.organisation.models import User
    from yichuang.performance import queries, services
    from yichuang.performance.models import DayFigures, Kind, RollupDay

    settings.ALLOWED_HOSTS = ["*"]
    settings.AXES_ENABLED = False  # the test client's forced sign-in has no client address for axes' log
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    print(f"PostgreSQL {connection.pg_version}; migrated in {time.perf_counter() - t0:.1f} s; {load()}", flush=True)
    if os.environ.get("YICHUANG_BENCH_REUSE"):
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {DayFigures._meta.db_table}, {RollupDay._meta.db_table}")
            cursor.execute("ANALYZE queue_ticket, intake_submission, intake_case, feedback_evaluation")
        print("reusing the kept database (migrated, analyzed, rollup emptied)", flush=True)
    else:
        hall = create_hall()
        print(f"loading (scale {SCALE}) …", flush=True)
        bulk_load(hall)
    supervisor, lead = User.objects.get(username="supervisor"), User.objects.get(username="lead")

    presets = queries.presets(TODAY)
    client = Client()
    client.force_login(supervisor)

    def page(period):
        def get() -> int:
            response = client.get(f"/performance/?{period.query()}&by=staff")
            assert response.status_code == 200, response.status_code
            return len(response.content)

        return get

    def tab(period, by: str, user=None):
        return lambda: len(queries.report(period, by, user).rows)

    year = presets["this_year"]
    reports = [(f"{key} {by}", tab(period, by)) for key, period in presets.items() for by in queries.DIMENSIONS]
    pages = [(f"{key} page", page(period)) for key, period in presets.items()]
    leads = [(f"this_year lead {by}", tab(year, by, lead)) for by in queries.DIMENSIONS]
    timed = reports + pages + leads

    print(f"\nbefore the rollup (every day from the source rows), today = {TODAY}; {load()}", flush=True)
    before = timed_rounds(timed, BEFORE_REPEATS)

    print(f"\nbuilding the rollup 2026-01-01 … {TODAY - dt.timedelta(days=1)}; {load()}", flush=True)
    t0 = time.perf_counter()
    built = services.rebuild(dt.date(2026, 1, 1), TODAY, progress=lambda line: print("  " + line, flush=True))
    build_seconds = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {DayFigures._meta.db_table}")
        cursor.execute(
            f"SELECT pg_size_pretty(pg_relation_size('{DayFigures._meta.db_table}')), "
            f"pg_size_pretty(pg_total_relation_size('{DayFigures._meta.db_table}'))"
        )
        heap, total = cursor.fetchone()
        cursor.execute(f"SELECT kind, count(*) FROM {DayFigures._meta.db_table} GROUP BY kind ORDER BY kind")
        kinds = ", ".join(f"{Kind(kind).name.lower()} {n:,}" for kind, n in cursor.fetchall())
    print(
        f"built {built['days']} days, {built['rows']:,} rows in {build_seconds:.1f} s "
        f"({built['rows'] / max(1, built['days']):,.0f} rows a day; {heap} table, {total} with indexes)\n"
        f"  rows per kind: {kinds}",
        flush=True,
    )

    t0 = time.perf_counter()
    checked = 0
    for period in presets.values():
        for by in queries.DIMENSIONS:
            for user in (supervisor, lead):
                with_rollup = queries.report(period, by, user)
                without = queries.report(period, by, user, rollup=False)
                shown = [
                    [(r.key, r.name, *(getattr(r, c) for c in queries.COUNTERS)) for r in x.rows]
                    for x in (with_rollup, without)
                ]
                assert shown[0] == shown[1], (period, by, user)
                checked += 1
    print(f"exact: {checked} reports with the rollup equal to those without it ({time.perf_counter() - t0:.0f} s)")
    summary = queries.report(year, "zone").total
    print(
        f"this year, all zones: {summary.tickets:,} tickets, {summary.submissions:,} submissions, "
        f"{summary.within:,} within / {summary.past:,} past the limit, {summary.ratings:,} ratings, "
        f"satisfaction {summary.satisfaction_rate:.1f} %, {summary.bad:,} bad"
    )
    print("\nEXPLAIN (ANALYZE, BUFFERS) — report(this year, 'staff') with the rollup:", flush=True)
    explain(tab(year, "staff"))

    print(f"\nafter the rollup; {load()}", flush=True)
    after = timed_rounds(timed, REPEATS)

    print(f"\n{'measured':<36}{'before p50':>11}{'p95':>9}{'after p50':>11}{'p95':>9}{'p99':>9}  p95 < 300 ms")
    for name, _fn in timed:
        b50, b95, _b99 = percentiles(before[name])
        a50, a95, a99 = percentiles(after[name])
        verdict = "met" if a95 < TARGET_MS else "MISSED"
        print(f"{name:<36}{b50:>11.1f}{b95:>9.1f}{a50:>11.1f}{a95:>9.1f}{a99:>9.1f}  {verdict}", flush=True)

    # One late write in June: the year reads that day live until the worker has rebuilt it.
    late = dt.datetime(2026, 6, 15, 10, 0, tzinfo=YEAR_START.tzinfo)
    services.touch(late)
    stale = timed_rounds([("year with one stale day", tab(year, "staff"))], 20)["year with one stale day"]
    t0 = time.perf_counter()
    fixed = services.roll_up(limit=services.DAYS_PER_RUN)
    took = time.perf_counter() - t0
    p50, p95, p99 = percentiles(stale)
    print(
        f"one day stale (2026-06-15 written to late): report(this year, staff) p50 {p50:.1f} p95 {p95:.1f} "
        f"p99 {p99:.1f} ms; the worker's run rebuilt {fixed['days']} day(s) in {took * 1000:.0f} ms "
        f"(days not over yet by the real clock are its own: {fixed['left']} left)",
        flush=True,
    )


if __name__ == "__main__":
    main()
