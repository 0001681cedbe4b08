"""Inserting and updating thousands of rows at once, for the contact importer.

Django's ``bulk_update`` builds a CASE expression per field and per row in
Python, seconds per thousand rows, and ``bulk_create`` spends most of its time
preparing each value. On PostgreSQL the rows travel instead as one JSON
document that the database unpacks with ``jsonb_to_recordset``: one statement,
one parameter, and the row-level security policies apply as to any other
statement. Other databases (SQLite in the embedded default) use the ORM.

Text must hold no NUL character: neither jsonb nor a text column can.

Matching thousands of values (``email__any_of=[...]``) sends them as one array
parameter: the statement does not grow with the list, so neither Django nor
the database driver rewrites thousands of placeholders.
"""

import datetime
import json
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from django.db import connection
from django.db.models import CharField, Field, Lookup, Model, TextField
from django.db.models.lookups import In
from django.utils import timezone

Row = dict[str, Any]


def _is_stamped(field: Field, *, adding: bool) -> bool:
    return getattr(field, "auto_now", False) or (adding and getattr(field, "auto_now_add", False))


def _dumper(fields: Sequence[Field], *, adding: bool) -> Callable[[Model], Row]:
    """A function from an object to its row, built once per batch: per-row work stays a few C calls."""
    columns = [field.column for field in fields]
    values_of = attrgetter(*(field.attname for field in fields))
    stamped = [(i, field.attname) for i, field in enumerate(fields) if _is_stamped(field, adding=adding)]
    dates = [i for i, field in enumerate(fields) if field.get_internal_type() in ("DateTimeField", "DateField")]
    now = timezone.now()

    def dump(obj: Model) -> Row:
        for _, attname in stamped:
            setattr(obj, attname, now)  # as save() would
        values = list(values_of(obj))
        for i in dates:
            if isinstance(values[i], datetime.date):
                values[i] = values[i].isoformat()
        return dict(zip(columns, values, strict=True))

    return dump


def _record(fields: Sequence[Field]) -> str:
    """The column list of jsonb_to_recordset. Text goes in unbounded, so a value too long fails the
    insert loudly rather than being cut by the cast."""

    def sql_type(field: Field) -> str:
        return "text" if isinstance(field, CharField | TextField) else field.db_type(connection)

    return ", ".join(f"{connection.ops.quote_name(field.column)} {sql_type(field)}" for field in fields)


def _concrete_fields(model: type[Model]) -> list[Field]:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def insert(model: type[Model], objects: Sequence[Model]) -> None:
    """Insert ``objects`` in one statement and set their primary keys."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return
    dump = _dumper(_concrete_fields(model), adding=True)
    pks = _insert(model, [dump(obj) for obj in objects], returning=True)
    # Rows come back in the order they went in, as Django's own bulk_create relies on.
    for obj, pk in zip(objects, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False


def insert_rows(model: type[Model], rows: Sequence[Row], *, ignore_conflicts: bool = False) -> None:
    """Insert rows given as {column: value} for every column, without making model instances."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], ignore_conflicts=ignore_conflicts)
        return
    _insert(model, rows, returning=False, ignore_conflicts=ignore_conflicts)


def _insert(model: type[Model], rows: Sequence[Row], *, returning: bool, ignore_conflicts: bool = False) -> list:
    quote = connection.ops.quote_name
    fields = _concrete_fields(model)
    columns = ", ".join(quote(field.column) for field in fields)
    tail = "ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    tail += f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 (names from the model)
        f"SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS r({_record(fields)}) {tail}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows, separators=(",", ":"))])
        return [pk for (pk,) in cursor.fetchall()] if returning else []


def update(model: type[Model], objects: Sequence[Model], field_names: Sequence[str]) -> None:
    """Write ``field_names`` of ``objects`` (saved rows of one organization) in one statement."""
    if not objects:
        return
    fields = [model._meta.get_field(name) for name in field_names]
    if connection.vendor != "postgresql":
        now = timezone.now()
        for obj in objects:
            for field in fields:
                if _is_stamped(field, adding=False):
                    setattr(obj, field.attname, now)  # bulk_update leaves auto_now fields alone
        model.objects.bulk_update(objects, field_names)
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
    dump = _dumper([*keys, *fields], adding=False)
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps([dump(obj) for obj in objects], separators=(",", ":"))])


@CharField.register_lookup
class AnyOf(Lookup):
    """``column = ANY(%s)`` with the values as one array on PostgreSQL; ``IN`` elsewhere."""

    lookup_name = "any_of"
    prepare_rhs = False  # a list of text, as it is

    def as_sql(self, compiler, connection):
        return In(self.lhs, list(self.rhs)).as_sql(compiler, connection)

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, [str(value) for value in self.rhs]]
