"""How a page view is recorded: the ``PAGE_VIEWS`` seam.

Analytics are the one thing this product lets itself lose. A page must never wait on, or
fail because of, the bookkeeping of having been seen; so from tier1 a view costs the request
one Redis command and reaches PostgreSQL later, in batches (``app.analytics.buffer``).

* ``InlineRecorder`` (tier0): one INSERT per view, in the request. Simple, and at tier0's
  traffic nobody notices.
* ``JobRecorder``: one background job per view. What tier1 did before views were buffered;
  kept as the "before" of ``make bench S=page-views``: a Celery publish costs the request
  milliseconds, and every view becomes a worker job and a one-row INSERT on the primary.
* ``BufferedRecorder`` (tier1 on): ``RPUSH`` onto a Redis list, flushed by a periodic job.
  When Redis is down the view is dropped and counted, and the page is served as usual.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

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
    """tier1 on: one pipelined Redis round trip per view; see ``app.analytics.buffer``."""

    def __init__(self) -> None:
        from app.analytics.buffer import Buffer

        self.buffer = Buffer.from_settings()

    def record(self, view: View) -> None:
        self.buffer.push(view)
