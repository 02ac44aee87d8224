"""Rate limits with their counters in Redis, shared by every app instance.

``RATE_LIMITS`` names each limit: how many requests of one kind a client may make in a window
of so many seconds, and what to do when the counters cannot be reached (``"fail": "open"`` lets
the request through, ``"closed"`` refuses it with a 503). A limit a tier does not list is not
enforced, so tier0 to tier2 (``RATE_LIMITS = {}``) never touch Redis here.

A sliding window per limit and client, counted the way Cloudflare's and Redis's own write-ups
describe: ``INCR`` this window's counter and read the previous window's in one pipelined round
trip, and weigh the previous one by how much of it is still inside the last ``seconds``. Unlike a
fixed window, no burst of twice the limit gets through across a window's edge. Refused requests
count too, so a client that keeps hammering stays refused until it slows down. Over the limit,
``RateLimited`` (429, with ``Retry-After``: the seconds until a request would get through) is
raised, which the pages and the API both answer with their usual error (``DomainErrorMiddleware``,
the API's ``domain_error``). It costs one round trip and two small keys per client.

Counters live on their own cache alias (``RATE_LIMIT_CACHE``) in the Redis that never evicts
(tier3 puts it beside the sessions), with short timeouts: after a failure the limiter leaves Redis
alone for ``BACKOFF_SECONDS``, answering each limit as its ``fail`` says, without waiting again.

Why not a library: django-ratelimit answers 403 without ``Retry-After`` and has not had a
release since 2023; django-axes covers log-in only; django-ninja's throttles are per process.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from redis.exceptions import RedisError

from app.platform.errors import RateLimited, Unavailable

log = logging.getLogger(__name__)

BACKOFF_SECONDS = 5.0


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int
    fail_open: bool
    message: str

    @classmethod
    def named(cls, name: str) -> Limit | None:
        spec = settings.RATE_LIMITS.get(name)
        if spec is None:
            return None
        return cls(
            name=name,
            count=int(spec["count"]),
            seconds=int(spec["seconds"]),
            fail_open=spec.get("fail", "open") == "open",
            message=str(spec.get("message", "Too many attempts.")),
        )


@dataclass(frozen=True)
class Decision:
    allowed: bool
    used: float
    retry_after: int


class _Limiter:
    def __init__(self) -> None:
        self._down_until = 0.0

    def hit(self, limit: Limit, client: str, *, count: bool = True) -> Decision:
        """Count one request (or, ``count=False``, only look) against ``client``'s sliding window."""
        now = time.time()
        window, into = divmod(now, limit.seconds)
        fraction = into / limit.seconds
        if time.monotonic() < self._down_until:
            return self._unreachable(limit)
        digest = hashlib.blake2b(client.encode(), digest_size=12).hexdigest()
        current, previous = (f"rl:{limit.name}:{digest}:{int(w)}" for w in (window, window - 1))
        try:
            pipe = _client().pipeline(transaction=False)
            if count:
                pipe.incr(current)
                pipe.expire(current, 2 * limit.seconds + 1)
            else:
                pipe.get(current)
            pipe.get(previous)
            replies = pipe.execute()
        except RedisError as exc:
            log.warning("rate limits unavailable for %.0f s: %s", BACKOFF_SECONDS, exc)
            self._down_until = time.monotonic() + BACKOFF_SECONDS
            return self._unreachable(limit)
        now_count, before = int(replies[0] or 0), int(replies[-1] or 0)
        # This window's requests, and the share of the previous window's still inside the last
        # ``seconds``: no burst of twice the limit across a window's edge, as a fixed window allows.
        used = before * (1 - fraction) + now_count
        allowed = used <= limit.count if count else used < limit.count
        retry_after = 0 if allowed else _retry_after(limit, fraction, now_count, before)
        return Decision(allowed=allowed, used=used, retry_after=retry_after)

    @staticmethod
    def _unreachable(limit: Limit) -> Decision:
        if limit.fail_open:
            return Decision(allowed=True, used=0, retry_after=0)
        raise Unavailable("This is briefly unavailable; please try again in a few seconds.", retry_after=5)


_limiter = _Limiter()


def _retry_after(limit: Limit, fraction: float, current: int, previous: int) -> int:
    """Seconds until a request would be let through, if none is sent meanwhile."""
    room = limit.count - 1  # what the window may hold before the next request
    if current <= room and previous:
        # Within this window, once enough of the previous one has slid out.
        wait = (1 - (room - current) / previous - fraction) * limit.seconds
    else:
        # This window alone is over the limit: into the next one, until enough of this has slid out.
        wait = (1 - fraction) * limit.seconds + (1 - room / current) * limit.seconds
    return max(1, math.ceil(wait))


def _client() -> Any:
    from django_redis import get_redis_connection

    return get_redis_connection(settings.RATE_LIMIT_CACHE)


def enforce(name: str, client: str | int) -> None:
    """Count a request against limit ``name`` for ``client``; ``RateLimited`` once past it."""
    limit = Limit.named(name)
    if limit is None:
        return
    decision = _limiter.hit(limit, str(client))
    if not decision.allowed:
        raise RateLimited(limit.message, retry_after=decision.retry_after)


def check(name: str, client: str | int) -> None:
    """Refuse (``RateLimited``) if ``client`` is already past limit ``name``, counting nothing:
    for limits that count only failures (a wrong password), checked before the attempt."""
    limit = Limit.named(name)
    if limit is None:
        return
    decision = _limiter.hit(limit, str(client), count=False)
    if not decision.allowed:
        raise RateLimited(limit.message, retry_after=decision.retry_after)


def count(name: str, client: str | int) -> None:
    """Count a failure against limit ``name`` for ``client`` (``check`` refuses the next one past it)."""
    limit = Limit.named(name)
    if limit is not None:
        _limiter.hit(limit, str(client))
