"""Moving a team to another shard while it keeps taking writes (``manage.py move_team``).

1. **Copy, then catch up.** Each of the team's rows (posts, their comments, products, orders,
   their items) is compared between the source and the target by a digest of the whole row
   (``md5(row::text)``), and what differs is written to the target (``INSERT … ON CONFLICT DO
   UPDATE``); what the target has and the source no longer has is deleted there. The first
   pass copies everything; each later pass copies only what changed meanwhile, until a pass
   finds little left.
2. **Pause the team's writes.** The source shard gets a ``Fence`` for the team (``moving``),
   and its directory entry is marked ``moving`` for operators to see. Every write transaction
   of the team (``app.platform.tenancy.team_transaction``) takes a shared advisory lock on its
   shard, then looks for a fence there, in a statement of its own (taken after the lock, so it
   sees what the mover committed while it waited): one that finds a fence is refused with a
   503 and ``Retry-After`` (nothing half-written, nothing lost: the client was not told it
   succeeded). The mover takes that lock exclusively on the source, which waits for the
   transactions already past the check, then runs the last pass. The check never reads the
   control database: a shard's writes do not depend on it.
3. **Verify and switch.** Every moved row's digest must match on both sides; then the entry
   names the target, the source's fence says ``gone`` (for processes still holding the old
   entry for a few seconds), and writes resume on the target. The pause, from the fence to the
   switch, is reported.
4. **Delete the source's copy**, once no process can still hold the old entry in its
   directory cache (``SHARDING["DIRECTORY_CACHE_SECONDS"]``).

Ids do not change: each shard gives out ids from its own range (``schema``), so the moved
rows cannot collide with the target's. Job rows stay where they were written: the relay
sends them from there, and they run for the team on its new shard.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.db.models import ForeignKey, Model, QuerySet
from django.db.models.expressions import RawSQL

from app.platform.errors import DomainError, Unavailable
from app.platform.sharding import directory, routing
from app.platform.sharding.models import Fence, Placement

#: The advisory lock space (first key) that team writes share and a move takes exclusively.
LOCK_SPACE = 7_301
#: Catch-up passes stop once one finds at most this many rows to copy, or no fewer than the pass
#: before (the writes keep pace: more passes would not shorten the pause), or after MAX_PASSES.
SETTLED = 1_000
MAX_PASSES = 5
BATCH = 2_000


class TeamMoving(Unavailable):
    def __init__(self) -> None:
        super().__init__("This team is moving to another database; try again in a second.", retry_after=1)


def team_path(model: type[Model]) -> str | None:
    """How ``model``'s rows name their team: ``team_id``, or through a parent (``post__team_id``)."""
    names = {f.name: f for f in model._meta.local_fields if isinstance(f, ForeignKey)}
    if "team" in names:
        return "team_id"
    for name, fk in names.items():
        parent = fk.related_model
        if parent is not model and routing.is_team_scoped(parent) and (path := team_path(parent)):
            return f"{name}__{path}"
    return None


def moved_models() -> list[type[Model]]:
    """The team-scoped models with a path to their team, parents before children."""
    from django.apps import apps

    scoped = [m for m in apps.get_models() if routing.is_team_scoped(m) and team_path(m)]
    ordered: list[type[Model]] = []

    def visit(model: type[Model]) -> None:
        if model in ordered:
            return
        for fk in model._meta.local_fields:
            if isinstance(fk, ForeignKey) and fk.related_model in scoped and fk.related_model is not model:
                visit(fk.related_model)
        ordered.append(model)

    for model in scoped:
        visit(model)
    return ordered


def _rows(model: type[Model], alias: str, team_id: int) -> QuerySet:
    return model._default_manager.using(alias).filter(**{str(team_path(model)): team_id})


def digests(model: type[Model], alias: str, team_id: int) -> dict[int, str]:
    table = connections[alias].ops.quote_name(model._meta.db_table)
    # The whole row as text, the table's name quoted by the backend (no input reaches the SQL).
    whole_row = RawSQL(f"md5({table}::text)", [])  # noqa: S611
    rows = _rows(model, alias, team_id).order_by().annotate(digest=whole_row)
    return dict(rows.values_list("pk", "digest"))


@dataclass
class Pass:
    copied: int = 0
    deleted: int = 0
    seconds: float = 0.0


@dataclass
class MoveReport:
    team_id: int
    source: str
    target: str
    rows: int = 0
    passes: list[Pass] = field(default_factory=list)
    pause_seconds: float = 0.0
    deleted_from_source: int = 0
    #: From the start to the switch (copy, catch-up, pause), and to the source's copy deleted.
    switched_after: float = 0.0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        """Rows moved a second, up to the switch (the wait before deleting the source is not work)."""
        return self.rows / self.switched_after if self.switched_after else 0.0


def sync(team_id: int, source: str, target: str) -> Pass:
    """One catch-up pass: make the team's rows on ``target`` equal to those on ``source``."""
    started = time.perf_counter()
    done = Pass()
    models = moved_models()
    stale: list[tuple[type[Model], list[int]]] = []
    for model in models:  # parents first, so a child's parent is already there
        have, want = digests(model, target, team_id), digests(model, source, team_id)
        changed = [pk for pk, digest in want.items() if have.get(pk) != digest]
        for start in range(0, len(changed), BATCH):
            batch = list(model._default_manager.using(source).filter(pk__in=changed[start : start + BATCH]))
            fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
            model._default_manager.using(target).bulk_create(
                batch, update_conflicts=True, unique_fields=[model._meta.pk.name], update_fields=fields
            )
        done.copied += len(changed)
        stale.append((model, [pk for pk in have if pk not in want]))
    for model, gone in reversed(stale):  # children first, so no foreign key is left dangling
        done.deleted += _delete(model._default_manager.using(target).filter(pk__in=gone), target)
    done.seconds = time.perf_counter() - started
    return done


def _delete(rows: QuerySet, alias: str) -> int:
    """One DELETE, without Django's collector: children are deleted before their parents here,
    and the comment counters need no signals (the posts go too)."""
    return int(rows._raw_delete(alias) or 0)  # None when there was nothing to delete


def verify(team_id: int, source: str, target: str) -> None:
    for model in moved_models():
        if digests(model, source, team_id) != digests(model, target, team_id):
            raise DomainError(f"{model._meta.label}: the copy on {target} differs from {source}; nothing switched.")


def _direct(alias: str) -> str:
    """The shard's alias straight to PostgreSQL: a session-level lock cannot go through PgBouncer."""
    return f"{alias}-direct"


def move_team(team_id: int, target: str, *, say: Callable[[str], None] = print) -> MoveReport:
    source = directory.shard_of(team_id)
    if target not in directory.shards():
        raise DomainError(f"{target!r} is not a shard; the shards are {', '.join(directory.shards())}.")
    if target == source:
        raise DomainError(f"Team {team_id} is already on {target}.")
    report = MoveReport(team_id=team_id, source=source, target=target)
    started = time.perf_counter()
    # The team may have lived on the target before: its fence there from that move goes, before
    # anything can route the team's writes to the target again.
    Fence.objects.using(_direct(target)).filter(team_id=team_id).delete()
    for number in range(1, MAX_PASSES + 1):
        done = sync(team_id, source, target)
        report.passes.append(done)
        say(f"  pass {number}: {done.copied} row(s) copied, {done.deleted} deleted, in {done.seconds:.2f} s")
        if number > 1 and (done.copied <= SETTLED or done.copied >= report.passes[-2].copied):
            break
    control = directory.control()
    lock = connections[_direct(source)]
    fences = Fence.objects.using(_direct(source))
    paused = time.perf_counter()
    fences.update_or_create(team_id=team_id, defaults={"state": Fence.MOVING})
    Placement.objects.using(control).filter(team_id=team_id).update(moving=True)
    switched = False
    try:
        with lock.cursor() as cursor:
            # Waits for the team's write transactions already past their check; new ones refuse.
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [LOCK_SPACE, team_id])
        try:
            done = sync(team_id, source, target)
            report.passes.append(done)
            verify(team_id, source, target)
            with transaction.atomic(using=control):
                Placement.objects.using(control).filter(team_id=team_id).update(shard=target, moving=False)
            switched = True
            fences.filter(team_id=team_id).update(state=Fence.GONE)
            report.pause_seconds = time.perf_counter() - paused
        finally:
            with lock.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_SPACE, team_id])
    finally:
        if not switched:  # the team stays where it was, and takes writes again
            fences.filter(team_id=team_id).delete()
            Placement.objects.using(control).filter(team_id=team_id, moving=True).update(moving=False)
    report.switched_after = time.perf_counter() - started
    directory.forget(team_id)
    say(f"  switched to {target} after a write pause of {report.pause_seconds * 1000:.0f} ms")
    report.rows = sum(len(digests(model, target, team_id)) for model in moved_models())
    time.sleep(float(directory.cache_seconds()))  # no process still sends this team's reads to the source
    for model in reversed(moved_models()):
        report.deleted_from_source += _delete(_rows(model, source, team_id), source)
    report.seconds = time.perf_counter() - started
    return report


def check_writable(team_id: int, alias: str) -> None:
    """Inside a team's write transaction on ``alias``: hold the team's shared lock, and refuse if
    the team is moving away from ``alias`` or has left it (``TeamMoving``, a 503 to retry).

    Two statements: the fence is read by a statement that starts after the lock is granted, so
    it sees a fence the mover committed while this transaction waited for the lock."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s, %s)", [LOCK_SPACE, team_id])
    if Fence.objects.using(alias).filter(team_id=team_id).exists():
        directory.forget(team_id)
        raise TeamMoving()
