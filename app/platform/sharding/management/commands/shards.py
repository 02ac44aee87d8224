"""``manage.py shards``: each shard's teams, rows, bytes and share of the writes, and the largest
teams across them (``app.platform.sharding.report``), for deciding what to move where."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from app.platform.sharding.report import shard_report


class Command(BaseCommand):
    help = "Report every shard's teams, rows, size and share of the writes, and the largest teams across shards."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--largest", type=int, default=10, help="how many of the largest teams to list")

    def handle(self, *args: Any, **options: Any) -> None:
        report = shard_report(largest=max(0, options["largest"]))
        self.stdout.write(f"{'shard':<10} {'teams':>6} {'moving':>6} {'rows':>12} {'MiB':>8} {'rows':>6} {'writes':>6}")
        for shard in report["shards"]:
            if not shard["up"]:
                self.stdout.write(f"{shard['alias']:<10} DOWN: {shard['error']}")
                continue
            self.stdout.write(
                f"{shard['alias']:<10} {shard['teams']:>6} {len(shard['moving']):>6} {sum(shard['rows'].values()):>12,}"
                f" {shard['bytes'] / 2**20:>8.1f} {shard['share_of_rows']:>6.0%} {shard['share_of_writes']:>6.0%}"
            )
        self.stdout.write(f"{report['teams']} teams; the fullest shard holds {report['imbalance']:.2f}× the mean rows")
        if report["largest_teams"]:
            self.stdout.write("largest teams:")
            for team in report["largest_teams"]:
                self.stdout.write(f"  {team['team_id']:>20}  {team['shard']:<10} {team['rows']:>10,}  {team['name']}")
