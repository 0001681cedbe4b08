"""Inserting and updating thousands of rows at once, for the contact importer.

Django's ``bulk_update`` builds a CASE expression per field and per row in
Python, seconds per thousand rows, and ``bulk_create`` spends most of its time
preparing each value. On PostgreSQL the rows travel instead as one JSON
document that the database unpacks with ``jsonb_to_recordset``: one statement,
one parameter, and the row-level security policies apply as to any other
statement. Other databases (SQLite in the embedded default) use the ORM.

Rows are dicts of {column: value} for every column the statement writes, not
model instances: an importer would spend as long making instances as writing
them. Dates and times travel as ISO 8601 text.

Text must hold no NUL character: neither jsonb nor a text column can.
"""

import datetime
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import CharField, Field, Model, TextField

Row = dict[str, Any]


def _record(fields: Sequence[Field]) -> str:
    """The column list of jsonb_to_recordset. Text goes in unbounded, so a value too long fails the
    insert loudly rather than being cut by the cast."""

    def sql_type(field: Field) -> str:
        return "text" if isinstance(field, CharField | TextField) else field.db_type(connection)

    return ", ".join(f"{connection.ops.quote_name(field.column)} {sql_type(field)}" for field in fields)


def _concrete_fields(model: type[Model]) -> list[Field]:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def encode(row: Row) -> str:
    """A row as the JSON that ``insert`` sends; a process that makes rows can encode them itself."""
    return json.dumps(row, separators=(",", ":"), default=_iso)


def _iso(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def insert(model: type[Model], rows: Sequence[Row | str], *, same: Row | None = None) -> list[int]:
    """Insert rows (dicts, or their ``encode``) in one statement; their new primary keys, in order.

    ``same`` gives the columns every row shares, sent once. A column given by neither is NULL.
    """
    if not rows:
        return []
    same = same or {}
    if connection.vendor != "postgresql":
        objects = [model(**same, **(json.loads(row) if isinstance(row, str) else row)) for row in rows]
        return [obj.pk for obj in model.objects.bulk_create(objects)]
    return _insert(model, rows, same, tail=f"RETURNING {connection.ops.quote_name(model._meta.pk.column)}")


def insert_ignoring_conflicts(model: type[Model], rows: Sequence[Row]) -> None:
    """Insert rows in one statement, leaving out those a unique constraint already has."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], ignore_conflicts=True)
        return
    _insert(model, rows, {}, tail="ON CONFLICT DO NOTHING")


def _insert(model: type[Model], rows: Sequence[Row | str], same: Row, *, tail: str) -> list:
    quote = connection.ops.quote_name
    varying = [field for field in _concrete_fields(model) if field.column not in same]
    shared = [model._meta.get_field(name) for name in same]
    columns = ", ".join(quote(field.column) for field in [*varying, *shared])
    selected = ", ".join(
        [*(quote(field.column) for field in varying), *(f"%s::{field.db_type(connection)}" for field in shared)]
    )
    document = "[" + ",".join(row if isinstance(row, str) else encode(row) for row in rows) + "]"
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 (names from the model)
        f"SELECT {selected} FROM jsonb_to_recordset(%s::jsonb) AS r({_record(varying)}) {tail}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*same.values(), document])
        # Rows come back in the order they went in, as Django's own bulk_create relies on.
        return [pk for (pk,) in cursor.fetchall()] if "RETURNING" in tail else []


def update(model: type[Model], rows: Sequence[Row], field_names: Sequence[str]) -> None:
    """Write ``field_names`` of saved rows of one organization, given with their primary key and
    organization, in one statement."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    if connection.vendor != "postgresql":
        model.objects.bulk_update([model(**row) for row in rows], field_names)
        return
    quote = connection.ops.quote_name
    # The organization is matched too: the first wall, beside row-level security.
    keys = [model._meta.pk, model._meta.get_field("organization")]
    assignments = ", ".join(f"{quote(f.column)} = r.{quote(f.column)}" for f in fields)
    matches = " AND ".join(f"t.{quote(f.column)} = r.{quote(f.column)}" for f in keys)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608 (names from the model)
        f"FROM jsonb_to_recordset(%s::jsonb) AS r({_record([*keys, *fields])}) WHERE {matches}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ["[" + ",".join(encode(row) for row in rows) + "]"])
