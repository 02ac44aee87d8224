"""What one request cost, counted while it runs: database queries (how many, how long) and
application-cache lookups (hits, misses). The request line reports them; an N+1 shows as a
query count that grows with the page.

Counting is per context (a ``ContextVar``), so threads and concurrent requests never mix their
figures; outside ``measuring`` every count is a no-op.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import connections

from app.platform.telemetry import metrics


@dataclass
class RequestStats:
    queries: int = 0
    query_seconds: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0


_current: ContextVar[RequestStats | None] = ContextVar("request_stats", default=None)


def cache_lookup(*, hit: bool) -> None:
    """Count one application-cache lookup (``app.platform.caching``) for the current request."""
    metrics.CACHE_LOOKUPS.labels("hit" if hit else "miss").inc()
    stats = _current.get()
    if stats is None:
        return
    if hit:
        stats.cache_hits += 1
    else:
        stats.cache_misses += 1


@contextmanager
def measuring() -> Iterator[RequestStats]:
    """Count what the block costs, on every database alias it uses."""
    stats = RequestStats()
    token = _current.set(stats)
    try:
        with ExitStack() as wrappers:
            for connection in connections.all(initialized_only=False):
                wrappers.enter_context(connection.execute_wrapper(_timed(stats)))
            yield stats
    finally:
        _current.reset(token)


def _timed(stats: RequestStats) -> Callable[..., Any]:
    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            stats.queries += 1
            stats.query_seconds += time.perf_counter() - started

    return wrapper
