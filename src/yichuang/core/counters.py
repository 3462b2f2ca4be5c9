"""Counters advanced in one statement: `INSERT … ON CONFLICT (keys) DO UPDATE SET last = last + 1 RETURNING last`.

A counter is a model with a `last` integer field and a unique constraint on the key fields; `bump(Model,
key=value, …)` returns the next value for that key (1 for a new key). It works on SQLite ≥ 3.35 and PostgreSQL.
Called inside the transaction that uses the number: if the transaction rolls back, so does the number (no
gaps); on PostgreSQL the counter row stays locked until commit, so two transactions never get the same value —
bump as late in the transaction as possible, so that the row is held briefly.
"""

from django.db import connection, models


def bump(model: type[models.Model], **keys) -> int:
    if not keys:
        raise ValueError("a counter needs its key fields")
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    columns = [connection.ops.quote_name(meta.get_field(name).column) for name in keys]
    last = connection.ops.quote_name(meta.get_field("last").column)
    values = [meta.get_field(name).get_db_prep_value(value, connection) for name, value in keys.items()]
    placeholders = ", ".join(["%s"] * len(values))
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}, {last}) VALUES ({placeholders}, 1) "
        f"ON CONFLICT ({', '.join(columns)}) DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone()[0]
