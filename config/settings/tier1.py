"""tier1 — 100 to 1,000 users: basic hygiene.

What this milestone turns on, on top of tier0:

* PostgreSQL (psycopg 3) instead of SQLite, with persistent connections and health
  checks; the runner starts a private cluster with the slow-query log and
  pg_stat_statements on;
* the index milestone: the ``app.indexes`` app creates, concurrently, the indexes the
  app's real queries need (``make bench S=index``);
* eager loading: every list page costs the same few queries at any page size
  (``make bench S=feed-queries``);
* background jobs on Celery with Redis as the broker: emails, PDFs, webhooks,
  thumbnails and analytics leave the request (``make bench S=checkout-latency``);
* a transactional outbox under them: a job is written down in the transaction that
  causes it, and a relay process sends what the broker never got or lost, so a
  committed order's email, invoice and webhook survive a broker crash; the broker
  keeps an append-only file as well;
* page views buffered in Redis (one pipelined command in the request) and written in
  one INSERT per batch by a periodic job that Celery beat schedules; lossy on purpose:
  when Redis is down, views are dropped and counted, pages are served
  (``make bench S=page-views``);
* error tracking with Sentry (on when ``SENTRY_DSN`` is set);
* ``/readyz`` also checks the broker;
* compressed, content-hashed static files.

Needs running: PostgreSQL, Redis, one Celery worker, the outbox relay, the scheduler (Celery
beat), gunicorn, the SMTP sink.
"""

from __future__ import annotations

from config import env
from config.settings.tier0 import *  # noqa: F403
from config.settings.tier0 import ENVIRONMENT, INSTALLED_APPS, JOB_QUEUES, READINESS_CHECKS

TIER = "tier1"

DATABASES = {
    "default": {
        # Django's PostgreSQL backend, health-checking only connections idle for
        # DB_HEALTH_CHECK_IDLE_SECONDS (app/platform/db/backends/postgresql/base.py).
        "ENGINE": "app.platform.db.backends.postgresql",
        "NAME": env.string("PG_DB", "milestones"),
        "USER": env.string("PG_USER", "postgres"),
        "PASSWORD": env.string("PG_PASSWORD", ""),
        "HOST": env.string("PG_HOST", "127.0.0.1"),
        "PORT": env.port("PG_PORT"),
        # Reuse a connection for a minute instead of paying a new one per request (~260 vs
        # ~2,300 req/s on this machine); check it before reuse, once idle, so a restarted server
        # is survived.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        # A database that does not answer must fail the request quickly, not hang it.
        "OPTIONS": {"connect_timeout": 5},
        "TEST": {"NAME": "test_milestones"},
    }
}

# A connection used this recently is not pinged before the next request uses it.
DB_HEALTH_CHECK_IDLE_SECONDS = 1.0

# The milestone's indexes, as migrations of their own app: dropping this line (or
# `manage.py migrate indexes zero`) takes them away again, concurrently.
INSTALLED_APPS = [*INSTALLED_APPS, "app.indexes"]

LOADING_STRATEGY = "app.platform.db.loading.EagerLoading"

# Jobs are written to the outbox (JobRun) in the caller's transaction and published after it
# commits; `manage.py jobs_relay` (the runner's "relay") sends what that could not.
JOBS_BACKEND = "app.platform.jobs.outbox.OutboxBackend"
JOBS_OUTBOX = {
    # How often the relay looks for committed jobs nobody handed to the broker (it was down).
    "RELAY_SECONDS": 0.5,
    # A job handed over but not finished this long after, and no longer waiting in its queue
    # (queues are first in, first out), is sent again: the broker lost it, or the process that
    # was to publish it died after the commit. Longer than a job's wait in a healthy queue.
    "REDELIVER_AFTER_SECONDS": env.number("JOBS_REDELIVER_AFTER_SECONDS", 60),
    # How often the sweeper looks for such jobs: a few times within that bound, at most every 5 s.
    "SWEEP_SECONDS": min(5.0, env.number("JOBS_REDELIVER_AFTER_SECONDS", 60) / 3),
    # Tolerated difference between the clocks of the processes that publish.
    "CLOCK_MARGIN_SECONDS": 2.0,
    # After a failed publish, a process leaves publishing to the relay this long instead of
    # making each request wait on the broker's connect timeout again.
    "BROKER_BACKOFF_SECONDS": 5.0,
    "BATCH": 200,
}
CELERY_BROKER_URL = env.string("CELERY_BROKER_URL", f"redis://127.0.0.1:{env.port('REDIS_PORT')}/0")
CELERY_TASK_DEFAULT_QUEUE = "default"
# At-least-once delivery: acknowledge after the job ran, so a worker that dies mid-job leaves
# it on the queue; jobs are idempotent (JobRun) so running one twice does the work once.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A job not acknowledged within this many seconds is handed to another worker. It must
    # exceed the longest job and the longest retry countdown, or those run twice.
    "visibility_timeout": int(env.number("JOBS_VISIBILITY_TIMEOUT", 3600)),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# A broker that is down must not hang the request that enqueues: give up after ~2 s and
# leave the job to the outbox's relay.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
JOBS_RETRY_BACKOFF_SECONDS = env.number("JOBS_RETRY_BACKOFF_SECONDS", 2)
JOBS_RETRY_BACKOFF_MAX_SECONDS = 600.0

# Page views: queued in the process, sent to a Redis list (its own database number, apart from
# the broker's queues) by a thread in one command per SEND_SECONDS, flushed into PostgreSQL in
# batches by the scheduler's periodic job.
PAGE_VIEWS = "app.analytics.recorders.BufferedRecorder"
PAGE_VIEW_BUFFER = {
    "URL": env.string("PAGE_VIEW_BUFFER_URL", f"redis://127.0.0.1:{env.port('REDIS_PORT')}/2"),
    "KEY": "analytics:page-views",
    # Views per INSERT at most; a flush writes what has piled up since the last one.
    "BATCH": 5000,
    # How often each process's sender thread pushes its queued views, and how many it may hold
    # (views past that, while Redis is unreachable, are dropped and counted).
    "SEND_SECONDS": 0.1,
    "QUEUE_LIMIT": 10_000,
    # The sender waits this long for Redis at worst, then drops the batch and leaves Redis alone
    # for BACKOFF_SECONDS (no request ever waits on analytics).
    "TIMEOUT_SECONDS": 0.1,
    "BACKOFF_SECONDS": 5.0,
}
CELERY_BEAT_SCHEDULER = "app.platform.jobs.celery_tasks:JobsScheduler"
JOBS_PERIODIC = {"app.analytics.jobs.flush_page_views": env.number("PAGE_VIEW_FLUSH_SECONDS", 2)}

READINESS_CHECKS = [*READINESS_CHECKS, "app.platform.http.health.broker"]

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names (cacheable forever) and pre-compressed .gz copies, served by WhiteNoise
    # (its CompressedManifestStaticFilesStorage, each file's URL remembered).
    "staticfiles": {"BACKEND": "app.platform.http.static.HashedStaticStorage"},
}

# Error tracking: set SENTRY_DSN to turn it on. app.platform.error_tracking starts Sentry in each
# app process (web, workers, relay) with the Django and Celery integrations, tagged with the tier.
SENTRY_DSN = env.string("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = env.string("SENTRY_ENVIRONMENT", ENVIRONMENT)
SENTRY_TRACES_SAMPLE_RATE = env.number("SENTRY_TRACES_SAMPLE_RATE", 0)

RUNNER_SERVICES = [
    "postgres",
    "redis",
    "smtp",
    "migrate",
    "collectstatic",
    "seed-demo",
    "workers",
    "relay",
    "scheduler",
    "web",
]
WORKERS = [{"name": "all", "queues": list(JOB_QUEUES), "concurrency": 2}]
# A process per core, one thread each: a request here is CPU work (the database answers in a
# fraction of a millisecond), and threads of one process take turns on its interpreter lock.
# Measured on 2 cores against 2 workers of 4 threads: the same /ping, and 25 to 55% more
# products, API-feed and HTML-feed requests a second, each costing less CPU.
WEB_SERVER = {"instances": 1, "workers": 2, "threads": 1}
