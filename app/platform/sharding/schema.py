"""Each database's schema under sharding: every table everywhere, no foreign key across databases,
and a range of ids per shard.

* **Every table on every database.** One migration history runs on the control database and on
  each shard, so any database can be migrated, restored or compared the same way; a team-scoped
  table on the control database (or a global one on a shard) simply stays empty, and the
  connection guard (``backend``) refuses a query that reads one.
* **No foreign key across databases.** A post's ``author`` names a user on the control database,
  which the shard cannot check, so on every database the constraints between team-scoped and
  global tables are dropped after each migration (idempotently). Those between team-scoped
  tables (a comment's post, an order's items) stay, within each shard.
* **Ids unique across shards.** Shard N hands out ids from ``N × 10**15`` on (its identity
  sequences start there), so a row keeps its id when its team moves to another shard and an id
  tells which shard the row was born on. Ten shards' ranges stay below 2**53, exact in JSON.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connections
from django.db.models import ForeignKey, Model
from django.db.models.signals import post_migrate, pre_migrate

from app.platform.sharding import directory, routing

ID_RANGE = 10**15


def team_scoped_models() -> list[type[Model]]:
    """The models with rows on the shards: the team-scoped ones and those that follow the team."""
    return [model for model in apps.get_models() if routing.is_team_scoped(model) or routing.follows_team(model)]


def crossing_foreign_keys() -> list[tuple[str, str]]:
    """(table, column) of every foreign key between a team-scoped and a global model."""
    found = []
    for model in apps.get_models():
        for field in model._meta.local_fields:
            if isinstance(field, ForeignKey) and field.db_constraint:  # type: ignore[attr-defined]
                related = field.related_model
                if routing.is_team_scoped(model) != routing.is_team_scoped(related):
                    found.append((model._meta.db_table, field.column))
    return found


def drop_crossing_constraints(alias: str) -> list[str]:
    """Drop the foreign-key constraints ``crossing_foreign_keys`` names on ``alias``; their names."""
    pairs = crossing_foreign_keys()
    if not pairs:
        return []
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f'
              AND (c.conrelid::regclass::text, a.attname) IN (SELECT * FROM unnest(%s::text[], %s::text[]))
            """,
            [[table for table, _ in pairs], [column for _, column in pairs]],
        )
        found = cursor.fetchall()
        quote = connection.ops.quote_name
        for table, name in found:
            cursor.execute(f"ALTER TABLE {quote(table.strip(chr(34)))} DROP CONSTRAINT {quote(name)}")
    return [name for _, name in found]


def shard_number(alias: str) -> int | None:
    """1 for the first shard …; ``None`` for the control database. A shard's direct alias names it."""
    shard = connections[alias].settings_dict.get("SHARD")
    return directory.shards().index(shard) + 1 if shard in directory.shards() else None


def born_on(pk: int) -> str | None:
    """The shard whose range ``pk`` is in (where the row was created), or ``None``."""
    number = pk // ID_RANGE
    shards = directory.shards()
    return shards[number - 1] if 1 <= number <= len(shards) else None


def start_id_ranges(alias: str) -> None:
    """Move each team-scoped table's id sequence on shard ``alias`` to the shard's range."""
    number = shard_number(alias)
    if number is None:
        return
    start = number * ID_RANGE
    connection = connections[alias]
    with connection.cursor() as cursor:
        for model in team_scoped_models():
            pk = model._meta.pk
            if pk is None or pk.get_internal_type() not in ("AutoField", "BigAutoField"):
                continue
            cursor.execute(
                "SELECT setval(s::regclass, %s, false) FROM pg_get_serial_sequence(%s, %s) AS s"
                " WHERE (SELECT pg_sequence_last_value(s::regclass)) IS NULL"
                " OR pg_sequence_last_value(s::regclass) < %s",
                [start, model._meta.db_table, pk.column, start],
            )


def _before(sender: Any, using: str = "default", **kwargs: Any) -> None:
    if routing.migrating_now() != using:
        routing.start_migrating(using)


def _after(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """The last app's post-migrate: the schema is complete on ``using``."""
    if connections[using].vendor != "postgresql":
        return
    with routing.migrating(using):
        drop_crossing_constraints(using)
        start_id_ranges(using)
    routing.start_migrating(None)


def connect() -> None:
    config = apps.get_app_config("sharding")
    pre_migrate.connect(_before, dispatch_uid="sharding-before-migrate")
    post_migrate.connect(_after, sender=config, dispatch_uid="sharding-after-migrate")
