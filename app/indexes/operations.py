"""A migration operation that adds an index without locking writes, and says what it is for.

On PostgreSQL it runs ``CREATE INDEX CONCURRENTLY`` (so a live table keeps taking
writes while it builds) and stores the query it serves as the index's comment, which
``\\di+`` and ``pg_indexes`` show. A concurrent build that failed half-way leaves an
INVALID index behind; this drops such a leftover first, so re-running the migration heals
it. Migrations using it must set ``atomic = False``.
"""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations.base import Operation


class AddIndexConcurrently(Operation):
    reduces_to_sql = True
    reversible = True

    def __init__(self, *, name: str, table: str, columns: str, serves: str, where: str = "") -> None:
        self.name = name
        self.table = table
        self.columns = columns
        self.serves = serves
        #: A partial index's condition: only the rows a query looks for, so the index stays small.
        self.where = where

    def state_forwards(self, app_label: str, state: Any) -> None:
        """Indexes on other apps' tables are physical only: model state is unchanged."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        quote = schema_editor.quote_name
        if schema_editor.connection.vendor != "postgresql":
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(self.name)} ON {quote(self.table)} ({self.columns}){self._where}"
            )
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
                [self.name],
            )
            leftover = cursor.fetchone()
        if leftover and leftover[0]:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY {quote(self.name)}")
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote(self.name)} ON {quote(self.table)} "
            f"({self.columns}){self._where}"
        )
        schema_editor.execute(f"COMMENT ON INDEX {quote(self.name)} IS %s", [f"serves: {self.serves}"])

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(self.name)}")

    @property
    def _where(self) -> str:
        return f" WHERE {self.where}" if self.where else ""

    def describe(self) -> str:
        return f"Create index {self.name} on {self.table} ({self.columns}) concurrently"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            f"{self.__class__.__module__}.{self.__class__.__name__}",
            [],
            {
                "name": self.name,
                "table": self.table,
                "columns": self.columns,
                "serves": self.serves,
                **({"where": self.where} if self.where else {}),
            },
        )


class RemoveIndexConcurrently(AddIndexConcurrently):
    """Drops, without locking writes, an index an earlier migration added; given that index's
    definition, so that migrating backwards builds it again as it was."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        super().database_backwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def describe(self) -> str:
        return f"Drop index {self.name} on {self.table} concurrently"
