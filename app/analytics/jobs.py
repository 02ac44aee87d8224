"""Recording analytics events: the bulk, lowest-priority work."""

from __future__ import annotations

import datetime as dt

from app.platform.jobs import job


@job(queue="bulk", tracked=False)
def record_page_view(*, event_id: str, path: str, user_id: int | None, post_id: int | None, at: str) -> None:
    """Store one page view; a repeat of the same ``event_id`` is ignored by the unique constraint."""
    from app.analytics.models import PageView

    PageView.objects.bulk_create(
        [
            PageView(
                event_id=event_id, path=path, user_id=user_id, post_id=post_id, created_at=dt.datetime.fromisoformat(at)
            )
        ],
        ignore_conflicts=True,
    )
