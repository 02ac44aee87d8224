"""Liveness and readiness for load balancers and uptime checks.

``/healthz`` says the process answers (it touches nothing); ``/readyz`` runs every check
in ``settings.READINESS_CHECKS`` (dotted paths to functions that raise when their
dependency is unreachable) and answers 503 with the detail when any fails.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.module_loading import import_string

from app.platform.jobs.broker import broker_client

#: A check that takes longer than this counts as failed: a load balancer polls every second.
CHECK_TIMEOUT_SECONDS = 1.0


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    ms: float
    error: str = ""


def database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def broker() -> None:
    """The Celery broker answers (Redis ``PING``), with a one-second budget."""
    with broker_client(connect_timeout=CHECK_TIMEOUT_SECONDS, read_timeout=CHECK_TIMEOUT_SECONDS) as client:
        client.ping()


def check_names() -> list[str]:
    """Each check's name: the last part of its dotted path (``…health.database`` is ``database``)."""
    return [path.rsplit(".", 1)[-1] for path in settings.READINESS_CHECKS]


def run_checks(only: list[str] | None = None) -> list[CheckResult]:
    """Every check in ``READINESS_CHECKS``, or those whose names are in ``only``."""
    results = []
    for name, path in zip(check_names(), settings.READINESS_CHECKS, strict=True):
        if only is not None and name not in only:
            continue
        check = import_string(path)
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; the message says which
            results.append(CheckResult(name, False, _ms(started), f"{type(exc).__name__}: {exc}"[:300]))
        else:
            results.append(CheckResult(name, True, _ms(started)))
    return results


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


# The probes themselves, answered first in the middleware chain (app.platform.http.probes).


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
