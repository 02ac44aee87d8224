"""A short-lived Redis client on the Celery broker, for looking at it (readiness, queue depths).

Celery keeps its own connections for sending and receiving jobs; these checks must not
wait on them, and each sets its own budget so a broker that does not answer fails fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings


@contextmanager
def broker_client(*, connect_timeout: float = 1.0, read_timeout: float = 2.0) -> Iterator[Any]:
    import redis

    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=connect_timeout, socket_timeout=read_timeout
    )
    try:
        yield client
    finally:
        client.close()
