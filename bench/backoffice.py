"""The back office on 2 million cases (`python -m bench backoffice`, PostgreSQL only).

The parent process creates a scratch database `bench_backoffice` on the server of $DATABASE_URL (if that is a
postgres:// URL) or postgres://postgres@127.0.0.1:5432/postgres, runs this module as a child process against
it, and drops it afterwards.

The child migrates (Django), creates the hall by the ORM (a site with opening hours, 30 departments, 3 matters
each with real `Matter.snapshot()` shapes, one officer per department, a supervisor), then loads the bulk with
set-based SQL (`INSERT … SELECT … FROM generate_series`): applicants, submissions (1–6 cases each) and
2,000,000 cases, most of them concluded over 2024–2026; the open ones have their deadline spread around "now"
(some red, some yellow, some paused in correction or a special procedure); one department (县市场监督管理局)
holds 200,000 open cases. Then VACUUM ANALYZE (what autovacuum leaves behind on a settled table).

Timed (REPEATS times each, interleaved, after WARMUP rounds), milliseconds p50/p95/p99:

* **worklist page** — what an officer of the big department sees first: the user with their roles, the first
  page of `backoffice.queries.worklist(user)` (`[:25]`, levels annotated) evaluated, and `clock_view` for
  each of the 25 rows (the site's clock looked up once per page). Target p95 < 50 ms.
* **red list** — the supervisor's, as the board shows it: `supervision.queries.red_first` (the first 50) and
  the red and yellow counts per department (`department_counts`). Target < 200 ms (p95). The whole board
  (`supervision.queries.board`: red, yellow, counts, overdue procedures, orders, tasks, rectifications) is
  timed too.

Each is also run once under EXPLAIN (ANALYZE, BUFFERS); the plans are printed. Nothing is asserted: the
figures and the verdict against the targets are printed. YICHUANG_BENCH_SCALE (default 1) scales the number
of cases (0.1 for a quick try); YICHUANG_BENCH_KEEP=1 keeps the scratch
database, YICHUANG_BENCH_REUSE=1 times again on the kept one (no load), YICHUANG_BENCH_BOARD_REPEATS=n times the
board n times only.
"""

import datetime as dt
import os
import time

from bench._scratch import load, percentiles, run_in_scratch_database

SCALE = float(os.environ.get("YICHUANG_BENCH_SCALE", "1"))
N_CASES = int(2_000_000 * SCALE)
N_OPEN_BIG = int(200_000 * SCALE)  # open cases of the big department
N_OPEN_OTHER = int(2_000 * SCALE)  # open cases of each other department
REPEATS = 200
# The board runs about ten statements; on a busy machine each call takes seconds: fewer rounds if asked.
BOARD_REPEATS = int(os.environ.get("YICHUANG_BENCH_BOARD_REPEATS", REPEATS))
WARMUP = 20
PAGE_TARGET_MS = 50.0
RED_TARGET_MS = 200.0
PG_BENCH_DB = "bench_backoffice"
CHILD_FLAG = "YICHUANG_BENCH_BACKOFFICE_CHILD"
# "Now" of the benchmark: a Wednesday morning; every open deadline falls in 2026 (the calendar knows 2026).
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
DAY_US = 7 * 3_600_000_000  # 9:00–12:00 and 13:30–17:30
SIZES = [1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6]  # cases per submission (mean 2.58)

DEPARTMENTS = (
    "县自然资源局 县税务局 县城管局 县电业局 县供水公司 县燃气公司 县住建局 县公积金中心 "
    "县市场监督管理局 县公安局 县人社局 县医保局 人民银行沈丘分行 县政务服务和大数据管理局 县发改委 "
    "县工信局 县生态环境局 县应急管理局 县水利局 县农业局 县文旅局 县人防办 县气象局 消防支队 "
    "县通信管理办公室 县民政局 县交通运输局 县商务局 县卫健委 县能源局"
).split()
BIG = DEPARTMENTS.index("县市场监督管理局")
DELEGATED = DEPARTMENTS.index("县民政局")
LIMITS = [3, 5, 10]  # working days of each department's three matters
MATERIALS = [
    ("M-ID", "申请人身份证明", True, True, 1, 1),
    ("M-FORM", "申请表", True, True, 1, 0),
    ("M-LICENCE", "营业执照或登记证书", True, False, 0, 1),
    ("M-PLAN", "场所平面图及相关说明", False, False, 0, 1),
]


# --- parent -------------------------------------------------------------------------------------------


def main() -> None:
    if os.environ.get(CHILD_FLAG):
        child()
        return
    run_in_scratch_database("bench.backoffice", PG_BENCH_DB, CHILD_FLAG)


# --- child: the hall ----------------------------------------------------------------------------------


def create_hall() -> dict:
    """Site, departments, matters, officers by the ORM; returns the ids the bulk load needs."""
    from decimal import Decimal

    from django.contrib.auth.models import Group
    from django.db import transaction

    from yichuang.catalogue.models import LimitUnit, Matter
    from yichuang.organisation.models import Department, OpeningPeriod, Site, User
    from yichuang.organisation.roles import Role

    with transaction.atomic():
        site = Site.objects.create(code="bench", name="基准测试政务服务中心", division_code="411624", is_default=True)
        OpeningPeriod.objects.bulk_create(
            [
                OpeningPeriod(site=site, weekday=wd, start=dt.time(*start), end=dt.time(*end))
                for wd in range(5)
                for start, end in (((9, 0), (12, 0)), ((13, 30), (17, 30)))
            ]
        )
        departments = [
            Department.objects.create(
                code=f"d{i:02d}",
                name=name,
                presence=Department.Presence.DELEGATED if i == DELEGATED else Department.Presence.STATIONED,
            )
            for i, name in enumerate(DEPARTMENTS)
        ]
        matters = []
        for i, dept in enumerate(departments):
            for k, days in enumerate(LIMITS):
                matters.append(
                    Matter.objects.create(
                        code=f"411624-BO-{i:02d}-{k}",
                        name=f"{dept.name[1:-1] if dept.name.startswith('县') else dept.name}事项许可{k + 1}",
                        kind=Matter.Kind.values[0],
                        department=dept,
                        limit_unit=LimitUnit.WORKING_DAYS,
                        legal_limit=Decimal("20"),
                        promised_limit=Decimal(days),
                        delegated=i == DELEGATED,
                    )
                )
        officer_group = Group.objects.get_or_create(name=str(Role.BACKOFFICE_OFFICER))[0]
        officers = []
        for i, dept in enumerate(departments):
            user = User.objects.create_user(username=f"officer_{i:02d}", password=None, department=dept)
            user.groups.add(officer_group)
            officers.append(user)
        supervisor = User.objects.create_user(username="supervisor", password=None)
        supervisor.groups.add(Group.objects.get_or_create(name=str(Role.SUPERVISOR))[0])
    snapshots = []
    for m in matters:
        snap = m.snapshot()
        snap["materials"] = [
            {
                "material": code,
                "name": name,
                "required": required,
                "core": core,
                "originals": originals,
                "copies": copies,
                "deferrable": not core and required,
                "pledgeable": False,
                "notes": "",
            }
            for code, name, required, core, originals, copies in MATERIALS
        ]
        snapshots.append(snap)
    return {
        "site": site.pk,
        "departments": [d.pk for d in departments],
        "matters": [(m.pk, m.department_id, int(m.promised_limit), s) for m, s in zip(matters, snapshots, strict=True)],
        "officers": [u.pk for u in officers],
        "big_officer": officers[BIG].pk,
        "supervisor": supervisor.pk,
    }


def bulk_load(hall: dict) -> dict:
    """Applicants, submissions and cases by set-based SQL; prints progress. Returns the counts."""
    import json

    from django.db import connection

    mean = sum(SIZES) / len(SIZES)
    n_open = N_OPEN_BIG + N_OPEN_OTHER * (len(DEPARTMENTS) - 1)
    n_sub_open = round(n_open / mean)
    n_sub = round(N_CASES / mean)
    n_applicants = max(1000, n_sub // 3)
    sizes = "(ARRAY[" + ",".join(map(str, SIZES)) + "])"
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

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute("SELECT setseed(0.20261202)")
        cursor.execute(
            "CREATE TEMP TABLE bench_matter (dept int, k int, matter_id bigint, department_id bigint, "
            "limit_days int, officer_id bigint, snapshot jsonb, PRIMARY KEY (dept, k))"
        )
        for n, (matter_id, department_id, days, snap) in enumerate(hall["matters"]):
            dept = n // len(LIMITS)
            cursor.execute(
                "INSERT INTO bench_matter VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [dept, n % len(LIMITS), matter_id, department_id, days, hall["officers"][dept], json.dumps(snap)],
            )
    step(
        "applicants",
        """INSERT INTO intake_applicant (id, kind, name, id_number, phone, deferral_blocked, deferral_block_reason,
                                         created_at, updated_at)
           SELECT g, 'person', '申请人' || g, lpad(g::text, 17, '0') || 'X', '138' || lpad(g::text, 8, '0'), false, '',
                  %(now)s, %(now)s
           FROM generate_series(1, %(n)s) g""",
        {"n": n_applicants, "now": NOW},
    )
    # Open submissions first (ids 1 … n_sub_open: accepted in the last 14 days), then the concluded history.
    step(
        "plan of submissions",
        f"""CREATE TEMP TABLE bench_plan AS
            SELECT g AS id, g <= %(n_open)s AS open, {sizes}[1 + floor(random() * {len(SIZES)})::int] AS n,
                   CASE WHEN g <= %(n_open)s THEN %(now)s - random() * interval '14 days'
                        ELSE timestamptz '2024-01-02 09:00+08' + random() * (%(now)s - interval '20 days'
                                                                              - timestamptz '2024-01-02 09:00+08')
                   END AS accepted_at
            FROM generate_series(1, %(n_sub)s) g""",
        {"n_open": n_sub_open, "n_sub": n_sub, "now": NOW},
    )
    step(
        "submissions",
        """INSERT INTO intake_submission (id, number, site_id, applicant_id, agent_name, agent_id_number, agent_phone,
                                          applicant_name, applicant_id_number, applicant_phone, situation_answers,
                                          channel, accepted_at, status)
           SELECT p.id, '411624-' || to_char(p.accepted_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || '-'
                        || lpad(p.id::text, 7, '0'),
                  %(site)s, a.id, '', '', '', a.name, a.id_number, a.phone, '{}'::jsonb,
                  CASE WHEN p.id %% 4 = 0 THEN 'online' ELSE 'window' END, p.accepted_at, 'accepted'
           FROM bench_plan p JOIN intake_applicant a ON a.id = 1 + (p.id::bigint * 7919) %% %(n_app)s""",
        {"site": hall["site"], "n_app": n_applicants},
    )
    # Cases, in chunks of submissions (progress). Open ones: the big department takes N_OPEN_BIG of n_open.
    p_big = N_OPEN_BIG / n_open
    chunk = max(1, n_sub // 10)
    case_sql = f"""
        INSERT INTO intake_case (number, submission_id, seq, matter_id, department_id, matter_snapshot, accepted_at,
                                 due_at, warn_at, warn_us, budget_us, paused_at, left_us, extended_days, status,
                                 assignee_id, received_at, concluded_at, returned_at, handoff_id)
        SELECT s.number || '-' || lpad(x.seq::text, 2, '0'), x.id, x.seq, m.matter_id, m.department_id, m.snapshot,
               x.accepted_at, x.due_at, x.due_at - interval '67 hours', 2 * {DAY_US}::bigint,
               m.limit_days * {DAY_US}::bigint,
               CASE WHEN x.status IN ('correction', 'special') THEN %(now)s - x.r_pause * interval '6 days' END,
               CASE WHEN x.status IN ('correction', 'special') THEN ((x.r_left * 10 - 1) * {DAY_US})::bigint END,
               0, x.status,
               CASE WHEN x.status <> 'accepted' THEN m.officer_id END,
               CASE WHEN x.dept = {DELEGATED} AND x.status = 'accepted' AND x.r_pause < 0.3 THEN NULL
                    ELSE x.accepted_at + interval '5 minutes' END,
               CASE WHEN NOT x.open THEN x.accepted_at + x.r_pause * (x.due_at - x.accepted_at) * 1.05 END,
               CASE WHEN NOT x.open THEN x.accepted_at + x.r_pause * (x.due_at - x.accepted_at) + interval '1 day'
               END,
               NULL
        FROM (
            SELECT y.*,
                   CASE WHEN y.open THEN
                            CASE WHEN y.r_status < 0.06 THEN 'correction' WHEN y.r_status < 0.08 THEN 'special'
                                 WHEN y.r_status < 0.35 THEN 'accepted' ELSE 'in_progress' END
                        ELSE CASE WHEN y.r_status < 0.90 THEN 'approved' WHEN y.r_status < 0.97 THEN 'rejected'
                                  ELSE 'terminated' END
                   END AS status,
                   CASE WHEN y.open THEN %(now)s + (y.r_due * 28.5 - 1.5) * interval '1 day'
                        ELSE y.accepted_at + (1 + y.k * 0.6) * interval '5 days' END AS due_at
            FROM (
                SELECT p.id, p.open, g.seq, p.accepted_at,
                       CASE WHEN p.open AND random() < {p_big} THEN {BIG}
                            WHEN p.open THEN (ARRAY[{",".join(str(i) for i in range(len(DEPARTMENTS)) if i != BIG)}])
                                             [1 + floor(random() * {len(DEPARTMENTS) - 1})::int]
                            ELSE floor(random() * {len(DEPARTMENTS)})::int END AS dept,
                       floor(random() * {len(LIMITS)})::int AS k,
                       random() AS r_status, random() AS r_due, random() AS r_pause, random() AS r_left
                FROM bench_plan p, generate_series(1, p.n) g(seq)
                WHERE p.id BETWEEN %(lo)s AND %(hi)s
            ) y
        ) x
        JOIN bench_matter m ON m.dept = x.dept AND m.k = x.k
        JOIN intake_submission s ON s.id = x.id
    """
    for lo in range(1, n_sub + 1, chunk):
        hi = min(n_sub, lo + chunk - 1)
        step(f"cases of submissions {lo:,}–{hi:,}", case_sql, {"lo": lo, "hi": hi, "now": NOW})
    with connection.cursor() as cursor:
        # Open cases' accepted_at never after their deadline (a red case was accepted before it fell due).
        cursor.execute(
            "UPDATE intake_case SET accepted_at = due_at - budget_us * interval '1 microsecond' * 1.4 "
            "WHERE status IN ('accepted', 'in_progress', 'correction', 'special') AND accepted_at > due_at"
        )
        for table in ("intake_applicant", "intake_submission", "intake_case"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE intake_applicant, intake_submission, intake_case")
    print(f"  VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*), count(*) FILTER (WHERE status IN ('accepted', 'in_progress', 'correction', 'special')),
                      count(*) FILTER (WHERE status IN ('accepted', 'in_progress', 'correction', 'special')
                                         AND department_id = %s),
                      count(*) FILTER (WHERE status IN ('correction', 'special')),
                      count(*) FILTER (WHERE (status IN ('accepted', 'in_progress') AND due_at < %s)
                                          OR (status IN ('correction', 'special') AND left_us <= 0)),
                      count(*) FILTER (WHERE status IN ('accepted', 'in_progress') AND due_at >= %s AND warn_at <= %s),
                      (SELECT count(*) FROM intake_submission), (SELECT count(*) FROM intake_applicant),
                      pg_size_pretty(pg_total_relation_size('intake_case'))
               FROM intake_case""",
            [hall["departments"][BIG], NOW, NOW, NOW],
        )
        cases, open_, open_big, paused, red, yellow, subs, applicants, size = cursor.fetchone()
    print(
        f"loaded in {time.perf_counter() - t_start:.0f} s: {applicants:,} applicants, {subs:,} submissions, "
        f"{cases:,} cases ({size} with indexes): {open_:,} open ({open_big:,} in {DEPARTMENTS[BIG]}), "
        f"{paused:,} paused, {red:,} red, {yellow:,} yellow (running) at {NOW:%Y-%m-%d %H:%M %z}",
        flush=True,
    )
    return {"red": red}


# --- child: timing ------------------------------------------------------------------------------------


def explain(fn) -> None:
    """Run fn once capturing its SELECTs, then print EXPLAIN (ANALYZE, BUFFERS) of each (the heavy ones)."""
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
        if "intake_case" not in sql:
            print(f"    ({query['time']} s) {sql[:100]}…: {plan[-1].strip()}")
            continue
        print(f"    {sql[:160]}…")
        for line in plan:
            print("      " + line)


def child() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from yichuang.backoffice import queries
    from yichuang.organisation.models import User

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"PostgreSQL {connection.pg_version}; migrated in {time.perf_counter() - t0:.1f} s; {load()}", flush=True)
    if os.environ.get("YICHUANG_BENCH_REUSE"):  # time again on a database kept by YICHUANG_BENCH_KEEP=1
        hall = {
            "big_officer": User.objects.get(username=f"officer_{BIG:02d}").pk,
            "supervisor": User.objects.get(username="supervisor").pk,
        }
        print("reusing the loaded database", flush=True)
    else:
        hall = create_hall()
        print(f"loading {N_CASES:,} cases (scale {SCALE}) …", flush=True)
        bulk_load(hall)

    officer_pk, supervisor_pk = hall["big_officer"], hall["supervisor"]

    def page(paginate: bool = False) -> int:
        user = User.objects.get(pk=officer_pk)  # what a request's authentication loads
        if paginate:  # what backoffice.views.worklist runs: its paginator (count up to COUNT_CAP + slice)
            rows = list(queries.WorklistPaginator(queries.worklist(user, now=NOW), queries.PAGE_SIZE).get_page(1))
        else:
            rows = list(queries.worklist(user, now=NOW)[:25])
        clocks: dict = {}
        shown = []
        for case in rows:
            site_id = case.submission.site_id
            if site_id not in clocks:
                clocks[site_id] = queries.clock_of(case)
            view = queries.clock_view(case, NOW, clocks[site_id])
            shown.append((case.number, case.level, view.left_text, view.used_percent))
        return len(shown)

    def red_list() -> int:
        """The supervisor's red list as the board shows it: its first 50 and the red count per department."""
        from yichuang.supervision import queries as supervision_queries

        supervisor = User.objects.get(pk=supervisor_pk)
        rows = supervision_queries.red_first(supervisor, now=NOW)
        counts = supervision_queries.department_counts(supervisor, now=NOW)
        return len(rows) + sum(c.red for c in counts)

    board = None
    try:
        from yichuang.supervision import queries as supervision_queries

        board = getattr(supervision_queries, "board", None)
    except ImportError:
        pass

    def board_page() -> int:
        supervisor = User.objects.get(pk=supervisor_pk)
        result = board(supervisor, now=NOW)
        return len(result.red) + result.red_total

    timed = [
        ("page", "worklist page: [:25] + clock_view", page, PAGE_TARGET_MS),
        ("paginated", "worklist page as the view runs it (+ capped count)", lambda: page(True), PAGE_TARGET_MS),
        ("red", "red list: first 50 + counts per department", red_list, RED_TARGET_MS),
    ]
    if board is not None:
        timed.append(("board", "supervision.queries.board(supervisor)", board_page, RED_TARGET_MS))
    for _name, label, fn, _target in timed:
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) — {label}:", flush=True)
        explain(fn)

    levels = {}
    for case in queries.worklist(User.objects.get(pk=officer_pk), now=NOW)[:25]:
        levels[case.level] = levels.get(case.level, 0) + 1
    print(f"\nfirst page levels: {levels}")

    for _ in range(WARMUP if BOARD_REPEATS >= REPEATS else 3):
        for _name, _label, fn, _target in timed:
            fn()
    samples: dict[str, list[float]] = {name: [] for name, *_ in timed}
    t_all = time.perf_counter()
    for i in range(REPEATS):
        for name, _label, fn, _target in timed:
            if name == "board" and i >= BOARD_REPEATS:
                continue
            t0 = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - t0) * 1000)
    print(f"\n{REPEATS} rounds in {time.perf_counter() - t_all:.1f} s; {load()}")
    print(f"{'query':<48}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  target")
    for name, label, _fn, target in timed:
        p50, p95, p99 = percentiles(samples[name])
        verdict = "met" if p95 < target else "MISSED"
        print(f"{label:<48}{p50:>9.2f}{p95:>9.2f}{p99:>9.2f}  p95 < {target:.0f} ms: {verdict}", flush=True)


if __name__ == "__main__":
    main()
