"""The shard router: team-scoped rows to their team's shard, everything else to the control database.

Django asks the router for every query (``DATABASE_ROUTERS``), so no view or selector names a
shard. The router decides, in this order:

1. while ``migrate`` runs on a database, everything goes to that database (every table exists
   on every database, and a data migration must touch the one being migrated);
2. inside ``on_shard(alias)`` (explicit fan-out: staff lists, global reports, the feed's
   merge, moving a team), that shard;
3. a model instance loaded from a shard is saved back to it; a new one goes to its own team's
   shard, known from its ``team_id`` or from the shard its parent row was read from (a comment
   created for a post, an order's item);
4. otherwise the shard of the team the code runs for (``app.platform.tenancy.team``), set by
   the tenant middleware from the URL, by the API, and by the job prologue. With no team set
   a team-scoped query **raises** ``NoTenant``: it never lands silently on some default.

Global models go through the control database's own router (``PrimaryReplicaRouter``): reads
to its replica, writes to its primary, as in tier3.

Some models follow the team when there is one (``SHARDING["FOLLOW_TEAM"]``): the job log, whose
rows are the outbox, must commit in the same transaction as the order that causes them, so a
team's jobs are written on its shard and jobs for no team on the control database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings

from app.platform.db.routing import PrimaryReplicaRouter
from app.platform.sharding import directory
from app.platform.tenancy import current_team_id

_on_shard: ContextVar[str | None] = ContextVar("milestones_on_shard", default=None)
_migrating: ContextVar[str | None] = ContextVar("milestones_migrating", default=None)


class NoTenant(RuntimeError):
    """A team-scoped query made for no team: a bug to fix (set the tenant or fan out), never a default."""


def is_team_scoped(model: type) -> bool:
    return model._meta.app_label in settings.SHARDING["TEAM_SCOPED"]  # type: ignore[attr-defined]


def follows_team(model: type) -> bool:
    return model._meta.label in settings.SHARDING["FOLLOW_TEAM"]  # type: ignore[attr-defined]


def team_shard_if_any(model: type, hints: dict[str, Any]) -> str | None:
    """For a model that follows the team: the shard its row or the current team points to, if any."""
    alias = _migrating.get() or _on_shard.get()
    if alias:
        return alias
    instance = hints.get("instance")
    if instance is not None:
        if instance._state.db is not None:
            return str(instance._state.db)
        if getattr(instance, "team_id", None) is not None:
            return directory.shard_of(instance.team_id)
    team_id = current_team_id()
    return directory.shard_of(team_id) if team_id is not None else None


@contextmanager
def on_shard(alias: str) -> Iterator[str]:
    """Send every team-scoped query in the block to ``alias``, whatever team is set."""
    if alias not in directory.shards():
        raise ValueError(f"{alias!r} is not a shard; the shards are {', '.join(directory.shards())}")
    token = _on_shard.set(alias)
    try:
        yield alias
    finally:
        _on_shard.reset(token)


def pinned() -> bool:
    """Whether the code runs inside ``on_shard`` (or ``each_shard``)."""
    return _on_shard.get() is not None


def each_shard() -> Iterator[str]:
    """Run the loop's body once on every shard (``for alias in each_shard(): …``): explicit fan-out."""
    for alias in directory.shards():
        with on_shard(alias):
            yield alias


@contextmanager
def migrating(alias: str | None) -> Iterator[None]:
    token = _migrating.set(alias)
    try:
        yield
    finally:
        _migrating.reset(token)


def start_migrating(alias: str | None) -> None:
    """Route everything to ``alias`` from here on (``None``: stop): for ``migrate``'s signals,
    which mark its start and end rather than enclose it."""
    _migrating.set(alias)


def migrating_now() -> str | None:
    """The database ``migrate`` is working on in this process, if it is running."""
    return _migrating.get()


def shard_for(model: type, hints: dict[str, Any]) -> str | None:
    """Where a query on team-scoped ``model`` goes (see the module's rules)."""
    alias = _migrating.get() or _on_shard.get()
    if alias:
        return alias
    instance = hints.get("instance")
    if instance is not None:
        alias = _instance_shard(instance)
        if alias:
            return alias
    team_id = current_team_id()
    if team_id is None:
        if instance is not None and not is_team_scoped(instance._meta.model):
            # Django asks this while building a new row from a global one (``Order(user=…)``), to
            # give it a provisional database; the row itself decides when it is saved.
            return None
        raise NoTenant(
            f"{model._meta.label} rows live on the shards, and this query was made for no team: "  # type: ignore[attr-defined]
            "run it inside app.platform.tenancy.team(…), or fan out with each_shard()."
        )
    return directory.shard_of(team_id)


def _instance_shard(instance: Any) -> str | None:
    """The shard a row belongs on, from the row itself: where it was read from, its team, or
    where the parent row it was made for was read from."""
    loaded_from = instance._state.db
    if loaded_from in directory.shards():
        return str(loaded_from)
    model = instance._meta.model  # not type(): request.user is a lazy proxy
    if model._meta.label == settings.SHARDING["TENANT_MODEL"]:  # team.posts, team.orders
        return directory.shard_of(instance.pk)
    if not is_team_scoped(model):
        return None
    team_id = getattr(instance, "team_id", None)
    if team_id is not None:
        return directory.shard_of(team_id)
    for parent in instance._state.fields_cache.values():
        if parent is not None and parent._state.db in directory.shards():
            return str(parent._state.db)
    return None


class ShardRouter:
    def __init__(self) -> None:
        self.control = PrimaryReplicaRouter()

    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if is_team_scoped(model):
            return shard_for(model, hints)
        if follows_team(model) and (alias := team_shard_if_any(model, hints)):
            return alias
        return _migrating.get() or self.control.db_for_read(model, **hints)

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        if is_team_scoped(model):
            return shard_for(model, hints)
        if follows_team(model) and (alias := team_shard_if_any(model, hints)):
            return alias
        return _migrating.get() or self.control.db_for_write(model, **hints)

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        """A team-scoped row may point at a global one (a post at its author) across databases;
        two team-scoped rows only within one shard."""
        if is_team_scoped(obj1._meta.model) and is_team_scoped(obj2._meta.model):
            return bool(obj1._state.db == obj2._state.db)
        return True

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        """Every table on every database but the standby (one migration history everywhere)."""
        return self.control.allow_migrate(db, app_label, model_name, **hints)
