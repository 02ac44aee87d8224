"""Resolve a setting that names a class (Django's own idiom: ``EMAIL_BACKEND``, ``SESSION_ENGINE``).

A seam is read on first use, not at import time, and the instance is cached until
the setting changes, so ``override_settings`` in tests swaps the behaviour too.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

#: The settings that name a seam's implementation. The system check imports each one.
SEAM_SETTINGS = ("JOBS_BACKEND", "LOADING_STRATEGY", "PAGE_VIEWS", "APP_CACHE", "MEDIA_WORK", "TEAM_PLACEMENT")

_instances: dict[str, Any] = {}


def seam(setting_name: str) -> Any:
    """The instance of the class named by ``settings.<setting_name>``, built once."""
    try:
        return _instances[setting_name]
    except KeyError:
        instance = import_string(getattr(settings, setting_name))()
        _instances[setting_name] = instance
        return instance


@receiver(setting_changed)
def _forget_changed_seam(*, setting: str, **kwargs: Any) -> None:
    _instances.pop(setting, None)
