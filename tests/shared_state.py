"""What a tier keeps outside the test database, and how tests account for it.

From tier3, sessions live in Redis (a signed-in request no longer reads ``django_session``) and
pages and dashboard figures are kept in the application cache, which the test database's
rollback does not reach: factories write rows without the services' invalidation, so a test that
measures what computing a page costs forgets the cached copy first.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches


def session_queries() -> int:
    """The queries a signed-in request spends reading its session: one with database sessions."""
    return 1 if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db" else 0


def shared_cache_aliases() -> list[str]:
    """The Redis cache aliases a test must start without: the application cache, rate limits."""
    return [
        alias
        for alias, spec in settings.CACHES.items()
        if alias != settings.SESSION_CACHE_ALIAS and spec["BACKEND"].startswith("django_redis")
    ]


def forget_shared_cache() -> None:
    """Empty the application cache and the rate limits' counters (nothing to do below tier3),
    and what this process holds of them: an outage it waits out, unsent invalidations, its L1."""
    from app.platform.caching.shared import SharedCache
    from app.platform.seams import seam

    for alias in shared_cache_aliases():
        caches[alias].clear()
    app_cache = seam("APP_CACHE")
    if isinstance(app_cache, SharedCache):
        app_cache.forget_here()
