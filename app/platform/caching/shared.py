"""tier3's application cache: cache-aside in Redis, shared by every app instance.

**One round trip per read.** An entry is stored under its own key with the versions of the
topics it was computed from; a read fetches the entry and the topics' current versions in one
pipeline, and an entry whose versions differ is stale. ``invalidate("posts")`` increments one
counter, so every entry built on ``posts`` (each feed page, each page size) goes stale at once,
on every instance, without finding and deleting them (versioned keys, with the version read in
the same round trip instead of a second one).

**Stampede protection.** An entry is *fresh* for ``FRESH_SECONDS``, then *stale* until Redis
drops it ``KEEP_SECONDS`` after it was written (the TTL backstop). When a hot entry goes stale,
the first request takes a short lock (``SET NX``) and recomputes it while everyone else is served
the stale value: one recompute, not one per concurrent request. An entry missing outright (new,
evicted, or invalidated, where the stale value must not be shown) is computed by the lock's
holder while the others wait up to ``WAIT_SECONDS`` for it, then compute it themselves.

**Recomputes read the primary.** An invalidation lands on commit; a replica a few milliseconds
behind would hand a recompute the old rows, which would then be stored under the new version.

**Shared pages before the stack.** ``SharePageMiddleware`` (near the top of tier3's middleware)
answers an anonymous ``GET`` for a page this process has served before with one lookup, before
sessions, CSRF, authentication, messages, URL resolution and the view: a cached page then costs
about what the trivial ``/ping`` view costs. It answers only fresh entries stored with the headers
the whole stack gave the page (``X-Frame-Options``, ``Vary``…), which that middleware adds on the
page's first way out; everything else (stale, missing, a visitor with a session) goes on to the
view, where the rest of this module applies.

**A cache that is down or slow** makes pages slower, never broken: every call has a short socket
timeout, any Redis error computes the value, and after one the cache is left alone for
``BACKOFF_SECONDS`` so requests do not each wait on a dead server.

**What it counts** (a Redis hash, ``<prefix>:stats``, for ``make bench`` and operators): lookups,
fresh and stale hits, misses, recomputes (each ``compute`` the cache ran), lock waits.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from email.utils import formatdate
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from redis.exceptions import RedisError

from app.platform.caching.lookups import LookupConnection
from app.platform.db.routing import primary
from app.platform.telemetry import request_stats

log = logging.getLogger(__name__)

T = TypeVar("T")

#: ``APP_CACHE_OPTIONS`` a tier does not set (tier3.py says what each one is for).
DEFAULT_OPTIONS: dict[str, Any] = {
    "ALIAS": "default",
    "PREFIX": "app",
    "FRESH_SECONDS": 60.0,
    "KEEP_SECONDS": 600.0,
    "LOCK_SECONDS": 10.0,
    "WAIT_SECONDS": 2.0,
    "BACKOFF_SECONDS": 5.0,
    # Off only to measure what it saves (``make bench S=stampede``): every reader of a stale or
    # missing entry then recomputes it.
    "STAMPEDE_PROTECTION": True,
}
#: How often a request waiting for the lock holder's value looks for it.
POLL_SECONDS = 0.01
#: How often each process adds its count of lookups to the shared counters.
LOOKUP_COUNT_SECONDS = 1.0
#: Shared pages a process remembers the topics of (path → topics), so its middleware can look
#: them up before the view; past this many (query strings vary) it forgets them all and relearns.
ROUTES_MAX = 10_000
#: Headers a server or proxy sets on each response itself; never stored with a page.
UNSTORED_HEADERS = frozenset({"date", "server", "set-cookie", "connection", "transfer-encoding"})


@dataclass(frozen=True)
class Lookup:
    """What one read found: the topics' versions now, and the entry if it matches them."""

    versions: tuple[int, ...]
    found: bool = False
    fresh: bool = False
    value: Any = None
    #: When the entry stops being fresh (``time.time()``), and its size as stored, in bytes.
    fresh_until: float = 0.0
    size: int = 0


@dataclass(frozen=True)
class StoredPage:
    """An anonymous page as it is shared: enough to answer it again, and conditional GETs."""

    status: int
    content_type: str
    body: bytes
    etag: str
    last_modified: str
    #: Every header the whole stack gave the page, once its middleware has seen it leave: only
    #: then may ``SharePageMiddleware`` answer it before the stack.
    headers: tuple[tuple[str, str], ...] = ()


class SharedCache:
    invalidates = True

    def __init__(self) -> None:
        options = {**DEFAULT_OPTIONS, **getattr(settings, "APP_CACHE_OPTIONS", {})}
        self.alias = str(options["ALIAS"])
        self.prefix = str(options["PREFIX"])
        self.fresh = float(options["FRESH_SECONDS"])
        self.keep = int(options["KEEP_SECONDS"])
        self.lock_seconds = int(options["LOCK_SECONDS"])
        self.wait = float(options["WAIT_SECONDS"])
        self.backoff = float(options["BACKOFF_SECONDS"])
        self.protect = bool(options["STAMPEDE_PROTECTION"])
        self._down_until = 0.0
        self._pending_counts: Counter[str] = Counter()
        self._counts_sent_at = 0.0
        self._unsent: set[str] = set()
        self._redis: Any = None
        self._lookups: LookupConnection | None = None
        self._routes: dict[str, tuple[tuple[str, ...], Callable[[HttpRequest], None] | None]] = {}

    # The two things callers do.

    def value(self, key: str, depends_on: tuple[str, ...], compute: Callable[[], T]) -> T:
        result: T = self._through(f"v:{key}", depends_on, compute, lambda value: True)
        return result

    def page(
        self,
        request: HttpRequest,
        depends_on: tuple[str, ...],
        render: Callable[[HttpRequest], HttpResponse],
        after: Callable[[HttpRequest], None] | None = None,
    ) -> HttpResponse:
        """The page, from the cache or rendered; ``after`` is only remembered here, for the
        middleware's early answers (``shared_page`` runs it for the answers given here)."""
        if request.method not in ("GET", "HEAD") or not _anonymous_without_messages(request):
            return _private(render(request))
        key = _page_key(request)
        self._learn(key, depends_on, after)
        rendered: list[HttpResponse] = []

        def compute() -> StoredPage | None:
            response = render(request)
            rendered.append(response)
            return _storable(request, response)

        stored = self._through(key, depends_on, compute, lambda page: page is not None)
        if stored is not None and not stored.headers:
            # SharePageMiddleware stores the headers the whole stack gives it on its way out.
            request._shared_page_incomplete = (key, stored.etag)  # type: ignore[attr-defined]
        if not rendered:  # served from the cache
            return self._answer(stored)
        response = rendered[-1]  # this request rendered it: a miss, a refresh, or the cache is down
        if stored is None:
            return _private(response)
        response["ETag"] = stored.etag
        response["Last-Modified"] = stored.last_modified
        return _public(response, self.fresh)

    def _learn(self, key: str, depends_on: tuple[str, ...], after: Callable[[HttpRequest], None] | None) -> None:
        """Remember which topics this path's page depends on (and what runs for each request it
        answers), so this process's middleware can answer it before the view next time."""
        if key not in self._routes and len(self._routes) >= ROUTES_MAX:
            self._routes.clear()
        self._routes[key] = (depends_on, after)

    # Before and after the stack (SharePageMiddleware).

    def early_page(self, request: HttpRequest) -> HttpResponse | None:
        """The shared page for this request if it can be answered before the stack: an anonymous
        ``GET`` or ``HEAD`` with no session and no message waiting, for a path this process has
        served, whose entry is fresh and complete. ``None`` sends the request on to the view."""
        if request.method not in ("GET", "HEAD") or self._is_down():
            return None
        if "messages" in request.COOKIES or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return None
        key = _page_key(request)
        route = self._routes.get(key)
        if route is None:
            return None
        depends_on, after = route
        try:
            self._send_invalidations()
            seen = self._lookup(key, depends_on, count=False)
        except RedisError as exc:
            self._trip(exc)
            return None
        page = seen.value
        if not (seen.found and seen.fresh and page.headers):
            return None  # the view looks again, and counts it
        self._count_lookup(self._client())
        request_stats.cache_lookup(hit=True)
        request.get_host()  # refused (400) for a host not in ALLOWED_HOSTS, as CommonMiddleware would
        response = HttpResponse(page.body, status=page.status)
        for name, value in page.headers:
            response[name] = value
        if after is not None:
            request.user = AnonymousUser()  # no session cookie: nobody is signed in
            after(request)
        return response

    def complete_page(self, request: HttpRequest, response: HttpResponse) -> None:
        """Store with a shared page the headers the whole stack gave it, once, on its way out."""
        pending = getattr(request, "_shared_page_incomplete", None)
        if pending is None or self._is_down():
            return
        key, etag = pending
        try:
            client = self._client()
            raw = client.get(self._entry(key))
            if raw is None:
                return
            stamp, fresh_until, page = pickle.loads(raw)  # noqa: S301 — written by this class, in our own Redis
            if page.etag != etag or page.headers or response.get("ETag") != etag:
                return
            headers = tuple((name, value) for name, value in response.items() if name.lower() not in UNSTORED_HEADERS)
            payload = pickle.dumps((stamp, fresh_until, replace(page, headers=headers)), pickle.HIGHEST_PROTOCOL)
            client.set(self._entry(key), payload, keepttl=True)
        except RedisError as exc:
            self._trip(exc)

    def invalidate(self, topics: Iterable[str]) -> None:
        """Tried even while the cache is being left alone: a lost invalidation would show stale
        pages until the TTL. One that fails is kept and sent again before this process's next read."""
        self._unsent.update(topics)
        self._send_invalidations()

    def _send_invalidations(self) -> None:
        if not self._unsent:
            return
        topics = sorted(self._unsent)
        try:
            self._increment(topics)
        except RedisError as exc:
            log.error("application cache: invalidation of %s not sent yet: %s", ", ".join(topics), exc)
            self._trip(exc)
        else:
            self._unsent.difference_update(topics)

    def _increment(self, topics: list[str]) -> None:
        """Make every entry built on ``topics`` stale: one more version each, in one round trip."""
        pipe = self._client().pipeline(transaction=False)
        for topic in topics:
            pipe.incr(self._topic(topic))
        pipe.execute()

    def stats(self) -> dict[str, int]:
        """The counters, as ``make bench`` and operators read them (lookups to within a second)."""
        raw = self._client().hgetall(self._stats_key())
        return {key.decode(): int(value) for key, value in raw.items()}

    def reset_stats(self) -> None:
        self._client().delete(self._stats_key())

    def forget_here(self) -> None:
        """Forget what this process holds of the cache's state: an outage it is waiting out,
        invalidations it has still to send, counts it has still to add (tests, after a flush)."""
        self._down_until = 0.0
        self._unsent.clear()
        self._pending_counts, self._counts_sent_at = Counter(), 0.0

    # Cache-aside, with the stampede kept to one recompute.

    def _through(
        self, key: str, depends_on: tuple[str, ...], compute: Callable[[], Any], storable: Callable[[Any], bool]
    ) -> Any:
        if self._is_down():
            request_stats.cache_lookup(hit=False)
            return compute()
        try:
            self._send_invalidations()  # any this process could not send: before it reads again
            seen = self._lookup(key, depends_on)
        except RedisError as exc:
            self._trip(exc)
            request_stats.cache_lookup(hit=False)
            return compute()
        # For the request's log line: served fresh from the cache, or not.
        request_stats.cache_lookup(hit=seen.found and seen.fresh)
        if seen.found and seen.fresh:
            return seen.value
        if not self.protect:
            self._count("misses" if not seen.found else "stale")
            return self._recompute(key, seen.versions, compute, storable, locked=False)
        if seen.found:  # stale: one request refreshes it, the rest are served what is there
            if not self._lock(key):
                self._count("stale")
                return seen.value
            return self._refresh(key, depends_on, seen, compute, storable)
        self._count("misses")
        if self._lock(key):
            return self._refresh(key, depends_on, seen, compute, storable)
        waited = self._wait_for(key, depends_on)
        if waited.found:
            self._count("waited")
            return waited.value
        return self._recompute(key, seen.versions, compute, storable, locked=False)

    def _refresh(
        self,
        key: str,
        depends_on: tuple[str, ...],
        seen: Lookup,
        compute: Callable[[], Any],
        storable: Callable[[Any], bool],
    ) -> Any:
        """Holding the lock: unless the previous holder stored a fresh value since this request
        looked (it released the lock in between), compute and store it."""
        try:
            again = self._lookup(key, depends_on)
        except RedisError as exc:
            self._trip(exc)
            again = seen
        if again.found and again.fresh:
            self._unlock(key)
            return again.value
        return self._recompute(key, again.versions or seen.versions, compute, storable, locked=True)

    def _recompute(
        self,
        key: str,
        versions: tuple[int, ...],
        compute: Callable[[], Any],
        storable: Callable[[Any], bool],
        *,
        locked: bool,
    ) -> Any:
        try:
            self._count("recomputes")
            with primary():
                value = compute()
            if storable(value):
                self._store(key, versions, value)
            return value
        finally:
            if locked:
                self._unlock(key)

    def _lookup(self, key: str, depends_on: tuple[str, ...], *, count: bool = True) -> Lookup:
        """The topics' versions and the entry in one ``MGET``: one command, one round trip, on
        this thread's own connection (``app.platform.caching.lookups`` says why)."""
        if self._lookups is None:
            self._lookups = LookupConnection(self._client().connection_pool)
        replies = self._lookups.mget([*(self._topic(topic) for topic in depends_on), self._entry(key)])
        if count:
            self._count_lookup(self._client())
        versions = tuple(int(v) if v is not None else 0 for v in replies[:-1])
        raw = replies[-1]
        if raw is None:
            return Lookup(versions)
        stamp, fresh_until, value = pickle.loads(raw)  # noqa: S301 — written by this class, in our own Redis
        if tuple(stamp) != versions:
            return Lookup(versions)  # a topic changed since: stale, and not to be shown
        return Lookup(
            versions, found=True, fresh=time.time() < fresh_until, value=value, fresh_until=fresh_until, size=len(raw)
        )

    def _count_lookup(self, client: Any, *also: str) -> None:
        """Lookups (and ``also`` counters) are counted here and added to the shared counters at
        most once a second: a counter update per request would cost Redis as much as the lookup."""
        self._pending_counts["lookups"] += 1
        for name in also:
            self._pending_counts[name] += 1
        now = time.monotonic()
        if now - self._counts_sent_at >= LOOKUP_COUNT_SECONDS:
            pending, self._pending_counts, self._counts_sent_at = self._pending_counts, Counter(), now
            pipe = client.pipeline(transaction=False)
            for name, count in pending.items():
                pipe.hincrby(self._stats_key(), name, count)
            pipe.execute()

    def _store(self, key: str, versions: tuple[int, ...], value: Any) -> None:
        payload = pickle.dumps((versions, time.time() + self.fresh, value), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._client().set(self._entry(key), payload, ex=self.keep)
        except RedisError as exc:
            self._trip(exc)

    def _lock(self, key: str) -> bool:
        try:
            return bool(
                self._client().set(self._entry(key) + ":lock", secrets.token_hex(4), nx=True, ex=self.lock_seconds)
            )
        except RedisError as exc:
            self._trip(exc)
            return True  # no cache to coordinate through: compute, as everyone else will

    def _unlock(self, key: str) -> None:
        try:
            self._client().delete(self._entry(key) + ":lock")
        except RedisError as exc:
            self._trip(exc)

    def _wait_for(self, key: str, depends_on: tuple[str, ...]) -> Lookup:
        deadline = time.monotonic() + self.wait
        while time.monotonic() < deadline and not self._is_down():
            time.sleep(POLL_SECONDS)
            try:
                seen = self._lookup(key, depends_on)
            except RedisError as exc:
                self._trip(exc)
                break
            if seen.found:
                return seen
        return Lookup(())

    def _answer(self, page: StoredPage) -> HttpResponse:
        response = HttpResponse(page.body, status=page.status, content_type=page.content_type)
        response["ETag"] = page.etag
        response["Last-Modified"] = page.last_modified
        _public(response, self.fresh)
        return response

    # Redis, and what to do when it is not there.

    def _client(self) -> Any:
        """The alias's Redis client (thread-safe, with its pool), looked up once per process."""
        if self._redis is None:
            from django_redis import get_redis_connection

            self._redis = get_redis_connection(self.alias)
        return self._redis

    def _count(self, what: str) -> None:
        try:
            self._client().hincrby(self._stats_key(), what, 1)
        except RedisError as exc:
            self._trip(exc)

    def _is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _trip(self, exc: Exception) -> None:
        """Leave the cache alone for a while: each request would otherwise wait on its timeout."""
        log.warning("application cache unavailable for %.0f s: %s", self.backoff, exc)
        self._down_until = time.monotonic() + self.backoff

    def _entry(self, key: str) -> str:
        if len(key) > 200:  # a long query string must not make a long key
            key = key[:100] + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()
        return f"{self.prefix}:{key}"

    def _topic(self, topic: str) -> str:
        return f"{self.prefix}:topic:{topic}"

    def _stats_key(self) -> str:
        return f"{self.prefix}:stats"


def _page_key(request: HttpRequest) -> str:
    return f"p:{request.get_full_path()}"


def _anonymous_without_messages(request: HttpRequest) -> bool:
    """Whether the page can be the one every anonymous visitor gets: nobody signed in, and no
    flash message waiting (in its cookie, or in the session where Django falls back to it)."""
    if "messages" in request.COOKIES:
        return False
    has_session = settings.SESSION_COOKIE_NAME in request.COOKIES
    return not (has_session and (request.user.is_authenticated or "_messages" in request.session))


def _storable(request: HttpRequest, response: HttpResponse) -> StoredPage | None:
    """The response as a shared page, or ``None`` if it holds anything of this visitor's: a
    cookie, a CSRF token (``get_token`` marks the request), or it is not a plain 200 or 404."""
    if response.status_code not in (200, 404) or response.streaming or response.cookies:
        return None
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return None
    body = response.content
    return StoredPage(
        status=response.status_code,
        content_type=response.get("Content-Type", "text/html; charset=utf-8"),
        body=body,
        etag=f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"',
        last_modified=formatdate(time.time(), usegmt=True),
    )


def _public(response: HttpResponse, fresh: float) -> HttpResponse:
    """A CDN may keep it as long as the cache calls it fresh; a browser revalidates (ETag). It
    differs for a visitor with a session, so it varies on the cookie."""
    response["Cache-Control"] = f"public, max-age=0, s-maxage={int(fresh)}"
    patch_vary_headers(response, ["Cookie"])
    return response


def _private(response: HttpResponse) -> HttpResponse:
    """Pages for one visitor: never kept by a CDN or shared proxy."""
    if not response.has_header("Cache-Control"):
        response["Cache-Control"] = "private, no-cache"
    return response
