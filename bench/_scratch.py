"""The harness the PostgreSQL benchmarks share: the machine line, the load, and a scratch database.

`run_in_scratch_database(module, name, child_flag)` creates the database `name` on the server of
$DATABASE_URL (when that is a postgres:// URL) or postgres://postgres@127.0.0.1:5432/postgres, runs
`python -m <module>` as a child process against it (with `child_flag` set in its environment), and drops it
afterwards. YICHUANG_BENCH_KEEP=1 keeps the database; YICHUANG_BENCH_REUSE=1 times again on a kept one (the
child decides not to load it again).
"""

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def run_in_scratch_database(module: str, name: str, child_flag: str) -> None:
    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M %Z')}; {load()}")
    reuse = bool(os.environ.get("YICHUANG_BENCH_REUSE"))
    keep = reuse or bool(os.environ.get("YICHUANG_BENCH_KEEP"))
    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url.startswith("postgres"):
        admin_url = PG_DEFAULT
    import psycopg

    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            if not reuse:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {name}")
    except Exception as exc:
        print(f"PostgreSQL not available at {admin_url}: {exc}")
        return
    try:
        env = {
            **os.environ,
            child_flag: "1",
            "DATABASE_URL": with_database(admin_url, name),
            "DJANGO_SETTINGS_MODULE": "yichuang.settings",
            "SECRET_KEY": "bench-only-not-secret",
            "LOG_LEVEL": "WARNING",
        }
        with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
            env["YICHUANG_VAR_DIR"] = tmp
            code = subprocess.run([sys.executable, "-m", module], cwd=ROOT, env=env).returncode
        if code:
            print(f"the benchmark failed (exit {code})")
    finally:
        if keep:  # to look at plans by hand afterwards, or to time again
            print(f"kept the scratch database {name}")
        else:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99 of the samples (every benchmark reports these three)."""
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return q[49], q[94], q[98]
