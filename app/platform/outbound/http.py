"""Calls to other people's servers, each bounded by one total deadline.

An HTTP client's ``timeout`` is per operation: connect, then each read. A receiver that
answers one byte every few seconds never trips a per-read timeout, and so holds the caller
(a worker, or at tier0 the request itself) for as long as it likes. Here the whole call —
name lookup, connect, sending, the status line, headers and body — runs under one
``asyncio.timeout``, which cancels whatever read is in flight when the deadline passes.
Redirects are not followed (a webhook is delivered to the address its owner gave, not
wherever that address points next) and only the first ``MAX_BODY_BYTES`` are read.

Server-side request forgery: the URL is the user's, so the app must not become their way
into its own network. Only ``http`` and ``https``, and only to public addresses: the host
is resolved (within the deadline), every address it resolves to must be global — not
loopback, private, link-local (cloud metadata), shared, reserved or multicast, IPv4 or
IPv6 — and the connection goes to the address that was checked, with the name kept for the
``Host`` header and TLS, so a name that resolves differently a moment later (DNS
rebinding) cannot slip inside. ``settings.OUTBOUND_ALLOWED_NETWORKS`` lists exceptions for
local development and tests.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings

#: Receivers answer with a status; past this much of a body we stop reading.
MAX_BODY_BYTES = 64 * 1024


class OutboundError(Exception):
    """The call did not complete: it could not connect, ran past its deadline, or was refused."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class ForbiddenDestination(OutboundError):
    """The URL points somewhere the app must not send requests (its own network, another scheme)."""


@dataclass(frozen=True)
class Destination:
    """A checked URL: where to connect (an address that passed the check) and what to call it."""

    url: str
    scheme: str
    host: str
    port: int
    address: str

    def pinned_url(self) -> str:
        parts = urlsplit(self.url)
        ip = f"[{self.address}]" if ":" in self.address else self.address
        return urlunsplit((self.scheme, f"{ip}:{self.port}", parts.path or "/", parts.query, ""))

    @property
    def host_header(self) -> str:
        default = {"http": 80, "https": 443}[self.scheme]
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def public_address(address: str) -> bool:
    """Whether the app may connect to ``address``: a global unicast address, or an allowed exception."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(ip in ipaddress.ip_network(network) for network in settings.OUTBOUND_ALLOWED_NETWORKS):
        return True
    return ip.is_global and not ip.is_multicast


def check(url: str, *, deadline: float = 3.0) -> Destination:
    """The destination ``url`` names, resolved and checked; raises ``ForbiddenDestination`` or ``OutboundError``."""
    try:
        return _run(_check(url, deadline))
    except TimeoutError as exc:
        raise OutboundError(f"looking up {url} took longer than {deadline:g} s") from exc


async def _check(url: str, deadline: float) -> Destination:
    async with asyncio.timeout(deadline):
        return await _resolve(url)


async def _resolve(url: str) -> Destination:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ForbiddenDestination(f"{url!r} is not a valid URL") from exc
    if parts.scheme not in ("http", "https"):
        raise ForbiddenDestination(f"only http and https URLs are allowed, not {parts.scheme or 'none'}")
    if not parts.hostname:
        raise ForbiddenDestination("the URL names no host")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found = await _getaddrinfo(parts.hostname, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundError(f"{parts.hostname} cannot be resolved") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    inside = [address for address in addresses if not public_address(address)]
    if inside or not addresses:
        raise ForbiddenDestination(f"{parts.hostname} is an internal address ({', '.join(inside)}): not allowed")
    addresses.sort(key=lambda address: ":" in address)  # IPv4 first: not every host routes IPv6
    return Destination(url, parts.scheme, parts.hostname, port, addresses[0])


async def _getaddrinfo(host: str, port: int) -> list[Any]:
    """``getaddrinfo`` in a thread of its own, abandoned if the deadline passes first.

    Not in the event loop's default executor: ``asyncio.run`` waits for that one on its way
    out, and a lookup cannot be cancelled, so a resolver that hangs would hold the caller past
    the deadline. The abandoned thread ends when the resolver gives up.
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbound-dns")
    lookup = functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, lookup)
    finally:
        pool.shutdown(wait=False)


def post(url: str, *, body: bytes, headers: dict[str, str], deadline: float) -> Answer:
    """POST ``body`` to ``url`` and read the answer, all within ``deadline`` seconds.

    Callable from a WSGI thread or a Celery worker (neither runs an event loop).
    Raises ``OutboundError`` naming what went wrong.
    """
    try:
        return _run(_post(url, body, headers, deadline))
    except TimeoutError as exc:
        raise OutboundError(f"{url} took longer than {deadline:g} s to answer") from exc
    except httpx.HTTPError as exc:
        raise OutboundError(f"could not reach {url}: {type(exc).__name__}: {exc}") from exc


def _run(call: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run``, or in a thread of its own where this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(call)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, call).result()


async def _post(url: str, body: bytes, headers: dict[str, str], deadline: float) -> Answer:
    async with asyncio.timeout(deadline):
        destination = await _resolve(url)
        return await _send(destination, body, headers, deadline)


async def _send(destination: Destination, body: bytes, headers: dict[str, str], deadline: float) -> Answer:
    """Connect to the checked address; the name travels in ``Host`` and, for TLS, as SNI (and is verified)."""
    async with (
        httpx.AsyncClient(follow_redirects=False, timeout=deadline, trust_env=False) as client,
        client.stream(
            "POST",
            destination.pinned_url(),
            content=body,
            headers={**headers, "Host": destination.host_header},
            extensions={"sni_hostname": destination.host},
        ) as response,
    ):
        received = bytearray()
        async for chunk in response.aiter_bytes():
            received += chunk
            if len(received) >= MAX_BODY_BYTES:
                break
        return Answer(response.status_code, bytes(received[:MAX_BODY_BYTES]))
