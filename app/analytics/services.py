"""Called by views to count a page view, without caring how or when it is stored."""

from __future__ import annotations

from django.http import HttpRequest

from app.analytics.recorders import Recorder, View
from app.platform.seams import seam


def page_view_track(*, request: HttpRequest, post_id: int | None = None) -> None:
    """Count one view of this request's page; ``settings.PAGE_VIEWS`` decides how (tier0 writes
    it now, tier1 on buffers it in Redis)."""
    user_id = request.user.pk if request.user.is_authenticated else None
    recorder: Recorder = seam("PAGE_VIEWS")
    recorder.record(View.now(path=request.path, user_id=user_id, post_id=post_id))
