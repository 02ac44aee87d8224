"""Rate limits with their counters in Redis, shared by every app instance.

``RATE_LIMITS`` names each limit: how many requests of one kind a client may make in a window
of so many seconds, and what to do when the counters cannot be reached (``"fail": "open"`` lets
the request through, ``"closed"`` refuses it with a 503). A limit a tier does not list is not
enforced, so tier0 to tier2 (``RATE_LIMITS = {}``) never touch Redis here.

A fixed window per limit and client: ``INCR`` the window's counter and set its expiry in one
pipelined round trip; over the limit, ``RateLimited`` (429, with ``Retry-After``: the seconds
until the window ends) is raised, which the pages and the API both answer with their usual
error (``DomainErrorMiddleware``, the API's ``domain_error``). A window may let through up to
twice its count across its boundary, the usual price of a fixed window, and it costs one round
trip and one key per client and window.

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
    used: int
    retry_after: int


class _Limiter:
    def __init__(self) -> None:
        self._down_until = 0.0

    def hit(self, limit: Limit, client: str, *, count: bool = True) -> Decision:
        """Count one request (or, ``count=False``, only look) in ``client``'s current window."""
        now = time.time()
        window = int(now // limit.seconds)
        retry_after = max(1, math.ceil((window + 1) * limit.seconds - now))
        if time.monotonic() < self._down_until:
            return self._unreachable(limit, retry_after)
        digest = hashlib.blake2b(client.encode(), digest_size=12).hexdigest()
        key = f"rl:{limit.name}:{digest}:{window}"
        try:
            redis = _client()
            if count:
                pipe = redis.pipeline(transaction=False)
                pipe.incr(key)
                pipe.expire(key, limit.seconds + 1)
                used = int(pipe.execute()[0])
            else:
                used = int(redis.get(key) or 0)
        except RedisError as exc:
            log.warning("rate limits unavailable for %.0f s: %s", BACKOFF_SECONDS, exc)
            self._down_until = time.monotonic() + BACKOFF_SECONDS
            return self._unreachable(limit, retry_after)
        allowed = used <= limit.count if count else used < limit.count
        return Decision(allowed=allowed, used=used, retry_after=retry_after)

    @staticmethod
    def _unreachable(limit: Limit, retry_after: int) -> Decision:
        if limit.fail_open:
            return Decision(allowed=True, used=0, retry_after=0)
        raise Unavailable("This is briefly unavailable; please try again in a few seconds.", retry_after=5)


_limiter = _Limiter()


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
