"""Celery workers, one per entry of the tier's ``WORKERS``, and the outbox relay (tier1 on)."""

from __future__ import annotations

from app.runner.units.kinds import Context, Daemon, Group, ReadyOnLogLine


class Worker(ReadyOnLogLine):
    """One Celery worker process (prefork) for the queues the tier's ``WORKERS`` entry names."""

    marker = b" ready."

    def __init__(self, name: str, queues: tuple[str, ...], concurrency: int):
        self.name = name
        self.queues = queues
        self.concurrency = concurrency

    def command(self, ctx: Context) -> list[str]:
        return [
            ctx.bin("celery"),
            "-A",
            "config.celery",
            "worker",
            "--loglevel",
            "INFO",
            "--hostname",
            f"{self.name}@%h",
            "--queues",
            ",".join(self.queues),
            "--concurrency",
            str(self.concurrency),
            "--prefetch-multiplier",
            "1",
            # No gossip, mingle or heartbeat between workers: they cost start-up time and
            # broker traffic, and nothing here uses them.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]

    def address(self, ctx: Context) -> str:
        return f"queues {', '.join(self.queues)} × {self.concurrency}"


class Workers(Group):
    """Every worker the tier's ``WORKERS`` setting lists, started and stopped together."""

    name = "workers"

    def members(self, ctx: Context) -> list[Daemon]:
        return [Worker(f"worker-{w['name']}", tuple(w["queues"]), w["concurrency"]) for w in ctx.settings.WORKERS]


class JobsRelay(ReadyOnLogLine):
    """The outbox's relay and sweeper (``manage.py jobs_relay``): jobs the broker never got or lost go out again."""

    name = "relay"
    marker = b"relay: watching the outbox"

    def command(self, ctx: Context) -> list[str]:
        return [ctx.python, str(ctx.base_dir / "manage.py"), "jobs_relay"]

    def address(self, ctx: Context) -> str:
        return "outbox → broker"
