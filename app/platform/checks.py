"""A typo in a seam's or a readiness check's dotted path is a start-up error, not a 500 later."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

from app.platform.seams import SEAM_SETTINGS


@register()
def check_seams(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    for name in SEAM_SETTINGS:
        path = getattr(settings, name, None)
        if not path:
            errors.append(Error(f"settings.{name} is not set.", id="platform.E001"))
            continue
        try:
            import_string(path)
        except ImportError as exc:
            errors.append(Error(f"settings.{name} = {path!r} cannot be imported: {exc}", id="platform.E002"))
    for path in getattr(settings, "READINESS_CHECKS", []):
        try:
            import_string(path)
        except ImportError as exc:
            errors.append(
                Error(f"READINESS_CHECKS names {path!r}, which cannot be imported: {exc}", id="platform.E003")
            )
    return errors
