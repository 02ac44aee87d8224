"""Celery workers, one per entry of the tier's ``WORKERS``, and the outbox relay (tier1 on)."""

from __future__ import annotations

from pathlib import Path

from app.runner.units.kinds import Context, Daemon, Group, ReadyOnLogLine
from app.runner.units.monitoring import exporter_port, fresh_metrics_folder, worker_slot


class Worker(ReadyOnLogLine):
    """One Celery worker process (prefork) for the queues the tier's ``WORKERS`` entry names."""

    marker = b" ready."
    drops_root = True

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

    def environment(self, ctx: Context) -> dict[str, str]:
        # From tier3 its prefork children count in a folder of its own, and its main process
        # serves their sum to Prometheus (app.platform.telemetry.worker_exposition).
        if not ctx.settings.METRICS:
            return ctx.env
        return {
            **ctx.env,
            "PROMETHEUS_MULTIPROC_DIR": str(ctx.var_dir / "metrics" / self.name),
            "METRICS_PORT": str(exporter_port(ctx, worker_slot(ctx, self.name))),
        }

    def ports(self, ctx: Context) -> list[int]:
        return [int(self.environment(ctx)["METRICS_PORT"])] if ctx.settings.METRICS else []

    def prepare(self, ctx: Context) -> None:
        """Give the account it runs as the media folder: it writes invoices and thumbnails there."""
        super().prepare(ctx)
        if ctx.settings.METRICS:
            fresh_metrics_folder(ctx, self)
        if self.run_as(ctx):
            media = ctx.var_dir / "media"  # MEDIA_ROOT, as base settings derive it from the stack's VAR_DIR
            media.mkdir(parents=True, exist_ok=True)
            self.hand_over_tree(ctx, media)

    def address(self, ctx: Context) -> str:
        return f"queues {', '.join(self.queues)} × {self.concurrency}"


class Workers(Group):
    """Every worker the tier's ``WORKERS`` setting lists, started and stopped together."""

    name = "workers"
    start_together = True

    def members(self, ctx: Context) -> list[Daemon]:
        return [Worker(f"worker-{w['name']}", tuple(w["queues"]), w["concurrency"]) for w in ctx.settings.WORKERS]


class JobsRelay(ReadyOnLogLine):
    """The outbox's relay and sweeper (``manage.py jobs_relay``): jobs the broker never got or lost go out again."""

    name = "relay"
    marker = b"relay: watching the outbox"
    drops_root = True

    def command(self, ctx: Context) -> list[str]:
        return [ctx.python, str(ctx.base_dir / "manage.py"), "jobs_relay"]

    def address(self, ctx: Context) -> str:
        return "outbox → broker"


class Scheduler(ReadyOnLogLine):
    """Celery beat: sends the tier's ``JOBS_PERIODIC`` jobs on time (one scheduler per stack)."""

    name = "scheduler"
    marker = b"beat: Starting"
    drops_root = True

    def folder(self, ctx: Context) -> Path:
        return ctx.var_dir / "scheduler"

    def prepare(self, ctx: Context) -> None:
        """Its own folder for beat's schedule file (when each entry last ran), writable by its account."""
        self.folder(ctx).mkdir(parents=True, exist_ok=True)
        self.hand_over_tree(ctx, self.folder(ctx))

    def command(self, ctx: Context) -> list[str]:
        return [
            ctx.bin("celery"),
            "-A",
            "config.celery",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(self.folder(ctx) / "beat-schedule"),
        ]

    def address(self, ctx: Context) -> str:
        return ", ".join(f"{name.rsplit('.', 1)[-1]} every {s:g}s" for name, s in ctx.settings.JOBS_PERIODIC.items())
