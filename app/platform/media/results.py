"""The media service's results, received by the application's workers: ``media.v1.done`` on
``MEDIA_SERVICE["RESULTS_QUEUE"]`` (the default queue, which a worker in ``WORKERS`` consumes)."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.db import DatabaseError
from media_service import contract

from app.platform.db.routing import primary
from app.platform.jobs.celery_tasks import app, backoff_seconds

logger = logging.getLogger(__name__)


@app.task(bind=True, name=contract.DONE_TASK, max_retries=10)
def media_done(self: Task, result: dict[str, Any]) -> None:
    from app.platform.media import apply

    try:
        with primary():
            apply(result)
    except contract.ContractError as exc:
        logger.error("media result refused: %s", exc)  # never retried: it would fail the same way
    except DatabaseError as exc:
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
