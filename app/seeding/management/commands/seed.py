"""``manage.py seed``: build deterministic demo or benchmark data, fast."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from app.accounts.models import User
from app.seeding.builders import DEMO_PASSWORD, DEMO_USERNAME, SeedSize, seed


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
        seconds = time.perf_counter() - started
        summary = ", ".join(f"{n} {name}" for name, n in report.rows.items())
        self.stdout.write(f"Seeded {summary} in {seconds:.1f}s ({report.total / max(seconds, 1e-9):,.0f} rows/s).")
        if options["demo"]:
            self.stdout.write(f"Demo login: {DEMO_USERNAME} / {DEMO_PASSWORD}")
