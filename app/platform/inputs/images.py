"""Thumbnails and upload checks for the images users send (avatars, product photos)."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.db.models.fields.files import FieldFile
from PIL import Image

THUMBNAIL_SIZE = (256, 256)


def validate_image_size(upload: FieldFile) -> None:
    """Refuse an image above ``MAX_IMAGE_UPLOAD_BYTES`` or ``MAX_IMAGE_PIXELS``, with a message, before it is stored.

    Pixels matter as much as bytes: a 420 KB PNG can hold 12,000 × 12,000 pixels, which
    decode to over half a gigabyte. The size is read from the image's header, so a
    decompression bomb is refused without being decompressed.
    """
    _check_bytes(upload)
    width, height = _dimensions(upload)
    if width * height > settings.MAX_IMAGE_PIXELS:
        raise ValidationError(_too_many_pixels(f"({width * height} pixels)"))


class ImageUploadField(forms.ImageField):
    """Django's image field, saying why an image too large to decode was refused.

    Pillow refuses to open an image of more than twice ``MAX_IMAGE_PIXELS`` (a decompression
    bomb, set in ``app.platform.apps``); Django would then call it "not an image". Below that,
    ``validate_image_size`` refuses more than ``MAX_IMAGE_PIXELS`` from the header.
    """

    default_validators = [validate_image_size]

    def to_python(self, data: Any) -> Any:
        if data is not None and getattr(data, "size", None) is not None:
            # Before decoding: an upload past the memory limit arrives cut short (app.platform.inputs.uploads).
            _check_bytes(data)
        try:
            return super().to_python(data)
        except ValidationError as exc:
            if isinstance(exc.__cause__, Image.DecompressionBombError):
                raise ValidationError(_too_many_pixels(str(exc.__cause__))) from exc
            raise


def _check_bytes(upload: Any) -> None:
    limit = settings.MAX_IMAGE_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(f"The image is larger than {limit / (1024 * 1024):g} MB.")


def _too_many_pixels(detail: str) -> str:
    limit = settings.MAX_IMAGE_PIXELS / 1_000_000
    found = re.search(r"\((\d+) pixels\)", detail)
    size = f"{int(found.group(1)) / 1_000_000:,.0f} megapixels" if found else "too many pixels"
    return f"The image has {size}; the most we take is {limit:g} megapixels (e.g. 4,000 × 4,000)."


def _dimensions(upload: FieldFile) -> tuple[int, int]:
    """Width and height from the header alone (Django's form field leaves the opened image on ``.image``)."""
    opened = getattr(upload, "image", None)
    if opened is not None:
        return opened.size
    position = upload.tell() if hasattr(upload, "tell") else 0
    try:
        with Image.open(upload) as image:
            return image.size
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValidationError("The file is not an image we can read.") from exc
    finally:
        upload.seek(position)


def thumbnail_request(instance: Model, *, source: str, target: str, topics: list[str]) -> dict[str, Any] | None:
    """The media request that makes the ``target`` image field from ``source``, or ``None`` when
    there is nothing to make (no image, or its thumbnail is made: a repeated job stops here)."""
    from app.platform.media import file_request

    image, thumbnail = getattr(instance, source), getattr(instance, target)
    if not image or thumbnail:
        return None
    width, height = THUMBNAIL_SIZE
    spec = {
        "source": {"store": "public", "key": image.name},
        "width": width,
        "height": height,
        "max_pixels": settings.MAX_IMAGE_PIXELS,
    }
    name = f"{PurePath(image.name).stem}-thumb.jpg"
    return file_request(
        instance, target, kind="thumbnail", store="public", filename=name, topics=topics, thumbnail=spec
    )
