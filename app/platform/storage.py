"""Where files are kept that only their owner may read (invoices).

A tier that keeps uploads where anyone can fetch them by URL (tier3's public bucket) names a
``"private"`` storage beside it; a tier that has none keeps these files with the rest.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, default_storage, storages


def private_storage() -> Storage:
    """The ``"private"`` storage where the tier has one, else the default (a ``FileField`` callable)."""
    return storages["private"] if "private" in settings.STORAGES else default_storage
