"""Plain statements for the hot paths of the queue (issuing, calling, finishing).

Every call of a busy hall runs through these: the ORM's query building costs about half a millisecond per
statement on the hall's servers, a plain statement a fifth of that (docs/performance.md). Values are still
prepared by the model fields (`get_db_prep_save`), and rows read back through `Model.objects.raw`, which
applies the fields' converters, so SQLite and PostgreSQL behave the same.
"""

import datetime
from functools import cache

from django.db import connection
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
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table(model)} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) RETURNING {pk}",
            row,
        )
        return cursor.fetchone()[0]


def update(model, pk, values: dict) -> int:
    """UPDATE one row by primary key; the number of rows changed."""
    names, row = prepared(model, values)
    assignments = ", ".join(f"{name} = %s" for name in names)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table(model)} SET {assignments} WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s",
            [*row, pk],
        )
        return cursor.rowcount


def to_datetime(value) -> datetime.datetime | None:
    """A datetime read by a plain statement: aware on PostgreSQL, naive UTC text on SQLite."""
    if value is None or isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return value
    if isinstance(value, str):
        value = parse_datetime(value)
    return timezone.make_aware(value, datetime.UTC) if timezone.is_naive(value) else value


def to_time(value) -> datetime.time | None:
    return parse_time(value) if isinstance(value, str) else value
