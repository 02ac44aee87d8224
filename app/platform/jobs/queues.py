"""How far behind the job queues are: depth and the age of the oldest job, per queue.

Celery's Redis transport keeps each queue as a list (``LPUSH`` in, ``BRPOP`` out), so the
oldest waiting message is the list's last element. Each message carries the time it was
enqueued in an ``enqueued_at`` header (set by ``app.platform.jobs.celery_tasks.publish``). A queue is *backing
up* when its depth or its oldest job's age passes the thresholds in ``settings.QUEUE_ALERTS``.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings

from app.platform.jobs.broker import broker_client


@dataclass(frozen=True)
class QueueDepth:
    queue: str
    depth: int
    oldest_age_seconds: float
    backing_up: bool


def queue_depths(now: float | None = None) -> list[QueueDepth]:
    now = time.time() if now is None else now
    with broker_client(connect_timeout=1, read_timeout=2) as client:
        depths = []
        for queue in (*settings.JOB_QUEUES, *settings.SERVICE_QUEUES):
            depth = client.llen(queue)
            oldest = oldest_enqueued_at(client, [queue])[queue] if depth else None
            age = max(0.0, now - oldest) if oldest is not None else 0.0
            limits = settings.QUEUE_ALERTS.get(queue, {})
            backing_up = depth > limits.get("depth", float("inf")) or age > limits.get("age_seconds", float("inf"))
            depths.append(QueueDepth(queue, depth, round(age, 3), backing_up))
        return depths


def as_json(depths: list[QueueDepth]) -> dict:
    return {"queues": [asdict(d) for d in depths], "backing_up": [d.queue for d in depths if d.backing_up]}


def _enqueued_at(raw: bytes) -> float:
    try:
        return float(json.loads(raw)["headers"]["enqueued_at"])
    except (ValueError, KeyError, TypeError):
        return time.time()


def oldest_enqueued_at(client: Any, queues: list[str]) -> dict[str, float | None]:
    """When each queue's oldest waiting message was enqueued (``None`` for an empty queue)."""
    oldest = {}
    for queue in queues:
        raw = client.lindex(queue, -1)
        oldest[queue] = _enqueued_at(raw) if raw else None
    return oldest
