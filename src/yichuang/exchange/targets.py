"""Where the outbox goes: the province's front database (前置库, PostgreSQL or MySQL/MariaDB) or an HTTP endpoint.

A target takes a batch of claimed events (at most one per case: `services.claim` hands out only the first
unsent event of each case) and answers, per event, "sent", "rejected" (with the province's reason) or "retry".
The row id at the target is `OutboxEvent.row_id`: a second delivery of the same revision — after a crash
between send and acknowledgement — is a no-op there (`ON CONFLICT DO NOTHING`, `ON DUPLICATE KEY UPDATE` with
no change, the HTTP `Idempotency-Key`). Tables and contract: docs/exchange.md.
"""

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

from yichuang.core.masking import mask_text
from yichuang.notifications.backends import sign

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
    return _scalar(column, column_value(event.table, payload, column))


def column_value(table: str, payload: dict, column: str):
    """What the payload gives a column of the province's table: its own key, else the detail's key of that name
    (the evaluation's channel is the rating's channel, from the detail)."""
    detail = payload.get("detail") or {}
    if not isinstance(detail, dict):
        raise TypeError("detail 须为对象")
    if column == "channel" and table == "evaluation":
        return detail.get("channel")
    value = payload.get(column)
    if value is None:
        value = detail.get(column)
    return value


def _scalar(column: str, value):
    """A value one column of the front database can take: a list or an object is the payload's error (the row
    is rejected with the column's name); a number in a text column is sent as text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple)):
        raise TypeError(f"{column} 须为{'整数' if column in INTS else '文本'}")
    if isinstance(value, bool):
        raise TypeError(f"{column} 须为{'整数' if column in INTS else '文本'}")
    if column in INTS:
        return value
    return str(value) if isinstance(value, (int, float)) else value


def column_width(column: str) -> int | None:
    """The width of a text column of the front tables as this hall creates them (None: not a VARCHAR)."""
    if column in INTS or column in TEXTS or column in ("sync_time", "operation"):
        return None
    return WIDE.get(column, 64)


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
    return f"VARCHAR({column_width(column)})"


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
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already closed by the server or the network: nothing to release
                pass

    def _abandon(self) -> None:
        """After a failed statement: roll the transaction back (PostgreSQL refuses anything else until then), or
        drop the connection if even that fails (the next use reconnects)."""
        if self._conn is None:
            return
        try:
            self._conn.rollback()
        except Exception:
            self.close()

    def _row_error(self, exc: Exception) -> bool:
        """Is this the database refusing a row's data (too long, wrong type, null) rather than the connection, the
        schema or a grant failing? Only the former is worth trying row by row."""
        if self.dialect == "mysql":
            import pymysql

            return isinstance(exc, (pymysql.err.DataError, pymysql.err.IntegrityError))
        import psycopg

        if isinstance(exc, (psycopg.DataError, psycopg.IntegrityError)):
            return True
        return getattr(exc, "sqlstate", None) == "42804"  # datatype_mismatch: a value of the wrong type

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
    def _rows(self, event, batch_id: str, sync_time) -> list[tuple[str, tuple]]:
        """The event's rows: (table, values) — its table's row, then its materials'. Raises TypeError,
        ValueError, … on a payload of the wrong shape (the row is then rejected, see `send`)."""
        if not isinstance(event.payload, dict):
            raise TypeError("推送数据须为对象")
        columns = COMMON + TABLES[event.table]
        out = [(event.table, tuple(_value(event, c, batch_id, sync_time) for c in columns))]
        materials = event.payload.get("materials") or []
        if not isinstance(materials, list):
            raise TypeError("materials 须为列表")
        for n, material in enumerate(materials, start=1):
            if not isinstance(material, dict):
                raise TypeError(f"materials 第 {n} 项须为对象")
            values = {"row_id": f"{event.row_id}-m{n}", "operation": event.operation, "sync_time": sync_time,
                      "batch_id": batch_id, "seq": event.pk, "case_no": event.payload.get("case_no"),
                      "accept_row_id": event.row_id}  # fmt: skip
            for column in MATERIAL:
                if column not in values:
                    values[column] = _scalar(f"materials.{column}", material.get(column))
            out.append(("material", tuple(values[c] for c in MATERIAL)))
        return out

    def _write(self, cur, rows: list[tuple[str, tuple]]) -> None:
        by_table: dict[str, list[tuple]] = {}
        for table, values in rows:
            by_table.setdefault(table, []).append(values)
        for table, values in by_table.items():
            columns = MATERIAL if table == "material" else COMMON + TABLES[table]
            cur.executemany(self._insert_sql(table, columns), values)

    def send(self, events, batch_id: str) -> dict[int, Outcome]:
        """Write the batch's rows in one transaction of the front database. If the database refuses a row's
        data (a value too long for its column, of the wrong type …), the batch is written again one event per
        transaction: the refused event is rejected with the database's message, the others are sent. A payload
        of the wrong shape (found while building the rows) is rejected without being tried."""
        import datetime as dt

        sync_time = dt.datetime.now(dt.UTC)
        if self.dialect == "mysql":
            sync_time = sync_time.replace(tzinfo=None)  # the session's time zone is UTC
        outcomes: dict[int, Outcome] = {}
        built: list[tuple] = []  # (event, rows)
        for event in events:
            try:
                built.append((event, self._rows(event, batch_id, sync_time)))
            except Exception as exc:  # the payload's shape: this row only, never the drain
                outcomes[event.pk] = Outcome("rejected", f"推送数据格式有误：{_safe(exc, [])}")
        if not built:
            return outcomes
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                self._write(cur, [row for _event, rows in built for row in rows])
            conn.commit()
        except Exception as exc:
            self._abandon()
            if not self._row_error(exc):
                raise TargetError(f"front database refused the batch: {_safe(exc, [])}") from None
            return {**outcomes, **self._send_one_by_one(built)}
        return {**outcomes, **{event.pk: Outcome("sent") for event, _rows in built}}

    def _send_one_by_one(self, built) -> dict[int, Outcome]:
        outcomes: dict[int, Outcome] = {}
        for n, (event, rows) in enumerate(built):
            try:
                conn = self.connect()
                with conn.cursor() as cur:
                    self._write(cur, rows)
                conn.commit()
                outcomes[event.pk] = Outcome("sent")
            except Exception as exc:
                self._abandon()
                values = [v for _table, row in rows for v in row]
                if self._row_error(exc):
                    outcomes[event.pk] = Outcome("rejected", f"前置库拒收：{_safe(exc, values)}")
                    continue
                reason = f"front database refused the row: {_safe(exc, values)}"
                for rest, _rows in built[n:]:  # the connection, not the data: the rest waits for the next attempt
                    outcomes[rest.pk] = Outcome("retry", reason)
                break
        return outcomes

    def rejections(self, limit: int = 1000) -> list[tuple[int, str, str]]:
        """Unread rows of the province's error table: (err_id, row_id, reason). Any failure (no such table, no
        grant, a dropped connection) is a TargetError, the connection left usable for the delivery."""
        try:
            conn = self.connect()
            with conn.cursor() as cur:
                cur.execute(
                    f"SELECT err_id, row_id, reason FROM {self.name('error')} WHERE read_flag = 0 ORDER BY err_id "
                    f"LIMIT {int(limit)}"
                )
                found = [(int(a), str(b), str(c)) for a, b, c in cur.fetchall()]
            conn.commit()
        except TargetError:
            raise
        except Exception as exc:
            self._abandon()
            raise TargetError(f"front database: could not read the error table: {_safe(exc, [])}") from None
        return found

    def mark_read(self, err_ids: list[int]) -> None:
        if not err_ids:
            return
        try:
            conn = self.connect()
            with conn.cursor() as cur:
                marks = ", ".join(["%s"] * len(err_ids))
                cur.execute(f"UPDATE {self.name('error')} SET read_flag = 1 WHERE err_id IN ({marks})", list(err_ids))
            conn.commit()
        except TargetError:
            raise
        except Exception as exc:
            self._abandon()
            raise TargetError(f"front database: could not mark the errors read: {_safe(exc, [])}") from None


def _safe(exc: Exception, values) -> str:
    """The database's message without personal data: the primary message only (PostgreSQL's DETAIL repeats
    the failing row), the row's own values cut out, ID and phone numbers masked."""
    diag = getattr(exc, "diag", None)
    text = getattr(diag, "message_primary", None) if diag is not None else None
    if not text:
        args = getattr(exc, "args", ())
        if len(args) == 2 and isinstance(args[0], int):  # pymysql: (code, message)
            text = f"({args[0]}) {args[1]}"
        else:
            text = str(exc).split("\n")[0]
    for value in sorted({str(v) for v in values if v is not None and len(str(v)) >= 2}, key=len, reverse=True):
        text = text.replace(value, "…")
    return mask_text(text)[:300]


class HttpTarget:
    """POSTs each event as JSON, one request per event, in the batch's order (docs/exchange.md, HTTP contract)."""

    def __init__(self, url: str, secret: str | None = None, timeout: float | None = None):
        self.url = url
        self.secret = secret if secret is not None else getattr(settings, "EXCHANGE_SECRET", "")
        self.timeout = float(timeout or getattr(settings, "EXCHANGE_TIMEOUT", DEFAULT_TIMEOUT))

    def body(self, event) -> bytes:
        """The request's body: the same bytes on every attempt of a row id (the batch is in a header), as an
        endpoint following the Idempotency-Key draft requires of a retry."""
        return json.dumps(
            {"row_id": event.row_id, "operation": event.operation, "table": event.table, "seq": event.pk,
             "case_no": event.stream, "data": event.payload},
            ensure_ascii=False, sort_keys=True,
        ).encode()  # fmt: skip

    def signature(self, timestamp: str, body: bytes) -> str:
        return sign(self.secret, timestamp, body)  # the notifications' webhook signature, one function

    def _one(self, event, batch_id: str) -> Outcome:
        body = self.body(event)
        headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": event.row_id,
                   "X-Yichuang-Batch": batch_id, "User-Agent": "yichuang-exchange/1"}  # fmt: skip
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
        except (TimeoutError, urllib.error.URLError, OSError, http.client.HTTPException) as exc:
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
