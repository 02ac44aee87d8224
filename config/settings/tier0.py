"""tier0 — 0 to 100 users: one process, SQLite, nothing else to run.

The whole product on a $5 VPS. Everything a later tier moves elsewhere happens
right here, in the request:

* the database is one SQLite file (WAL mode, immediate transactions so concurrent
  checkouts queue instead of failing with "database is locked");
* jobs (emails, invoice PDFs, webhooks, thumbnails) run inline, after the transaction
  commits, inside the request that caused them, and each page view is one INSERT;
* the loading strategy is lazy: the feed really runs one query per post for its
  author and comment count (``make bench S=feed-queries`` shows it growing);
* no cache, no CDN, no load balancer; WhiteNoise serves static files uncompressed.

Needs running: gunicorn (one worker process) and, for development, the local SMTP sink.
"""

from __future__ import annotations

from typing import Any

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR

TIER = "tier0"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "tier0.sqlite3",
        "OPTIONS": {
            # BEGIN IMMEDIATE takes the write lock up front, so two checkouts queue
            # on busy_timeout instead of one failing half-way with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        "TEST": {"NAME": VAR_DIR / "test-tier0.sqlite3"},
    }
}

# Seams: each names the class that implements a behaviour that changes by tier.
JOBS_BACKEND = "app.platform.jobs.InlineBackend"
LOADING_STRATEGY = "app.platform.db.loading.LazyLoading"
PAGE_VIEWS = "app.analytics.recorders.InlineRecorder"
CACHES: dict[str, dict[str, Any]] = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
# No application cache: pages and queries are computed for every request (app.platform.caching).
APP_CACHE = "app.platform.caching.NoCache"
# Media work (invoice PDFs, thumbnails) done by the job that asks, in its own process, with the
# media service's code (app.platform.media).
MEDIA_WORK = "app.platform.media.in_process.InProcess"
SESSION_ENGINE = "django.contrib.sessions.backends.db"
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# What /readyz checks before a load balancer (or you) may send traffic here.
READINESS_CHECKS = ["app.platform.http.health.database"]

# No object store and no CDN yet: the app itself serves uploaded media.
SERVE_MEDIA = True
# No Prometheus yet: no /metrics (tier3 turns it on).
METRICS: dict | None = None
# No WAL archive and no backups yet (tier3: pgBackRest, app.runner.backups).
BACKUPS: dict | None = None

# What the runner starts for this tier, in order (see app/runner/units/).
RUNNER_SERVICES = ["smtp", "migrate", "collectstatic", "seed-demo", "web"]
WEB_SERVER = {"instances": 1, "workers": 1, "threads": 4}
