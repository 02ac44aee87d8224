"""Insert many rows fast, below the ORM: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

Building a model instance per row costs more than the insert itself; at a million
orders that is the difference between seconds and minutes. Rows carry explicit
primary keys so related rows can point at them without a round trip: ``reserve_ids``
takes a block of them from the table's own id sequence, so they can never collide with
ids the running app hands out meanwhile (``MAX(id) + 1`` could, and would mean nothing
once tier4 spreads a table over several databases).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from django.core.management.color import no_style
from django.db import connections, transaction
from django.db.models import Max, Model

BATCH_ROWS = 20_000


def first_free_id(model: type[Model], using: str = "default") -> int:
    """The first primary key above every existing row (what a data move verifies sequences against)."""
    return (model._default_manager.using(using).aggregate(top=Max("pk"))["top"] or 0) + 1


def reserve_ids(model: type[Model], count: int, using: str = "default") -> range:
    """``count`` consecutive primary keys nobody else will be given.

    PostgreSQL: the sequence steps by ``count`` once (``ALTER SEQUENCE … INCREMENT BY``, then
    ``nextval``, then back to 1), so the block ends at the value returned (or, on a sequence
    never used, starts there); any ``nextval`` by someone else comes before the block or after
    it. PostgreSQL holds others' ``nextval`` on that sequence until the caller's transaction
    ends, so a long seed should run while the app is quiet. SQLite has no sequences; tier0 writes
    under one database-wide lock, held by the caller's transaction, so the ids above the
    largest are free until it commits.
    """
    connection = connections[using]
    if count <= 0:
        return range(0)
    if connection.vendor != "postgresql":
        first = first_free_id(model, using)
        return range(first, first + count)
    table, column = model._meta.db_table, _column(model, model._meta.pk.attname)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
        (sequence,) = cursor.fetchone() or (None,)
        if sequence is None:
            raise ValueError(f"{table}.{column} takes its ids from no sequence")
        # The name comes from PostgreSQL itself, already quoted; the step is an integer. The
        # ALTER holds everyone else's nextval on this sequence until the transaction ends.
        cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY {int(count)}")
        cursor.execute(f"SELECT is_called FROM {sequence}")  # noqa: S608 - a name PostgreSQL returned
        (called,) = cursor.fetchone() or (True,)
        cursor.execute("SELECT nextval(%s)", [sequence])
        (value,) = cursor.fetchone() or (0,)
        cursor.execute(f"ALTER SEQUENCE {sequence} INCREMENT BY 1")
        if called:  # nextval stepped by count: the block ends at the value it gave
            return range(value - count + 1, value + 1)
        # A sequence never used gives its start value first, whatever the step: the block starts
        # there, and the sequence is moved to its end so the next nextval comes after it.
        cursor.execute("SELECT setval(%s, %s)", [sequence, value + count - 1])
        return range(value, value + count)


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


def load_mode(using: str = "default") -> None:
    """For the rest of the caller's transaction, load rows as ``pg_restore --disable-triggers`` does.

    Each row of a ``COPY`` otherwise queues a foreign-key check per constraint (Django's are
    deferred to the commit), and those checks, not the copying, were most of a seed's time.
    ``session_replication_role = replica`` skips them (and every other trigger); it is for
    writers that guarantee integrity by construction, as the seeder does with ids it reserved
    itself (``tests/seeding`` verifies every reference afterwards). Only a superuser may set it:
    anyone else loads with the checks. The commit need not wait for the disk either: a seed
    lost to a crash is run again. A no-op on SQLite.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise RuntimeError("load_mode() lasts for one transaction: call it inside transaction.atomic()")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        (superuser,) = cursor.fetchone() or (False,)
        if superuser:
            cursor.execute("SET LOCAL session_replication_role = replica")


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
