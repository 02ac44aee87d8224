"""Which team (the tenant) the running code works for.

A job that belongs to a team's data (its orders, its products) carries the team's id from the
request that enqueued it to the worker that runs it (``enqueue(…, team_id=…)``, kept on the
``JobRun`` row and in the message), and runs inside ``team(…)``. tier4 splits teams across
database shards, and its router (``app.platform.sharding``) takes the shard from here; below
tier4 nothing routes on it, and the code reads the same at every tier.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import router, transaction

from app.platform.seams import seam

_team_id: ContextVar[int | None] = ContextVar("milestones_team_id", default=None)


def current_team_id() -> int | None:
    """The team the code runs for, or ``None`` for work that belongs to no team (accounts, analytics)."""
    return _team_id.get()


@contextmanager
def team(team_id: int | None) -> Iterator[None]:
    """Run the block for ``team_id`` (``None``: for no team in particular)."""
    token = _team_id.set(team_id)
    try:
        yield
    finally:
        _team_id.reset(token)


def switch_team(team_id: int) -> None:
    """Run the rest of the enclosing ``team(…)`` block for ``team_id``: for a request, whose team
    is known only once its URL is resolved, inside the block the middleware opened for it."""
    _team_id.set(team_id)


@contextmanager
def team_transaction(team_id: int, model: type) -> Iterator[str]:
    """Run the block for ``team_id`` in one transaction on the database that holds the team's
    ``model`` rows (tier4: the team's shard; below tier4, the one database); yields its alias."""
    with team(team_id):
        alias = router.db_for_write(model)
        with transaction.atomic(using=alias):
            seam("TEAM_PLACEMENT").writing(team_id, alias)
            yield alias


class OneDatabase:
    """``TEAM_PLACEMENT`` below tier4: every team's rows live in the one database."""

    def place(self, team_ids: Sequence[int], using: str) -> dict[str, list[int]]:
        """Record where new teams' rows will live (written in bulk, by the seeder); answer database
        alias → the teams whose rows it holds."""
        return {using: list(team_ids)}

    def writing(self, team_id: int, alias: str) -> None:
        """At the start of a team's write transaction: nothing to check with one database."""
