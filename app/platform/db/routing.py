"""Reads to the replica, writes to the primary, and the reads that must not go to the replica (tier2).

A streaming replica is a little behind the primary, so a read sent there can miss a
write that has already happened. The router sends a read to the primary instead when:

* it runs inside a transaction (``atomic``): the transaction must see its own writes,
  and a SELECT … FOR UPDATE must lock the rows it will change;
* under the "window" rule, the request is not a read (POST, PUT, PATCH, DELETE);
* the same request has already written;
* the client has seen something the replica has not replayed yet (read-your-writes, and
  causal reads generally; ``REPLICA_ROUTING["READ_YOUR_WRITES"] = "lsn"``, the default):
  ``ReadYourWritesMiddleware`` answers a request that wrote, or read from the primary in the
  replica's stead (it was down, lagging, or behind the client), with
  the primary's WAL position at its end (a cookie, and the ``X-Primary-LSN`` header for API
  clients, who may send it back in the same header). A read that carries a position uses the
  replica once the replica has replayed past it: known from the last health probe, else asked
  of the replica in one cheap query, once per request. Clients that saw only the replica carry
  nothing and read the replica. Under this rule a write request reads like any other until
  it writes (what must be current for a write is read inside its transaction, on the
  primary). The older rule, ``"window"``, keeps a writer on the primary for ``PIN_SECONDS``
  whatever the replica has replayed, and every write request's reads too (``make bench
  S=replica`` compares the two); either way the state travels with the client, so it holds
  on any app instance behind the load balancer;
* code asked for it (``with primary():``, as every job does, because a job usually
  reads what the request that enqueued it has just written);
* the replica is down or lagging (app/platform/db/replica_health.py). A read request whose
  replica query fails anyway (it died since the last probe) is marked down and run again,
  once, on the primary, so the client gets its page.

The other way round, where the tier allows it (``REPLICA_ROUTING["STALE_READS"]``, tier4): a read
request that the primary fails while the replica was skipped but still answers (it stopped
streaming, or fell behind: its primary is unreachable, as when a region is lost) is run again,
once, with every read on the replica: older data rather than an error. Not for a request that
wrote, nor for a client whose last write the replica has not replayed (it would read its own
write undone).

Django consults the router for every query (``DATABASE_ROUTERS``); views never name a database.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse

from app.platform.db import replica_health
from app.platform.db.replica_health import parse_lsn

PRIMARY = "default"
#: The "window" rule's cookie: the time (epoch seconds) until which this client's reads stay on the primary.
PIN_COOKIE = "primary_until"
#: The "lsn" rule's cookie and header: the primary's WAL position after this client's last write.
LSN_COOKIE = "primary_lsn"
LSN_HEADER = "X-Primary-LSN"
#: How long a position is carried: a replica this far behind has long been marked lagging.
LSN_MAX_AGE_SECONDS = 60
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_pinned: ContextVar[bool] = ContextVar("milestones_reads_on_primary", default=False)
_wrote: ContextVar[bool] = ContextVar("milestones_request_wrote", default=False)
#: The WAL position this request's reads must see (the client's last write), if it carries one.
_after: ContextVar[int | None] = ContextVar("milestones_reads_after", default=None)
#: Whether the replica has replayed ``_after``: asked once per request, then remembered.
_replayed: ContextVar[bool | None] = ContextVar("milestones_replica_replayed", default=None)
#: Whether this request read from the primary in the replica's stead (down, lagging, or behind the
#: client): it may then have seen what the replica has not.
_read_primary: ContextVar[bool] = ContextVar("milestones_read_primary", default=False)
#: The primary failed under this read request: its reads go to the replica however far behind (STALE_READS).
_stale_ok: ContextVar[bool] = ContextVar("milestones_stale_reads", default=False)


def replica_alias() -> str:
    return str(settings.REPLICA_ROUTING["ALIAS"])


@contextmanager
def primary() -> Iterator[None]:
    """Every read inside this block goes to the primary."""
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


class PrimaryReplicaRouter:
    """``DATABASE_ROUTERS`` entry: one primary (``default``) and one hot standby (``replica``)."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        if _pinned.get() or _wrote.get() or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        alias = replica_alias()
        if _stale_ok.get():
            return alias
        needed = _after.get()
        if not replica_health.usable(alias) or (needed is not None and not _replica_has_replayed(alias, needed)):
            # Served what the replica may not have: the client must not read older data next.
            _read_primary.set(True)
            return PRIMARY
        return alias

    def db_for_write(self, model: type, **hints: Any) -> str:
        _wrote.set(True)
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        """Both servers hold the same rows, so objects read from either may be related."""
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        """A standby is read-only and receives the schema from the primary: never migrate it."""
        if db == replica_alias():
            return False
        return None


def _replica_has_replayed(alias: str, needed: int) -> bool:
    decided = _replayed.get()
    if decided is None:
        decided = replica_health.replayed(alias, needed)
        _replayed.set(decided)
    return decided


class ReadYourWritesMiddleware:
    """A client that wrote reads its writes back, on whichever app instance serves it next.

    What it carries (a WAL position, or with the "window" rule a time) travels in a cookie
    rather than in server memory, so it needs no shared store. API clients that keep cookies
    (browsers, ``requests.Session``, most HTTP libraries) get it too; others can send the
    ``X-Primary-LSN`` header they were answered with.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        by_position = settings.REPLICA_ROUTING.get("READ_YOUR_WRITES", "lsn") == "lsn"
        # By position, a write request reads like any other until it writes: what must be
        # current for a write is read inside its transaction, which is on the primary anyway.
        pinned = not by_position and request.method not in SAFE_METHODS
        after, window = None, 0.0
        if by_position:
            after = _position(request)
        else:
            window = float(settings.REPLICA_ROUTING["PIN_SECONDS"])
            now = time.time()
            pinned = pinned or now < _pinned_until(request, limit=now + window)
        tokens = (
            _pinned.set(pinned),
            _wrote.set(False),
            _after.set(after),
            _replayed.set(None),
            _read_primary.set(False),
        )
        try:
            response = self.get_response(request)
            wrote, replayed, read_primary = _wrote.get(), _replayed.get(), _read_primary.get()
        finally:
            for var, token in zip((_pinned, _wrote, _after, _replayed, _read_primary), tokens, strict=True):
                var.reset(token)  # type: ignore[attr-defined]
        if by_position and (wrote or read_primary):
            # The client has now seen the primary as of this moment (its writes are committed by
            # now): what it reads next must be at least as new, wherever it is read.
            position = primary_position()
            if position is not None:
                response[LSN_HEADER] = position
                self._cookie(request, response, LSN_COOKIE, position, LSN_MAX_AGE_SECONDS)
        elif wrote and window > 0:
            self._cookie(request, response, PIN_COOKIE, f"{time.time() + window:.3f}", math.ceil(window))
        elif replayed and LSN_COOKIE in request.COOKIES:
            response.delete_cookie(LSN_COOKIE, samesite="Lax")  # replayed: later reads need no check
        return response

    def _stale_instead(self, request: HttpRequest, alias: str) -> HttpResponse | None:
        """Run a read request again with every read on the replica, which was skipped but answers,
        since the primary cannot serve it (``STALE_READS``); ``None`` where that would be wrong."""
        allowed = settings.REPLICA_ROUTING.get("STALE_READS", False)
        if not allowed or request.method not in SAFE_METHODS or getattr(request, "_replica_retried", False):
            return None
        needed = _after.get()
        if _wrote.get() or not replica_health.answers(alias):
            return None
        if needed is not None and not _replica_has_replayed(alias, needed):
            return None
        request._replica_retried = True  # type: ignore[attr-defined]
        connections[PRIMARY].close()
        replica_health.count_stale_read(alias)
        token = _stale_ok.set(True)
        try:
            return self.get_response(request)
        finally:
            _stale_ok.reset(token)

    @staticmethod
    def _cookie(request: HttpRequest, response: HttpResponse, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Lax", secure=request.is_secure())

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The replica failed under a read request: mark it down and serve the request from the
        primary. The primary failed under one: serve it from the replica where the tier allows it."""
        alias = replica_alias()
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        if not connections[alias].errors_occurred:
            return self._stale_instead(request, alias) if connections[PRIMARY].errors_occurred else None
        replica_health.mark_down(alias, exception)
        connections[alias].close()
        if request.method not in SAFE_METHODS or getattr(request, "_replica_retried", False):
            return None
        request._replica_retried = True  # type: ignore[attr-defined]
        with primary():
            return self.get_response(request)


def _position(request: HttpRequest) -> int | None:
    """The WAL position the client says it wrote at: the header, else the cookie; unreadable is none."""
    return parse_lsn(request.headers.get(LSN_HEADER) or request.COOKIES.get(LSN_COOKIE))


def primary_position() -> str | None:
    """The primary's WAL position now (``pg_current_wal_lsn()``), or ``None`` if it cannot say."""
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            row = cursor.fetchone()
    except (OperationalError, InterfaceError):
        return None
    return str(row[0]) if row else None


def _pinned_until(request: HttpRequest, *, limit: float) -> float:
    """The cookie's time, ignored when unreadable and capped so a client cannot pin itself for long."""
    try:
        return min(float(request.COOKIES.get(PIN_COOKIE, "0")), limit)
    except ValueError:
        return 0.0
