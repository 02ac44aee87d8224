"""Cache headers for static files, so a CDN in front of the app can keep them.

WhiteNoise marks files whose names carry a content hash as immutable; those get a year
of public caching (a changed file gets a new name, so nothing stale is ever served).
Everything else keeps WhiteNoise's short ``WHITENOISE_MAX_AGE``.
"""

from __future__ import annotations

FOREVER = "public, max-age=31536000, immutable"


def cache_headers(headers: dict[str, str], path: str, url: str) -> None:
    if "immutable" in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = FOREVER
