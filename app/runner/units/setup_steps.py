"""The one-shot steps a stack runs before it serves: migrate, collect static files, seed the demo."""

from __future__ import annotations

from app.runner.units.kinds import Context, Task


class Migrate(Task):
    """Migrations run over ``MIGRATION_DATABASE``: from tier2 a direct connection, not the pooler,
    because they rely on session state (lock timeouts, advisory locks)."""

    name = "migrate"

    def args(self, ctx: Context) -> list[str]:
        return ["migrate", "--noinput", "--database", ctx.settings.MIGRATION_DATABASE]


class CollectStatic(Task):
    name = "collectstatic"
    arguments = ["collectstatic", "--noinput", "-v0"]


class SeedDemo(Task):
    name = "seed-demo"
    arguments = ["seed", "--demo", "--if-empty"]
