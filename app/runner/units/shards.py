"""tier4's shards: one PostgreSQL cluster per shard, each with its own PgBouncer.

A shard is a whole cluster, not a database beside the others, so that its writes, its WAL,
its vacuum and its connections are its own: that is what splitting the write load means. The
control database (accounts, teams, the shard directory) stays the tier's ``postgres`` with its
replica. Shard N listens on ``SHARD_PORT + 2(N - 1)`` and its pooler on the port after
(``config.env.shard_ports``); its data lives in ``var/pg/shardN``.
"""

from __future__ import annotations

from pathlib import Path

from app.runner.units.kinds import Context, Daemon, Group
from app.runner.units.pgbouncer import PgBouncer
from app.runner.units.postgres import Postgres
from config.env import shard_ports


def shard_aliases(ctx: Context) -> list[str]:
    """The tier's shards, in order (``SHARDING["SHARDS"]``): shard 1 first."""
    sharding = getattr(ctx.settings, "SHARDING", None) or {}
    return list(sharding.get("SHARDS", []))


class ShardPostgres(Postgres):
    """One shard's cluster: the primary's settings, on the shard's port, without WAL archiving
    (backups of shards are the failover milestone's concern)."""

    archives = False

    def __init__(self, alias: str = "shard1", number: int = 1) -> None:
        self.name = alias
        self.number = number

    def port(self, ctx: Context) -> int:
        return shard_ports(self.number, ctx.port("SHARD_PORT"))[0]

    def data_dir(self, ctx: Context) -> Path:
        return ctx.var_dir / "pg" / self.name


class ShardPgBouncer(PgBouncer):
    """The shard's pooler, configured as the primary's, except that it gives up on a shard that
    does not answer within seconds: that shard's teams get a 503 at once (``ShardUnavailable``)
    rather than requests queued for half a minute."""

    server_connect_timeout = 2
    query_wait_timeout = 5

    def __init__(self, alias: str = "shard1", number: int = 1) -> None:
        self.name = f"pgbouncer-{alias}"
        self.number = number

    def listen_port(self, ctx: Context) -> int:
        return shard_ports(self.number, ctx.port("SHARD_PORT"))[1]

    def server_port(self, ctx: Context) -> int:
        return shard_ports(self.number, ctx.port("SHARD_PORT"))[0]


class Shards(Group):
    """Every shard's cluster and pooler, started side by side (none needs another first)."""

    name = "shards"
    infrastructure = True
    start_together = True

    def members(self, ctx: Context) -> list[Daemon]:
        members: list[Daemon] = []
        for number, alias in enumerate(shard_aliases(ctx), start=1):
            members += [ShardPostgres(alias, number), ShardPgBouncer(alias, number)]
        return members

    def poolers(self, ctx: Context) -> list[ShardPgBouncer]:
        return [member for member in self.members(ctx) if isinstance(member, ShardPgBouncer)]

    def servers(self, ctx: Context) -> list[ShardPostgres]:
        return [member for member in self.members(ctx) if isinstance(member, ShardPostgres)]
