"""Fixtures of the exchange tests: the output tests' hall (a case can go from intake to rating), the exchange
switched on, real front databases (MariaDB, PostgreSQL) with tables under a prefix or schema of their own, and
an HTTP target that misbehaves on purpose."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from yichuang.backoffice.tests.conftest import _media, django_db_setup, office  # noqa: F401
from yichuang.exchange.targets import FrontDatabase
from yichuang.output.tests.conftest import desk  # noqa: F401 (fixtures)

MARIADB_URL = "mysql://root@127.0.0.1:3306/test"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(autouse=True)
def _exchange_on(settings):
    settings.EXCHANGE_TARGET = "http://127.0.0.1:9/"  # anything: the tests pass their own target
    settings.EXCHANGE_RETRY_BASE_SECONDS = 30
    settings.EXCHANGE_BATCH_SIZE = 500


def _front(url: str, schema: bool) -> FrontDatabase:
    run = uuid.uuid4().hex[:8]
    if schema:
        target = FrontDatabase(f"{url}?schema=exch_{run}", prefix="yc_")
    else:
        target = FrontDatabase(url, prefix=f"t{run}_")
    try:
        target.connect()
    except Exception as exc:
        pytest.skip(f"front database at {url} not reachable: {exc}")
    target.create_tables()
    return target


@pytest.fixture
def mariadb():
    target = _front(MARIADB_URL, schema=False)
    yield target
    target.drop_tables()
    target.close()


@pytest.fixture
def pgfront():
    target = _front(POSTGRES_URL, schema=True)
    yield target
    target.drop_tables()
    target.close()


@pytest.fixture(params=["mariadb", "postgresql"])
def front(request):
    target = request.getfixturevalue("mariadb" if request.param == "mariadb" else "pgfront")
    return target


def rows(target: FrontDatabase, table: str, columns: str = "row_id, case_no, event_kind, seq") -> list[tuple]:
    conn = target.connect()
    with conn.cursor() as cur:
        cur.execute(f"SELECT {columns} FROM {target.name(table)} ORDER BY seq")
        found = [tuple(r) for r in cur.fetchall()]
    conn.commit()
    return found


class Province(BaseHTTPRequestHandler):
    """The HTTP target. `mode` per server: ok, fail (500), slow (sleeps past the timeout), reject (400). As the
    IETF Idempotency-Key draft has it, a key already stored with another body is answered 422."""

    def do_POST(self):  # noqa: N802
        server = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        data = json.loads(body)
        key = self.headers.get("Idempotency-Key")
        server.requests.append((key, data, dict(self.headers)))
        server.raw.append((key, body))
        mode = server.modes.pop(0) if server.modes else server.mode
        if mode == "slow":
            time.sleep(1.5)
        if mode == "fail":
            self.send_response(500)
            self.end_headers()
            return
        if mode == "reject":
            answer = json.dumps({"reason": "实施编码不在省级实施清单中"}, ensure_ascii=False).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            return
        if key in server.stored_raw and server.stored_raw[key] != body:
            self.send_response(422)  # same key, different body
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        server.stored.setdefault(key, data)
        server.stored_raw.setdefault(key, body)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def province():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Province)
    server.mode, server.modes, server.requests, server.stored = "ok", [], [], {}
    server.raw, server.stored_raw = [], {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/exchange"
    yield server
    server.shutdown()
    server.server_close()
