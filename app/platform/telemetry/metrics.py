"""The app's Prometheus metrics (tier3), counted where the work happens, read at ``/metrics``.

Under gunicorn (several worker processes per instance) and Celery (prefork children), each
process counts on its own: with ``PROMETHEUS_MULTIPROC_DIR`` set (the runner sets one per
instance and per worker, emptied at each start), prometheus-client keeps every process's values
in files there and ``/metrics`` adds them up (``app.platform.telemetry.exposition``). Without it
(tests, a shell) the values live in the process.

Labels stay few and bounded: a route is the URL pattern, never the path; a job is its name.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

#: Routes for requests no URL pattern matched, or answered before URL resolution.
UNMATCHED = "(unmatched)"
SHARED_PAGE = "(shared page)"

REQUEST_SECONDS = Histogram(
    "milestones_http_request_duration_seconds",
    "Time from the request reaching the app to its response, by route.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUESTS = Counter(
    "milestones_http_requests",
    "Requests answered, by route, method and status code.",
    ["route", "method", "status"],
)
QUERIES_PER_REQUEST = Histogram(
    "milestones_db_queries_per_request",
    "Database queries one request ran, all aliases together, by route: an N+1 shows as a rising count.",
    ["route"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89),
)
CACHE_LOOKUPS = Counter(
    "milestones_cache_lookups",
    "Application-cache lookups (app.platform.caching): served fresh from the cache (hit) or not (miss).",
    ["result"],
)
CACHE_L1_LOOKUPS = Counter(
    "milestones_cache_l1_lookups",
    "Lookups in a process's own copy of the hottest entries (tier4's L1): answered there (hit) or not (miss).",
    ["result"],
)
CACHE_L1_BYTES = Gauge(
    "milestones_cache_l1_bytes",
    "Bytes of entries (as stored in Redis) each process holds in its L1, summed over the live processes.",
    multiprocess_mode="livesum",
)
JOBS = Counter("milestones_jobs", "Job attempts finished, by job and outcome.", ["job", "outcome"])
JOB_SECONDS = Histogram(
    "milestones_job_duration_seconds",
    "How long one attempt of a job ran.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
)
REPLICA_FALLBACKS = Counter(
    "milestones_replica_reads_sent_to_primary",
    "Reads the router sent to the primary because the replica was not usable, by reason.",
    ["reason"],
)
REPLICA_LAG = Gauge(
    "milestones_replica_lag_seconds",
    "How far behind the primary the replica was at the last probe.",
    multiprocess_mode="livemax",
)
REPLICA_USABLE = Gauge(
    "milestones_replica_usable",
    "1 while reads may go to the replica, 0 while they go to the primary.",
    multiprocess_mode="livemin",
)
