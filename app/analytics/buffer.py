"""The page-view buffer (tier1 on): a Redis list the request appends to and a periodic job drains.

Views arrive here from each process's sender (``app.analytics.sender``): one pipelined
round trip per batch, ``RPUSH`` of the encoded views plus the count of views dropped since
Redis was last reachable, if any. The flush moves up to
``BATCH`` views from ``<key>`` into ``<key>:inflight`` (one Lua script, atomic), writes them
with one INSERT that skips event ids already stored, and only then deletes the
inflight list. A flush that dies half-way leaves the inflight list for the next one, which
writes it again; the unique ``event_id`` makes the second write a no-op, so every view is
counted once. A lock keeps two flushes (two schedulers, a slow one and the next tick) apart.

When Redis does not answer within ``TIMEOUT_SECONDS``, the batch is dropped, counted in the
process, and Redis is left alone for ``BACKOFF_SECONDS``: a dead or slow Redis costs a page
nothing, since no request waits on it. The count reaches Redis
(``<key>:dropped``) with the first view pushed after it comes back.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings

from app.analytics.recorders import View
from app.analytics.store import store_views

logger = logging.getLogger(__name__)

#: Move up to ARGV[1] views from the buffer to the inflight list, unless a previous flush left
#: views there: then hand those back first, so they are written (again, harmlessly) before new ones.
TAKE = """
local inflight = redis.call('LRANGE', KEYS[2], 0, -1)
if #inflight > 0 then return inflight end
local batch = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #batch == 0 then return batch end
redis.call('LTRIM', KEYS[1], #batch, -1)
redis.call('RPUSH', KEYS[2], unpack(batch))
return batch
"""

#: Release the flush lock only if it is still ours (it may have expired and been taken).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class Flushed:
    views: int
    statements: int
    dropped_total: int


class Buffer:
    """One Redis list of encoded views, its inflight list, its drop counter and its flush lock."""

    def __init__(
        self, *, url: str, key: str, batch: int, timeout_seconds: float, backoff_seconds: float, lock_seconds: float
    ):
        self.key = key
        self.inflight_key = f"{key}:inflight"
        self.dropped_key = f"{key}:dropped"
        self.lock_key = f"{key}:flush-lock"
        self.batch = batch
        self.backoff_seconds = backoff_seconds
        self.lock_seconds = lock_seconds
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds, retry_on_timeout=False
        )
        self._take = self.client.register_script(TAKE)
        self._release = self.client.register_script(RELEASE)
        self._mutex = threading.Lock()
        self._dropped = 0
        self._quiet_until = 0.0

    @classmethod
    def from_settings(cls) -> Buffer:
        config: dict[str, Any] = settings.PAGE_VIEW_BUFFER
        return cls(
            url=config["URL"],
            key=config.get("KEY", "analytics:page-views"),
            batch=int(config.get("BATCH", 5000)),
            timeout_seconds=float(config.get("TIMEOUT_SECONDS", 0.1)),
            backoff_seconds=float(config.get("BACKOFF_SECONDS", 5)),
            lock_seconds=float(config.get("LOCK_SECONDS", 60)),
        )

    # -- the request's side ------------------------------------------------------------------

    def push(self, view: View) -> bool:
        """Append ``view``; on a Redis failure drop it and count it. Never raises for Redis."""
        return self.push_many([view]) == 1

    def push_many(self, views: list[View]) -> int:
        """Append ``views`` in one ``RPUSH`` (with the drops not yet counted in Redis, if any);
        on a Redis failure drop them all and count them. Returns how many were appended."""
        if not views:
            return 0
        if time.monotonic() < self._quiet_until:
            self.drop(len(views))
            return 0
        with self._mutex:
            carried, self._dropped = self._dropped, 0
        try:
            with self.client.pipeline(transaction=False) as pipe:
                pipe.rpush(self.key, *(encode(view) for view in views))
                if carried:
                    pipe.incrby(self.dropped_key, carried)
                pipe.execute()
        except redis.RedisError as exc:
            self._quiet_until = time.monotonic() + self.backoff_seconds
            self.drop(carried + len(views))
            logger.warning("page views: Redis unreachable (%s); dropping views for %.0fs", exc, self.backoff_seconds)
            return 0
        return len(views)

    def drop(self, count: int = 1) -> None:
        with self._mutex:
            self._dropped += count

    def reset(self) -> None:
        """Try Redis again at once and forget the drops not yet counted there (tests, between
        an outage and the next case)."""
        with self._mutex:
            self._dropped, self._quiet_until = 0, 0.0

    @property
    def dropped_here(self) -> int:
        """Views this process dropped that Redis has not been told about yet."""
        return self._dropped

    # -- the flush's side --------------------------------------------------------------------

    def flush(self, *, max_batches: int = 100) -> Flushed:
        """Write buffered views to the database in batches; returns what it wrote.

        Raises ``redis.RedisError`` (the job is retried) and database errors (the batch
        stays inflight for the next flush).
        """
        token = uuid.uuid4().hex
        if not self.client.set(self.lock_key, token, nx=True, px=int(self.lock_seconds * 1000)):
            logger.info("page views: another flush is running; leaving it to it")
            return Flushed(0, 0, self.dropped_total())
        views = statements = 0
        try:
            for _ in range(max_batches):
                raw = self._take(keys=[self.key, self.inflight_key], args=[self.batch])
                if not raw:
                    break
                statements += store_views(decode_all(raw))
                self.client.delete(self.inflight_key)
                views += len(raw)
        finally:
            self._release(keys=[self.lock_key], args=[token])
        flushed = Flushed(views, statements, self.dropped_total())
        if views:
            logger.info(
                "page views: flushed %d in %d INSERTs (%d dropped while Redis was down, in all)",
                views,
                statements,
                flushed.dropped_total,
            )
        return flushed

    def dropped_total(self) -> int:
        """Views dropped so far that Redis has heard of (the drop counter, not this process's)."""
        return int(self.client.get(self.dropped_key) or 0)

    def pending(self) -> int:
        """Views waiting to be flushed, inflight ones included."""
        with self.client.pipeline(transaction=False) as pipe:
            pipe.llen(self.key)
            pipe.llen(self.inflight_key)
            waiting, inflight = pipe.execute()
        return int(waiting) + int(inflight)


def encode(view: View) -> str:
    return json.dumps([view.event_id, view.path, view.user_id, view.post_id, view.at], separators=(",", ":"))


def decode(raw: bytes | str) -> View:
    event_id, path, user_id, post_id, at = json.loads(raw)
    return View(str(event_id)[:32], str(path)[:500], _id(user_id), _id(post_id), float(at))


def decode_all(raw: list[bytes]) -> list[View]:
    """The views of a batch; an entry that is not one (written by other code, or truncated) is
    logged and skipped, or it would stop every flush after it."""
    views = []
    for item in raw:
        try:
            views.append(decode(item))
        except (ValueError, TypeError) as exc:
            logger.error("page views: skipped an entry that is not a view (%s): %.200r", exc, item)
    return views


def _id(value: Any) -> int | None:
    return None if value is None else int(value)
