"""Background jobs behind one seam.

Domain code declares a job with ``@job(queue=...)`` and calls ``enqueue(job, **ids)``.
The job is handed to the backend named by ``settings.JOBS_BACKEND`` only after the
surrounding transaction commits, so a rolled-back checkout never sends its email.
tier0's ``InlineBackend`` runs it right then, inside the request; tier1 swaps in a
backend that sends it to Celery workers. Domain code never learns which.

Delivery is at least once, so every tracked run is recorded in ``JobRun`` under a
fresh ``delivery_id``: running the same delivery twice does the work once.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction

from app.platform.routing import primary
from app.platform.seams import seam

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A function that may run outside the request, and where it should run."""

    func: Callable[..., Any]
    name: str
    queue: str
    max_retries: int
    #: Untracked jobs make themselves idempotent (e.g. an event id with a unique constraint)
    #: and skip the ``JobRun`` bookkeeping, which would cost more than the job.
    tracked: bool

    def __call__(self, **kwargs: Any) -> Any:
        return self.func(**kwargs)


#: Every declared job by name, so a worker can find the function a message names.
registry: dict[str, Job] = {}


def job(*, queue: str = "default", max_retries: int = 5, tracked: bool = True) -> Callable[[Callable[..., Any]], Job]:
    """Declare a background job. Arguments must be JSON values (ids, not model instances)."""

    def decorate(func: Callable[..., Any]) -> Job:
        declared = Job(
            func=func,
            name=f"{func.__module__}.{func.__name__}",
            queue=queue,
            max_retries=max_retries,
            tracked=tracked,
        )
        registry[declared.name] = declared
        return declared

    return decorate


class JobsBackend(Protocol):
    def submit(self, job: Job, kwargs: dict[str, Any], delivery_id: str) -> None: ...


def enqueue(job: Job, *, using: str | None = None, **kwargs: Any) -> str:
    """Run ``job(**kwargs)`` once the current transaction on ``using`` commits. Returns the delivery id."""
    json.dumps(kwargs)  # fail here, at every tier, on arguments a broker could not carry
    delivery_id = uuid.uuid4().hex
    backend: JobsBackend = seam("JOBS_BACKEND")
    transaction.on_commit(functools.partial(backend.submit, job, kwargs, delivery_id), using=using)
    return delivery_id


def execute(name: str, kwargs: dict[str, Any], delivery_id: str, *, final_attempt: bool = True) -> None:
    """Run one delivery of a job, its reads on the primary database.

    A job usually reads what the request that enqueued it has just written, which a
    replica may not have replayed yet (tier2's router; elsewhere this changes nothing).
    """
    with primary():
        _execute(name, kwargs, delivery_id, final_attempt=final_attempt)


def _execute(name: str, kwargs: dict[str, Any], delivery_id: str, *, final_attempt: bool) -> None:
    """Run one delivery of a job, recording it; a delivery that already succeeded is skipped.

    Where the database can (PostgreSQL), the attempt holds a row lock on its ``JobRun``
    for as long as it runs: a duplicate of the same delivery running at the same time
    skips instead of doing the work twice, while an attempt whose worker died releases
    the lock with its connection, so the redelivered message can run. Raises the job's
    exception after recording it, so a caller that retries can retry.
    """
    from django.db import connection

    from app.platform.models import JobRun

    declared = registry[name]
    if not declared.tracked:
        declared.func(**kwargs)
        return
    JobRun.objects.get_or_create(
        delivery_id=delivery_id, defaults={"name": name, "queue": declared.queue, "arguments": kwargs}
    )
    failure: Exception | None = None
    with transaction.atomic():
        runs = JobRun.objects.filter(delivery_id=delivery_id)
        if connection.features.has_select_for_update_skip_locked:
            runs = runs.select_for_update(skip_locked=True)
        run = runs.first()
        if run is None:
            logger.info("job %s delivery %s is running elsewhere; leaving it to that attempt", name, delivery_id)
            return
        if run.status == JobRun.Status.SUCCEEDED:
            logger.info("job %s delivery %s already succeeded; skipping the repeat", name, delivery_id)
            return
        run.attempts += 1
        try:
            with transaction.atomic():
                declared.func(**kwargs)
        except Exception as exc:
            failure = exc
            run.status = JobRun.Status.FAILED if final_attempt else JobRun.Status.RETRYING
            run.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            run.status, run.last_error = JobRun.Status.SUCCEEDED, ""
        run.save(update_fields=["status", "attempts", "last_error", "updated_at"])
    if failure is not None:
        raise failure


def record_unsent(job: Job, kwargs: dict[str, Any], delivery_id: str, error: Exception) -> None:
    """A job the backend could not even send (broker down): keep it as ``failed`` so it can be re-sent."""
    from app.platform.models import JobRun

    logger.error("job %s delivery %s could not be sent: %s", job.name, delivery_id, error)
    JobRun.objects.update_or_create(
        delivery_id=delivery_id,
        defaults={
            "name": job.name,
            "queue": job.queue,
            "arguments": kwargs,
            "status": JobRun.Status.FAILED,
            "last_error": f"not sent, the job queue was unreachable: {error}"[:2000],
        },
    )


def resubmit(run_ids: list[int]) -> int:
    """Send failed deliveries again, under their original delivery ids; returns how many."""
    from app.platform.models import JobRun

    backend: JobsBackend = seam("JOBS_BACKEND")
    runs = JobRun.objects.filter(pk__in=run_ids, status=JobRun.Status.FAILED, name__in=list(registry))
    for run in runs:
        backend.submit(registry[run.name], run.arguments, run.delivery_id)
    return len(runs)


class InlineBackend:
    """tier0: run the job in the calling process, right after commit.

    A failing job must not turn the user's successful checkout into an error page,
    so the failure is logged and left in ``JobRun`` as ``failed`` for an operator.
    """

    def submit(self, job: Job, kwargs: dict[str, Any], delivery_id: str) -> None:
        try:
            execute(job.name, kwargs, delivery_id)
        except Exception:
            logger.exception("job %s delivery %s failed", job.name, delivery_id)
