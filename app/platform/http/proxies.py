"""Forwarded headers count only when the load balancer sent them.

Behind a load balancer that terminates TLS, the app learns that a request came over HTTPS
from the ``X-Forwarded-Proto`` header the balancer sets (``SECURE_PROXY_SSL_HEADER``).
Django believes that header from anyone, so a client that reaches an instance directly
(another host on the network, a process on the same machine) could send it and be taken
for an HTTPS visitor: no redirect, and — with secure cookies — a session cookie sent back
to it over plain HTTP. This middleware, first in ``MIDDLEWARE``, removes every forwarded
header from a request whose peer is not in ``TRUSTED_PROXIES`` (addresses or networks), the
way Rails' trusted proxies and Werkzeug's ``ProxyFix`` do. The balancer itself *sets* the
header (HAProxy's ``http-request set-header``), so a client cannot pass a forged one through it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_SSL",
    "HTTP_FORWARDED",
    # The request id the logs carry (app.platform.telemetry): the load balancer's, never a client's.
    "HTTP_X_REQUEST_ID",
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@cache
def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)
    except ValueError as exc:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from exc


def is_trusted(address: str, proxies: tuple[str, ...]) -> bool:
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:  # a Unix socket's empty address, or nothing at all
        return False
    return any(peer in network for network in trusted_networks(proxies))


class TrustedProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.proxies = tuple(settings.TRUSTED_PROXIES)
        trusted_networks(self.proxies)  # a malformed entry stops the start, not the first request

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted(request.META.get("REMOTE_ADDR", ""), self.proxies):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


def client_address(request: HttpRequest) -> str:
    """The visitor's address: the one the load balancer saw, when the request came through it.

    HAProxy's ``option forwardfor`` appends its peer's address to ``X-Forwarded-For``, so the last
    entry is the one it vouches for; entries before it are whatever the client claimed. The header
    is only still here when it came from a trusted proxy (the middleware above dropped it otherwise).
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        last = forwarded.rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            pass
    return str(request.META.get("REMOTE_ADDR", ""))
