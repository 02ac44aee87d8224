"""The capacity model: pure arithmetic from stated assumptions and measured figures to a plan.

Nothing here reads a file or prints: ``figures`` finds the measured figures, ``render`` prints
the plan, so the arithmetic can be tested on known inputs. Every count is rounded up, and never
below its floor (the fewest units that still survive one failing, or one per queue).

The chain: users → active users at peak (active share × peak factor) → requests/s (requests per
active user a minute) split into reads and writes → for each resource, the load it takes ÷ what
one unit of it was measured to take, at the target utilisation. Each resource reports what set
its number (its measured capacity, or its floor), and the plan names its bottleneck: the
resource the load has pushed furthest past its floor (the most times over the smallest
deployment), the one that sets the size of the system.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from app.runner.units.pgbouncer import POOL_SIZE, RESERVE_POOL

#: gunicorn as tier1 and later size an instance: 2 processes of 1 thread each. A process runs Python on
#: at most one core at a time (the GIL), so an instance is worth at most 2 cores, and holds 2
#: client connections to each database it reads.
INSTANCE_PROCESSES = 2
#: At least two of everything that serves requests, so one can fail or be deployed.
MIN_INSTANCES = 2
#: tier2's queues, each with a worker of its own.
QUEUES = ("critical", "default", "bulk")
#: Worker processes per worker (tier2's ``WORKERS``: critical 1, default 2, bulk 1).
WORKER_CONCURRENCY = {"critical": 1, "default": 2, "bulk": 1}
#: The client connections one PgBouncer accepts, as the runner configures it (its server
#: connections per pool, and the reserve it may add, are the runner's POOL_SIZE and RESERVE_POOL).
MAX_CLIENT_CONNECTIONS = 2000
#: PostgreSQL's ``max_connections`` as the runner starts every cluster.
MAX_CONNECTIONS = 100
#: tier4's in-process cache bound per process (``APP_CACHE_OPTIONS["L1_MAX_BYTES"]``).
L1_MAX_BYTES = 32 * 2**20


@dataclass(frozen=True)
class Assumptions:
    """What the plan assumes about the traffic and the hardware: stated, not measured.

    ``make capacity`` takes the traffic ones as overrides; the rest are printed with the plan.
    """

    #: The share of all users active (making requests) in an average minute.
    active_share: float = 0.02
    #: The busiest minute's active users ÷ an average minute's.
    peak_factor: float = 3.0
    #: Requests an active user makes a minute (pages and API calls, not static files).
    requests_per_minute: float = 2.0
    #: The share of requests that write (a post, a comment, an order); the rest read.
    write_share: float = 0.05
    #: Each unit is planned to this share of what it was measured to take: the rest absorbs
    #: bursts within the minute and a unit failing.
    target_utilisation: float = 0.6
    #: The critical queue runs emptier, so a password-reset email waits for no one (tier2's goal:
    #: under 2 s).
    critical_utilisation: float = 0.25
    #: Cores of one database server (a shard's primary, each replica). The 2-core bench machine
    #: measures CPU seconds per write and per query; the plan assumes a server does that many
    #: times more work in a second as it has cores (linear scaling).
    database_cores: int = 8
    #: Share of reads answered by the application cache (the doctor's threshold: under 90% is a problem).
    cache_hit_ratio: float = 0.9
    #: Jobs enqueued per write request, by queue: account emails on critical, order emails and
    #: webhooks on default, media and periodic work on bulk (page views are buffered, not jobs).
    jobs_per_write: dict[str, float] = field(default_factory=lambda: {"critical": 0.05, "default": 1.0, "bulk": 0.2})
    #: Entries in the hot set of the shared cache per active user at peak (pages and figures of the
    #: teams, posts and products they read; an anonymous page is one entry for everyone).
    cache_entries_per_active_user: float = 0.5
    #: Memory of one Redis cache server, of which ``target_utilisation`` is given to ``maxmemory``.
    redis_bytes: int = 32 * 2**30

    def __post_init__(self) -> None:
        for name in ("active_share", "write_share", "target_utilisation", "critical_utilisation", "cache_hit_ratio"):
            value = getattr(self, name)
            if not 0 < value <= 1 and not (name in ("write_share", "cache_hit_ratio") and value == 0):
                raise ValueError(f"{name} must be a share between 0 and 1, not {value}")
        if self.peak_factor < 1:
            raise ValueError(f"peak_factor is the busiest minute ÷ the average one: at least 1, not {self.peak_factor}")
        if self.requests_per_minute <= 0:
            raise ValueError(f"requests_per_minute must be positive, not {self.requests_per_minute}")
        if self.database_cores < 1:
            raise ValueError(f"database_cores must be at least 1, not {self.database_cores}")


@dataclass(frozen=True)
class Measured:
    """What one unit was measured to take (``figures`` reads these from the bench results)."""

    #: Uncached reads (the products API: one query per request) a core of app instance serves a second.
    read_requests_per_app_core: float
    #: Reads answered from the shared cache (the anonymous feed) a core of app instance serves a second.
    cached_requests_per_app_core: float
    #: A write's Python in the app's services, beyond a read's cost (CPU seconds per write).
    app_seconds_per_write: float
    #: PostgreSQL's CPU per write transaction (post, comment or order) on a shard.
    database_seconds_per_write: float
    #: WAL a write transaction writes.
    wal_bytes_per_write: float
    #: PostgreSQL's CPU per query of an uncached read.
    database_seconds_per_query: float
    #: Queries a list page runs when the cache misses (the feed, eager loading).
    queries_per_read: float
    #: Jobs one worker process runs a second (the bulk queue's page-view job, on tier1's worker).
    jobs_per_second_per_worker: float
    #: Memory the L1 takes in the heap ÷ the bytes it counts against its bound.
    l1_heap_factor: float
    #: The size of a cached entry (a feed page).
    cache_entry_bytes: float


@dataclass(frozen=True)
class Resource:
    """One resource of a plan: how many units, the load on them, and what set the number."""

    name: str
    units: int
    #: Units the peak load fills to 100% of their measured capacity (not rounded, not floored).
    load: float
    #: The share of a unit's capacity the plan allows the load (``Assumptions.target_utilisation``).
    target: float
    floor: int
    #: What one unit's capacity is and where it comes from, for the plan's explanation.
    limit: str

    @classmethod
    def sized(cls, name: str, *, load: float, target: float, floor: int, limit: str) -> Resource:
        """The fewest whole units that carry ``load`` (in units at 100%) at ``target``, and at least ``floor``.

        A tiny tolerance keeps a load of 3.0000000001 units from becoming 4 through float error.
        """
        return cls(name, max(floor, math.ceil(load / target - 1e-9)), load, target, floor, limit)

    @property
    def set_by_floor(self) -> bool:
        """The floor, not the load, decided the number: the load fits in fewer units at the target."""
        return self.load / self.target < self.floor

    @property
    def utilisation(self) -> float:
        """The share of the provisioned units' capacity the peak uses."""
        return self.load / self.units

    @property
    def outgrown(self) -> float:
        """How many times its floor the load needs (under 1: the floor still carries it).

        Every resource is sized to the same target utilisation, so which one fills first is only
        a matter of rounding; what differs is how far the load has pushed each past the smallest
        deployment. The resource pushed furthest is the one that sets the size of the system.
        """
        return self.load / (self.target * self.floor)


@dataclass(frozen=True)
class Plan:
    users: int
    active_at_peak: float
    requests_per_second: float
    writes_per_second: float
    instances: Resource
    workers: dict[str, Resource]
    shards: Resource
    replicas_per_shard: Resource
    #: Client connections each PgBouncer of a shard (and of the control database) sees, and the
    #: PgBouncers per database that takes.
    client_connections: int
    poolers_per_database: Resource
    #: Server connections a shard's PostgreSQL gets from its PgBouncer(s), and those busy at peak.
    server_connections: Resource
    wal_bytes_per_second_per_shard: float
    redis: Resource
    redis_bytes: float
    l1_bytes_per_instance: float

    @property
    def resources(self) -> list[Resource]:
        return [
            self.instances,
            *self.workers.values(),
            self.shards,
            self.replicas_per_shard,
            self.poolers_per_database,
            self.server_connections,
            self.redis,
        ]

    @property
    def bottleneck(self) -> Resource:
        """The resource the load has pushed furthest past its floor (``Resource.outgrown``); while
        every resource is within its floor, the one nearest to leaving it."""
        return max(self.resources, key=lambda resource: resource.outgrown)


def active_at_peak(users: float, assumptions: Assumptions) -> float:
    """Users making requests in the busiest minute: the plan's first step."""
    return users * assumptions.active_share * assumptions.peak_factor


def peak_requests_per_second(users: float, assumptions: Assumptions) -> float:
    """The requests a second ``users`` registered users make in their busiest minute."""
    return active_at_peak(users, assumptions) * assumptions.requests_per_minute / 60


def users_for(requests_per_second: float, assumptions: Assumptions) -> float:
    """The registered users whose busiest minute makes ``requests_per_second``: the plan's first
    two steps read backwards, so a measured rate (a load test's) is stated as a user count by the
    same assumptions ``make capacity`` plans with."""
    return requests_per_second / peak_requests_per_second(1, assumptions)


def plan(users: int, assumptions: Assumptions, measured: Measured) -> Plan:
    """The plan for ``users`` registered users."""
    a, m = assumptions, measured
    if users < 1:
        raise ValueError(f"users must be at least 1, not {users}")
    active = active_at_peak(users, a)
    rps = peak_requests_per_second(users, a)
    writes = rps * a.write_share
    reads = rps - writes
    target = a.target_utilisation

    # App instances: CPU. A read costs a cached or an uncached page's, by the hit ratio; a write an
    # uncached read's HTTP and Django work plus its service's Python.
    read_seconds = 1 / m.read_requests_per_app_core
    cached_seconds = 1 / m.cached_requests_per_app_core
    app_cores = reads * (a.cache_hit_ratio * cached_seconds + (1 - a.cache_hit_ratio) * read_seconds) + writes * (
        read_seconds + m.app_seconds_per_write
    )
    instances = Resource.sized(
        "app instances",
        load=app_cores / INSTANCE_PROCESSES,
        target=target,
        floor=MIN_INSTANCES,
        limit=f"app CPU: {m.cached_requests_per_app_core:,.0f} cached or {m.read_requests_per_app_core:,.0f} "
        f"uncached reads/s a core, a write +{m.app_seconds_per_write * 1000:.1f} ms; {INSTANCE_PROCESSES} cores "
        "an instance",
    )

    # Workers: jobs/s on each queue ÷ what a worker's processes run, the critical queue kept emptier.
    workers = {
        queue: Resource.sized(
            f"{queue} workers",
            load=writes * a.jobs_per_write.get(queue, 0.0) / (m.jobs_per_second_per_worker * WORKER_CONCURRENCY[queue]),
            target=a.critical_utilisation if queue == "critical" else target,
            floor=1,
            limit=f"{m.jobs_per_second_per_worker:,.0f} jobs/s a worker process, {WORKER_CONCURRENCY[queue]} a worker",
        )
        for queue in QUEUES
    }

    # Shards: a primary's CPU for the writes, at database_cores times what one core was measured to do.
    shards = Resource.sized(
        "shards",
        load=writes * m.database_seconds_per_write / a.database_cores,
        target=target,
        floor=1,
        limit=f"a primary's CPU: {1 / m.database_seconds_per_write:,.0f} writes/s per core, {a.database_cores} cores",
    )
    # Replicas: the reads the cache misses, spread over the shards (team-scoped reads; one that
    # spans every team runs on every shard, and does not shrink with more shards).
    read_cores = reads * (1 - a.cache_hit_ratio) * m.queries_per_read * m.database_seconds_per_query
    replicas = Resource.sized(
        "replicas per shard",
        load=read_cores / shards.units / a.database_cores,
        target=target,
        floor=1,
        limit=f"a replica's CPU: {1 / m.database_seconds_per_query:,.0f} queries/s per core, "
        f"{m.queries_per_read:g} {'query' if m.queries_per_read == 1 else 'queries'} a missed read, "
        f"{a.database_cores} cores",
    )

    # Connections: every app process and worker process holds a client connection to each database
    # it touched (every shard, through the feed), so each shard's PgBouncer sees all of them.
    clients = instances.units * INSTANCE_PROCESSES + sum(w.units * WORKER_CONCURRENCY[q] for q, w in workers.items())
    poolers = Resource.sized(
        "PgBouncers per database",
        load=clients / MAX_CLIENT_CONNECTIONS,
        target=1.0,
        floor=1,
        limit=f"client connections: max_client_conn {MAX_CLIENT_CONNECTIONS:,} a PgBouncer",
    )
    # A server connection is busy for a write's whole transaction (the service's Python runs inside
    # it: transaction pooling) and for each read query; CPU time is the lower bound of both.
    busy = (writes * (m.app_seconds_per_write + m.database_seconds_per_write) + read_cores) / shards.units
    server = Resource.sized(
        "server connections per shard",
        load=busy,
        target=target,
        floor=poolers.units * (POOL_SIZE + RESERVE_POOL),
        limit=f"PgBouncer's pool: {POOL_SIZE} + {RESERVE_POOL} a PgBouncer; PostgreSQL allows {MAX_CONNECTIONS}",
    )

    # Cache: the hot set in Redis (L2); each instance's L1 is its bound, in its processes' heaps.
    redis_bytes = active * a.cache_entries_per_active_user * m.cache_entry_bytes
    redis = Resource.sized(
        "Redis cache servers",
        load=redis_bytes / a.redis_bytes,
        target=target,
        floor=1,
        limit=f"cache memory: {a.redis_bytes / 2**30:.0f} GiB a Redis, {m.cache_entry_bytes / 1000:.0f} kB an entry",
    )
    return Plan(
        users=users,
        active_at_peak=active,
        requests_per_second=rps,
        writes_per_second=writes,
        instances=instances,
        workers=workers,
        shards=shards,
        replicas_per_shard=replicas,
        client_connections=clients,
        poolers_per_database=poolers,
        server_connections=server,
        wal_bytes_per_second_per_shard=writes * m.wal_bytes_per_write / shards.units,
        redis=redis,
        redis_bytes=redis_bytes,
        l1_bytes_per_instance=L1_MAX_BYTES * INSTANCE_PROCESSES * m.l1_heap_factor,
    )
