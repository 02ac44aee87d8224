"""Latency and the application cache's hit ratio: from Prometheus where the tier runs it (all
instances, real traffic), else from the sampled pages and the cache's own counters."""

from __future__ import annotations

from app.platform.caching.shared import SharedCache
from app.platform.doctor.examination import Examination
from app.platform.doctor.pages import p95
from app.platform.doctor.prometheus import WINDOW, PrometheusError, query
from app.platform.doctor.report import Finding, Status
from app.platform.seams import seam

LATENCY = "latency"
CACHE = "cache hit ratio"
P95_BY_ROUTE = (
    f"histogram_quantile(0.95, sum by (route, le) (rate(milestones_http_request_duration_seconds_bucket[{WINDOW}])))"
)


def latency(exam: Examination) -> list[Finding]:
    measured = None
    note = ""
    if exam["PROMETHEUS_URL"]:
        try:
            measured = _p95_from_prometheus(exam["PROMETHEUS_URL"])
        except PrometheusError as exc:
            note = f" ({exc})"  # the samples still give a figure
    if measured is None:
        measured = _p95_from_samples(exam)
        if measured is None:
            return [Finding(LATENCY, Status.SKIPPED, f"no page to sample{note}")]
    worst, source = measured
    slowest = worst[0][1]
    summary = f"slowest {slowest * 1000:.0f} ms, {source}{note}"
    evidence = [f"{name}: {seconds * 1000:.0f} ms" for name, seconds in worst[:5]]
    limit = exam["P95_SECONDS"]
    if slowest > limit:
        return [Finding(LATENCY, Status.PROBLEM, summary, evidence, "slow-requests")]
    if slowest > limit / 2:
        return [Finding(LATENCY, Status.WATCH, summary, evidence, "slow-requests")]
    return [Finding(LATENCY, Status.OK, summary, evidence)]


Measured = tuple[list[tuple[str, float]], str]


def _p95_from_prometheus(url: str) -> Measured | None:
    routes = [(labels.get("route", "?"), seconds) for labels, seconds in query(url, P95_BY_ROUTE)]
    if not routes:
        return None  # no traffic in the window: the samples speak instead
    return sorted(routes, key=lambda route: -route[1]), f"p95 by route over {WINDOW} (Prometheus)"


def _p95_from_samples(exam: Examination) -> Measured | None:
    timed = [(page.path, p95(page.seconds)) for page in exam.pages if page.seconds]
    if not timed:
        return None
    return sorted(timed, key=lambda page: -page[1]), "p95 of the sampled pages, in-process (no network, no queueing)"


def cache_hit_ratio(exam: Examination) -> list[Finding]:
    cache = seam("APP_CACHE")
    if not isinstance(cache, SharedCache):
        return [Finding(CACHE, Status.SKIPPED, "this tier has no application cache (tier3 adds one)")]
    counts = cache.stats()
    # A stale entry is still served (and refreshed by one process): a hit for the visitor.
    lookups, misses = counts.get("lookups", 0), counts.get("misses", 0)
    if lookups < exam["CACHE_MIN_LOOKUPS"]:
        return [Finding(CACHE, Status.SKIPPED, f"{lookups} lookups so far, too few to judge")]
    ratio = 1 - misses / lookups
    summary = f"{ratio:.1%} of {lookups:,} lookups hit"
    if ratio < exam["CACHE_HIT_RATIO"]:
        return [Finding(CACHE, Status.PROBLEM, summary, [f"{misses:,} misses"], "low-cache-hit-ratio")]
    return [Finding(CACHE, Status.OK, summary)]
