"""The media service (tier3 on): ``MEDIA_SERVICE["INSTANCES"]`` worker processes of
``services/media``, each rendering ``CONCURRENCY`` requests at a time.

Each runs from the service's own folder with an environment of its own (``MEDIA_*``): the
application's folder is not on its path, so it could not import the application if it tried.
"""

from __future__ import annotations

from pathlib import Path

from app.runner.units.kinds import Context, Daemon, Group, ReadyOnLogLine
from app.runner.units.object_store import ObjectStore


def service_environment(ctx: Context) -> dict[str, str]:
    """The ``MEDIA_*`` variables the service reads (compose and the Kubernetes overlay set the same
    names): addresses from the stack's own ports and environment, as the app's processes derive
    theirs, and queue and bucket names from the tier's settings."""
    media = ctx.settings.MEDIA_SERVICE
    store = ctx.settings.OBJECT_STORE
    return {
        "MEDIA_BROKER_URL": ctx.env.get("CELERY_BROKER_URL", f"redis://127.0.0.1:{ctx.port('REDIS_PORT')}/0"),
        "MEDIA_QUEUE": media["QUEUE"],
        "MEDIA_RESULTS_QUEUE": media["RESULTS_QUEUE"],
        "MEDIA_CONCURRENCY": ctx.env.get("MEDIA_CONCURRENCY", str(media["CONCURRENCY"])),
        "MEDIA_S3_ENDPOINT": ctx.env.get("OBJECT_STORE_URL", ObjectStore().address(ctx)),
        "MEDIA_S3_ACCESS_KEY": ctx.env.get("OBJECT_STORE_ACCESS_KEY", store["ACCESS_KEY"]),
        "MEDIA_S3_SECRET_KEY": ctx.env.get("OBJECT_STORE_SECRET_KEY", store["SECRET_KEY"]),
        "MEDIA_S3_REGION": ctx.env.get("OBJECT_STORE_REGION", store["REGION"]),
        "MEDIA_PUBLIC_BUCKET": store["PUBLIC_BUCKET"],
        "MEDIA_PRIVATE_BUCKET": store["PRIVATE_BUCKET"],
        "MEDIA_LOG_FORMAT": media.get("LOG_FORMAT", "text"),
    }


class MediaWorker(ReadyOnLogLine):
    """One instance of the media service: ``python -m media_service``."""

    marker = b" ready."
    drops_root = True

    def __init__(self, number: int):
        self.name = f"media-{number}"

    def command(self, ctx: Context) -> list[str]:
        return [ctx.python, "-m", "media_service", "--hostname", f"{self.name}@%h"]

    def environment(self, ctx: Context) -> dict[str, str]:
        passed = {name: value for name, value in ctx.env.items() if name in {"PATH", "HOME", "LANG", "TZ"}}
        return {**passed, **service_environment(ctx)}

    def cwd(self, ctx: Context) -> Path:
        return ctx.base_dir / "services" / "media"

    def address(self, ctx: Context) -> str:
        media = ctx.settings.MEDIA_SERVICE
        return f"queue {media['QUEUE']} × {media['CONCURRENCY']} → {media['RESULTS_QUEUE']}"


class MediaService(Group):
    """Every instance of the media service (``MEDIA_INSTANCES=N`` resizes it for one run)."""

    name = "media"
    start_together = True

    def members(self, ctx: Context) -> list[Daemon]:
        count = int(ctx.env.get("MEDIA_INSTANCES", ctx.settings.MEDIA_SERVICE["INSTANCES"]))
        return [MediaWorker(number) for number in range(1, count + 1)]
