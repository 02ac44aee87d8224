"""``python -m media_service``: one worker process of the media service.

Concurrency from ``MEDIA_CONCURRENCY`` (render processes in this instance, default 1); run more
instances to scale out. Any further arguments go to ``celery worker`` (``--hostname`` …).
"""

from __future__ import annotations

import os
import sys

from media_service.worker import QUEUE, app


def main() -> None:
    app.worker_main(
        [
            "worker",
            "--loglevel",
            os.environ.get("MEDIA_LOG_LEVEL", "INFO"),
            "--queues",
            QUEUE,
            "--concurrency",
            os.environ.get("MEDIA_CONCURRENCY", "1"),
            "--prefetch-multiplier",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            *sys.argv[1:],
        ]
    )


if __name__ == "__main__":
    main()
