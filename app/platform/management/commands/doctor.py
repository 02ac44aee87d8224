"""``manage.py doctor``: the scaling doctor's report on the running deployment (exit 1 on a problem)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from app.platform.doctor import examine


class Command(BaseCommand):
    help = (
        "Look at the running deployment (database statistics, queries per page, connections, replica, "
        "queues, outbox, cache, latency) and name the milestone problem it has; exit 1 when it finds one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Only reset PostgreSQL's table and statement statistics: the next run judges what happens after.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reset"]:
            from app.platform.doctor.database import reset_statistics

            self.stdout.write(reset_statistics())
            return
        report = examine()
        self.stdout.write(json.dumps(report.as_json(), indent=2) if options["json"] else report.as_text())
        if report.problems:
            raise SystemExit(1)
