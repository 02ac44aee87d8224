"""``manage.py copy_data --from-tier tier0``: copy the lower tier's database into this tier's."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from app.platform.db.datamove import TargetNotEmpty, attach_source, move


class Command(BaseCommand):
    help = "Copy every table from another tier's database into this one, then verify counts and sequences."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--from-tier", help="the tier whose database to copy (e.g. tier0)")
        source.add_argument("--from-sqlite", help="a SQLite file to copy")
        parser.add_argument("--force", action="store_true", help="replace data already in the target")

    def handle(self, *args: Any, **options: Any) -> None:
        attach_source(tier=options["from_tier"], sqlite_path=options["from_sqlite"])
        try:
            report = move(force=options["force"])
        except TargetNotEmpty as exc:
            raise CommandError(f"Refusing to copy: {exc}.") from exc
        for table, (source, target) in sorted(report.counts.items()):
            if source:
                self.stdout.write(f"  {table:<32} {source:>9} → {target:>9}")
        if not report.ok:
            raise CommandError("Copied, but verification failed:\n" + "\n".join(report.problems))
        total = sum(source for source, _ in report.counts.values())
        self.stdout.write(
            self.style.SUCCESS(f"Copied {total} rows in {len(report.counts)} tables; counts and sequences verified.")
        )
