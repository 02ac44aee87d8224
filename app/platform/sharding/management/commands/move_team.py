"""``manage.py move_team TEAM SHARD``: move a team's rows to another shard while it keeps working."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from app.platform.errors import DomainError
from app.platform.sharding.moving import move_team


class Command(BaseCommand):
    help = "Move a team (by slug or id) to another shard online: copy, catch up, pause writes briefly, switch, verify."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("team", help="the team's slug or id")
        parser.add_argument("shard", help="the shard to move it to (SHARDING['SHARDS'])")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = apps.get_model(settings.SHARDING["TENANT_MODEL"])
        found = tenant._default_manager.filter(slug=options["team"]).values_list("pk", flat=True).first()
        if found is None and options["team"].isdigit():
            found = tenant._default_manager.filter(pk=int(options["team"])).values_list("pk", flat=True).first()
        if found is None:
            raise CommandError(f"No team called {options['team']!r}.")
        try:
            report = move_team(found, options["shard"], say=self.stdout.write)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Moved team {found} from {report.source} to {report.target}: {report.rows} rows in "
            f"{report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s), write pause "
            f"{report.pause_seconds * 1000:.0f} ms, {report.deleted_from_source} rows deleted from {report.source}."
        )
