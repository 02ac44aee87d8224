"""``manage.py await_database [--migrate | --migrated]``: wait, bounded, for the database a
container needs.

Containers start in any order (podman-compose ignores ``depends_on`` health conditions, and
Kubernetes has none between Deployments), so each app container waits here before it serves
instead of crashing until a restart policy gets lucky. Exactly one container applies the
migrations (``--migrate``: compose's ``migrate`` service, the Kubernetes Job); every other one
waits until they are applied (``--migrated``), so two never migrate at once. Where a tier has
several databases (tier4's shards, ``MIGRATION_DATABASES``), that is every one of them, in turn.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = "Wait until the database answers (and, with --migrated, until its migrations are applied)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait before failing")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--migrate", action="store_true", help="then apply the migrations")
        action.add_argument("--migrated", action="store_true", help="wait until the migrations are applied")

    def handle(self, *args: Any, **options: Any) -> None:
        # Migrations run over MIGRATION_DATABASE: from tier2 a direct connection, not the pooler;
        # in tier4 over each of MIGRATION_DATABASES (the control database's, then each shard's).
        aliases = list(getattr(settings, "MIGRATION_DATABASES", [settings.MIGRATION_DATABASE]))
        # And the connections the process then works with (from tier2 the pooler, a container that
        # may start after this one; in tier4 each shard's pooler too; the demo seed uses them all):
        # all must answer first.
        working = ["default", *(getattr(settings, "SHARDING", None) or {}).get("SHARDS", [])]
        others = [name for name in working if name not in aliases]
        deadline = time.monotonic() + options["timeout"]
        while True:
            try:
                for other in others:
                    self.reach(other)
                pending = [step for alias in aliases for step in self.pending_on(alias)]
            except DatabaseError as exc:
                failing = getattr(exc, "alias", aliases[0])
                problem = f"database {failing!r} does not answer: {str(exc).strip().splitlines()[0]}"
            else:
                if not options["migrated"] or not pending:
                    break
                problem = f"{len(pending)} migrations not applied yet (the migrate job applies them)"
            if time.monotonic() > deadline:
                raise CommandError(f"gave up after {options['timeout']:g} s: {problem}")
            self.stdout.write(f"waiting: {problem}")
            time.sleep(1)
        applied = ", every migration applied" if options["migrated"] else ""
        named = ", ".join(repr(alias) for alias in aliases)
        self.stdout.write(f"database{'s' if len(aliases) > 1 else ''} {named} ready{applied}")
        if options["migrate"]:
            for alias in aliases:
                call_command("migrate", database=alias, interactive=False, verbosity=1)

    def pending_on(self, alias: str) -> list[Any]:
        """``pending(alias)``, a failure naming the database that did not answer."""
        try:
            return self.pending(alias)
        except DatabaseError as exc:
            exc.alias = alias  # type: ignore[attr-defined]
            raise

    @staticmethod
    def reach(alias: str) -> None:
        """Connect to ``alias`` once (a failure names it), then let go of the connection."""
        connection = connections[alias]
        try:
            connection.ensure_connection()
        except DatabaseError as exc:
            exc.alias = alias  # type: ignore[attr-defined]
            raise
        finally:
            connection.close()

    @staticmethod
    def pending(alias: str) -> list[Any]:
        """The migrations not yet applied on ``alias``; connecting is what may fail."""
        connection = connections[alias]
        try:
            executor = MigrationExecutor(connection)
            return executor.migration_plan(executor.loader.graph.leaf_nodes())
        finally:
            connection.close()  # a fresh connection on each try, never a broken one reused
