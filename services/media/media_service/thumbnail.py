"""Thumbnails: a JPEG no larger than the size asked for, from an image's bytes."""

from __future__ import annotations

import io

from PIL import Image

CONTENT_TYPE = "image/jpeg"


class UnreadableImage(ValueError):
    """The source is not an image we can read, or is too large to decode: trying again cannot help."""


def make(data: bytes, *, width: int, height: int, max_pixels: int) -> bytes:
    """The thumbnail's JPEG bytes. The pixel count is read from the header and checked before
    anything is decoded (a small file can hold an image that decodes to gigabytes); JPEGs are
    decoded at a reduced scale straight away (DCT scaling), so memory follows the thumbnail."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > max_pixels:
                raise UnreadableImage(f"{image.width} × {image.height} pixels: too large to decode")
            image.draft("RGB", (width * 2, height * 2))
            small = image.convert("RGB")
    except (OSError, Image.DecompressionBombError) as exc:
        raise UnreadableImage(f"not an image we can read: {exc}") from exc
    small.thumbnail((width, height))
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
