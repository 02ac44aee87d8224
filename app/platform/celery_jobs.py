"""tier1's jobs backend: jobs leave the request and run on Celery workers.

Every job travels as one task, ``milestones.run_job(name, kwargs, delivery_id)``, sent to
the job's queue. The task acknowledges late (a worker killed mid-job leaves it on the
queue to run again), retries failures with exponential backoff up to the job's
``max_retries``, and finally records the delivery as ``failed`` in ``JobRun``.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

from celery import Task
from django.conf import settings

from app.platform.jobs import Job, execute, registry
from config.celery import app

logger = logging.getLogger(__name__)


def backoff_seconds(retries: int) -> float:
    """Exponential backoff with a little jitter, so a recovering receiver is not hit in lockstep."""
    base = settings.JOBS_RETRY_BACKOFF_SECONDS * (2**retries)
    return min(settings.JOBS_RETRY_BACKOFF_MAX_SECONDS, base) * random.uniform(0.9, 1.1)  # noqa: S311


@app.task(bind=True, name="milestones.run_job")  # acks late: CELERY_TASK_ACKS_LATE in the settings
def run_job(self: Task, name: str, kwargs: dict[str, Any], delivery_id: str) -> None:
    declared = registry[name]
    final = self.request.retries >= declared.max_retries
    try:
        execute(name, kwargs, delivery_id, final_attempt=final)
    except Exception as exc:
        if final:
            logger.error(
                "job %s delivery %s failed for good after %d tries", name, delivery_id, self.request.retries + 1
            )
            raise
        raise self.retry(
            exc=exc, countdown=backoff_seconds(self.request.retries), max_retries=declared.max_retries
        ) from exc


class CeleryBackend:
    """Send each job to its queue; a broker that cannot be reached marks the delivery failed."""

    def submit(self, job: Job, kwargs: dict[str, Any], delivery_id: str) -> None:
        try:
            run_job.apply_async(
                args=[job.name, kwargs, delivery_id],
                queue=job.queue,
                shadow=job.name,
                # Read back by app.platform.queues to report how long the oldest job has waited.
                headers={"enqueued_at": time.time()},
            )
        except Exception as exc:  # kombu raises OperationalError, redis ConnectionError, …
            from app.platform.jobs import record_unsent

            record_unsent(job, kwargs, delivery_id, exc)
