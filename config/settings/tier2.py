"""tier2 — 1,000 to 10,000 users: real infrastructure.

What this milestone turns on, on top of tier1:

* PgBouncer in transaction mode between the app and PostgreSQL: hundreds of app
  connections share a few dozen server connections, and PostgreSQL keeps its default
  ``max_connections = 100``; migrations go straight to PostgreSQL (``direct``);
* workers by priority: ``critical`` (password resets, order emails), ``default``
  (webhooks, PDFs, thumbnails) and ``bulk`` (analytics) each have their own worker
  process, so a flood of bulk work cannot delay a password reset
  (``make bench S=priorities``);
* queue monitoring: depth and oldest-job age per queue at ``/ops/queues`` and
  ``manage.py queues``, with thresholds that mark a queue as backing up;
* CDN-ready static files: ``STATIC_URL`` may name a CDN host; content-hashed files are
  served ``public, max-age=31536000, immutable``, everything else with short caching.

Needs running: as tier1 plus PgBouncer, with three workers instead of one.
"""

from __future__ import annotations

from app.platform.static import cache_headers
from config import env
from config.settings.tier1 import *  # noqa: F403
from config.settings.tier1 import DATABASES, RUNNER_SERVICES

TIER = "tier2"

DATABASES = {
    "default": {
        **DATABASES["default"],
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
MIGRATION_DATABASE = "direct"

RUNNER_SERVICES = [*RUNNER_SERVICES[:1], "pgbouncer", *RUNNER_SERVICES[1:]]

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
