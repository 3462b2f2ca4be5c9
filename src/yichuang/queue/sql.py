"""Plain statements for the hot paths of the queue (issuing, calling, finishing).

Every call of a busy hall runs through these: the ORM's query building costs about half a millisecond per
statement on the hall's servers, a plain statement a fifth of that (docs/performance.md). On PostgreSQL they
go through a server-side binding cursor and are prepared once per connection: psycopg sends the parameters
apart from the statement (Django's own cursors quote them into the text in Python) and PostgreSQL plans
each statement once. Values are still prepared by the model fields (`get_db_prep_save`), and rows read on
SQLite through `Model.objects.raw`, which applies the fields' converters, so both databases behave alike.
"""

import datetime
from contextlib import contextmanager
from functools import cache

from django.db import connection
from django.db.models import DEFERRED
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_time


def params(*values) -> list:
    """Raw SQL parameters as the ORM would send them (SQLite stores datetimes as naive UTC text)."""
    ops = connection.ops
    out = []
    for value in values:
        if isinstance(value, datetime.datetime):
            value = ops.adapt_datetimefield_value(value)
        elif isinstance(value, datetime.date):
            value = ops.adapt_datefield_value(value)
        elif isinstance(value, datetime.time):
            value = ops.adapt_timefield_value(value)
        out.append(value)
    return out


@contextmanager
def cursor():
    """A cursor for the hot statements, in the current transaction; database errors are Django's."""
    if connection.vendor != "postgresql":
        with connection.cursor() as django_cursor:
            yield django_cursor
        return
    import psycopg

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as raw:
        yield PreparingCursor(raw)


class PreparingCursor:
    """psycopg's server-side binding cursor, preparing every statement it runs (once per connection)."""

    def __init__(self, raw):
        self.raw = raw

    def execute(self, statement, params=()):
        return self.raw.execute(statement, params, prepare=True)

    def __getattr__(self, name):
        return getattr(self.raw, name)


def fetch_models(model, statement: str, params) -> list:
    """Instances of `model` from a statement that selects its columns (others are deferred); extra columns
    become attributes."""
    if connection.vendor != "postgresql":
        return list(model.objects.raw(statement, params))
    with cursor() as c:
        c.execute(statement, params)
        names = [column.name for column in c.description]
        rows = c.fetchall()
    fields = model._meta.concrete_fields
    found = []
    for row in rows:
        data = dict(zip(names, row, strict=True))
        instance = model(*[data.pop(f.column) if f.column in data else DEFERRED for f in fields])
        instance._state.adding, instance._state.db = False, connection.alias
        for name, value in data.items():
            setattr(instance, name, value)
        found.append(instance)
    return found


def table(model) -> str:
    return model._meta.db_table


@cache
def _fields(model) -> dict:
    return {f.attname: f for f in model._meta.concrete_fields}


def prepared(model, values: dict) -> tuple[list[str], list]:
    """Quoted column names and parameters prepared by the model's fields."""
    fields = _fields(model)
    names, prepared = [], []
    for attname, value in values.items():
        field = fields[attname]
        names.append(connection.ops.quote_name(field.column))
        prepared.append(field.get_db_prep_save(value, connection))
    return names, prepared


def insert(model, values: dict) -> int:
    """INSERT one row; its primary key."""
    names, row = prepared(model, values)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with cursor() as c:
        c.execute(
            f"INSERT INTO {table(model)} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) RETURNING {pk}",
            row,
        )
        return c.fetchone()[0]


def update(model, pk, values: dict) -> int:
    """UPDATE one row by primary key; the number of rows changed."""
    names, row = prepared(model, values)
    assignments = ", ".join(f"{name} = %s" for name in names)
    with cursor() as c:
        c.execute(
            f"UPDATE {table(model)} SET {assignments} WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s",
            [*row, pk],
        )
        return c.rowcount


def to_datetime(value) -> datetime.datetime | None:
    """A datetime read by a plain statement: aware on PostgreSQL, naive UTC text on SQLite."""
    if value is None or isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return value
    if isinstance(value, str):
        value = parse_datetime(value)
    return timezone.make_aware(value, datetime.UTC) if timezone.is_naive(value) else value


def to_time(value) -> datetime.time | None:
    return parse_time(value) if isinstance(value, str) else value
