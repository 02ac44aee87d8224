"""Views that belong to no single app: the benchmark's floor and the health endpoints."""

from django.http import HttpRequest, HttpResponse, JsonResponse

from app.platform.health import check_names, run_checks


def ping(request: HttpRequest) -> HttpResponse:
    """The cheapest response the full middleware stack can give: the ceiling a real page is measured against."""
    return HttpResponse("ok", content_type="text/plain")


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process is up and answering. Touches no database, cache or broker."""
    return HttpResponse("ok", content_type="text/plain")


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: every dependency in ``READINESS_CHECKS`` answers; 503 with the detail if not.

    ``?only=database`` runs just the named checks: a load balancer asks only about what makes
    this instance unable to serve, not about a shared broker whose outage every instance
    survives (jobs not sent are kept as ``failed`` to re-send).
    """
    only = [name for name in request.GET.get("only", "").split(",") if name]
    known = check_names()
    unknown = sorted(set(only) - set(known))
    if unknown:
        return JsonResponse(
            {"detail": f"Unknown check {', '.join(unknown)}; this tier has {', '.join(known)}."}, status=400
        )
    results = run_checks(only=only or None)
    ready = all(result.ok for result in results)
    body = {
        "status": "ready" if ready else "unavailable",
        "checks": {r.name: {"ok": r.ok, "ms": r.ms, **({"error": r.error} if r.error else {})} for r in results},
    }
    return JsonResponse(body, status=200 if ready else 503)


def queue_status(request: HttpRequest) -> JsonResponse:
    """For operators: depth and oldest-job age of each job queue, which are backing up, and the
    outbox's backlog (jobs committed but not yet handed to the broker)."""
    from django.conf import settings

    from app.platform.queues import as_json, queue_depths

    if not (request.user.is_authenticated and request.user.is_staff):
        return JsonResponse({"detail": "Staff only."}, status=403)
    if not settings.QUEUE_ALERTS:
        return JsonResponse({"detail": "This tier does not monitor job queues (QUEUE_ALERTS is empty)."}, status=404)
    body = as_json(queue_depths())
    if settings.JOBS_OUTBOX:
        from dataclasses import asdict

        from app.platform.outbox import backlog

        body["outbox"] = asdict(backlog())
    return JsonResponse(body)


def replica_status(request: HttpRequest) -> JsonResponse:
    """For operators: whether this app process sends reads to the replica, its lag, and fallbacks."""
    from django.conf import settings

    from app.platform import replica_health

    if not (request.user.is_authenticated and request.user.is_staff):
        return JsonResponse({"detail": "Staff only."}, status=403)
    if not settings.REPLICA_ROUTING:
        return JsonResponse({"detail": "This tier has no read replica (REPLICA_ROUTING is not set)."}, status=404)
    return JsonResponse({"replicas": replica_health.report()})
