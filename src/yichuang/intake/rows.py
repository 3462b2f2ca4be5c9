"""Inserting an intake's rows with one plain statement per table.

An intake of the 企业开办 bundle writes ~30 rows (submission, 16 materials, 6 cases, 7 timeline events). Through
`bulk_create` every value of every row passes through its field's `pre_save` and `get_db_prep_save`; here only
the values that need it (dates, datetimes, JSON) do, the rest go to the driver as they are. On PostgreSQL the
rows travel as one array per column (`INSERT … SELECT * FROM UNNEST(%s::type[], …)`), so the statement's text
and its parameter count are the same whatever the number of rows, and psycopg keeps it parsed (it does not for
statements of more than 50 parameters). Elsewhere a multi-row VALUES list. Use only for models without
`auto_now` fields or custom `pre_save` logic, and with every value already set on the instance (defaults are, by
`Model.__init__`).
"""

from functools import cache

from django.db import connection, models


@cache
def _fields(model: type[models.Model]) -> tuple[list, list[bool]]:
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]  # the database numbers the rows
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            raise ValueError(f"{model.__name__}.{f.name} needs pre_save: insert it with the ORM")
    return fields, [isinstance(f, models.DateField | models.JSONField) for f in fields]


@cache
def _head(model: type[models.Model], vendor: str) -> str:
    fields, _prepare = _fields(model)
    q = connection.ops.quote_name
    head = f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "
    if vendor == "postgresql":
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
        return head + f"SELECT * FROM UNNEST({arrays})"
    return head + "VALUES "


def insert(instances: list[models.Model], returning: bool = False) -> list[models.Model]:
    """INSERT the instances (all of one model) in one statement; with `returning`, set their primary keys."""
    if not instances:
        return instances
    model = type(instances[0])
    fields, prepare = _fields(model)
    rows = [
        [field.get_db_prep_save(getattr(obj, field.attname), connection) if needs else getattr(obj, field.attname)
         for field, needs in zip(fields, prepare, strict=True)]
        for obj in instances
    ]  # fmt: skip
    sql = _head(model, connection.vendor)
    if connection.vendor == "postgresql":
        params = [list(column) for column in zip(*rows, strict=True)]
    else:
        sql += ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
        params = [value for row in rows for value in row]
    with connection.cursor() as cursor:
        if not returning:
            cursor.execute(sql, params)
            return instances
        pk = model._meta.pk
        cursor.execute(sql + f" RETURNING {connection.ops.quote_name(pk.column)}", params)
        for obj, (value,) in zip(instances, cursor.fetchall(), strict=True):
            setattr(obj, pk.attname, value)
            obj._state.adding = False
            obj._state.db = connection.alias
    return instances
