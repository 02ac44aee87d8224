"""Settings mistakes that would otherwise surface later as a 500 or a stale read are start-up errors."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

from app.platform.seams import SEAM_SETTINGS


@register()
def check_seams(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    for name in SEAM_SETTINGS:
        path = getattr(settings, name, None)
        if not path:
            errors.append(Error(f"settings.{name} is not set.", id="platform.E001"))
            continue
        try:
            import_string(path)
        except ImportError as exc:
            errors.append(Error(f"settings.{name} = {path!r} cannot be imported: {exc}", id="platform.E002"))
    for path in getattr(settings, "READINESS_CHECKS", []):
        try:
            import_string(path)
        except ImportError as exc:
            errors.append(
                Error(f"READINESS_CHECKS names {path!r}, which cannot be imported: {exc}", id="platform.E003")
            )
    return errors


@register()
def check_replica_routing(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Read-your-writes holds only if a pin outlasts the lag the router tolerates."""
    routing = settings.REPLICA_ROUTING
    if not routing:
        return []
    errors = []
    if routing["ALIAS"] not in settings.DATABASES:
        errors.append(Error(f"REPLICA_ROUTING names alias {routing['ALIAS']!r}, not in DATABASES.", id="platform.E004"))
    from app.platform.db.replica_health import CONFIRM_SECONDS

    rule = routing.get("READ_YOUR_WRITES", "lsn")
    if rule not in ("lsn", "window"):
        errors.append(Error(f"REPLICA_ROUTING['READ_YOUR_WRITES'] is {rule!r}: 'lsn' or 'window'.", id="platform.E008"))
    noticed = float(routing["MAX_LAG_SECONDS"]) + float(routing["CHECK_SECONDS"]) + CONFIRM_SECONDS
    if rule == "window" and float(routing["PIN_SECONDS"]) < noticed:
        errors.append(
            Error(
                f"REPLICA_ROUTING['PIN_SECONDS'] is shorter than {noticed:g} s, the time it can take to notice a"
                " replica that stopped replaying: a client could read from one that has not replayed its own write.",
                hint="Make PIN_SECONDS at least MAX_LAG_SECONDS + CHECK_SECONDS + 0.25.",
                id="platform.E005",
            )
        )
    return errors


@register()
def check_job_queues(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Every queue has a worker (a job on an unconsumed queue would wait forever), and workers and
    alerts name only the queues in ``JOB_QUEUES``."""
    known = set(settings.JOB_QUEUES)
    errors = []
    workers = getattr(settings, "WORKERS", None)
    if workers is not None:
        consumed = {queue for worker in workers for queue in worker["queues"]}
        if missing := known - consumed:
            errors.append(Error(f"No worker in WORKERS consumes {', '.join(sorted(missing))}.", id="platform.E006"))
        if unknown := consumed - known:
            errors.append(
                Error(f"WORKERS name queues not in JOB_QUEUES: {', '.join(sorted(unknown))}.", id="platform.E007")
            )
    if unknown := set(settings.QUEUE_ALERTS) - known - set(settings.SERVICE_QUEUES):
        errors.append(
            Error(
                f"QUEUE_ALERTS names queues in neither JOB_QUEUES nor SERVICE_QUEUES: {', '.join(sorted(unknown))}.",
                id="platform.E007",
            )
        )
    return errors


#: tier3's object-store key for this machine's SeaweedFS: public, so refused in production.
LOCAL_OBJECT_STORE_SECRET = "milestones-local-only"  # noqa: S105


@register(deploy=True)
def check_object_store_secret(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """A deployment must not talk to its object store with the key printed in the settings."""
    store = getattr(settings, "OBJECT_STORE", None)
    if not store or settings.ENVIRONMENT != "production" or store["SECRET_KEY"] != LOCAL_OBJECT_STORE_SECRET:
        return []
    return [
        Error(
            "OBJECT_STORE_SECRET_KEY is not set: the object store's key is still the local default.",
            hint="Set OBJECT_STORE_ACCESS_KEY and OBJECT_STORE_SECRET_KEY to the bucket's credentials.",
            id="platform.E009",
        )
    ]
