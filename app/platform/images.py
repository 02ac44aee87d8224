"""Thumbnails and upload checks for the images users send (avatars, product photos)."""

from __future__ import annotations

import io
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db.models import Model
from django.db.models.fields.files import FieldFile
from PIL import Image

THUMBNAIL_SIZE = (256, 256)


def validate_image_size(upload: FieldFile) -> None:
    """Refuse an upload above ``MAX_IMAGE_UPLOAD_BYTES`` with a message, before it is stored."""
    limit = settings.MAX_IMAGE_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(f"The image is larger than {limit // (1024 * 1024)} MB.")


def thumbnail_of(source: FieldFile, size: tuple[int, int] = THUMBNAIL_SIZE) -> ContentFile:
    """A JPEG no larger than ``size`` made from ``source``, named after it."""
    with source.open("rb") as handle, Image.open(handle) as image:
        image = image.convert("RGB")
        image.thumbnail(size)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=85)
    name = f"{PurePath(source.name).stem}-thumb.jpg"
    return ContentFile(buffer.getvalue(), name=name)


def store_thumbnail(instance: Model, *, source: str, target: str) -> None:
    """Make the ``target`` image field from ``source`` once: a repeated job finds it made and stops."""
    image, thumbnail = getattr(instance, source), getattr(instance, target)
    if not image or thumbnail:
        return
    made = thumbnail_of(image)
    thumbnail.save(made.name, made, save=False)
    type(instance)._default_manager.filter(pk=instance.pk).update(**{target: thumbnail.name})
