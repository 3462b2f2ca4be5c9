"""What the HTTP benchmarks share: their scratch database, granian started and stopped, percentiles.

    base, url = scratch_database("bench_intake")      # created afresh; drop_database(base, name) at the end
    with granian(env, port) as proc: wait_for_server(proc, port, "/api/bundles"); …
"""

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/postgres"


def psql(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def scratch_database(name: str) -> tuple[str, str]:
    """(the server's admin URL, the URL of database `name`), created afresh on the server of $DATABASE_URL when
    that is a postgres:// URL, else on postgres://postgres@127.0.0.1:5432/postgres."""
    base = os.environ.get("DATABASE_URL", "")
    base = base if base.startswith("postgres") else PG_DEFAULT
    psql(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(base, f"CREATE DATABASE {name}")
    return base, urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def drop_database(base: str, name: str) -> None:
    psql(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def server_env(url: str, **extra: str) -> dict:
    """The environment of the setup child and of granian: the scratch database, production-like settings."""
    return {
        **os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "yichuang.settings",
        "PYTHONPATH": str(ROOT / "src"), "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "0", "REDIS_URL": "", **extra,
    }  # fmt: skip


def run_setup(module: str, env: dict, flag: str) -> dict:
    """Run `python -m module` with `flag` set (the benchmark's Django setup) and read the JSON of its last line."""
    done = subprocess.run(
        [sys.executable, "-m", module], env={**env, flag: "1"}, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def granian(env: dict, port: int, workers: str = "2", blocking_threads: str = "1"):
    """granian serving yichuang.wsgi on 127.0.0.1:`port` (WSGI, the deployment's settings by default), stopped
    at the end of the block."""
    command = [
        str(Path(sys.executable).parent / "granian"), "--interface", "wsgi", "--workers", workers,
        "--blocking-threads", blocking_threads, "--host", "127.0.0.1", "--port", str(port), "--no-ws",
        "--log-level", "warning", "yichuang.wsgi:application",
    ]  # fmt: skip
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for_server(proc, port: int, path: str) -> None:
    """Until GET `path` answers 200 (at most a minute); SystemExit with granian's last words if it exits."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"granian exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                pass
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("granian did not answer")


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of the values; NaN when there are none."""
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")
