"""The one-shot steps a stack runs before it serves: migrate, collect static files, seed the demo."""

from __future__ import annotations

from app.runner.units.kinds import Context, Task


class Migrate(Task):
    """Migrations run over ``MIGRATION_DATABASE``: from tier2 a direct connection, not the pooler,
    because they rely on session state (lock timeouts, advisory locks); where a tier has several
    databases (tier4's shards), over each of ``MIGRATION_DATABASES`` in turn."""

    name = "migrate"

    def databases(self, ctx: Context) -> list[str]:
        return list(getattr(ctx.settings, "MIGRATION_DATABASES", [ctx.settings.MIGRATION_DATABASE]))

    def start(self, ctx: Context) -> None:
        for database in self.databases(ctx):
            self.run(ctx, ["migrate", "--noinput", "--database", database])


class CollectStatic(Task):
    name = "collectstatic"
    arguments = ["collectstatic", "--noinput", "-v0"]


class SeedDemo(Task):
    name = "seed-demo"
    arguments = ["seed", "--demo", "--if-empty"]
