"""Media work sent to the media service (tier3 on): the request goes to its queue, the result
comes back later (``app.platform.media.results``). A service that is down holds nothing up:
requests wait in the broker, pages show the file as being prepared, and once the service is
back it works through them."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from media_service import contract


class MediaService:
    def submit(self, request: dict[str, Any]) -> None:
        from app.platform.jobs.celery_tasks import app

        # Checked against the contract when media.file_request built it. Raises when the broker
        # cannot be reached: the job that asked fails and is retried.
        app.send_task(
            contract.RENDER_TASK,
            args=[request],
            queue=settings.MEDIA_SERVICE["QUEUE"],
            headers={"enqueued_at": time.time()},
            retry=True,
        )
