"""Where the machine's CPU went during a load: per part of a running stack, from /proc.

The runner starts each daemon in its own session, so every process of a service (gunicorn's
workers) shares its leader's session id, which the pidfiles under ``var/…/run`` name;
PostgreSQL's backends start sessions of their own, and are counted by their parent, the
postmaster. The load generator (wrk) is counted apart: it shares the machine too.
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


def _ticks(sessions: dict[int, str], processes: dict[int, str] | None = None) -> dict[str, int]:
    used: dict[str, int] = {}
    processes = processes or {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        parent, session, utime, stime = int(fields[1]), int(fields[3]), int(fields[11]), int(fields[12])
        # PostgreSQL's backends each start a session of their own (setsid): counted by their parent.
        part = processes.get(int(entry.name)) or (
            "load generator (wrk)" if comm == "wrk" else sessions.get(session) or sessions.get(parent)
        )
        if part:
            used[part] = used.get(part, 0) + utime + stime
    return used


def stack_sessions(run_dir: Path, part: Callable[[str], str] = _part) -> dict[int, str]:
    """Each daemon's session id → the part of the stack it is (``part`` names it from its pidfile's name)."""
    sessions: dict[int, str] = {}
    for pidfile in run_dir.glob("*.pid"):
        try:
            sessions[int(pidfile.read_text().strip())] = part(pidfile.stem)
        except ValueError:
            continue
    return sessions


class CpuMeter:
    """The cores each part used between ``start()`` and ``stop()``, from ``sessions``
    (``stack_sessions``) and ``processes`` (pid → part: a load generator running as a process
    of our own, threads included)."""

    def __init__(self, sessions: dict[int, str], processes: dict[int, str] | None = None) -> None:
        self.sessions, self.processes = sessions, processes or {}

    def start(self) -> None:
        self._machine = _machine_ticks()
        self._before, self._started = _ticks(self.sessions, self.processes), time.monotonic()

    def stop(self) -> dict[str, float]:
        after, elapsed = _ticks(self.sessions, self.processes), time.monotonic() - self._started
        cores = {part: (after.get(part, 0) - self._before.get(part, 0)) / TICKS / elapsed for part in after}
        #: Everything else the machine ran meanwhile (other people's work shares the cores too).
        machine = (_machine_ticks() - self._machine) / TICKS / elapsed
        cores[OTHERS] = max(0.0, machine - sum(cores.values()))
        return dict(sorted(cores.items(), key=lambda item: -item[1]))


#: ``CpuMeter``'s name for the cores that no part of the stack used.
OTHERS = "the rest of the machine"


def _machine_ticks() -> int:
    """Busy ticks of every core since boot (``/proc/stat``: all but idle and iowait)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return user + nice + system + irq + softirq + steal


def cores_used(stack: Stack, load: Callable[[], T]) -> tuple[T, dict[str, float]]:
    """Run ``load`` and return its result with the cores each part of ``stack`` used meanwhile."""
    meter = CpuMeter(stack_sessions(stack.ctx.run_dir))
    meter.start()
    result = load()
    return result, meter.stop()
