"""Move a database to the next tier: every table copied, counts and sequences verified.

Used by ``make migrate-data FROM=tier0 TO=tier1`` to carry a SQLite database into the
tier1 PostgreSQL. The target must already be migrated; rows go in through the fast
bulk path (``COPY`` on PostgreSQL) in one transaction, so a failure leaves the target
as it was.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, transaction
from django.db.models import Model

from app.platform.db.bulk import bulk_insert, first_free_id, reset_sequences

SOURCE = "source"
#: Filled in by ``migrate`` itself, so their presence does not make a target "non-empty".
MIGRATE_CREATED = (ContentType, Permission)


class TargetNotEmpty(Exception):
    pass


@dataclass
class MoveReport:
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def attach_source(*, tier: str | None = None, sqlite_path: str | None = None) -> None:
    """Register the source database as the ``source`` connection alias."""
    if sqlite_path:
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": sqlite_path}
    else:
        database = dict(importlib.import_module(f"config.settings.{tier}").DATABASES["default"])
    configured = connections.configure_settings({"default": dict(connections.settings["default"]), SOURCE: database})
    connections.settings[SOURCE] = configured[SOURCE]
    if SOURCE in connections:
        connections[SOURCE].close()
        del connections[SOURCE]


def copied_models() -> list[type[Model]]:
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped
    ]


def move(*, target: str = "default", force: bool = False) -> MoveReport:
    models = copied_models()
    occupied = [
        m._meta.db_table for m in models if m not in MIGRATE_CREATED and m._default_manager.using(target).exists()
    ]
    if occupied and not force:
        raise TargetNotEmpty(
            f"the target already holds data ({', '.join(occupied[:5])}{'…' if len(occupied) > 5 else ''}); "
            "add FORCE=1 to `make migrate-data` (--force to `manage.py copy_data`) to replace it"
        )
    connection = connections[target]
    with transaction.atomic(using=target):
        with connection.cursor() as cursor:
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                cursor.execute(f"TRUNCATE {tables} CASCADE")
            else:
                for model in models:
                    cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
        for model in models:
            columns = [f.attname for f in model._meta.concrete_fields]
            rows = model._default_manager.using(SOURCE).order_by("pk").values_list(*columns).iterator(chunk_size=5000)
            bulk_insert(model, columns, rows, using=target)
        reset_sequences(models, using=target)
    return verify(models, target=target)


def verify(models: list[type[Model]], *, target: str) -> MoveReport:
    """Counts, contents (a digest of every row, read back through the ORM on both sides) and sequences."""
    report = MoveReport()
    for model in models:
        source_count = model._default_manager.using(SOURCE).count()
        target_count = model._default_manager.using(target).count()
        report.counts[model._meta.db_table] = (source_count, target_count)
        if source_count != target_count:
            report.problems.append(f"{model._meta.db_table}: {source_count} rows in the source, {target_count} copied")
        elif _digest(model, SOURCE) != _digest(model, target):
            report.problems.append(f"{model._meta.db_table}: the copied rows differ from the source's")
        # Only tables whose ids come from a sequence: a session's key, say, is text.
        sequence_next = _sequence_next(model, target)
        if sequence_next is not None and sequence_next < (free := first_free_id(model, target)):
            report.problems.append(
                f"{model._meta.db_table}: the next id would be {sequence_next}, but {free - 1} is taken"
            )
    return report


def _digest(model: type[Model], alias: str) -> str:
    columns = [f.attname for f in model._meta.concrete_fields]
    digest = hashlib.sha256()
    for row in model._default_manager.using(alias).order_by("pk").values_list(*columns).iterator(chunk_size=5000):
        # JSON values compare by content: jsonb stores object keys in its own order.
        canonical = [json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in row]
        digest.update(repr(canonical).encode())
    return digest.hexdigest()


def _sequence_next(model: type[Model], target: str) -> int | None:
    """What the table's id sequence hands out next (PostgreSQL), or None where ids are not sequenced."""
    connection = connections[target]
    if connection.vendor != "postgresql" or model._meta.pk.get_internal_type() not in ("AutoField", "BigAutoField"):
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column])
        (sequence,) = cursor.fetchone()
        if sequence is None:
            return None
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608 - a name PostgreSQL returned
        last_value, is_called = cursor.fetchone()
    return last_value + 1 if is_called else last_value
