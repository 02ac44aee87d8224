"""Where the machine's CPU went during a load: per part of a running stack, from /proc.

The runner starts each daemon in its own session, so every process of a service (gunicorn's
workers, PostgreSQL's backends) shares its leader's session id, which the pidfiles under
``var/…/run`` name. The load generator (wrk) is counted apart: it shares the machine too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from app.runner.stack import Stack

T = TypeVar("T")

#: Pidfile name (its prefix before a dash and number) → the part of the stack it is.
PARTS = {
    "web": "app instances",
    "loadbalancer": "load balancer",
    "postgres": "database",
    "replica": "database",
    "pgbouncer": "database",
    "pgbouncer-replica": "database",
    "redis": "redis",
    "cache-redis": "redis",
}
TICKS = os.sysconf("SC_CLK_TCK")


def _part(stem: str) -> str:
    base = stem.rsplit("-", 1)[0] if stem.rsplit("-", 1)[-1].isdigit() else stem
    return PARTS.get(stem, PARTS.get(base, "other services"))


def _ticks(sessions: dict[int, str]) -> dict[str, int]:
    used: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        session, utime, stime = int(fields[3]), int(fields[11]), int(fields[12])
        part = "load generator (wrk)" if comm == "wrk" else sessions.get(session)
        if part:
            used[part] = used.get(part, 0) + utime + stime
    return used


def cores_used(stack: Stack, load: Callable[[], T]) -> tuple[T, dict[str, float]]:
    """Run ``load`` and return its result with the cores each part of ``stack`` used meanwhile."""
    sessions: dict[int, str] = {}
    for pidfile in stack.ctx.run_dir.glob("*.pid"):
        try:
            sessions[int(pidfile.read_text().strip())] = _part(pidfile.stem)
        except ValueError:
            continue
    before, started = _ticks(sessions), time.monotonic()
    result = load()
    after, elapsed = _ticks(sessions), time.monotonic() - started
    cores = {part: (after.get(part, 0) - before.get(part, 0)) / TICKS / elapsed for part in after}
    return result, dict(sorted(cores.items(), key=lambda item: -item[1]))
