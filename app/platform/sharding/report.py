"""The staff's view across every shard (``/ops/shards``, ``manage.py shards``), by explicit fan-out.

Which shard holds how many teams, rows and bytes, how the writes have been shared between them,
and which teams are the largest: what an operator reads before moving a team (``move_team``)
or adding a shard. Each shard is asked in turn (``each_shard``); a shard that does not answer is
reported as down, and the rest of the report is still given.

The row counts per table are PostgreSQL's estimates (``pg_stat_user_tables.n_live_tup``), which
cost nothing; the largest teams are counted exactly, one ``GROUP BY`` per team-scoped table on
each shard, a scan of each: a staff report, not a page for every request.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.models import Count

from app.platform.sharding import directory, routing
from app.platform.sharding.models import Placement
from app.platform.sharding.moving import moved_models, team_path


@dataclass
class ShardFigures:
    alias: str
    up: bool = True
    error: str = ""
    teams: int = 0
    moving: list[int] = field(default_factory=list)
    bytes: int = 0
    #: Estimated live rows of each team-scoped table.
    rows: dict[str, int] = field(default_factory=dict)
    #: Transactions committed and rows written (inserted, updated, deleted) since the cluster's
    #: statistics were last reset: how the load has been shared.
    commits: int = 0
    rows_written: int = 0
    share_of_rows: float = 0.0
    share_of_writes: float = 0.0


@dataclass
class LargeTeam:
    team_id: int
    name: str
    shard: str
    rows: int


def shard_report(largest: int = 10) -> dict[str, Any]:
    """Every shard's figures, the largest ``largest`` teams across them, and the imbalance."""
    placed: dict[str, list[tuple[int, bool]]] = {alias: [] for alias in directory.shards()}
    for team_id, holder, moving in Placement.objects.using(directory.control()).values_list(
        "team_id", "shard", "moving"
    ):
        placed.setdefault(holder, []).append((team_id, moving))
    figures: list[ShardFigures] = []
    team_rows: Counter[int] = Counter()
    team_shard: dict[int, str] = {}
    for alias in routing.each_shard():
        shard = ShardFigures(alias, teams=len(placed[alias]), moving=[t for t, m in placed[alias] if m])
        try:
            _measure(shard)
            for team_id, count in _rows_by_team(alias).items():
                team_rows[team_id] += count
                team_shard.setdefault(team_id, alias)
        except DatabaseError as exc:
            shard.up, shard.error = False, str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        figures.append(shard)
    _shares(figures)
    return {
        "shards": [asdict(shard) for shard in figures],
        "teams": sum(len(teams) for teams in placed.values()),
        # The busiest shard's rows over the mean: 1.0 is perfectly even.
        "imbalance": _imbalance([sum(shard.rows.values()) for shard in figures if shard.up]),
        "largest_teams": [asdict(team) for team in _largest(team_rows, team_shard, largest)],
    }


def _measure(shard: ShardFigures) -> None:
    tables = {model._meta.db_table for model in moved_models()}
    with connections[shard.alias].cursor() as cursor:
        cursor.execute(
            "SELECT pg_database_size(current_database()), xact_commit, tup_inserted + tup_updated + tup_deleted"
            " FROM pg_stat_database WHERE datname = current_database()"
        )
        shard.bytes, shard.commits, shard.rows_written = cursor.fetchone()
        cursor.execute("SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname = ANY(%s)", [sorted(tables)])
        shard.rows = dict(sorted(cursor.fetchall()))


def _rows_by_team(alias: str) -> Counter[int]:
    """Each team's rows on ``alias``, every team-scoped table counted by the team it belongs to."""
    counted: Counter[int] = Counter()
    for model in moved_models():
        path = str(team_path(model))
        for team_id, count in model._default_manager.using(alias).order_by().values_list(path).annotate(n=Count("pk")):
            counted[team_id] += count
    return counted


def _shares(figures: list[ShardFigures]) -> None:
    up = [shard for shard in figures if shard.up]
    rows = sum(sum(shard.rows.values()) for shard in up) or 1
    writes = sum(shard.rows_written for shard in up) or 1
    for shard in up:
        shard.share_of_rows = round(sum(shard.rows.values()) / rows, 3)
        shard.share_of_writes = round(shard.rows_written / writes, 3)


def _imbalance(sizes: list[int]) -> float:
    if not sizes or not sum(sizes):
        return 1.0
    return round(max(sizes) / (sum(sizes) / len(sizes)), 2)


def _largest(team_rows: Counter[int], team_shard: dict[int, str], largest: int) -> list[LargeTeam]:
    top = team_rows.most_common(largest)
    tenant = apps.get_model(settings.SHARDING["TENANT_MODEL"])
    teams = tenant._default_manager.using(directory.control()).in_bulk([team_id for team_id, _ in top])
    return [LargeTeam(team_id, str(teams.get(team_id, "")), team_shard[team_id], rows) for team_id, rows in top]
