"""One log line per request (tier3), written when the response is ready, and the same figures as
Prometheus metrics (``app.platform.telemetry.metrics``).

Fields: the request id, method, path, route (the URL pattern, so lines group by page, not by
object), status, duration in milliseconds, queries and their time, application-cache hits and
misses, and the signed-in user's id when the request looked the user up. The same id goes back
to the client as ``X-Request-ID``, so a report from a user finds its lines.

It replaces the web server's access log (gunicorn's is off from tier3): one line per request,
not two, and one that says what the request cost. It sits after the health probes, which the
load balancer sends every second and which would otherwise fill the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from app.platform.telemetry import metrics, request_id, request_stats

logger = logging.getLogger("milestones.request")


class RequestTelemetryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id.accept(request.META.get(request_id.META_KEY))
        started = time.perf_counter()
        with request_id.bound(rid), request_stats.measuring() as stats:
            response = self.get_response(request)
            duration_ms = (time.perf_counter() - started) * 1000
            route = request.resolver_match.route if request.resolver_match else None
            user = getattr(request, "_cached_user", None)  # only if the request looked it up
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(duration_ms, 2),
                    "queries": stats.queries,
                    "query_ms": round(stats.query_seconds * 1000, 2),
                    "cache_hits": stats.cache_hits,
                    "cache_misses": stats.cache_misses,
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                },
            )
        _count(request.method or "", route, response.status_code, duration_ms / 1000, stats.queries)
        response[request_id.HEADER] = rid
        return response


def _count(method: str, route: str | None, status: int, seconds: float, queries: int) -> None:
    # No pattern matched (a 404), or the shared cache answered before URL resolution.
    label = route if route is not None else (metrics.SHARED_PAGE if status < 400 else metrics.UNMATCHED)
    label = label or "/"
    metrics.REQUEST_SECONDS.labels(label, method).observe(seconds)
    metrics.REQUESTS.labels(label, method, str(status)).inc()
    metrics.QUERIES_PER_REQUEST.labels(label).observe(queries)
