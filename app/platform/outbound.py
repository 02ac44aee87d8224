"""Calls to other people's servers, each bounded by one total deadline.

An HTTP client's ``timeout`` is per operation: connect, then each read. A receiver that
answers one byte every few seconds never trips a per-read timeout, and so holds the caller
(a worker, or at tier0 the request itself) for as long as it likes. Here the whole call —
name lookup, connect, sending, the status line, headers and body — runs under one
``asyncio.timeout``, which cancels whatever read is in flight when the deadline passes.
Redirects are not followed (a webhook is delivered to the address its owner gave, not
wherever that address points next) and only the first ``MAX_BODY_BYTES`` are read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

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


def _run(call: Coroutine[Any, Any, Answer]) -> Answer:
    """``asyncio.run``, or in a thread of its own where this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(call)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, call).result()


async def _post(url: str, body: bytes, headers: dict[str, str], deadline: float) -> Answer:
    async with (
        asyncio.timeout(deadline),
        httpx.AsyncClient(follow_redirects=False, timeout=deadline) as client,
        client.stream("POST", url, content=body, headers=headers) as response,
    ):
        received = bytearray()
        async for chunk in response.aiter_bytes():
            received += chunk
            if len(received) >= MAX_BODY_BYTES:
                break
        return Answer(response.status_code, bytes(received[:MAX_BODY_BYTES]))
