"""How a page view is recorded: the ``PAGE_VIEWS`` seam.

Analytics are the one thing this product lets itself lose. A page must never wait on, or
fail because of, the bookkeeping of having been seen; so from tier1 a view costs the request
an append to a queue in memory and reaches Redis, then PostgreSQL, later and in batches.

* ``InlineRecorder`` (tier0): one INSERT per view, in the request. Simple, and at tier0's
  traffic nobody notices.
* ``JobRecorder``: one background job per view. What tier1 did before views were buffered;
  kept as the "before" of ``make bench S=page-views``: a Celery publish costs the request
  milliseconds, and every view becomes a worker job and a one-row INSERT on the primary.
* ``BufferedRecorder`` (tier1 on): an append to the process's queue, sent on to a Redis list
  in batches by a thread, flushed into PostgreSQL by a periodic job. When Redis is down views
  are dropped and counted, and pages are served as usual.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils import timezone


@dataclass(frozen=True)
class View:
    """One page view, as the request saw it."""

    event_id: str
    path: str
    user_id: int | None
    post_id: int | None
    at: float  # seconds since the epoch

    @classmethod
    def now(cls, *, path: str, user_id: int | None, post_id: int | None) -> View:
        return cls(uuid.uuid4().hex, path[:500], user_id, post_id, timezone.now().timestamp())


class Recorder(Protocol):
    def record(self, view: View) -> None: ...


class InlineRecorder:
    """tier0: store the view now, in the request's own database connection."""

    def record(self, view: View) -> None:
        from app.analytics.store import store_views

        store_views([view])


class JobRecorder:
    """One background job per view (the slower way buffering replaced; kept for the benchmark)."""

    def record(self, view: View) -> None:
        from app.analytics import jobs
        from app.platform.jobs import enqueue

        enqueue(
            jobs.record_page_view,
            event_id=view.event_id,
            path=view.path,
            user_id=view.user_id,
            post_id=view.post_id,
            at=view.at,
        )


class BufferedRecorder:
    """tier1 on: the view joins this process's queue; a thread pushes the queue to the Redis
    buffer in one command every ``SEND_SECONDS`` (``app.analytics.sender``), and the scheduler's
    job moves the buffer into PostgreSQL in batches (``app.analytics.buffer``)."""

    def __init__(self) -> None:
        from django.conf import settings

        from app.analytics.buffer import Buffer
        from app.analytics.sender import Sender

        self.buffer = Buffer.from_settings()
        config: dict[str, Any] = settings.PAGE_VIEW_BUFFER
        self.sender = Sender(
            self.buffer,
            interval_seconds=float(config.get("SEND_SECONDS", 0.1)),
            queue_limit=int(config.get("QUEUE_LIMIT", 10_000)),
        )

    def record(self, view: View) -> None:
        self.sender.add(view)

    def send_now(self) -> int:
        """Push this process's queued views to Redis now (tests; the thread does it on its own)."""
        return self.sender.send_now()
