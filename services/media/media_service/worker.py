"""The media service's Celery application: one task, ``media.v1.render``, on its own queue.

It shares the application's broker but nothing else: it takes requests from ``MEDIA_QUEUE``,
writes files to the object store, and sends each result to ``MEDIA_RESULTS_QUEUE`` as
``media.v1.done`` for the application's workers to apply. Acknowledged late, one message per
process at a time: a worker killed mid-render leaves the request on the queue for another.
"""

from __future__ import annotations

import logging
import os
import random
import time
from functools import cache
from typing import Any

from celery import Celery, Task

from media_service import contract, logs
from media_service.stores import S3Store, StoreUnavailable
from media_service.work import perform

logger = logging.getLogger(__name__)

QUEUE = os.environ.get("MEDIA_QUEUE", "media")
RESULTS_QUEUE = os.environ.get("MEDIA_RESULTS_QUEUE", "default")
#: A store that does not answer is tried again after RETRY_SECONDS, doubling up to a minute, this
#: many times: about an hour, after which the request is logged as lost.
MAX_RETRIES = int(os.environ.get("MEDIA_MAX_RETRIES", "60"))
RETRY_SECONDS = float(os.environ.get("MEDIA_RETRY_SECONDS", "2"))

app = Celery("media")
app.conf.update(
    broker_url=os.environ.get("MEDIA_BROKER_URL", "redis://127.0.0.1:6379/0"),
    broker_connection_retry_on_startup=True,
    broker_transport_options={
        # Longer than any render plus its retry countdown, or a request is handed out twice.
        "visibility_timeout": int(os.environ.get("MEDIA_VISIBILITY_TIMEOUT", "3600")),
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    },
    task_default_queue=QUEUE,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_time_limit=120,
    task_soft_time_limit=90,
    task_ignore_result=True,
)


@cache
def store() -> S3Store:
    return S3Store()


@app.task(bind=True, name=contract.RENDER_TASK, max_retries=MAX_RETRIES)
def render(self: Task, request: dict[str, Any]) -> None:
    try:
        result = perform(request, store())
    except contract.ContractError as exc:
        # Nothing to answer: a request without a valid id and subject cannot be applied.
        logger.error("media request refused: %s", exc)
        return
    except StoreUnavailable as exc:
        countdown = min(60.0, RETRY_SECONDS * 2**self.request.retries) * random.uniform(0.9, 1.1)  # noqa: S311
        logger.warning("media request %s waits %.0fs: %s", request.get("id"), countdown, exc)
        raise self.retry(exc=exc, countdown=countdown) from exc
    report(result)
    logger.info("media request %s (%s): %s", result["id"], result["kind"], result["status"])


def report(result: dict[str, Any]) -> None:
    """Send a result back to the application, stamped with when it was sent (queue monitoring
    reads the age of a queue's oldest message from ``enqueued_at``) and the request id it came with."""
    headers: dict[str, Any] = {"enqueued_at": time.time()}
    if request_id := logs.current_request_id():
        headers[logs.KEY] = request_id  # the application's workers bind it while applying the result
    app.send_task(contract.DONE_TASK, args=[result], queue=RESULTS_QUEUE, headers=headers)
