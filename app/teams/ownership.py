"""Who owns which team, as the application cache knows it: one topic, changed by every write.

Owned teams decide what a signed-in visitor may open, so an entry must not outlive a change
for as long as the cache's TTL backstop would let it: every save or delete of a team or a
membership, through a service, the admin or a shell, invalidates the topic when it commits.
Such writes are rare next to the signed-in page views that read the entries.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from app.platform.caching import invalidate

OWNERSHIP_TOPIC = "teams:ownership"


def _changed(sender: type, instance: Any, using: str, **kwargs: Any) -> None:
    invalidate(OWNERSHIP_TOPIC, using=using)


def connect() -> None:
    """Called once, from the teams app's ``ready``."""
    from app.teams.models import Membership, Team

    for model in (Team, Membership):
        post_save.connect(_changed, sender=model, dispatch_uid=f"ownership-{model.__name__}-saved")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"ownership-{model.__name__}-deleted")
