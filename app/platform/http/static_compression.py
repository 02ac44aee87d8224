"""WhiteNoise's compressor, remembering what it made: the same bytes compress to the same bytes.

``collectstatic`` compresses every static file with Brotli (quality 11) and gzip (level 9) at
each run, the hashed copy and the original alike: tens of seconds of CPU for the admin's and
django-ninja's bundles (24 MB of Swagger UI and ReDoc). Every stack the runner starts runs it
into a fresh folder (each test's private stack, each benchmark's), so on this machine the same
files were compressed again and again. Where ``STATIC_COMPRESSION_CACHE`` names a folder, each
result is kept there under the SHA-256 of its input and the compressor's versions, and read
back instead of compressed again; the files written are byte for byte what WhiteNoise writes.
Unset (production's image collects once), nothing changes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from whitenoise.compress import Compressor


class RememberingCompressor(Compressor):
    """A ``Compressor`` that keeps each output in ``folder``, named by its input's content."""

    def __init__(self, folder: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.folder = folder / f"whitenoise-{version('whitenoise')}"
        self.folder.mkdir(parents=True, exist_ok=True)

    def compress_gzip(self, data: bytes) -> bytes:
        return self._remembered(data, "gz", Compressor.compress_gzip)

    def compress_brotli(self, data: bytes) -> bytes:
        import brotli

        return self._remembered(data, f"br-{brotli.version}", Compressor.compress_brotli)

    def _remembered(self, data: bytes, kind: str, compress: Callable[[bytes], bytes]) -> bytes:
        kept = self.folder / f"{hashlib.sha256(data).hexdigest()}.{kind}"
        try:
            return kept.read_bytes()
        except FileNotFoundError:
            pass
        compressed = compress(data)
        # Written whole under another name, then renamed: several stacks may collect at once.
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".partial-")
        with os.fdopen(handle, "wb") as out:
            out.write(compressed)
        os.replace(temporary, kept)
        return compressed
