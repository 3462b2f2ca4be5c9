"""The guide's search in everyday words (`python -m bench search`): how often the matter a citizen means is in
the first five results, on SQLite and on PostgreSQL.

The query set is catalogue/tests/everyday_queries.yaml (written before the search was tuned; each query names the
matter or matters that answer it). Each database gets the demo hall and its catalogue (with its starting
synonyms) in a child process — SQLite in a temporary file, PostgreSQL in the scratch database `bench_search` —
which runs every query through `catalogue.queries.matters`, exactly what /guide/?q= and /api/matters?search= run,
and prints the hit rates at 1, 3 and 5 by kind of query, the misses with what came first instead, and the time
per query.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench._scratch import ROOT, load, machine, run_in_scratch_database

PG_BENCH_DB = "bench_search"
CHILD_FLAG = "YICHUANG_BENCH_SEARCH_CHILD"
QUERY_FILE = ROOT / "src" / "yichuang" / "catalogue" / "tests" / "everyday_queries.yaml"
TARGET_TOP5 = 0.90


def child() -> None:
    import django
    import yaml

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from yichuang.catalogue import queries
    from yichuang.demo.hall import Tally, load_catalogue, load_hall, read_hall

    load_hall(read_hall(), Tally())
    load_catalogue()
    rows = yaml.safe_load(Path(QUERY_FILE).read_text(encoding="utf-8"))["queries"]
    ranks: dict[str, list[int | None]] = defaultdict(list)
    misses, times = [], []
    for row in rows:
        started = time.perf_counter()
        found = list(queries.matters(row["q"]).values_list("code", flat=True)[:10])
        times.append((time.perf_counter() - started) * 1000)
        rank = next((i + 1 for i, code in enumerate(found) if code in row["expect"]), None)
        ranks[row["kind"]].append(rank)
        ranks["all"].append(rank)
        if rank is None or rank > 5:
            misses.append((row["q"], row["expect"], found[:3]))

    print(f"{connection.vendor}: {len(rows)} queries; {load()}")
    print("| kind | queries | top 1 | top 3 | top 5 |")
    print("|---|---:|---:|---:|---:|")
    for kind in ["common", "question", "order", "situation", "all"]:
        got = ranks.get(kind, [])
        if not got:
            continue

        def share(n, got=got):
            return sum(1 for r in got if r is not None and r <= n) / len(got)

        print(f"| {kind} | {len(got)} | {share(1):.1%} | {share(3):.1%} | {share(5):.1%} |")
    top5 = sum(1 for r in ranks["all"] if r is not None and r <= 5) / len(ranks["all"])
    times.sort()
    print(
        f"time per query (ms): p50 {statistics.median(times):.2f}, p95 {times[int(len(times) * 0.95)]:.2f}, "
        f"max {times[-1]:.2f}"
    )
    for q, expect, first in misses:
        print(f"  miss: {q} — expected {', '.join(expect)}; first: {', '.join(first) or 'nothing'}")
    print(f"top 5: {top5:.1%} (target ≥ {TARGET_TOP5:.0%}) — {'met' if top5 >= TARGET_TOP5 else 'NOT met'}")


def main() -> None:
    if os.environ.get(CHILD_FLAG):
        child()
        return
    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M %Z')}")
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        print("\n### SQLite (temporary file)", flush=True)
        env = {
            **os.environ,
            CHILD_FLAG: "1",
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "DJANGO_SETTINGS_MODULE": "yichuang.settings",
            "YICHUANG_VAR_DIR": tmp,
            "SECRET_KEY": "bench-only-not-secret",
            "LOG_LEVEL": "WARNING",
        }
        subprocess.run([sys.executable, "-m", "bench.search"], cwd=ROOT, env=env, check=False)
    print(f"\n### PostgreSQL (scratch database {PG_BENCH_DB})", flush=True)
    run_in_scratch_database("bench.search", PG_BENCH_DB, CHILD_FLAG)


if __name__ == "__main__":
    main()
