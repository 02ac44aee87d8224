"""The application cache: what a page or a query computed, shared by every instance.

Views and selectors call the three functions here and never ask which tier they run in; the
``APP_CACHE`` setting names the class that does the work:

* ``NoCache`` (tier0 to tier2): every call computes, nothing is stored, invalidation is free;
* ``SharedCache`` (tier3): entries in Redis, shared by every app instance (``app.platform.caching.shared``).

Entries depend on named *topics* (``"posts"``, ``"post:42"``, ``"team:7:orders"``). A write that
changes what a topic shows calls ``invalidate(topic)``, which takes effect when its transaction
commits, so no other request can read the old value back into the cache before the write is
visible. The TTL is the backstop for writes that do not say so (the admin, a shell).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connections, transaction

from app.platform.seams import seam

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

T = TypeVar("T")


def cached(key: str, *, depends_on: Iterable[str], compute: Callable[[], T]) -> T:
    """``compute()``'s value, from the cache while none of ``depends_on`` changed."""
    return seam("APP_CACHE").value(key, tuple(depends_on), compute)


def shared_page(
    request: HttpRequest,
    *,
    depends_on: Iterable[str],
    render: Callable[[HttpRequest], HttpResponse],
    after: Callable[[HttpRequest], None] | None = None,
) -> HttpResponse:
    """The page ``render`` makes, shared between anonymous visitors where the tier caches pages.

    A visitor who is signed in, or has a message waiting, gets ``render(request)``; so does any
    response that sets a cookie or carries a CSRF token, which are never stored. ``after`` runs
    for every request the page answers, however it was answered (counting a page view): where
    ``SharePageMiddleware`` answers a shared page before the view is reached, it runs it there.
    """
    response: HttpResponse = seam("APP_CACHE").page(request, tuple(depends_on), render, after)
    if after is not None:
        after(request)
    return response


def invalidate(*topics: str, using: str | None = None) -> None:
    """Entries depending on ``topics`` are stale once the current transaction commits (at once
    outside one). Without ``using``, the transactions open on any database count: a write may run
    on a database other than the default one (tier4: its team's shard)."""
    cache: Any = seam("APP_CACHE")
    if not topics or not cache.invalidates:
        return
    aliases = [using] if using else [c.alias for c in connections.all(initialized_only=True) if c.in_atomic_block]
    if not aliases:
        cache.invalidate(topics)
    for alias in aliases:
        transaction.on_commit(lambda: cache.invalidate(topics), using=alias)


class NoCache:
    """No application cache: compute every time (tier0 to tier2)."""

    invalidates = False

    def value(self, key: str, depends_on: tuple[str, ...], compute: Callable[[], T]) -> T:
        return compute()

    def page(
        self,
        request: HttpRequest,
        depends_on: tuple[str, ...],
        render: Callable[[HttpRequest], HttpResponse],
        after: Callable[[HttpRequest], None] | None = None,
    ) -> HttpResponse:
        return render(request)

    def early_page(self, request: HttpRequest) -> HttpResponse | None:
        """Nothing is shared, so nothing is answered before the view."""
        return None

    def complete_page(self, request: HttpRequest, response: HttpResponse) -> None:
        """Nothing is stored."""

    def invalidate(self, topics: Iterable[str]) -> None:
        """Nothing is stored, so nothing goes stale."""
