"""Called by views to count a page view, without caring when it is stored."""

from __future__ import annotations

import uuid

from django.http import HttpRequest
from django.utils import timezone

from app.analytics import jobs
from app.platform.jobs import enqueue


def page_view_track(*, request: HttpRequest, post_id: int | None = None) -> None:
    user_id = request.user.pk if request.user.is_authenticated else None
    enqueue(
        jobs.record_page_view,
        event_id=uuid.uuid4().hex,
        path=request.path[:500],
        user_id=user_id,
        post_id=post_id,
        at=timezone.now().isoformat(),
    )
