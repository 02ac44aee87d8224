"""tier4's application cache: a short-lived copy of the hottest entries in each process (L1) in
front of tier3's Redis cache (L2).

**Why.** The hottest entries (the anonymous feed, a popular team's page) are read by nearly every
request of every instance, and each read is a round trip to the one cache Redis all instances
share, plus unpickling the entry: at tier4's request rates that server is the hot spot and the
round trip most of a cached page's time. A process that keeps its own copy answers them without
the network.

**What L1 holds.** Entries this process read *fresh* from L2, already unpickled, for at most
``L1_SECONDS``, in a least-recently-used map bounded by ``L1_MAX_BYTES`` (sizes counted as the
entries are stored in Redis; cachetools' ``TTLCache``): the hottest keys stay, the rest fall out.
A stale L2 entry never enters L1, so a refresh and its stampede protection stay L2's job, and a
shared page goes in only once it is complete (its headers stored by ``SharePageMiddleware``).

**Invalidated across instances by pub/sub.** ``invalidate()`` increments the topics' versions and
publishes the new versions in one Lua script: one round trip, and no increment without its
message. Every process subscribes (a daemon thread) and keeps the version last announced for
each topic; an L1 entry is served only while every topic it depends on is still at the version
it was computed from. A process knows its own invalidations at once, the others' within the
message's delivery time (under a millisecond on one network). An entry read from L2 while any
announcement arrived is not kept: it may predate it.

**Never trusted blind.** The subscriber pings Redis every ``PING_SECONDS``; L1 is used only
while the subscription was heard from in the last ``LIVE_SECONDS``. A lost subscription (Redis
restarted, a network fault, a stuck thread) turns L1 off within that time at worst, and a new one
starts from an empty L1, since announcements may have been missed in between. L1 is also off
while the process holds invalidations it could not send, and while L2 is being left alone.

**What it counts:** ``l1_hits`` in the shared counters beside ``lookups`` (``make bench S=l1``
reads the hit ratio from them), and per process ``milestones_cache_l1_lookups`` and
``milestones_cache_l1_bytes`` at ``/metrics``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import orjson
import redis
from cachetools import TTLCache
from django.conf import settings
from redis.exceptions import RedisError

from app.platform.caching.shared import Lookup, SharedCache, StoredPage
from app.platform.telemetry import metrics

log = logging.getLogger(__name__)

#: ``APP_CACHE_OPTIONS`` for L1 that a tier does not set (tier4.py says what each one is for).
L1_DEFAULTS: dict[str, Any] = {"L1_SECONDS": 5.0, "L1_MAX_BYTES": 32 * 2**20}
#: How often the subscriber pings Redis, and how long L1 trusts a subscription not heard from.
PING_SECONDS = 0.5
LIVE_SECONDS = 2.0
#: How long the subscriber waits before subscribing again after losing its subscription.
RESUBSCRIBE_SECONDS = 0.5

#: Increment each topic's version and announce the new versions, atomically, in one round trip.
#: KEYS: the topics' version keys; ARGV: the channel, then the topics' names in the same order.
ANNOUNCE = """
local versions = {}
for i, key in ipairs(KEYS) do
  versions[ARGV[i + 1]] = redis.call('INCR', key)
end
local message = cjson.encode(versions)
redis.call('PUBLISH', ARGV[1], message)
return message
"""


@dataclass(frozen=True)
class Near:
    """An entry as L1 keeps it: the value, unpickled, and what it was computed from."""

    depends_on: tuple[str, ...]
    versions: tuple[int, ...]
    fresh_until: float
    value: Any
    size: int


class LayeredCache(SharedCache):
    def __init__(self) -> None:
        super().__init__()
        options = {**L1_DEFAULTS, **getattr(settings, "APP_CACHE_OPTIONS", {})}
        self.l1_seconds = float(options["L1_SECONDS"])
        self.l1_max_bytes = int(options["L1_MAX_BYTES"])
        self._l1: TTLCache[str, Near] = TTLCache(self.l1_max_bytes, self.l1_seconds, getsizeof=_size_of)
        # Guards the L1 map, the known versions and the generation: reader threads and the subscriber.
        self._l1_lock = threading.Lock()
        #: The version last announced (or read from L2) for each topic this process has seen.
        self._known: dict[str, int] = {}
        #: Bumped by every announcement and every new subscription: an entry read from L2 across
        #: a change of generation is not kept.
        self._generation = 0
        self._live_until = 0.0
        self._subscriber_pid: int | None = None
        self._announce: Any = None
        self._closed = threading.Event()
        self.l1_hits = 0
        self.l1_misses = 0

    # Reads: L1, then L2.

    def _lookup(self, key: str, depends_on: tuple[str, ...], *, count: bool = True) -> Lookup:
        self._subscribe()
        usable = self._l1_usable()
        if usable:
            near = self._near(key, depends_on)
            if near is not None:
                self.l1_hits += 1
                metrics.CACHE_L1_LOOKUPS.labels("hit").inc()
                self._pending_counts["l1_hits"] += 1
                if count:
                    self._count_lookup(self._client())
                return Lookup(near.versions, True, True, near.value, fresh_until=near.fresh_until, size=near.size)
            self.l1_misses += 1
            metrics.CACHE_L1_LOOKUPS.labels("miss").inc()
        generation = self._generation
        seen = super()._lookup(key, depends_on, count=count)
        if usable and seen.found and seen.fresh and _complete(seen.value):
            self._keep(key, depends_on, seen, generation)
        return seen

    def _near(self, key: str, depends_on: tuple[str, ...]) -> Near | None:
        with self._l1_lock:
            near = self._l1.get(key)
            if near is None or near.depends_on != depends_on or time.time() >= near.fresh_until:
                return None
            if any(self._known.get(topic) != version for topic, version in zip(depends_on, near.versions, strict=True)):
                return None  # a topic changed since it was computed
            return near

    def _keep(self, key: str, depends_on: tuple[str, ...], seen: Lookup, generation: int) -> None:
        with self._l1_lock:
            if generation != self._generation:
                return  # an announcement arrived while it was read: it may predate it
            for topic, version in zip(depends_on, seen.versions, strict=True):
                # Read from L2 since the last announcement, so at least as new as what was announced.
                if version > self._known.get(topic, -1):
                    self._known[topic] = version
            if any(self._known[topic] != version for topic, version in zip(depends_on, seen.versions, strict=True)):
                return
            try:
                self._l1[key] = Near(depends_on, seen.versions, seen.fresh_until, seen.value, seen.size)
            except ValueError:  # larger than all of L1
                return
            metrics.CACHE_L1_BYTES.set(self._l1.currsize)

    def _l1_usable(self) -> bool:
        return not self._unsent and not self._is_down() and time.monotonic() < self._live_until

    # Invalidations: sent and announced at once, known here at once.

    def _increment(self, topics: list[str]) -> None:
        """As L2's, and announced to every process in the same round trip; known here at once."""
        if self._announce is None:
            self._announce = self._client().register_script(ANNOUNCE)
        reply = self._announce(keys=[self._topic(topic) for topic in topics], args=[self._channel(), *topics])
        self._heard(orjson.loads(reply))

    def _heard(self, versions: dict[str, int]) -> None:
        """An announcement: these topics are now at these versions (an evicted topic key starts
        again from 1, so the announced version replaces the known one, whichever is larger)."""
        with self._l1_lock:
            self._generation += 1
            self._known.update(versions)

    # The subscriber: one daemon thread per process.

    def _subscribe(self) -> None:
        """Start this process's subscriber on its first lookup (a forked worker starts its own,
        with an empty L1: its parent's copy was never told what changed since the fork)."""
        pid = os.getpid()
        if self._subscriber_pid == pid:
            return
        with self._l1_lock:
            if self._subscriber_pid == pid:
                return
            self._subscriber_pid = pid
            self._forget_all()
        threading.Thread(target=self._subscribe_forever, name="app-cache-l1", daemon=True).start()

    def _subscribe_forever(self) -> None:
        while not self._closed.is_set():
            try:
                self._follow_announcements()
            except (RedisError, OSError, ValueError) as exc:
                log.warning("application cache: L1 off, its invalidations channel was lost: %s", exc)
            with self._l1_lock:
                self._live_until = 0.0
            self._closed.wait(RESUBSCRIBE_SECONDS)

    def _follow_announcements(self) -> None:
        pool = self._client().connection_pool
        client = redis.Redis(
            connection_pool=redis.ConnectionPool(
                connection_class=pool.connection_class,
                **{**pool.connection_kwargs, "socket_timeout": LIVE_SECONDS, "socket_connect_timeout": LIVE_SECONDS},
            )
        )
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(self._channel())
            pinged = 0.0
            while not self._closed.is_set():
                if time.monotonic() - pinged >= PING_SECONDS:
                    pubsub.ping()
                    pinged = time.monotonic()
                message = pubsub.get_message(timeout=PING_SECONDS)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    with self._l1_lock:  # announcements may have been missed before this point
                        self._forget_all()
                elif message["type"] == "message":
                    self._heard(orjson.loads(message["data"]))
                self._live_until = time.monotonic() + LIVE_SECONDS
        finally:
            pubsub.close()
            client.close()

    def close(self) -> None:
        """Stop this process's subscriber, and with it L1 (a cache replaced in tests)."""
        self._closed.set()
        with self._l1_lock:
            self._live_until = 0.0
            self._forget_all()

    def _forget_all(self) -> None:
        """Empty L1 and what it knew (the caller holds the lock)."""
        self._l1.clear()
        self._known.clear()
        self._generation += 1
        metrics.CACHE_L1_BYTES.set(0)

    def forget_here(self) -> None:
        """As L2's, and L1 emptied: after a flush of Redis its versions start again from zero."""
        super().forget_here()
        with self._l1_lock:
            self._forget_all()

    # For make bench and operators.

    def l1_state(self) -> dict[str, Any]:
        """This process's L1: entries, bytes held against the bound, hits and misses so far."""
        with self._l1_lock:
            self._l1.expire()
            return {
                "entries": len(self._l1),
                "bytes": self._l1.currsize,
                "max_bytes": self.l1_max_bytes,
                "live": time.monotonic() < self._live_until,
                "hits": self.l1_hits,
                "misses": self.l1_misses,
            }

    def _channel(self) -> str:
        return f"{self.prefix}:invalidations"


def _size_of(near: Near) -> int:
    return near.size


def _complete(value: Any) -> bool:
    """Whether an entry may go in L1: a shared page only once its headers are stored with it, so
    the middleware can answer it from L1 too."""
    return not isinstance(value, StoredPage) or bool(value.headers)
