"""``manage.py seed``: build deterministic demo or benchmark data, fast."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from app.accounts.models import User
from app.seeding.builders import DEMO_PASSWORD, DEMO_USERNAME, SeedReport, SeedSize, seed

#: Below this many rows a seed is over in a moment and a rate would measure start-up, not inserts.
RATE_FROM_ROWS = 100_000


def summary(report: SeedReport, seconds: float) -> str:
    """One line: what was added and how long it took ("Seeded 50 users, … and 500 order items in
    0.8s."), with the insert rate only for a seed large enough for it to mean something, and the
    time spent drawing pictures left out of that rate."""
    counts = {**report.rows, **({"pictures": report.images} if report.images else {})}
    parts = [f"{n:,} {name.replace('_', ' ').removesuffix('s' if n == 1 else '')}" for name, n in counts.items()]
    listed = f"{', '.join(parts[:-1])} and {parts[-1]}" if len(parts) > 1 else "".join(parts)
    line = f"Seeded {listed} in {seconds:.1f}s"
    inserting = seconds - report.image_seconds
    if report.total >= RATE_FROM_ROWS and inserting > 0:
        line += f" ({report.total / inserting:,.0f} rows/s)"
    return line + "."


class Command(BaseCommand):
    help = "Append deterministic data (fixed random seed): users, teams, posts, comments, products, orders."

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = SeedSize()
        for name in ("users", "teams", "posts", "comments", "products", "orders"):
            parser.add_argument(f"--{name}", type=int, default=getattr(defaults, name), metavar="N")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument(
            "--demo", action="store_true", help=f"make the first user {DEMO_USERNAME!r}, owner of the first team"
        )
        parser.add_argument("--if-empty", action="store_true", help="do nothing if there are users already")
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        if options["if_empty"] and User.objects.using(using).exists():
            self.stdout.write("Data already there; not seeding.")
            return
        counts = {name: options[name] for name in ("users", "teams", "posts", "comments", "products", "orders")}
        for name, value in counts.items():
            if value < 0:
                self.stderr.write(f"--{name} cannot be negative.")
                raise SystemExit(2)
        if counts["users"] < 1 or counts["teams"] < 1:
            self.stderr.write("Seeding needs at least one user and one team.")
            raise SystemExit(2)
        started = time.perf_counter()
        report = seed(SeedSize(**counts), seed=options["seed"], demo=options["demo"], using=using)
        self.stdout.write(summary(report, time.perf_counter() - started))
        if options["demo"]:
            self.stdout.write(f"Demo login: {DEMO_USERNAME} / {DEMO_PASSWORD}")
