"""Which failures are a service being down, and what the user is told about each.

A request that fails because a server it needs does not answer (the database, or the Redis
that holds the sessions from tier3) is an outage, not a bug: the answer is a 503 with a message
and ``Retry-After`` (``app.web.server_errors``), and the request wrote nothing it could not roll
back. Anything else that escapes a view is a bug, and stays a 500. Services whose loss a request
survives (the application cache, the broker behind the outbox, the page-view buffer, rate limits
that fail open) never reach this point.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from django_redis.exceptions import ConnectionInterrupted

from app.platform.db.unavailable import server_failed

RETRY_AFTER_SECONDS = 5
DATABASE = "The database is not answering right now; nothing was changed. Please try again in a moment."
SESSIONS = (
    "The service that keeps you signed in is not answering right now; nothing was changed. "
    "Please try again in a moment."
)


@dataclass(frozen=True)
class Outage:
    message: str
    retry_after: int = RETRY_AFTER_SECONDS


def outage(error: BaseException) -> Outage | None:
    """The outage ``error`` reports, or ``None`` for an error that is not one."""
    if server_failed(error):
        return Outage(DATABASE)
    cause = error.__cause__ if isinstance(error, ConnectionInterrupted) else error
    if isinstance(cause, redis.ConnectionError | redis.TimeoutError):
        return Outage(SESSIONS)
    return None
