"""``/metrics`` (tier3): the instance's metrics in Prometheus' text format, for Prometheus only.

It answers only peers in ``METRICS["ALLOWED_NETWORKS"]`` (the machine itself by default; in a
cluster, the monitoring network), judged by the connection's own address, never a forwarded
header. The load balancer refuses ``/metrics`` outright, since its requests come from an allowed
address: metrics say how busy the site is and which routes exist, which is nobody else's business.

With ``PROMETHEUS_MULTIPROC_DIR`` set, the values are every process's of this instance added up
(prometheus-client's multiprocess mode); the backlog (queues, outbox) is read at each scrape.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from app.platform.http.proxies import Network
from app.platform.telemetry.backlog import BacklogCollector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


@cache
def _networks(allowed: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(network, strict=False) for network in allowed)


def allowed(address: str) -> bool:
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    configured = settings.METRICS or {}
    return any(peer in network for network in _networks(tuple(configured.get("ALLOWED_NETWORKS", ()))))


class _ThisProcess(Collector):
    """The values this process counted (no multiprocess directory: tests, a single process)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def registry(*, backlog: bool = True) -> CollectorRegistry:
    """A registry made for one scrape: Prometheus' own advice for multiprocess mode. The backlog
    is the app instances' to report; a worker's exposition leaves it out."""
    fresh = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_DIR):
        MultiProcessCollector(fresh)
    else:
        fresh.register(_ThisProcess())
    if backlog:
        fresh.register(BacklogCollector())
    return fresh


def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request.META.get("REMOTE_ADDR", "")):
        return HttpResponse(
            "Metrics are served to the monitoring network only (METRICS['ALLOWED_NETWORKS']).\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
