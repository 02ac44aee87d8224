"""Insert many rows fast, below the ORM: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

Building a model instance per row costs more than the insert itself; at a million
orders that is the difference between seconds and minutes. Rows carry explicit
primary keys so related rows can point at them without a round trip; sequences are
moved past them afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.core.management.color import no_style
from django.db import connections
from django.db.models import Max, Model

BATCH_ROWS = 20_000


def next_id(model: type[Model], using: str = "default") -> int:
    """The first primary key free above every existing row."""
    return (model._default_manager.using(using).aggregate(top=Max("pk"))["top"] or 0) + 1


def bulk_insert(
    model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]], using: str = "default"
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``model``'s table; returns how many."""
    connection = connections[using]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(_column(model, c)) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from django.db.models import JSONField
            from psycopg.types.json import Jsonb

            # COPY dumps by Python type; a dict or list bound for a jsonb column must say so.
            json_at = [i for i, c in enumerate(columns) if isinstance(model._meta.get_field(c), JSONField)]
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    if json_at:
                        row = list(row)
                        for i in json_at:
                            row[i] = None if row[i] is None else Jsonb(row[i])
                    copy.write_row(row)
                    count += 1
        else:
            # Table and column names come from model metadata and are quoted; values are parameters.
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
            for batch in _batches(rows, BATCH_ROWS):
                cursor.executemany(sql, batch)
                count += len(batch)
    return count


def reset_sequences(models: Sequence[type[Model]], using: str = "default") -> None:
    """Move each table's id sequence past the explicit ids we inserted (a no-op on SQLite)."""
    connection = connections[using]
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _batches(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _column(model: type[Model], name: str) -> str:
    """The database column of one of ``model``'s concrete fields."""
    field = model._meta.get_field(name)
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise ValueError(f"{model.__name__}.{name} has no column of its own")
    return column
