"""Jobs on Celery workers (tier1 and up): the one task that runs them, and how a job is sent.

Every job travels as one task, ``milestones.run_job(name, kwargs, delivery_id)``, sent to
the job's queue. The task acknowledges late (a worker killed mid-job leaves it on the
queue to run again), retries failures with exponential backoff up to the job's
``max_retries``, and finally records the delivery as ``failed`` in ``JobRun``.

Which backend sends it is the tier's choice: ``app.platform.jobs.outbox.OutboxBackend`` (the
default from tier1) writes the job down with the change that causes it first;
``PublishOnCommitBackend`` here only publishes after commit.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable
from functools import partial
from typing import Any

from celery import Celery, Task
from celery.beat import PersistentScheduler
from celery.signals import before_task_publish
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.module_loading import import_string

from app.platform.jobs import Call, Job, execute, registry

# task_context's signals carry the request id; worker_exposition's serve a worker's metrics.
from app.platform.telemetry import metrics, request_id, task_context, worker_exposition  # noqa: F401

logger = logging.getLogger(__name__)

#: The Celery application, configured from Django's settings (``CELERY_*``). It lives with the
#: task it runs; ``config/celery.py`` is only the name the ``celery -A`` command line is given.
app = Celery("milestones")
app.config_from_object("django.conf:settings", namespace="CELERY")

#: Seconds past a job's ``timeout`` before the worker kills the attempt outright (less than the
#: lease's margin, ``jobs.LEASE_MARGIN_SECONDS``).
HARD_LIMIT_GRACE = 10


def backoff_seconds(retries: int) -> float:
    """Exponential backoff with a little jitter, so a recovering receiver is not hit in lockstep."""
    base = settings.JOBS_RETRY_BACKOFF_SECONDS * (2**retries)
    return min(settings.JOBS_RETRY_BACKOFF_MAX_SECONDS, base) * random.uniform(0.9, 1.1)  # noqa: S311


@app.task(bind=True, name="milestones.run_job")  # acks late: CELERY_TASK_ACKS_LATE in the settings
def run_job(self: Task, name: str, kwargs: dict[str, Any], delivery_id: str) -> None:
    declared = registry[name]
    final = self.request.retries >= declared.max_retries
    countdown = 0.0 if final else backoff_seconds(self.request.retries)
    # In a header, not an argument: a worker still on the previous code (a rolling deploy) runs
    # a message from the new code, and a message from the old code has no team.
    team_id = (self.request.headers or {}).get("team_id")
    started = time.perf_counter()
    with request_id.bound(None, job=name, delivery_id=delivery_id):
        try:
            execute(name, kwargs, delivery_id, team_id=team_id, final_attempt=final, retry_in=countdown)
        except Exception as exc:
            _outcome(name, "failed" if final else "retrying", started, attempt=self.request.retries + 1)
            if final:
                logger.error(
                    "job %s delivery %s failed for good after %d tries", name, delivery_id, self.request.retries + 1
                )
                raise
            raise self.retry(exc=exc, countdown=countdown, max_retries=declared.max_retries) from exc
        _outcome(name, "succeeded", started, attempt=self.request.retries + 1)


def _outcome(name: str, outcome: str, started: float, *, attempt: int) -> None:
    """The job's line in the log: how this attempt ended and how long it took (the request id,
    job and delivery are bound around it)."""
    seconds = time.perf_counter() - started
    metrics.JOBS.labels(name, outcome).inc()
    metrics.JOB_SECONDS.labels(name).observe(seconds)
    duration_ms = round(seconds * 1000, 2)
    logger.info(
        "job %s %s in %.0f ms",
        name,
        outcome,
        duration_ms,
        extra={"outcome": outcome, "duration_ms": duration_ms, "attempt": attempt},
    )


def publish(
    job: Job, kwargs: dict[str, Any], delivery_id: str, *, team_id: int | None = None, retry: bool = True
) -> None:
    """Hand one delivery to the broker, on the job's queue, with the job's time limits.

    Raises whatever the broker client raises when it cannot be reached (after Celery's
    publish retries, unless ``retry`` is off).
    """
    run_job.apply_async(
        args=[job.name, kwargs, delivery_id],
        queue=job.queue,
        shadow=job.name,
        # Read back by app.platform.jobs.queues: how long the oldest job has waited, and whether a
        # delivery sent at some time can still be waiting in its queue.
        headers={"enqueued_at": time.time(), "team_id": team_id},
        soft_time_limit=job.timeout,
        time_limit=job.timeout + HARD_LIMIT_GRACE,
        retry=retry,
    )


def periodic_schedule(periodic: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Celery beat's schedule for ``JOBS_PERIODIC``: each job sent as ``run_job`` to its own queue.

    Only untracked jobs: a tick has no delivery id of its own, so a tracked job (run once per
    delivery) would run on the first tick only. A tick that waits longer than the period in
    its queue expires, so a backed-up queue never holds a pile of identical ticks.
    """
    schedule = {}
    for name, seconds in periodic.items():
        declared: Job = import_string(name)
        if declared.tracked:
            raise ImproperlyConfigured(f"JOBS_PERIODIC: {name} must be declared @job(tracked=False)")
        schedule[name] = {
            "task": run_job.name,
            "schedule": float(seconds),
            "args": (declared.name, {}, f"periodic:{declared.name}"),
            "options": {
                "queue": declared.queue,
                "shadow": declared.name,
                "expires": float(seconds),
            },
        }
    return schedule


@before_task_publish.connect
def _stamp_enqueued_at(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Every message says when it was enqueued (``publish`` sets it; beat's ticks get it here),
    which queue monitoring reads as the age of a queue's oldest job."""
    if headers is not None and headers.get("enqueued_at") is None:
        headers["enqueued_at"] = time.time()


class JobsScheduler(PersistentScheduler):
    """Celery beat's scheduler, its schedule read from ``JOBS_PERIODIC`` (``CELERY_BEAT_SCHEDULER``
    names it). Beat builds it once Celery's Django fix-up has set Django up."""

    def setup_schedule(self) -> None:
        self.app.conf.beat_schedule = periodic_schedule(settings.JOBS_PERIODIC)
        super().setup_schedule()


class PublishOnCommitBackend:
    """Publish each job to the broker right after commit, with nothing written down first.

    What tier1 did before the outbox, kept as the baseline ``make bench S=checkout-latency``
    compares against: a broker that loses its messages, or a process that dies between
    the commit and the publish, loses these jobs without a trace, and a broker that is
    down at enqueue time leaves them ``failed`` for an operator to send again.
    """

    def enqueue(self, calls: list[Call], using: str | None) -> None:
        for call in calls:
            send = partial(self.send, call.job, call.kwargs, call.delivery_id, call.team_id)
            transaction.on_commit(send, using=using)

    def resend(self, runs: Iterable[Any]) -> None:
        for run in runs:
            self.send(registry[run.name], run.arguments, run.delivery_id, run.team_id)

    @staticmethod
    def send(job: Job, kwargs: dict[str, Any], delivery_id: str, team_id: int | None = None) -> None:
        from app.platform.models import JobRun

        try:
            publish(job, kwargs, delivery_id, team_id=team_id)
        except Exception as exc:  # kombu raises OperationalError, redis ConnectionError, …
            logger.error("job %s delivery %s could not be sent: %s", job.name, delivery_id, exc)
            if not job.tracked:  # best effort by design (page views): no record to send again
                return
            JobRun.objects.update_or_create(
                delivery_id=delivery_id,
                defaults={
                    "name": job.name,
                    "queue": job.queue,
                    "arguments": kwargs,
                    "team_id": team_id,
                    "status": JobRun.Status.FAILED,
                    "last_error": f"not sent, the job queue was unreachable: {exc}"[:2000],
                },
            )
