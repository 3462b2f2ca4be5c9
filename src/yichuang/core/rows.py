"""Inserting rows with one plain statement per table, for the hot paths (an intake writes ~35 rows).

Through `bulk_create` or `Model.objects.create` every value passes through its field's `pre_save` and
`get_db_prep_save`, and the statement is compiled anew each time; here the statement is built once per model
and number of rows, and only the values that need it (dates, datetimes, JSON, IP addresses) are prepared, the
rest go to the driver as they are. Same rows, same columns (taken from the model), a third of the Python time.

On PostgreSQL the statement is written with psycopg's own `$n` placeholders and run through its `RawCursor`
(wrapped in Django's cursor, so errors, transactions and execute wrappers are Django's): psycopg parses a
statement of more than 50 parameters written with `%s` again on every call, which cost more than the rest of the
insert. While queries are logged (DEBUG, assertNumQueries) the `%s` form goes through Django's own cursor, whose
log renders the statement with client-side `%s` binding.

`auto_now` / `auto_now_add` fields get their time from their own `pre_save`, as with the ORM. Use only for
models without other custom `pre_save` logic and with every value set on the instance (defaults are, by
`Model.__init__`). No signals are sent (the ORM's bulk_create sends none either).
"""

from functools import cache, lru_cache

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, models


@cache
def _plan(model: type[models.Model]) -> tuple[str, list, list[bool], list[bool]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]  # the database numbers the rows
    stamped = [bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)) for f in fields]
    # The fields whose database value differs from the Python one (the others go to the driver as they are).
    prepare = [isinstance(f, models.DateField | models.JSONField | models.GenericIPAddressField) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES ", fields, stamped, prepare


@lru_cache(maxsize=256)
def _statement(model: type[models.Model], count: int, returning: bool, raw: bool) -> str:
    head, fields, _stamped, _prepare = _plan(model)
    width = len(fields)
    if raw:
        groups = (", ".join(f"${r * width + i}" for i in range(1, width + 1)) for r in range(count))
    else:
        groups = (", ".join(["%s"] * width) for _ in range(count))
    sql = head + ", ".join(f"({group})" for group in groups)
    if returning:
        sql += f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}"
    return sql


def _execute(db, model: type[models.Model], count: int, returning: bool, params: list) -> list | None:
    """Run the INSERT of `count` rows; the new primary keys with `returning`."""
    raw = db.vendor == "postgresql" and not db.queries_logged
    if raw:
        db.ensure_connection()
        cursor = db.make_cursor(psycopg.RawCursor(db.connection))
    else:
        cursor = db.cursor()
    with cursor:
        cursor.execute(_statement(model, count, returning, raw), params)
        return [value for (value,) in cursor.fetchall()] if returning else None


def insert(instances: list[models.Model], returning: bool = False) -> list[models.Model]:
    """INSERT the instances (all of one model) in one statement; with `returning`, set their primary keys."""
    if not instances:
        return instances
    model = type(instances[0])
    _head, fields, stamped, prepare = _plan(model)
    db = connections[DEFAULT_DB_ALIAS]  # not the `connection` proxy: it looks the connection up on every use
    params = []
    for obj in instances:
        for field, stamp, needs in zip(fields, stamped, prepare, strict=True):
            value = field.pre_save(obj, add=True) if stamp else getattr(obj, field.attname)
            params.append(field.get_db_prep_save(value, db) if needs and value is not None else value)
    keys = _execute(db, model, len(instances), returning, params)
    if returning:
        pk = model._meta.pk
        for obj, value in zip(instances, keys, strict=True):
            setattr(obj, pk.attname, value)
            obj._state.adding = False
            obj._state.db = db.alias
    return instances


@cache
def _names(model: type[models.Model]) -> frozenset[str]:
    return frozenset(f.attname for f in _plan(model)[1])


def insert_values(model: type[models.Model], values: list[dict]) -> None:
    """INSERT rows given as `{attname: value}` (`submission_id`, not `submission`) in one statement: what
    `insert([model(**row) …])` writes, the fields not given taking their defaults, without building instances
    (for many small rows nobody reads back, such as an intake's materials and timeline)."""
    if not values:
        return
    _head, fields, stamped, prepare = _plan(model)
    if any(stamped):
        raise ValueError(f"{model.__name__} has auto_now fields: insert instances")
    known = _names(model)
    db = connections[DEFAULT_DB_ALIAS]
    params = []
    for row in values:
        if unknown := row.keys() - known:
            raise TypeError(f"{model.__name__} has no column(s) {sorted(unknown)}")
        for field, needs in zip(fields, prepare, strict=True):
            value = row[field.attname] if field.attname in row else field.get_default()
            params.append(field.get_db_prep_save(value, db) if needs and value is not None else value)
    _execute(db, model, len(values), False, params)


# --- reading ---------------------------------------------------------------------------------------


@cache
def _columns(model: type[models.Model], alias: str) -> tuple[str, list[str], list]:
    fields = model._meta.concrete_fields
    q = connection.ops.quote_name
    converters = []  # per column: (its expression, the functions the ORM would pass its value through)
    for f in fields:
        col = f.get_col(alias)
        converters.append((col, connection.ops.get_db_converters(col) + f.get_db_converters(connection)))
    return ", ".join(f"{q(alias)}.{q(f.column)}" for f in fields), [f.attname for f in fields], converters


def columns(model: type[models.Model], alias: str) -> str:
    """The model's concrete columns as `"alias"."column", …`, in the order `from_row` reads them."""
    return _columns(model, alias)[0]


def from_row(model: type[models.Model], alias: str, row, start: int = 0) -> models.Model:
    """The instance of `model` from `row[start:]` selected with `columns(model, alias)`: the values converted
    as the ORM converts them (SQLite datetimes, JSON), the instance marked as loaded from the database."""
    _sql, names, converters = _columns(model, alias)
    db = connections[DEFAULT_DB_ALIAS]
    values = []
    for i, (col, convs) in enumerate(converters, start):
        value = row[i]
        for conv in convs:
            value = conv(value, col, db)
        values.append(value)
    return model.from_db(db.alias, names, values)
