"""tier2 — 1,000 to 10,000 users: real infrastructure.

What this milestone turns on, on top of tier1:

* PgBouncer in transaction mode between the app and PostgreSQL: hundreds of app
  connections share a few dozen server connections, and PostgreSQL keeps its default
  ``max_connections = 100``; migrations go straight to PostgreSQL (``direct``);
* a streaming read replica (a hot standby with a replication slot, behind its own
  PgBouncer) and a router: reads go to the replica, except inside a transaction, for a
  client whose last write the replica has not replayed yet (read-your-writes by WAL
  position), in jobs, and while the replica is down or lagging; it is never migrated;
* workers by priority: ``critical`` (password resets, order emails), ``default``
  (webhooks, PDFs, thumbnails) and ``bulk`` (analytics) each have their own worker
  process, so a flood of bulk work cannot delay a password reset
  (``make bench S=priorities``);
* queue monitoring: depth and oldest-job age per queue at ``/ops/queues`` and
  ``manage.py queues``, with thresholds that mark a queue as backing up;
* CDN-ready static files: ``STATIC_URL`` may name a CDN host; content-hashed files are
  served ``public, max-age=31536000, immutable``, everything else with short caching;
* two app instances behind HAProxy, which polls each one's ``/readyz``; ``make deploy``
  restarts them one at a time, so a deploy drops no request.

Needs running: as tier1 plus PgBouncer, a replica with its own PgBouncer, three workers
instead of one, and two app instances behind HAProxy.
"""

from __future__ import annotations

from app.platform.http.static import cache_headers
from config import env
from config.settings.tier1 import *  # noqa: F403
from config.settings.tier1 import DATABASES, MIDDLEWARE, RUNNER_SERVICES, WEB_SERVER

TIER = "tier2"

DATABASES = {
    "default": {
        **DATABASES["default"],
        "HOST": env.string("PGBOUNCER_HOST", str(DATABASES["default"]["HOST"])),
        "PORT": env.port("PGBOUNCER_PORT"),
        # Transaction pooling may give each transaction a different server connection, so a
        # server-side cursor (QuerySet.iterator()) would not survive its transaction. Django
        # binds parameters client-side with psycopg 3, so no prepared statements are involved.
        "DISABLE_SERVER_SIDE_CURSORS": True,
    },
    # Straight to PostgreSQL, for work that needs a session of its own: migrations (lock
    # timeouts, advisory locks, CREATE INDEX CONCURRENTLY) and data moves.
    "direct": {**DATABASES["default"], "TEST": {"MIRROR": "default"}},
}
# The hot standby, through its own PgBouncer. Tests read the standby's copy of the test
# database (replication copies CREATE DATABASE); tests/conftest.py points the alias there.
DATABASES["replica"] = {
    **DATABASES["default"],
    "HOST": env.string("REPLICA_PGBOUNCER_HOST", "127.0.0.1"),
    "PORT": env.port("REPLICA_PGBOUNCER_PORT"),
    # A replica that does not answer is skipped quickly; the primary serves meanwhile.
    "OPTIONS": {"connect_timeout": 2},
    "TEST": {"MIRROR": "default"},
}
MIGRATION_DATABASE = "direct"

DATABASE_ROUTERS = ["app.platform.db.routing.PrimaryReplicaRouter"]
MIDDLEWARE = ["app.platform.db.routing.ReadYourWritesMiddleware", *MIDDLEWARE]
REPLICA_ROUTING = {
    "ALIAS": "replica",
    # Read-your-writes: "lsn" sends a client that wrote to the replica as soon as the replica has
    # replayed the primary's WAL position after its write; "window" keeps it on the primary for
    # PIN_SECONDS whatever the replica has replayed (the older rule, for comparison).
    "READ_YOUR_WRITES": env.string("REPLICA_READ_YOUR_WRITES", "lsn"),
    # The "window" rule's pin. A replica more than MAX_LAG_SECONDS behind is skipped once a probe
    # (every CHECK_SECONDS, confirmed 0.25 s later) sees it, so a pin longer than the three together
    # means the write has been replayed, or the replica skipped, by the time it ends (a check insists).
    "PIN_SECONDS": env.number("REPLICA_PIN_SECONDS", 1.5),
    "MAX_LAG_SECONDS": env.number("REPLICA_MAX_LAG_SECONDS", 0.5),
    # Each app process probes the replica this often, and retries one found down after RETRY_SECONDS.
    "CHECK_SECONDS": 0.5,
    "RETRY_SECONDS": 5.0,
    # A read request the primary fails is not run again on a replica that was skipped (tier4's
    # regions turn this on: reads a region's standby can serve while the other region is lost).
    "STALE_READS": False,
    # The standby's own address (not its PgBouncer's): a probe must fail fast, not queue.
    "PROBE": {"HOST": env.string("REPLICA_HOST", "127.0.0.1"), "PORT": env.port("REPLICA_PORT")},
}

RUNNER_SERVICES = [
    *RUNNER_SERVICES[:1],
    "replica",
    "pgbouncer",
    "pgbouncer-replica",
    *RUNNER_SERVICES[1:],
    "loadbalancer",
]
# Two app instances behind HAProxy on WEB_PORT: one serves while `make deploy` restarts the other.
WEB_SERVER = {**WEB_SERVER, "instances": 2}

WORKERS = [
    {"name": "critical", "queues": ["critical"], "concurrency": 1},
    {"name": "default", "queues": ["default"], "concurrency": 2},
    {"name": "bulk", "queues": ["bulk"], "concurrency": 1},
]

QUEUE_ALERTS = {
    "critical": {"depth": 20, "age_seconds": 5},
    "default": {"depth": 500, "age_seconds": 60},
    "bulk": {"depth": 50_000, "age_seconds": 900},
}

# Set STATIC_URL=https://cdn.example.com/static/ to serve assets from a CDN that pulls
# from this app; WhiteNoise still answers the CDN's requests, with these headers.
WHITENOISE_ADD_HEADERS_FUNCTION = cache_headers
WHITENOISE_MAX_AGE = 300
