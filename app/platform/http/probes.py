"""Health probes answered before host validation and the HTTPS redirect.

The load balancer and the kubelet probe an instance by its address, over plain HTTP, from
inside the network: to the rest of the middleware such a probe is a request for a host not in
``ALLOWED_HOSTS`` (a 400) over HTTP (a redirect to HTTPS in production), so an instance would
never count as healthy. ``/healthz`` and ``/readyz`` are therefore answered here, first in the
chain (after ``TrustedProxyMiddleware``), with no session, cookie or redirect; they disclose
nothing beyond which checks pass.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from app.platform.http import health

PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/healthz": health.healthz, "/readyz": health.readyz}


class ProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
