"""Reads to the replica, writes to the primary, and the reads that must not go to the replica (tier2).

A streaming replica is a little behind the primary, so a read sent there can miss a
write that has already happened. The router sends a read to the primary instead when:

* it runs inside a transaction (``atomic``): the transaction must see its own writes,
  and a SELECT … FOR UPDATE must lock the rows it will change;
* the request is not a read (POST, PUT, PATCH, DELETE): what it reads it is about to
  change, and a stale read there would be written back as a lost update;
* the same request has already written;
* the client wrote, and the replica has not replayed that write yet (read-your-writes,
  ``REPLICA_ROUTING["READ_YOUR_WRITES"] = "lsn"``, the default): ``ReadYourWritesMiddleware``
  answers a request that wrote with the primary's WAL position after it (a cookie, and the
  ``X-Primary-LSN`` header for API clients, who may send it back in the same header). A read
  that carries a position uses the replica once the replica has replayed past it: known from
  the last health probe, else asked of the replica in one cheap query, once per request.
  Clients that did not write carry nothing and always read the replica. The older rule,
  ``"window"``, keeps a writer on the primary for ``PIN_SECONDS`` whatever the replica has
  replayed (``make bench S=replica`` compares the two); either way the state travels with the
  client, so it holds on any app instance behind the load balancer;
* code asked for it (``with primary():``, as every job does, because a job usually
  reads what the request that enqueued it has just written);
* the replica is down or lagging (app/platform/db/replica_health.py). A read request whose
  replica query fails anyway (it died since the last probe) is marked down and run again,
  once, on the primary, so the client gets its page.

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
        if not replica_health.usable(alias):
            return PRIMARY
        needed = _after.get()
        if needed is not None and not _replica_has_replayed(alias, needed):
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
        pinned = request.method not in SAFE_METHODS
        after, window = None, 0.0
        if by_position:
            after = _position(request)
        else:
            window = float(settings.REPLICA_ROUTING["PIN_SECONDS"])
            now = time.time()
            pinned = pinned or now < _pinned_until(request, limit=now + window)
        tokens = (_pinned.set(pinned), _wrote.set(False), _after.set(after), _replayed.set(None))
        try:
            response = self.get_response(request)
            wrote, replayed = _wrote.get(), _replayed.get()
        finally:
            _pinned.reset(tokens[0])
            _wrote.reset(tokens[1])
            _after.reset(tokens[2])
            _replayed.reset(tokens[3])
        if wrote and by_position:
            # Read at the end of the request: its writes are committed by now.
            position = _primary_position()
            if position is not None:
                response[LSN_HEADER] = position
                self._cookie(request, response, LSN_COOKIE, position, LSN_MAX_AGE_SECONDS)
        elif wrote and window > 0:
            self._cookie(request, response, PIN_COOKIE, f"{time.time() + window:.3f}", math.ceil(window))
        elif replayed and LSN_COOKIE in request.COOKIES:
            response.delete_cookie(LSN_COOKIE, samesite="Lax")  # replayed: later reads need no check
        return response

    @staticmethod
    def _cookie(request: HttpRequest, response: HttpResponse, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="Lax", secure=request.is_secure())

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The replica failed under a read request: mark it down and serve the request from the primary."""
        alias = replica_alias()
        if not isinstance(exception, OperationalError | InterfaceError) or not connections[alias].errors_occurred:
            return None
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


def _primary_position() -> str | None:
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
