"""tier3 — 10,000 to 100,000 users: scale out.

What this milestone turns on, on top of tier2:

* stateless app instances: nothing a request needs later stays in an instance. Sessions live in
  Redis (the broker's, which never evicts and keeps an append-only file, in a database of their
  own), flash messages in their cookie, and uploads, thumbnails and invoices in S3-compatible
  object storage (SeaweedFS, through django-storages); uploads are held in memory, never spilled
  to a temporary file;
* three app instances behind HAProxy instead of two (``WEB_SERVER["instances"]``); any one can
  serve any request, so one can be killed, restarted or added at any time;
* an application cache in a Redis of its own (LRU eviction, no persistence, apart from the
  broker): anonymous feed, post and catalogue pages, and each team's dashboard figures, shared by
  every instance, invalidated when the writes that change them commit, with stampede protection
  and the TTL as a backstop (``app.platform.caching``); conditional GET and ``Cache-Control`` so
  a browser or CDN can reuse an anonymous page. A cache that is down makes pages slower, not broken;
* one extracted service, media work (``services/media``): invoice PDFs and thumbnails rendered
  by a service of its own, with its own queue and instance count, through a versioned message
  contract (``app.platform.media``);
* rate limits with their counters in Redis: log-in (per address, and failures per account),
  sign-up and password reset (per address), checkout (per user), the API (per token); ``429``
  with ``Retry-After`` (``app.platform.http.ratelimit``);
* structured logs: every line one JSON object (structlog), carrying the id of the request that
  caused it, which the load balancer sets and the app passes on to the jobs it enqueues, the
  outbox relay and the media service; one line per request with its route, status, duration,
  queries and cache hits, in place of gunicorn's access log (``app.platform.telemetry``);
* metrics: the app's own at ``/metrics`` (request latency by route, queries per request, cache
  hits, jobs by outcome, queue depth and age, the outbox's backlog, replica routing and lag),
  summed over each instance's processes; Debian's exporters for PostgreSQL, PgBouncer and Redis,
  HAProxy's built-in one, and a Prometheus scraping them all (``app.runner.units.monitoring``);
* alerts: error rate, p99 latency, a queue backing up, the outbox's backlog, replica lag,
  database connections, disk space, a target down (``deploy/monitoring/alerts.yml``, each with
  a runbook in ``docs/runbooks/``), mailed by Alertmanager;
* backups you have restored: WAL archived continuously and backups by pgBackRest; a restore
  drill to a point in time into a scratch cluster, checked table by table (``app.runner.backups``).

Needs running: as tier2 plus a second Redis (the cache), SeaweedFS, the media service's
instances, a third app instance, the exporters, Alertmanager and Prometheus.
"""

from __future__ import annotations

from botocore.config import Config

from config import env
from config.settings.tier2 import *  # noqa: F403
from config.settings.tier2 import (
    DATA_UPLOAD_MAX_MEMORY_SIZE,
    LOGGING,
    MIDDLEWARE,
    QUEUE_ALERTS,
    RUNNER_SERVICES,
    WEB_SERVER,
)

TIER = "tier3"

# The application cache's Redis: its own server, evicting the least recently used keys when its
# memory is full (every entry can be computed again), so it never competes with the broker's
# queues or the sessions for memory.
# Sessions and rate-limit counters: the broker's Redis, which never evicts and keeps an append-only
# file, each in a database number of its own (the broker uses 0, page views 2).

CACHES = {
    # A cache that is slow or down must cost a request half a second at most, once
    # (app.platform.caching.shared then leaves it alone for a while), and never fail it.
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env.string("CACHE_REDIS_URL", f"redis://127.0.0.1:{env.port('CACHE_REDIS_PORT')}/0"),
        "KEY_PREFIX": "milestones",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.5, "IGNORE_EXCEPTIONS": True},
    },
    # Never IGNORE_EXCEPTIONS here: a session that silently failed to save would log people out,
    # and Django's cache sessions retry a failed create thousands of times.
    "sessions": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env.string("SESSION_REDIS_URL", f"redis://127.0.0.1:{env.port('REDIS_PORT')}/3"),
        "KEY_PREFIX": "milestones",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    },
    "ratelimit": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env.string("RATE_LIMIT_REDIS_URL", f"redis://127.0.0.1:{env.port('REDIS_PORT')}/4"),
        "KEY_PREFIX": "milestones",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
    },
}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "sessions"

APP_CACHE = "app.platform.caching.shared.SharedCache"
APP_CACHE_OPTIONS = {
    "ALIAS": "default",
    # Served as is for this long; then one request recomputes while the others get the old copy.
    "FRESH_SECONDS": env.number("APP_CACHE_FRESH_SECONDS", 60),
    # Dropped by Redis this long after it was written: the backstop for writes nobody announced.
    "KEEP_SECONDS": env.number("APP_CACHE_KEEP_SECONDS", 600),
    # A missing entry's first request computes it; the rest wait for it this long at most.
    "LOCK_SECONDS": 10,
    "WAIT_SECONDS": 2.0,
    "BACKOFF_SECONDS": 5.0,
}
# Anonymous pages answer 304 Not Modified to a browser or CDN that has them (their ETag), and a
# shared page is answered from the cache before sessions, CSRF, authentication and the view
# (after WhiteNoise: static files first).
_after_static = MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
MIDDLEWARE = [
    *MIDDLEWARE[:3],
    "django.middleware.http.ConditionalGetMiddleware",
    *MIDDLEWARE[3:_after_static],
    "app.platform.caching.middleware.SharePageMiddleware",
    *MIDDLEWARE[_after_static:],
]
# One log line per request, with the request id every other line of the request carries: after
# the trusted-proxy check (only the load balancer's X-Request-ID counts) and the health probes.
_after_probes = MIDDLEWARE.index("app.platform.http.probes.ProbeMiddleware") + 1
MIDDLEWARE = [
    *MIDDLEWARE[:_after_probes],
    "app.platform.telemetry.middleware.RequestTelemetryMiddleware",
    *MIDDLEWARE[_after_probes:],
]

# Prometheus scrapes /metrics on every instance, and the workers' own exposition ports
# (app.platform.telemetry): only from these networks, by the connection's address.
METRICS = {
    "ALLOWED_NETWORKS": env.listing("METRICS_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"]),
    # Where operators' tools (the scaling doctor) query what Prometheus gathered from every instance.
    "PROMETHEUS_URL": env.string("PROMETHEUS_URL", f"http://127.0.0.1:{env.port('PROMETHEUS_PORT')}"),
}

# Backups (app.runner.backups): the primary's WAL archived by pgBackRest as each segment fills,
# or after ARCHIVE_TIMEOUT seconds on a quiet primary (the most a restore can lose); the last
# KEEP_FULL full backups kept, with what they need. `make backup`, `make restore-drill`.
BACKUPS = {"ARCHIVE_TIMEOUT": 60, "KEEP_FULL": 2}

# Every log line one JSON object, on standard error as before (app.platform.telemetry.json_logs).
LOGGING = {
    **LOGGING,
    "formatters": {**LOGGING["formatters"], "json": {"()": "app.platform.telemetry.json_logs.JsonFormatter"}},
    "handlers": {"console": {**LOGGING["handlers"]["console"], "formatter": "json"}},
}

# The object store: SeaweedFS's S3 API (OBJECT_STORE_URL), the runner's on this machine. Avatars
# and product pictures are in a bucket anyone may read, at PUBLIC_URL (the store, or a CDN that
# pulls from it); invoices are in a private one, sent only through the app to their owner.
OBJECT_STORE = {
    "URL": env.string("OBJECT_STORE_URL", f"http://127.0.0.1:{env.port('OBJECT_STORE_PORT')}"),
    "ACCESS_KEY": env.string("OBJECT_STORE_ACCESS_KEY", "milestones"),
    "SECRET_KEY": env.string("OBJECT_STORE_SECRET_KEY", "milestones-local-only"),
    "REGION": env.string("OBJECT_STORE_REGION", "us-east-1"),
    "PUBLIC_BUCKET": "media",
    "PRIVATE_BUCKET": "private",
}
MEDIA_PUBLIC_URL = env.string("MEDIA_PUBLIC_URL", f"{OBJECT_STORE['URL']}/{OBJECT_STORE['PUBLIC_BUCKET']}")
_s3 = {
    "endpoint_url": OBJECT_STORE["URL"],
    "access_key": OBJECT_STORE["ACCESS_KEY"],
    "secret_key": OBJECT_STORE["SECRET_KEY"],
    "region_name": OBJECT_STORE["REGION"],
    # Two uploads with one name keep both (Django adds a suffix), as on a disk.
    "file_overwrite": False,
    "client_config": Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        # Checksums only where S3 requires them: boto3's default trailing checksums are not
        # understood by every S3-compatible store.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        connect_timeout=2,
        read_timeout=10,
        retries={"max_attempts": 2, "mode": "standard"},
    ),
}
STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_s3,
            "bucket_name": OBJECT_STORE["PUBLIC_BUCKET"],
            # Plain URLs under MEDIA_PUBLIC_URL: the same for every visitor, so pages can be shared.
            "custom_domain": MEDIA_PUBLIC_URL.split("://", 1)[1],
            "url_protocol": MEDIA_PUBLIC_URL.split("://", 1)[0] + ":",
            "querystring_auth": False,
        },
    },
    "private": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_s3, "bucket_name": OBJECT_STORE["PRIVATE_BUCKET"], "querystring_expire": 300},
    },
    "staticfiles": {"BACKEND": "app.platform.http.static.HashedStaticStorage"},
}
MEDIA_URL = MEDIA_PUBLIC_URL + "/"
# Media is the object store's (or its CDN's) to serve now.
SERVE_MEDIA = False
# Uploads stay in memory (up to the largest a form takes, and a margin), never in a temporary file.
FILE_UPLOAD_HANDLERS = ["app.platform.inputs.uploads.MemoryOnlyUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# Per client and window; "fail" says what happens while the counters' Redis is unreachable:
# "open" lets requests through (a log-in or checkout still works), "closed" refuses them with 503
# (sign-up and password reset send email to any address: an outage must not open them to abuse).
RATE_LIMITS = {
    "login-address": {
        "count": 30,
        "seconds": 300,
        "fail": "open",
        "message": "Too many log-in attempts from your network; please wait a few minutes.",
    },
    "login-account": {
        "count": 10,
        "seconds": 900,
        "fail": "open",
        "message": "Too many failed log-ins for this account; please wait a few minutes or reset your password.",
    },
    "signup-address": {
        "count": 10,
        "seconds": 3600,
        "fail": "closed",
        "message": "Too many sign-ups from your network; please try again later.",
    },
    "password-reset-address": {
        "count": 10,
        "seconds": 3600,
        "fail": "closed",
        "message": "Too many password-reset requests from your network; please try again later.",
    },
    "checkout-user": {
        "count": 30,
        "seconds": 60,
        "fail": "open",
        "message": "Too many orders in a minute; please wait a moment.",
    },
    "api-token": {
        "count": 1200,
        "seconds": 60,
        "fail": "open",
        "message": "Too many requests with this token; slow down.",
    },
}

# One extracted service: media work (invoice PDFs, thumbnails), the most CPU-hungry, leaves the
# app's workers for the media service (services/media), scaled on its own. Requests go to its
# queue; it writes the files to the object store and sends each result back to the app's default
# queue, where a worker applies it. While it is down, requests wait and pages say "being prepared".
MEDIA_WORK = "app.platform.media.service.MediaService"
MEDIA_SERVICE = {
    "QUEUE": "media",
    # Results come back as a task on the app's default queue, which its default worker consumes.
    "RESULTS_QUEUE": "default",
    # Instances (processes the runner starts, containers compose runs), and render processes in each.
    "INSTANCES": int(env.number("MEDIA_INSTANCES", 2)),
    "CONCURRENCY": int(env.number("MEDIA_CONCURRENCY", 1)),
    # Its log lines are JSON objects too, with the request id the app sent along.
    "LOG_FORMAT": "json",
}
SERVICE_QUEUES = (MEDIA_SERVICE["QUEUE"],)
QUEUE_ALERTS = {**QUEUE_ALERTS, MEDIA_SERVICE["QUEUE"]: {"depth": 200, "age_seconds": 120}}

RUNNER_SERVICES = [
    *RUNNER_SERVICES[: RUNNER_SERVICES.index("redis") + 1],
    "cache-redis",
    "object-store",
    *RUNNER_SERVICES[RUNNER_SERVICES.index("redis") + 1 : RUNNER_SERVICES.index("workers") + 1],
    "media",
    *RUNNER_SERVICES[RUNNER_SERVICES.index("workers") + 1 :],
    # Last, once what they watch is up: the exporters, Alertmanager, and Prometheus scraping
    # them all and evaluating deploy/monitoring/alerts.yml (app.runner.units.monitoring).
    "monitoring",
]
# A GET or HEAD whose instance died holding it (SIGKILL, out of memory) is sent to another one:
# the client sees a slower answer, not an error. Other methods are never sent twice.
LOAD_BALANCER_RETRY_ON = "conn-failure empty-response response-timeout 502 503 504"
# Three instances, any of which may serve any request: raise it to scale out (the runner also
# takes WEB_INSTANCES=N for one run, as `make bench S=scale-out` does).
# gunicorn's access log is off: the app's request line (above) replaces it.
WEB_SERVER = {**WEB_SERVER, "instances": 3, "access_log": False}
