"""The exchange outbox draining 100,000 events into a PostgreSQL front database and into MariaDB
(`python -m bench exchange`).

The parent creates a scratch PostgreSQL database `bench_exchange` (bench._scratch) as the hall's database and runs
the child against it. The child migrates, writes 100,000 outbox rows (20,000 cases × 5 events — accept with two
materials, claim, approve, mail, rating — interleaved as a day's work interleaves them, each with a realistic
payload), then drains them with `exchange.services.deliver_due` (EXCHANGE_BATCH_SIZE 500) into:

1. a PostgreSQL front database: the schema `bench_exchange_front` in the database `postgres` of the same server;
2. MariaDB at 127.0.0.1:3306, database `test`, tables prefixed `bench_<pid>_` (skipped if not reachable).

Printed: events per second for each (claims, sends, acknowledgements and the front database's commits
included). YICHUANG_BENCH_EVENTS (default 100000) changes the count.
"""

import os
import time

from bench._scratch import load, run_in_scratch_database

EVENTS = int(os.environ.get("YICHUANG_BENCH_EVENTS", "100000"))
PER_CASE = 5
CHILD_FLAG = "YICHUANG_BENCH_EXCHANGE_CHILD"
PG_FRONT = "postgresql://postgres@127.0.0.1:5432/postgres?schema=bench_exchange_front"
MARIADB = "mysql://root@127.0.0.1:3306/test"


def main() -> None:
    if os.environ.get(CHILD_FLAG):
        child()
        return
    run_in_scratch_database("bench.exchange", "bench_exchange", CHILD_FLAG)


def _payload(case_no: str, kind: str, n: int) -> dict:
    data = {
        "case_no": case_no, "submission_no": f"S{case_no}", "impl_code": "11411624MB0000000K00010500100001",
        "basic_code": "000105001000", "matter_code": "411624-XK-0001", "matter_name": "食品经营许可（新办）",
        "department_code": "samr", "department_name": "县市场监督管理局", "applicant_name": "张三",
        "applicant_id_no": "411624199001011234", "channel": "window", "accepted_at": "2026-03-10T10:00:00+08:00",
        "due_at": "2026-03-13T17:30:00+08:00", "case_status": "accepted", "concluded_at": None,
        "limit_unit": "working_days", "promised_limit": "3.0", "event_kind": kind,
        "event_time": "2026-03-10T10:00:00+08:00", "detail": {},
    }  # fmt: skip
    if kind == "dispatched":
        data["materials"] = [
            {"material_code": "ID", "material_name": "身份证", "material_status": "received", "originals": 1,
             "copies": 1},
            {"material_code": "LEASE", "material_name": "租赁合同", "material_status": "received", "originals": 0,
             "copies": 1},
        ]  # fmt: skip
    if kind == "approved":
        data["detail"] = {"certificate_number": f"JY{n:010d}", "within_limit": True}
    if kind == "rated":
        data["detail"] = {"level": 5, "channel": "pad", "comment": ""}
    return data


KINDS = [("accept", "dispatched"), ("process", "claimed"), ("result", "approved"), ("delivery", "mailed"),
         ("evaluation", "rated")]  # fmt: skip


def fill() -> None:
    from django.utils import timezone

    from yichuang.exchange.models import OutboxEvent

    cases = EVENTS // PER_CASE
    now = timezone.now()
    t0 = time.perf_counter()
    for table, kind in KINDS:  # round by round: every case's n-th event after every case's (n-1)-th
        rows = [
            OutboxEvent(
                stream=f"411624-{i:08d}",
                table=table,
                kind=kind,
                payload=_payload(f"411624-{i:08d}", kind, i),
                next_attempt_at=now,
                created_at=now,
            )  # fmt: skip
            for i in range(cases)
        ]
        OutboxEvent.objects.bulk_create(rows, batch_size=2000)
    print(f"{cases * PER_CASE:,} outbox rows written in {time.perf_counter() - t0:.1f} s", flush=True)


def drain(label: str, target) -> None:
    from django.db import connection
    from django.utils import timezone

    from yichuang.exchange import services
    from yichuang.exchange.models import OutboxEvent

    OutboxEvent.objects.update(status="pending", attempts=0, next_attempt_at=timezone.now(), batch_id="")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE exchange_outboxevent")
    target.drop_tables()  # a run that was stopped may have left them
    target.create_tables()
    spent = {"claim": 0.0, "send": 0.0, "acknowledge": 0.0}

    def timed(name, func):
        def run(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start

        return run

    claim, acknowledge, send = services.claim, services._acknowledge, target.send
    services.claim, services._acknowledge = timed("claim", claim), timed("acknowledge", acknowledge)
    target.send = timed("send", send)
    t0 = time.perf_counter()
    try:
        report = services.deliver_due(target=target)
    finally:
        services.claim, services._acknowledge = claim, acknowledge
        del target.send
    elapsed = time.perf_counter() - t0
    conn = target.connect()
    with conn.cursor() as cur:
        counts = {}
        for table in ("accept", "process", "result", "delivery", "evaluation", "material"):
            cur.execute(f"SELECT count(*) FROM {target.name(table)}")
            counts[table] = cur.fetchone()[0]
    conn.commit()
    assert report.sent == EVENTS and sum(counts[t] for t, _k in KINDS) == EVENTS, (report, counts)
    print(
        f"{label}: {report.sent:,} events ({counts['material']:,} material rows) in {elapsed:.1f} s = "
        f"{report.sent / elapsed:,.0f} events/s, {report.batches} batches (claim {spent['claim']:.1f} s, send "
        f"{spent['send']:.1f} s, acknowledge {spent['acknowledge']:.1f} s); {load()}",
        flush=True,
    )
    target.drop_tables()
    target.close()


def child() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from yichuang.exchange.targets import FrontDatabase

    settings.EXCHANGE_BATCH_SIZE = 500
    call_command("migrate", verbosity=0, interactive=False)
    print(f"PostgreSQL {connection.pg_version} (hall database); batch 500", flush=True)
    fill()
    drain("PostgreSQL front database", FrontDatabase(PG_FRONT, prefix="yc_"))
    mariadb = FrontDatabase(MARIADB, prefix=f"bench_{os.getpid()}_")
    try:
        mariadb.connect()
    except Exception as exc:
        print(f"MariaDB not reachable ({exc}): skipped")
        return
    drain(f"MariaDB {mariadb.connect().get_server_info()} front database", mariadb)


if __name__ == "__main__":
    main()
