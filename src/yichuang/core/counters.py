"""Counters advanced in one statement: `INSERT … ON CONFLICT (keys) DO UPDATE SET last = last + 1 RETURNING last`.

A counter is a model with a `last` integer field and a unique constraint on the key fields; `bump(Model,
key=value, …)` returns the next value for that key (1 for a new key). It works on SQLite ≥ 3.35 and PostgreSQL.
Inside a transaction the number belongs to it: if the transaction rolls back, so does the number (no gaps), and
on PostgreSQL the counter row stays locked until the transaction ends — bump as late as possible then.

Outside a transaction (autocommit) the statement commits by itself and the row is locked only while it runs.
`flush=False` then lets PostgreSQL commit it without waiting for the disk (synchronous_commit off for that one
statement): safe for a number that a following transaction of the same connection uses, because that
transaction's own commit flushes the log up to and including the earlier counter update; if the machine fails
before, the number was never used and is drawn again. Inside a transaction `flush` is ignored (it would apply
to the whole transaction).
"""

from django.db import connection, models


def bump(model: type[models.Model], flush: bool = True, **keys) -> int:
    if not keys:
        raise ValueError("a counter needs its key fields")
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    columns = [connection.ops.quote_name(meta.get_field(name).column) for name in keys]
    last = connection.ops.quote_name(meta.get_field("last").column)
    values = [meta.get_field(name).get_db_prep_value(value, connection) for name, value in keys.items()]
    placeholders = ", ".join(["%s"] * len(values))
    source = f"VALUES ({placeholders}, 1)"
    if not flush and connection.vendor == "postgresql" and not connection.in_atomic_block:
        # The statement is its own transaction: set_config(…, true) lasts exactly until its commit.
        source = f"SELECT {placeholders}, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush"
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}, {last}) {source} "
        f"ON CONFLICT ({', '.join(columns)}) DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone()[0]
