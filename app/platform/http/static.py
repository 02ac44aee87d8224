"""Static files from tier1: hashed names, remembered; cache headers a CDN can keep.

WhiteNoise marks files whose names carry a content hash as immutable; those get a year
of public caching (a changed file gets a new name, so nothing stale is ever served).
Everything else keeps WhiteNoise's short ``WHITENOISE_MAX_AGE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

from app.platform.http.static_compression import RememberingCompressor


class HashedStaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed, compressed storage, remembering each file's URL.

    ``{% static %}`` looks the name up in the manifest and builds the URL with ``urllib``
    each time: the layout's five assets were a tenth of a feed page. The manifest is read
    once when the storage is made and does not change while it lives (a setting that could
    change a URL, ``STATIC_URL`` or ``STORAGES``, makes Django build a new storage).
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        if force or name is None:
            return super().url(name, force)
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)
            return url

    def create_compressor(self, **kwargs: Any) -> Compressor:
        """WhiteNoise's, or one that remembers its output (``STATIC_COMPRESSION_CACHE``)."""
        folder = getattr(settings, "STATIC_COMPRESSION_CACHE", "")
        return RememberingCompressor(Path(folder), **kwargs) if folder else super().create_compressor(**kwargs)


FOREVER = "public, max-age=31536000, immutable"


def cache_headers(headers: dict[str, str], path: str, url: str) -> None:
    if "immutable" in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = FOREVER
