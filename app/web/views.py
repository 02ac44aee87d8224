"""Views that belong to no single app: the benchmark's floor and the operators' pages (the health
probes are the platform's: ``app.platform.http.health``)."""

from django.http import HttpRequest, HttpResponse, JsonResponse


def ping(request: HttpRequest) -> HttpResponse:
    """The cheapest response the full middleware stack can give: the ceiling a real page is measured against."""
    return HttpResponse("ok", content_type="text/plain")


def queue_status(request: HttpRequest) -> JsonResponse:
    """For operators: depth and oldest-job age of each job queue, which are backing up, and the
    outbox's backlog (jobs committed but not yet handed to the broker)."""
    from django.conf import settings

    from app.platform.jobs.queues import as_json, queue_depths

    if not (request.user.is_authenticated and request.user.is_staff):
        return JsonResponse({"detail": "Staff only."}, status=403)
    if not settings.QUEUE_ALERTS:
        return JsonResponse({"detail": "This tier does not monitor job queues (QUEUE_ALERTS is empty)."}, status=404)
    body = as_json(queue_depths())
    if settings.JOBS_OUTBOX:
        from dataclasses import asdict

        from app.platform.jobs.outbox import backlog

        body["outbox"] = asdict(backlog())
    return JsonResponse(body)


def replica_status(request: HttpRequest) -> JsonResponse:
    """For operators: whether this app process sends reads to the replica, its lag, and fallbacks."""
    from django.conf import settings

    from app.platform.db import replica_health

    if not (request.user.is_authenticated and request.user.is_staff):
        return JsonResponse({"detail": "Staff only."}, status=403)
    if not settings.REPLICA_ROUTING:
        return JsonResponse({"detail": "This tier has no read replica (REPLICA_ROUTING is not set)."}, status=404)
    return JsonResponse({"replicas": replica_health.report()})


def shard_status(request: HttpRequest) -> JsonResponse:
    """For operators: each shard's teams, rows, bytes and share of the writes, and the largest
    teams across them (``?largest=N``, 10 by default), by explicit fan-out; a shard that is down
    is reported as such."""
    from django.conf import settings

    if not (request.user.is_authenticated and request.user.is_staff):
        return JsonResponse({"detail": "Staff only."}, status=403)
    if not getattr(settings, "SHARDING", None):
        return JsonResponse({"detail": "This tier has no shards (SHARDING is not set)."}, status=404)
    largest = request.GET.get("largest", "10")
    if not largest.isdigit() or not 0 <= int(largest) <= 100:
        return JsonResponse({"detail": "largest must be a whole number from 0 to 100."}, status=400)
    from app.platform.sharding.report import shard_report

    return JsonResponse(shard_report(largest=int(largest)))


def doctor(request: HttpRequest) -> HttpResponse:
    """For operators: the scaling doctor's report (``manage.py doctor``), as a page or, with
    ``?format=json``, as JSON."""
    from django.shortcuts import render

    from app.platform.doctor import examine

    if not (request.user.is_authenticated and request.user.is_staff):
        return JsonResponse({"detail": "Staff only."}, status=403)
    report = examine()
    if request.GET.get("format") == "json":
        return JsonResponse(report.as_json())
    return render(request, "ops/doctor.html", {"report": report.as_json()})
