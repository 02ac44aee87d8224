"""Which team (the tenant) the running code works for.

A job that belongs to a team's data (its orders, its products) carries the team's id from the
request that enqueued it to the worker that runs it (``enqueue(…, team_id=…)``, kept on the
``JobRun`` row and in the message), and runs inside ``team(…)``. Nothing reads it to route
queries yet: tier4 splits teams across database shards, and its router will take the shard
from here, so a job must already know its team before there is more than one database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

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
