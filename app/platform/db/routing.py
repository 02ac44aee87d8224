"""Reads to the replica, writes to the primary, and the reads that must not go to the replica (tier2).

A streaming replica is a little behind the primary, so a read sent there can miss a
write that has already happened. The router sends a read to the primary instead when:

* it runs inside a transaction (``atomic``): the transaction must see its own writes,
  and a SELECT … FOR UPDATE must lock the rows it will change;
* the request is not a read (POST, PUT, PATCH, DELETE): what it reads it is about to
  change, and a stale read there would be written back as a lost update;
* the same request has already written;
* the client wrote within the last ``REPLICA_ROUTING["PIN_SECONDS"]`` (read-your-writes):
  ``ReadYourWritesMiddleware`` gives a client that wrote a cookie saying until when its
  reads stay on the primary, so the pin holds on any app instance behind the load balancer;
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

PRIMARY = "default"
#: The cookie holding the time (epoch seconds) until which this client's reads stay on the primary.
PIN_COOKIE = "primary_until"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_pinned: ContextVar[bool] = ContextVar("milestones_reads_on_primary", default=False)
_wrote: ContextVar[bool] = ContextVar("milestones_request_wrote", default=False)


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


class ReadYourWritesMiddleware:
    """Keeps a client's reads on the primary for a while after it wrote.

    The pin travels in a cookie rather than in server memory, so it needs no shared
    store and holds whichever app instance serves the next request. API clients that
    keep cookies (browsers, ``requests.Session``, most HTTP libraries) get it too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        window = float(settings.REPLICA_ROUTING["PIN_SECONDS"])
        now = time.time()
        pinned = request.method not in SAFE_METHODS or now < _pinned_until(request, limit=now + window)
        tokens = (_pinned.set(pinned), _wrote.set(False))
        try:
            response = self.get_response(request)
            wrote = _wrote.get()
        finally:
            _pinned.reset(tokens[0])
            _wrote.reset(tokens[1])
        if wrote and window > 0:
            # Counted from the end of the request: its writes are committed by now.
            until = time.time() + window
            response.set_cookie(
                PIN_COOKIE,
                f"{until:.3f}",
                max_age=math.ceil(window),
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response

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


def _pinned_until(request: HttpRequest, *, limit: float) -> float:
    """The cookie's time, ignored when unreadable and capped so a client cannot pin itself for long."""
    try:
        return min(float(request.COOKIES.get(PIN_COOKIE, "0")), limit)
    except ValueError:
        return 0.0
