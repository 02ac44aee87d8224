"""The request id: one per request, on every log line the request causes, wherever it is written.

The load balancer sets ``X-Request-ID`` on every request it forwards (replacing whatever a client
sent); an instance reached directly makes one. Only the load balancer's is believed
(``app.platform.http.proxies`` drops the header from any other peer), and an id that is not a
short run of letters, digits and ``-._:`` is replaced, so a log line never carries a client's text.

The id lives in structlog's context variables: ``bound`` makes it current for a block (a request,
a job, the relay publishing a row), and every log line written meanwhile, through structlog or
the standard ``logging`` module, carries it (``app.platform.telemetry.json_logs``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
KEY = "request_id"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{8,64}")


def new() -> str:
    return uuid.uuid4().hex


def accept(value: str | None) -> str:
    """``value`` when it is a well-formed id, else a new one."""
    if value and _WELL_FORMED.fullmatch(value):
        return value
    return new()


def current() -> str | None:
    """The id of the request (or job) this code runs for, if any."""
    value = structlog.contextvars.get_contextvars().get(KEY)
    return value if isinstance(value, str) else None


@contextmanager
def bound(request_id: str | None, **more: Any) -> Iterator[None]:
    """Make ``request_id`` (and ``more``) part of every log line written inside the block.

    ``None`` binds nothing for the id: a job enqueued outside any request has none to carry.
    """
    values = {KEY: request_id, **more} if request_id else more
    with structlog.contextvars.bound_contextvars(**values):
        yield
