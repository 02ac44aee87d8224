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
from django.utils.module_loading import import_string

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
    import redis

    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=CHECK_TIMEOUT_SECONDS, socket_timeout=CHECK_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


def check_names() -> list[str]:
    return [path.rsplit(".", 1)[-1] for path in settings.READINESS_CHECKS]


def run_checks(only: list[str] | None = None) -> list[CheckResult]:
    """Every check in ``READINESS_CHECKS``, or those whose names are in ``only``."""
    results = []
    for path in settings.READINESS_CHECKS:
        if only is not None and path.rsplit(".", 1)[-1] not in only:
            continue
        check = import_string(path)
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; the message says which
            results.append(CheckResult(check.__name__, False, _ms(started), f"{type(exc).__name__}: {exc}"[:300]))
        else:
            results.append(CheckResult(check.__name__, True, _ms(started)))
    return results


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
