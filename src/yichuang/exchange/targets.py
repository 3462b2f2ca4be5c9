"""Where the outbox goes: the province's front database (前置库, PostgreSQL or MySQL/MariaDB) or an HTTP endpoint.

A target takes a batch of claimed events (at most one per case: `services.claim` hands out only the first
unsent event of each case) and answers, per event, "sent", "rejected" (with the province's reason) or "retry".
The row id at the target is `OutboxEvent.row_id`: a second delivery of the same revision — after a crash
between send and acknowledgement — is a no-op there (`ON CONFLICT DO NOTHING`, `ON DUPLICATE KEY UPDATE` with
no change, the HTTP `Idempotency-Key`). Tables and contract: docs/exchange.md.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

from yichuang.core.masking import mask_text

DEFAULT_TIMEOUT = 10.0

COMMON = ["row_id", "operation", "sync_time", "batch_id", "seq", "case_no", "impl_code", "event_kind", "event_time"]
TABLES: dict[str, list[str]] = {
    "accept": [
        "submission_no", "basic_code", "matter_code", "matter_name", "department_code", "department_name",
        "applicant_name", "applicant_id_no", "channel", "accepted_at", "due_at", "limit_unit", "promised_limit",
    ],
    "process": ["department_code", "case_status", "due_at", "detail"],
    "special": ["department_code", "procedure_kind", "case_status", "due_at", "detail"],
    "result": ["department_code", "case_status", "concluded_at", "certificate_number", "detail"],
    "delivery": ["method", "detail"],
    "evaluation": ["department_code", "level", "channel", "comment"],
}  # fmt: skip
MATERIAL = ["row_id", "operation", "sync_time", "batch_id", "seq", "case_no", "accept_row_id", "material_code",
            "material_name", "material_status", "originals", "copies"]  # fmt: skip
WIDE = {"applicant_name": 100, "matter_name": 200, "department_name": 100, "material_name": 200}
INTS = {"seq", "level", "originals", "copies"}
TEXTS = {"detail", "comment"}


class TargetError(Exception):
    """The target could not take the batch now (unreachable, down): every event of it is retried."""


@dataclass
class Outcome:
    status: str  # "sent", "rejected", "retry"
    reason: str = ""


def _value(event, column: str, batch_id: str, sync_time):
    payload = event.payload
    if column == "row_id":
        return event.row_id
    if column == "operation":
        return event.operation
    if column == "sync_time":
        return sync_time
    if column == "batch_id":
        return batch_id
    if column == "seq":
        return event.pk
    if column == "detail":
        return json.dumps(payload.get("detail") or {}, ensure_ascii=False, sort_keys=True)
    value = payload.get(column)
    if value is None:
        value = (payload.get("detail") or {}).get(column)
    if column == "channel" and event.table == "evaluation":
        value = (payload.get("detail") or {}).get("channel")
    return value


def _column_type(column: str, dialect: str) -> str:
    if column == "sync_time":
        return "TIMESTAMP(6) NOT NULL" if dialect == "mysql" else "TIMESTAMPTZ NOT NULL"
    if column in INTS:
        return "BIGINT"
    if column in TEXTS:
        return "TEXT"
    if column == "row_id":
        return "VARCHAR(64) NOT NULL PRIMARY KEY"
    if column == "operation":
        return "CHAR(1) NOT NULL"
    return f"VARCHAR({WIDE.get(column, 64)})"


class FrontDatabase:
    """The front database: one table per kind of event, a material table, and the province's error table."""

    def __init__(self, url: str, prefix: str | None = None):
        self.url = url
        parts = urllib.parse.urlsplit(url)
        self.dialect = "mysql" if parts.scheme.startswith(("mysql", "mariadb")) else "postgresql"
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.schema = query.pop("schema", "")
        self.prefix = prefix if prefix is not None else getattr(settings, "EXCHANGE_TABLE_PREFIX", "yc_")
        self._parts, self._query = parts, query
        self._conn = None

    # --- connection ---------------------------------------------------------------------------------
    def connect(self):
        if self._conn is not None:
            return self._conn
        parts = self._parts
        timeout = float(getattr(settings, "EXCHANGE_TIMEOUT", DEFAULT_TIMEOUT))
        try:
            if self.dialect == "mysql":
                import pymysql

                self._conn = pymysql.connect(
                    host=parts.hostname or "127.0.0.1", port=parts.port or 3306, user=urllib.parse.unquote(
                        parts.username or "root"), password=urllib.parse.unquote(parts.password or ""),
                    database=parts.path.lstrip("/") or None, charset="utf8mb4", autocommit=False,
                    connect_timeout=timeout, read_timeout=timeout * 6, write_timeout=timeout * 6,
                    init_command="SET time_zone = '+00:00', SESSION sql_mode = 'STRICT_ALL_TABLES'",
                )  # fmt: skip
            else:
                import psycopg

                url = urllib.parse.urlunsplit(parts._replace(scheme="postgresql", query=urllib.parse.urlencode(
                    self._query)))  # fmt: skip
                self._conn = psycopg.connect(url, connect_timeout=max(1, int(timeout)), autocommit=False)
        except Exception as exc:
            raise TargetError(f"front database unreachable: {mask_text(str(exc))[:200]}") from None
        return self._conn

    def close(self):
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def name(self, table: str) -> str:
        q = "`" if self.dialect == "mysql" else '"'
        name = f"{q}{self.prefix}{table}{q}"
        return f"{q}{self.schema}{q}.{name}" if self.schema else name

    # --- tables (docs/exchange.md; created by the province, or by `create_tables` for tests and benchmarks)
    def ddl(self) -> list[str]:
        statements = []
        if self.schema and self.dialect == "postgresql":
            statements.append(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        for table, extra in [*TABLES.items(), ("material", None)]:
            columns = MATERIAL if extra is None else COMMON + extra
            body = ", ".join(f"{c} {_column_type(c, self.dialect)}" for c in columns)
            statements.append(f"CREATE TABLE IF NOT EXISTS {self.name(table)} ({body})")
        auto = "BIGINT AUTO_INCREMENT PRIMARY KEY" if self.dialect == "mysql" else "BIGSERIAL PRIMARY KEY"
        now = "CURRENT_TIMESTAMP(6)" if self.dialect == "mysql" else "now()"
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {self.name('error')} (err_id {auto}, table_name VARCHAR(32) NOT NULL, "
            f"row_id VARCHAR(64) NOT NULL, reason TEXT NOT NULL, err_time "
            f"{'TIMESTAMP(6)' if self.dialect == 'mysql' else 'TIMESTAMPTZ'} NOT NULL DEFAULT {now}, "
            f"read_flag SMALLINT NOT NULL DEFAULT 0)"
        )
        return statements

    def create_tables(self):
        conn = self.connect()
        with conn.cursor() as cur:
            for statement in self.ddl():
                cur.execute(statement)
        conn.commit()

    def drop_tables(self):
        conn = self.connect()
        conn.rollback()
        with conn.cursor() as cur:
            if self.schema and self.dialect == "postgresql":
                cur.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            else:
                for table in [*TABLES, "material", "error"]:
                    cur.execute(f"DROP TABLE IF EXISTS {self.name(table)}")
        conn.commit()

    def _insert_sql(self, table: str, columns: list[str]) -> str:
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {self.name(table)} ({', '.join(columns)}) VALUES ({marks})"
        if self.dialect == "mysql":
            return sql + " ON DUPLICATE KEY UPDATE row_id = row_id"
        return sql + " ON CONFLICT (row_id) DO NOTHING"

    # --- delivery -----------------------------------------------------------------------------------
    def send(self, events, batch_id: str) -> dict[int, Outcome]:
        """Write the batch's rows in one transaction of the front database: all of them or none."""
        import datetime as dt

        sync_time = dt.datetime.now(dt.UTC)
        if self.dialect == "mysql":
            sync_time = sync_time.replace(tzinfo=None)  # the session's time zone is UTC
        rows: dict[str, list[tuple]] = {}
        for event in events:
            columns = COMMON + TABLES[event.table]
            rows.setdefault(event.table, []).append(tuple(_value(event, c, batch_id, sync_time) for c in columns))
            for n, material in enumerate(event.payload.get("materials") or (), start=1):
                values = {"row_id": f"{event.row_id}-m{n}", "operation": event.operation, "sync_time": sync_time,
                          "batch_id": batch_id, "seq": event.pk, "case_no": event.payload.get("case_no"),
                          "accept_row_id": event.row_id, **material}  # fmt: skip
                rows.setdefault("material", []).append(tuple(values.get(c) for c in MATERIAL))
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                for table, values in rows.items():
                    columns = MATERIAL if table == "material" else COMMON + TABLES[table]
                    cur.executemany(self._insert_sql(table, columns), values)
            conn.commit()
        except Exception as exc:
            try:
                conn.rollback()
            except Exception:
                self.close()
            raise TargetError(f"front database refused the batch: {mask_text(str(exc))[:200]}") from None
        return {event.pk: Outcome("sent") for event in events}

    def rejections(self, limit: int = 1000) -> list[tuple[int, str, str]]:
        """Unread rows of the province's error table: (err_id, row_id, reason)."""
        conn = self.connect()
        with conn.cursor() as cur:
            cur.execute(
                f"SELECT err_id, row_id, reason FROM {self.name('error')} WHERE read_flag = 0 ORDER BY err_id "
                f"LIMIT {int(limit)}"
            )
            found = [(int(a), str(b), str(c)) for a, b, c in cur.fetchall()]
        conn.commit()
        return found

    def mark_read(self, err_ids: list[int]) -> None:
        if not err_ids:
            return
        conn = self.connect()
        with conn.cursor() as cur:
            marks = ", ".join(["%s"] * len(err_ids))
            cur.execute(f"UPDATE {self.name('error')} SET read_flag = 1 WHERE err_id IN ({marks})", list(err_ids))
        conn.commit()


class HttpTarget:
    """POSTs each event as JSON, one request per event, in the batch's order (docs/exchange.md, HTTP contract)."""

    def __init__(self, url: str, secret: str | None = None, timeout: float | None = None):
        self.url = url
        self.secret = secret if secret is not None else getattr(settings, "EXCHANGE_SECRET", "")
        self.timeout = float(timeout or getattr(settings, "EXCHANGE_TIMEOUT", DEFAULT_TIMEOUT))

    def body(self, event, batch_id: str) -> bytes:
        return json.dumps(
            {"row_id": event.row_id, "operation": event.operation, "table": event.table, "seq": event.pk,
             "case_no": event.stream, "batch_id": batch_id, "data": event.payload},
            ensure_ascii=False, sort_keys=True,
        ).encode()  # fmt: skip

    def signature(self, timestamp: str, body: bytes) -> str:
        digest = hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return f"sha256={digest}"

    def _one(self, event, batch_id: str) -> Outcome:
        body = self.body(event, batch_id)
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": event.row_id,
                   "User-Agent": "yichuang-exchange/1"}  # fmt: skip
        if self.secret:
            timestamp = str(int(time.time()))
            headers["X-Yichuang-Timestamp"] = timestamp
            headers["X-Yichuang-Signature"] = self.signature(timestamp, body)
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (http(s) only)
                status = response.status
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500 and exc.code not in (408, 425, 429):
                return Outcome("rejected", _reason(exc.read(4000), exc.code))
            return Outcome("retry", f"target answered HTTP {exc.code}")
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            return Outcome("retry", f"target unreachable: {mask_text(str(getattr(exc, 'reason', exc)))[:200]}")
        if 200 <= status < 300:
            return Outcome("sent")
        return Outcome("retry", f"target answered HTTP {status}")

    def send(self, events, batch_id: str) -> dict[int, Outcome]:
        outcomes = {}
        for event in events:
            outcome = self._one(event, batch_id)
            outcomes[event.pk] = outcome
            if outcome.status == "retry" and outcome.reason.startswith("target unreachable"):
                for rest in events[len(outcomes) :]:  # down: the rest of the batch waits for the next attempt
                    outcomes[rest.pk] = Outcome("retry", outcome.reason)
                break
        return outcomes

    def rejections(self, limit: int = 1000) -> list:
        return []  # the HTTP target rejects inline (a 4xx with a reason)

    def mark_read(self, err_ids) -> None:
        pass

    def close(self) -> None:
        pass


def _reason(raw: bytes, code: int) -> str:
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
        if isinstance(data, dict) and data.get("reason"):
            text = str(data["reason"])
    except ValueError:
        pass
    return (text or f"HTTP {code}")[:1000]


def get_target(url: str | None = None):
    url = url if url is not None else getattr(settings, "EXCHANGE_TARGET", "")
    if not url:
        return None
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme in ("http", "https"):
        return HttpTarget(url)
    if scheme in ("postgres", "postgresql", "mysql", "mariadb"):
        return FrontDatabase(url)
    raise ValueError(f"EXCHANGE_TARGET: unknown scheme {scheme!r}")
