"""The PostgreSQL backend for tier4's databases: the tier1 backend plus two duties.

* **The guard.** A shard holds no users or teams, and the control database no posts or orders,
  yet every table exists everywhere (``schema``): a query joining across the split would read
  an empty table and quietly return nothing. Every data statement is checked against the tables
  that are empty on its database (on a shard, the global tables team-scoped rows point at; on
  the control database, the team-scoped tables) and refused with ``CrossShardQuery``.
* **A shard that does not answer** (refused connection, server gone, pooler unable to log in)
  becomes ``ShardUnavailable``, a 503 with a message, for the teams on that shard only; the
  others, and every global page, are served as usual.

Which database a connection is for comes from its settings: ``"SHARD": "shard1"`` on a shard's
aliases, nothing on the control database's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from django.db import InterfaceError, OperationalError
from django.db.models import ForeignKey

from app.platform.db.backends.postgresql import base
from app.platform.db.unavailable import server_failed
from app.platform.errors import Unavailable

DATA_STATEMENTS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class CrossShardQuery(RuntimeError):
    """A query that reads a table which is empty on the database it was sent to."""


class ShardUnavailable(Unavailable, OperationalError):
    """A 503 for the page (a ``DomainError``), and still a database ``OperationalError`` for code
    that handles one (readiness checks, management commands)."""

    def __init__(self, shard: str) -> None:
        super().__init__(
            "This team's posts and shop are on a database that is not answering right now. "
            "Other teams are not affected; please try again in a moment.",
            retry_after=10,
        )
        self.shard = shard


@functools.cache
def _forbidden(on_shard: bool) -> re.Pattern[str] | None:
    from django.apps import apps

    from app.platform.sharding.routing import is_team_scoped

    tables: set[str] = set()
    for model in apps.get_models():
        if not is_team_scoped(model):
            continue
        if not on_shard:
            tables.add(model._meta.db_table)
            continue
        for field in model._meta.local_fields:
            if isinstance(field, ForeignKey) and not is_team_scoped(field.related_model):
                tables.add(field.related_model._meta.db_table)
    if not tables:
        return None
    return re.compile('"(' + "|".join(re.escape(table) for table in sorted(tables)) + ')"')


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, settings_dict: dict[str, Any], alias: str = "default") -> None:
        super().__init__(settings_dict, alias)
        self.shard: str | None = settings_dict.get("SHARD")
        self.execute_wrappers.append(self._guard)

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        try:
            return super().get_new_connection(conn_params)
        except Exception as exc:
            if self.shard and server_failed(exc):
                raise ShardUnavailable(self.shard) from exc
            raise

    def _guard(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        from app.platform.sharding.routing import migrating_now

        if migrating_now() is None and sql.lstrip()[:6].upper().startswith(DATA_STATEMENTS):
            pattern = _forbidden(self.shard is not None)
            found = pattern.search(sql) if pattern is not None else None
            if found:
                where = f"shard {self.shard}" if self.shard else "the control database"
                raise CrossShardQuery(
                    f"{found.group(1)} is empty on {where}: this query crosses the split between "
                    f"shards and the control database. Read the rows from their own database.\n{sql}"
                )
        if not self.shard:
            return execute(sql, params, many, context)
        try:
            return execute(sql, params, many, context)
        except (OperationalError, InterfaceError) as exc:
            if server_failed(exc):
                raise ShardUnavailable(self.shard) from exc
            raise
