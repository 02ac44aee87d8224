"""tier4 — 100,000 users and more: sharding by team.

What this milestone turns on, on top of tier3:

* shards: the team-scoped rows (posts and comments, products, orders and their items) live on
  one of several PostgreSQL clusters, each with its own PgBouncer (two by default,
  ``SHARDING["SHARDS"]``), chosen by the team they belong to; the control database (tier3's
  primary and its replica) keeps what is global: accounts, API tokens, teams and memberships,
  the job log, and the directory saying which shard holds each team (``app.platform.sharding``);
* a router that sends every team-scoped query to its team's shard, from the team the request's
  URL names (``TenantMiddleware``), the API, or the job's prologue, and refuses one made for no
  team (``NoTenant``) instead of landing it on a default; explicit fan-out (``each_shard()``)
  for what reads every shard;
* ids unique across shards: shard N hands out ids from N × 10**15, so a row keeps its id when
  its team moves;
* a guard on every connection against queries that join across the split, and a shard that
  does not answer turned into a 503 for its own teams only;
* layered caches: each process keeps the hottest entries of the application cache for a few
  seconds (L1) in front of tier3's Redis cache (L2), told of every invalidation by pub/sub;
* stale reads rather than errors: a read request the control database's primary fails is served
  by its replica when the replica answers but had been skipped (its primary unreachable, as in a
  second region while the first is lost);
* durable orders: an order's transaction asks to be acknowledged only once a synchronous standby
  has it (``DURABLE_COMMIT``, ``app.platform.db.durability``), so a failover loses no order.

Needs running: as tier3 plus, for each shard, a PostgreSQL cluster and its PgBouncer.

Benchmarks: ``make bench S=move-team`` (a team moved under writes) and ``S=shards`` (the same
write mix on one shard and on two, side by side).
"""

from __future__ import annotations

from typing import Any

from config import env
from config.settings.tier3 import *  # noqa: F403
from config.settings.tier3 import (
    APP_CACHE_OPTIONS,
    DATABASES,
    INSTALLED_APPS,
    JOBS_OUTBOX,
    MIDDLEWARE,
    MIGRATION_DATABASE,
    REPLICA_ROUTING,
    RUNNER_SERVICES,
)

TIER = "tier4"

SHARDING: dict[str, Any] = {
    "SHARDS": ["shard1", "shard2"],
    "CONTROL": "default",
    # Apps whose every row belongs to one team, so lives on that team's shard.
    "TEAM_SCOPED": ["posts", "shop"],
    # Models whose rows go to the team's shard when there is a team, else to the control database:
    # the job log, which is the outbox and must commit with the order that causes a job.
    "FOLLOW_TEAM": ["platform.JobRun"],
    "TENANT_MODEL": "teams.Team",
    # URL arguments that name the tenant by slug: anywhere, or only on these pages.
    "TENANT_URL_KWARGS": {"team_slug": None, "slug": ["team_detail", "team_settings"]},
    # How long a process trusts a team's shard from the directory (moving a team waits longer).
    "DIRECTORY_CACHE_SECONDS": 5,
}

# Every database behind the guard (app.platform.sharding.backend); each shard through its own
# PgBouncer, and straight to its PostgreSQL for migrations and moving teams (as tier2's "direct").
# A shard's servers are on the primary's host, on the runner's ports (config.env.shard_ports),
# unless SHARDn_HOST / SHARDn_PORT and SHARDn_PGBOUNCER_HOST / SHARDn_PGBOUNCER_PORT say otherwise
# (containers: a host name per shard, each on the standard ports).
DATABASES = {alias: {**database, "ENGINE": "app.platform.sharding.backend"} for alias, database in DATABASES.items()}
for number, alias in enumerate(SHARDING["SHARDS"], start=1):
    server, pooler = env.shard_ports(number)
    DATABASES[alias] = {
        **DATABASES["direct"],
        "HOST": env.string(f"{alias.upper()}_PGBOUNCER_HOST", str(DATABASES["direct"]["HOST"])),
        "PORT": int(env.number(f"{alias.upper()}_PGBOUNCER_PORT", pooler)),
        "SHARD": alias,
        "DISABLE_SERVER_SIDE_CURSORS": True,
        "TEST": {"NAME": "test_milestones"},
    }
    DATABASES[f"{alias}-direct"] = {
        **DATABASES[alias],
        "HOST": env.string(f"{alias.upper()}_HOST", str(DATABASES["direct"]["HOST"])),
        "PORT": int(env.number(f"{alias.upper()}_PORT", server)),
        "TEST": {"MIRROR": alias},
    }
del number, alias, server, pooler
# `migrate` (the runner, `make up`) runs on the control database, then on each shard.
MIGRATION_DATABASES = [MIGRATION_DATABASE, *(f"{alias}-direct" for alias in SHARDING["SHARDS"])]

DATABASE_ROUTERS = ["app.platform.sharding.routing.ShardRouter"]
# A read request the control database's primary fails is run again on its replica, if the replica
# answers though it was skipped (it stopped streaming): in a second region whose primaries are in a
# region that is lost, the standby's data, seconds old at most, rather than an error
# (app.platform.db.routing; "Two regions" in the README).
REPLICA_ROUTING = {**REPLICA_ROUTING, "STALE_READS": True}
# An order's transaction is acknowledged only once the synchronous standby has it on disk too, the
# one member a failover may promote: RPO 0 for orders. Every other write is acknowledged by the
# leader alone once Patroni runs the clusters with `synchronous_commit = local` (being built:
# "Automatic failover" in the README); until then this asks for what the servers already do.
DURABLE_COMMIT = env.string("DURABLE_COMMIT", "on")
# A team-scoped row's global relations (a post's author and team) are read from the control
# database by id, never joined; reads that span every team gather each shard's rows and merge.
LOADING_STRATEGY = "app.platform.sharding.loading.ShardedLoading"
TEAM_PLACEMENT = "app.platform.sharding.directory.ShardPlacement"
# A team's jobs are written down on its shard, in the transaction of the change that causes them;
# the relay sends what was not sent from the control database and from every shard.
JOBS_OUTBOX = {**JOBS_OUTBOX, "DATABASES": ["default", *SHARDING["SHARDS"]]}
INSTALLED_APPS = [*INSTALLED_APPS, "app.platform.sharding"]  # last: its post-migrate step ends every migrate
MIDDLEWARE = [*MIDDLEWARE, "app.platform.sharding.middleware.TenantMiddleware"]

RUNNER_SERVICES = [
    *RUNNER_SERVICES[: RUNNER_SERVICES.index("pgbouncer-replica") + 1],
    "shards",
    *RUNNER_SERVICES[RUNNER_SERVICES.index("pgbouncer-replica") + 1 :],
]

APP_CACHE = "app.platform.caching.layered.LayeredCache"
APP_CACHE_OPTIONS = {
    **APP_CACHE_OPTIONS,
    # How long a process answers from its own copy at most: the bound on a missed announcement.
    "L1_SECONDS": env.number("APP_CACHE_L1_SECONDS", 5),
    # Per process, counted as the entries are stored in Redis; the least recently used go first.
    "L1_MAX_BYTES": int(env.number("APP_CACHE_L1_MAX_BYTES", 32 * 2**20)),
}
