"""Where each team lives: the ``Placement`` rows on the control database.

A new team is placed on the shard holding the fewest teams when it is created (in the same
transaction as the team's row). Lookups are remembered in each process for
``SHARDING["DIRECTORY_CACHE_SECONDS"]``: a request or job resolves its team's shard once, and
moving a team (``move_team``) pauses the team's writes for longer than that before it switches
the entry, so no process writes to the old shard after the switch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from app.platform.errors import NotFound

_cache: dict[int, tuple[float, str]] = {}


def shards() -> list[str]:
    """Every shard's database alias, in order."""
    return list(settings.SHARDING["SHARDS"])


def control() -> str:
    """The control database's alias: the directory and everything global."""
    return str(settings.SHARDING["CONTROL"])


def cache_seconds() -> float:
    """How long a process may keep sending a team's queries to a shard it looked up."""
    return float(settings.SHARDING["DIRECTORY_CACHE_SECONDS"])


def shard_of(team_id: int) -> str:
    """The shard holding ``team_id``'s rows (``NotFound`` for a team with no placement)."""
    from app.platform.sharding.models import Placement

    now = time.monotonic()
    hit = _cache.get(team_id)
    if hit is not None and now - hit[0] < cache_seconds():
        return hit[1]
    shard = Placement.objects.using(control()).filter(team_id=team_id).values_list("shard", flat=True).first()
    if shard is None:
        raise NotFound(f"Team {team_id} is on no shard.")
    _cache[team_id] = (now, shard)
    return shard


def forget(team_id: int | None = None) -> None:
    """Drop what this process remembers (one team's entry, or all), so the next lookup asks."""
    if team_id is None:
        _cache.clear()
    else:
        _cache.pop(team_id, None)


def place(team_id: int) -> str:
    """Give a new team the shard with the fewest teams (the first of those, on a tie)."""
    from app.platform.sharding.models import Placement

    counts = dict(
        Placement.objects.using(control()).values_list("shard").annotate(n=Count("team_id")).values_list("shard", "n")
    )
    shard = min(shards(), key=lambda alias: (counts.get(alias, 0), shards().index(alias)))
    Placement.objects.using(control()).create(team_id=team_id, shard=shard)
    _cache[team_id] = (time.monotonic(), shard)
    return shard


class ShardPlacement:
    """``TEAM_PLACEMENT`` in tier4: teams written in bulk (the seeder) are dealt to the shards,
    the emptiest first, in one INSERT of their directory entries."""

    def place(self, team_ids: Sequence[int], using: str) -> dict[str, list[int]]:
        from app.platform.sharding.models import Placement

        counts = dict(
            Placement.objects.using(control())
            .values_list("shard")
            .annotate(n=Count("team_id"))
            .values_list("shard", "n")
        )
        homes: dict[str, list[int]] = {alias: [] for alias in shards()}
        for team_id in team_ids:
            alias = min(shards(), key=lambda a: (counts.get(a, 0) + len(homes[a]), shards().index(a)))
            homes[alias].append(team_id)
        Placement.objects.using(control()).bulk_create(
            Placement(team_id=team_id, shard=alias) for alias, ids in homes.items() for team_id in ids
        )
        return {alias: ids for alias, ids in homes.items() if ids}

    def writing(self, team_id: int, alias: str) -> None:
        """At the start of a team's write transaction on its shard: pause it while the team moves."""
        from app.platform.sharding.moving import check_writable

        check_writable(team_id, alias)


def teams_on(shard: str) -> list[int]:
    from app.platform.sharding.models import Placement

    return list(Placement.objects.using(control()).filter(shard=shard).values_list("team_id", flat=True))


def _place_new_team(sender: type, instance: Any, created: bool, raw: bool = False, using: str = "", **_: Any) -> None:
    if created and not raw:
        with transaction.atomic(using=control()):
            place(instance.pk)


def connect() -> None:
    """Place every team as it is created (``SHARDING["TENANT_MODEL"]``, e.g. ``teams.Team``)."""
    from django.apps import apps
    from django.db.models.signals import post_save

    tenant = apps.get_model(settings.SHARDING["TENANT_MODEL"])
    post_save.connect(_place_new_team, sender=tenant, dispatch_uid="sharding-place-new-team")
