"""A second region, simulated on this machine (tier4, being built): region B beside region A.

Region A is a tier4 stack as the runner starts it: it holds the primaries (the control
database and each shard). Region B has, for each of A's databases, a hot standby streaming
from it, and its own app instances, its own Redis (broker and sessions) and its own cache;
between the two regions runs *the link*, a proxy adding a stated one-way delay (``DELAY_MS``,
``app.runner.latency_proxy``), and everything B sends to A crosses it: the standbys'
replication and B's writes.

B's app is tier4's, configured only by addresses (the seams tier2 and tier4 already read:
``PGBOUNCER_PORT``, ``REPLICA_*``, ``SHARDn_*``, ``REDIS_PORT``, ``CACHE_REDIS_PORT``), never by
a region flag in the code: for each database, B runs a *writer pooler* whose server is A's
primary through the link, and for the control database also a *reader pooler* in front of B's
own standby, which the router reads as tier2's replica. So the control database's reads stay
in B, and writes go to A. A shard has no read routing yet (tier4 reads a team's rows on its
shard), so team-scoped reads in B cross the link too.

Promoting B (``promote``, what an operator runs when A is lost; ``python -m app.runner
promote-region``): each standby is promoted (``pg_promote``), then each writer pooler is pointed
at its local server and reloaded; B's app is not restarted. Replication is asynchronous: what
A acknowledged and B had not received when A died is lost, and ``promote`` reports how far B
had received each database's WAL. Ports: a block from ``REGION_PORT`` (``REGION_WIDTH`` wide):
four per database (the link's end, the standby, the writer pooler, the reader pooler), the
control database first, then each shard; then B's Redis, its cache and its app instances.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from app.runner import processes
from app.runner.processes import RunnerError
from app.runner.units.kinds import Context, Daemon, Group
from app.runner.units.pgbouncer import PgBouncer
from app.runner.units.redis import CacheRedis, Redis
from app.runner.units.replica import Replica
from app.runner.units.shards import shard_aliases
from app.runner.units.web import AppInstance
from config.env import REGION_WIDTH, shard_ports

T = TypeVar("T")
R = TypeVar("R")

#: The link's added delay, each way: about a round trip of 50 ms, two regions a continent apart.
DELAY_MS = 25.0
#: Ports per database in the block, and where B's Redis servers and app instances start.
PER_DATABASE = 4
SLOTS = {"link": 0, "standby": 1, "writer": 2, "reader": 3}
MAX_DATABASES = 5
REDIS_SLOT, CACHE_SLOT, WEB_SLOT = 20, 21, 22
#: The slot each standby holds on its primary in region A.
SLOT = "milestones_region_b"
#: In region B's folder once it holds the primaries: its writer poolers then lead to its own servers.
PROMOTED = "promoted"


@dataclass(frozen=True)
class RegionDatabase:
    """One of region A's databases, as region B copies and reaches it."""

    #: ``control``, ``shard1`` …
    name: str
    #: Its place in the block (the control database is 0).
    index: int
    #: Its primary's port in region A.
    primary_port: int
    #: The variables B's app reads for its pooled address and its direct one (migrations, moves).
    pooled_variable: str
    direct_variable: str

    def port(self, ctx: Context, slot: str) -> int:
        return ctx.port("REGION_PORT") + PER_DATABASE * self.index + SLOTS[slot]


def databases(ctx: Context) -> list[RegionDatabase]:
    """Region A's databases (``ctx`` is A's): the control database, then each shard."""
    found = [RegionDatabase("control", 0, ctx.port("PG_PORT"), "PGBOUNCER_PORT", "PG_PORT")]
    for number, alias in enumerate(shard_aliases(ctx), start=1):
        server, _ = shard_ports(number, ctx.port("SHARD_PORT"))
        found.append(RegionDatabase(alias, number, server, f"{alias.upper()}_PGBOUNCER_PORT", f"{alias.upper()}_PORT"))
    if len(found) > MAX_DATABASES:
        raise RunnerError(f"region B's port block holds {MAX_DATABASES} databases; this tier has {len(found)}")
    return found


def promoted(ctx: Context) -> bool:
    """Whether region B holds the primaries now (``ctx`` is B's)."""
    return (ctx.var_dir / PROMOTED).exists()


class InterRegionLink(Daemon):
    """The link between the regions: one proxy process, a route per database of region A."""

    name = "region-link"
    stop_grace = 2.0

    def __init__(self, routes: list[RegionDatabase], delay_ms: float = DELAY_MS) -> None:
        self.routes = routes
        self.delay_ms = delay_ms

    def ports(self, ctx: Context) -> list[int]:
        return [database.port(ctx, "link") for database in self.routes]

    def command(self, ctx: Context) -> list[str]:
        routes = [f"{database.port(ctx, 'link')}:{database.primary_port}" for database in self.routes]
        flags = [item for route in routes for item in ("--route", route)]
        return [ctx.python, "-m", "app.runner.latency_proxy", "--delay-ms", str(self.delay_ms), *flags]

    def ready(self, ctx: Context) -> bool:
        return all(processes.port_open(port) for port in self.ports(ctx))

    def address(self, ctx: Context) -> str:
        return f"{self.delay_ms:g} ms each way: " + ", ".join(
            f":{database.port(ctx, 'link')} → :{database.primary_port}" for database in self.routes
        )


class RegionStandby(Replica):
    """A hot standby of one of region A's databases, copied and streaming through the link."""

    slot = SLOT

    def __init__(self, database: RegionDatabase) -> None:
        self.database = database
        self.name = f"standby-{database.name}"

    def port(self, ctx: Context) -> int:
        return self.database.port(ctx, "standby")

    def source_port(self, ctx: Context) -> int:
        return self.database.port(ctx, "link")

    def data_dir(self, ctx: Context) -> Path:
        return ctx.var_dir / "pg" / self.name

    def prepare(self, ctx: Context) -> None:
        """A standby that was promoted is region B's primary: never copied over again."""
        if promoted(ctx) and (self.data_dir(ctx) / "PG_VERSION").exists():
            return
        super().prepare(ctx)

    def promote(self, ctx: Context) -> str:
        """Promote it (``pg_promote``: it replays what it received, then takes writes); returns
        the WAL position it had received from region A, which is what it keeps."""
        import psycopg

        dsn = f"host=127.0.0.1 port={self.port(ctx)} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True, connect_timeout=2) as connection:
            (received,) = connection.execute("SELECT pg_last_wal_receive_lsn()::text").fetchone() or ("",)
            (done,) = connection.execute("SELECT pg_promote(true, 60)").fetchone() or (False,)
        if not done:
            raise RunnerError(f"{self.name} was not promoted within 60 s (its log: {self.log(ctx)})")
        return str(received or "")


class RegionPgBouncer(PgBouncer):
    """One of region B's poolers: a *writer* leads to A's primary through the link until B is
    promoted, then to B's own server; a *reader* leads to B's standby. Either gives up on a server
    that does not answer within seconds, as a shard's does: a client then gets an error it can
    retry rather than a request queued for half a minute."""

    server_connect_timeout = 2
    query_wait_timeout = 5

    def __init__(self, database: RegionDatabase, role: str) -> None:
        self.database = database
        self.role = role
        self.name = f"pgbouncer-{database.name}" + ("-reads" if role == "reader" else "")

    def listen_port(self, ctx: Context) -> int:
        return self.database.port(ctx, self.role)

    def server_port(self, ctx: Context) -> int:
        if self.role == "writer" and not promoted(ctx):
            return self.database.port(ctx, "link")
        return self.database.port(ctx, "standby")

    def retarget(self, ctx: Context) -> None:
        """Write its configuration again (the server it leads to now) and have it reload it: new
        transactions go to that server, and connections to the old one are closed as they are freed."""
        (self.folder(ctx) / "pgbouncer.ini").write_text(self.config(ctx))
        self.admin(ctx, "RELOAD")


class RegionB(Group):
    """Region B: the link, a standby and a writer pooler per database of region A, a reader pooler
    for the control database, its Redis (broker, sessions) and its cache, and its app instances.

    Built from region A's context (``of``); run in its own (``context``): a folder of its own and
    the addresses its app is told.
    """

    name = "region-b"

    def __init__(self, routes: list[RegionDatabase], *, instances: int = 1, delay_ms: float = DELAY_MS) -> None:
        self.routes = routes
        self.instances = instances
        self.delay_ms = delay_ms

    @classmethod
    def of(cls, ctx: Context, *, instances: int = 1, delay_ms: float = DELAY_MS) -> RegionB:
        return cls(databases(ctx), instances=instances, delay_ms=delay_ms)

    @classmethod
    def beside(cls, ctx: Context) -> tuple[RegionB, Context]:
        """Region B beside the stack whose context is ``ctx`` (region A), and B's own context."""
        region = cls.of(ctx)
        return region, region.context(ctx)

    def context(self, ctx: Context) -> Context:
        """Region B's context, from region A's: its folder, and its app's addresses."""
        base = ctx.port("REGION_PORT")
        var_dir = ctx.var_dir / "region-b"
        # Migrations and moves (the direct aliases) go to the primaries: A's, or B's own once promoted.
        direct = "standby" if (var_dir / PROMOTED).exists() else "link"
        env = dict(ctx.env)
        for database in self.routes:
            env[database.pooled_variable] = str(database.port(ctx, "writer"))
            env[database.direct_variable] = str(database.port(ctx, direct))
        control = self.routes[0]
        env.update(
            REPLICA_PORT=str(control.port(ctx, "standby")),
            REPLICA_PGBOUNCER_PORT=str(control.port(ctx, "reader")),
            REDIS_PORT=str(base + REDIS_SLOT),
            CACHE_REDIS_PORT=str(base + CACHE_SLOT),
            WEB_INSTANCE_PORT=str(base + WEB_SLOT),
        )
        if WEB_SLOT + self.instances > REGION_WIDTH:
            raise RunnerError(f"region B's port block holds {REGION_WIDTH - WEB_SLOT} app instances")
        return Context(
            tier=ctx.tier,
            settings=ctx.settings,
            base_dir=ctx.base_dir,
            var_dir=var_dir,
            env=env,
            python=ctx.python,
        )

    def link(self) -> InterRegionLink:
        return InterRegionLink(self.routes, self.delay_ms)

    def standbys(self) -> list[RegionStandby]:
        return [RegionStandby(database) for database in self.routes]

    def writers(self) -> list[RegionPgBouncer]:
        return [RegionPgBouncer(database, "writer") for database in self.routes]

    def readers(self) -> list[RegionPgBouncer]:
        return [RegionPgBouncer(self.routes[0], "reader")]

    def caches(self) -> list[Daemon]:
        return [Redis(), CacheRedis()]

    def web(self) -> list[AppInstance]:
        return [AppInstance(f"web-b{n}", "WEB_INSTANCE_PORT", n - 1) for n in range(1, self.instances + 1)]

    def members(self, ctx: Context) -> list[Daemon]:
        return [self.link(), *self.standbys(), *self.writers(), *self.readers(), *self.caches(), *self.web()]

    def start(self, ctx: Context) -> None:
        """The link, then the standbys side by side (each a base backup across it), then the
        poolers and the Redis servers, then the app instances."""
        self.link().start(ctx)
        waves: list[list[Daemon]] = [
            [*self.standbys()],
            [*self.writers(), *self.readers(), *self.caches()],
            [*self.web()],
        ]
        for wave in waves:
            _at_once(lambda member: member.start(ctx), wave)

    def url(self, ctx: Context, instance: int = 1) -> str:
        return self.web()[instance - 1].address(ctx)

    def promote(self, ctx: Context) -> dict[str, str]:
        """Make region B hold the primaries: every standby promoted (side by side), then every
        writer pooler pointed at its own region's server. Returns, per database, the WAL position
        B had received from A (all that survives of A's writes)."""
        received = dict(zip(self.routes, _at_once(lambda standby: standby.promote(ctx), self.standbys()), strict=True))
        (ctx.var_dir / PROMOTED).write_text(f"{time.time():.3f}\n")
        for writer in self.writers():
            writer.retarget(ctx)
        return {database.name: position for database, position in received.items()}


def _at_once(work: Callable[[T], R], items: list[T]) -> list[R]:
    with ThreadPoolExecutor(max_workers=max(len(items), 1)) as pool:
        return list(pool.map(work, items))
