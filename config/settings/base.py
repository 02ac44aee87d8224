"""What every tier shares: the product's apps, templates, auth and API.

Nothing here decides *how* the product runs (database, jobs, caching, loading
strategy); those choices are each tier's milestone and live in ``tierN.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config import env

# Secrets, hosts, HTTPS and its headers: production unless MILESTONES_ENV=local says otherwise.
from config.settings.environment import *  # noqa: F403

BASE_DIR = env.BASE_DIR
VAR_DIR = env.VAR_DIR

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "app.platform",
    "app.accounts",
    "app.teams",
    "app.posts",
    "app.shop",
    "app.analytics",
    "app.seeding",
    "app.web",
]

MIDDLEWARE = [
    # Forwarded headers count only from the load balancer (TRUSTED_PROXIES).
    "app.platform.http.proxies.TrustedProxyMiddleware",
    # /healthz and /readyz, answered before host validation and the HTTPS redirect.
    "app.platform.http.probes.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "app.web.middleware.DomainErrorMiddleware",
    "app.api.middleware.ApiEdgeMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "app" / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "app.web.context_processors.tier",
            ],
            # {% url %} that remembers what it reversed (same syntax, same output): the feed
            # reverses two URLs per post, the same for every visitor.
            "builtins": ["app.web.templatetags.memo_url"],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "feed"
LOGOUT_REDIRECT_URL = "feed"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = env.string("STATIC_URL", "/static/")
# The container image collects static files at build time, outside the var/ volume.
STATIC_ROOT = Path(env.string("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "app" / "web" / "static"]
# Where collectstatic keeps the Brotli and gzip copies it made, by content, to reuse them (the
# runner's stacks and the tests set it; app.platform.http.static_compression). Unset: no cache.
STATIC_COMPRESSION_CACHE = env.string("STATIC_COMPRESSION_CACHE", "")
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

# Uploads: an avatar or product image larger than this is refused with a form error.
MAX_IMAGE_UPLOAD_BYTES = 5 * 1024 * 1024
# ... and pixels, which are what decoding costs (4 bytes each): 16 MP decodes to at most 64 MB.
# Pillow's own decompression-bomb limit is set to this too (app.platform.apps).
MAX_IMAGE_PIXELS = 16_000_000
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

# Django's SMTP backend, with one deadline for a whole send (app.platform.outbound.mail).
EMAIL_BACKEND = "app.platform.outbound.mail.DeadlineEmailBackend"
EMAIL_HOST = env.string("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env.string("EMAIL_PORT", str(env.port("SMTP_PORT"))))
# A mail provider that does not answer must not hang the caller for minutes.
EMAIL_TIMEOUT = 10
# ... and one that trickles its replies a byte at a time must not either: a whole send, from
# connect to the last reply, gets this long (EMAIL_TIMEOUT alone bounds each read, not the sum).
EMAIL_DEADLINE_SECONDS = 15.0
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "Milestones <noreply@milestones.localhost>")

# The database alias `migrate` runs on (the runner's migrate step, `make migrate-data`).
MIGRATION_DATABASE = "default"
# Where a team's rows live (app.platform.tenancy): the one database, until tier4 shards them.
TEAM_PLACEMENT = "app.platform.tenancy.OneDatabase"

# What HAProxy (tier2 on) retries on another instance: by default only a connection that failed
# (HAProxy's own default); a GET or HEAD only ever (``disable-l7-retry`` for the rest).
LOAD_BALANCER_RETRY_ON = "conn-failure"

# The job queues, highest priority first: the one list jobs (``@job(queue=…)``), workers
# (``WORKERS``), queue monitoring and the runner read; a system check holds them to it.
# critical: a person waits for it (password resets, order emails); default: the product's side
# effects (webhooks, PDFs, thumbnails); bulk: what may wait (analytics).
JOB_QUEUES: tuple[str, ...] = ("critical", "default", "bulk")
# Queues an extracted service consumes (tier3's media service): watched like JOB_QUEUES (depth,
# oldest message's age, QUEUE_ALERTS), served by the service's own workers, not by WORKERS.
SERVICE_QUEUES: tuple[str, ...] = ()
# The extracted media service where the tier runs one (tier3): its queues and size. Empty where
# media work runs in the app's own processes (MEDIA_WORK).
MEDIA_SERVICE: dict[str, Any] = {}
# Where a django-redis cache ignores its exceptions (tier3's application cache), they are logged.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
# Per job queue, the depth and oldest-job age past which it counts as backing up
# (app.platform.jobs.queues); empty where nothing watches the queues.
QUEUE_ALERTS: dict[str, dict[str, float]] = {}
# The transactional outbox's timings, where the tier's JOBS_BACKEND is the outbox (tier1 on).
JOBS_OUTBOX: dict[str, Any] = {}
# Jobs the scheduler (Celery beat, the runner's "scheduler") sends every so many seconds:
# {"app.module.jobs.name": seconds}. Only untracked (idempotent) jobs: a tick has no delivery id.
JOBS_PERIODIC: dict[str, float] = {}

# Where a tier reads from a replica: its alias and the router's limits (app.platform.db.routing);
# empty where there is one database.
REPLICA_ROUTING: dict[str, Any] = {}

# Rate limits by name (app.platform.http.ratelimit): {"login-address": {"count": 20, "seconds": 300,
# "fail": "open"}, …}, counted in the cache alias RATE_LIMIT_CACHE. A limit not listed is not enforced.
RATE_LIMITS: dict[str, dict[str, Any]] = {}
RATE_LIMIT_CACHE = "ratelimit"

# The scaling doctor (`manage.py doctor`, /ops/doctor; app.platform.doctor): the checks it runs and
# the thresholds past which it names a milestone problem. These are the graduation triggers the
# README lists; a finding past half of a latency limit, or past CONNECTIONS_WATCH, is "watch".
DOCTOR: dict[str, Any] = {
    "CHECKS": [
        "app.platform.doctor.database.sequential_scans",
        "app.platform.doctor.pages.queries_per_request",
        "app.platform.doctor.database.connections_in_use",
        "app.platform.doctor.replica.replica_lag",
        "app.platform.doctor.jobs.job_queues",
        "app.platform.doctor.jobs.outbox",
        "app.platform.doctor.traffic.cache_hit_ratio",
        "app.platform.doctor.traffic.latency",
    ],
    # The list pages fetched in-process (anonymously) to count queries per request, and how often.
    "SAMPLE_PATHS": ["/", "/shop/", "/api/v1/feed", "/api/v1/products"],
    "SAMPLES_PER_PATH": 3,
    # A table this big, read by sequential scans in at least this share of its scans (and at
    # least MIN_SEQ_SCANS of them since the statistics were reset), lacks an index.
    "BIG_TABLE_ROWS": 10_000,
    "MIN_SEQ_SCANS": 20,
    "SEQ_SCAN_SHARE": 0.5,
    # One statement this many times in one request is an N+1; this many statements in all, a watch.
    "N_PLUS_ONE_REPEATS": 5,
    "QUERIES_PER_REQUEST": 20,
    # Client connections as a share of max_connections (less the superuser's reserve).
    "CONNECTIONS_WATCH": 0.6,
    "CONNECTIONS_PROBLEM": 0.8,
    # A queue without QUEUE_ALERTS of its own is backing up past this depth or oldest-job age.
    "QUEUE_DEPTH": 100,
    "QUEUE_AGE_SECONDS": 60,
    # A committed job not handed to the broker after this long: the relay or the broker is down.
    "OUTBOX_AGE_SECONDS": 30,
    "REPLICA_LAG_SECONDS": 5,
    # Below this hit ratio (judged after CACHE_MIN_LOOKUPS lookups) the cache is not doing its job.
    "CACHE_HIT_RATIO": 0.9,
    "CACHE_MIN_LOOKUPS": 1000,
    # The slowest route's p95 (Prometheus, METRICS["PROMETHEUS_URL"], where the tier runs it, else
    # the sampled pages).
    "P95_SECONDS": 0.5,
}

# Webhook receivers get this long, in total (connect, send, the whole answer), before the
# delivery counts as failed (app.platform.outbound.http).
WEBHOOK_TIMEOUT_SECONDS = 5.0
# API tokens work this many days, and a user holds at most this many at once.
API_TOKEN_LIFETIME_DAYS = 30
API_TOKENS_PER_USER = 10
# Password-reset emails: at most this many an hour to one address, and to one account.
PASSWORD_RESETS_PER_HOUR = 3

# Webhooks go only to public addresses (app.platform.outbound.http): never loopback, private,
# link-local (cloud metadata) or reserved ones. Networks listed here are exceptions, for
# local development and tests, e.g. OUTBOUND_ALLOWED_NETWORKS=127.0.0.0/8,::1/128.
OUTBOUND_ALLOWED_NETWORKS = [n for n in env.string("OUTBOUND_ALLOWED_NETWORKS", "").split(",") if n.strip()]

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
