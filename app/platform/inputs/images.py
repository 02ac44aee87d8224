"""Thumbnails and upload checks for the images users send (avatars, product photos)."""

from __future__ import annotations

import io
import re
from pathlib import PurePath
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
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


def thumbnail_of(source: FieldFile, size: tuple[int, int] = THUMBNAIL_SIZE) -> ContentFile:
    """A JPEG no larger than ``size`` made from ``source``, named after it."""
    with source.open("rb") as handle, Image.open(handle) as image:
        # Files stored before today's limit are checked again before anything is decoded.
        if image.width * image.height > settings.MAX_IMAGE_PIXELS:
            raise ValueError(f"{source.name} is {image.width} × {image.height} pixels: too large to decode")
        # For JPEG, decode at a reduced scale straight away (DCT scaling): memory follows the thumbnail.
        image.draft("RGB", (size[0] * 2, size[1] * 2))
        small = image.convert("RGB")
        small.thumbnail(size)
        buffer = io.BytesIO()
        small.save(buffer, format="JPEG", quality=85)
    name = f"{PurePath(source.name or 'image').stem}-thumb.jpg"
    return ContentFile(buffer.getvalue(), name=name)


def store_thumbnail(instance: Model, *, source: str, target: str) -> None:
    """Make the ``target`` image field from ``source`` once: a repeated job finds it made and stops."""
    image, thumbnail = getattr(instance, source), getattr(instance, target)
    if not image or thumbnail:
        return
    made = thumbnail_of(image)
    thumbnail.save(made.name, made, save=False)
    type(instance)._default_manager.filter(pk=instance.pk).update(**{target: thumbnail.name})
