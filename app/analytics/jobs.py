"""Storing page views: the bulk, lowest-priority work."""

from __future__ import annotations

from app.platform.jobs import job


@job(queue="bulk", tracked=False)
def flush_page_views() -> None:
    """Move the buffered page views into the database (tier1 on; the scheduler runs it every
    ``JOBS_PERIODIC`` seconds). Idempotent: see ``app.analytics.buffer``."""
    from app.analytics.recorders import BufferedRecorder
    from app.platform.seams import seam

    recorder = seam("PAGE_VIEWS")
    if isinstance(recorder, BufferedRecorder):
        recorder.buffer.flush()


@job(queue="bulk", tracked=False)
def record_page_view(*, event_id: str, path: str, user_id: int | None, post_id: int | None, at: float) -> None:
    """Store one page view (``JobRecorder``); a repeat of the same ``event_id`` is ignored."""
    from app.analytics.recorders import View
    from app.analytics.store import store_views

    store_views([View(event_id, path, user_id, post_id, at)])
