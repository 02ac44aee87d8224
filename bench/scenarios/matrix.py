"""matrix: every tier under a ladder of Locust loads: where each holds, strains and breaks, and why.

The seed's roadmap says which tier serves how many users; this measures it on one machine. Each
tier is started once as ``make up`` runs it (demo data included; tier3 and tier4 with log-ins
from one address allowed, ``bench/settings/tier*_one_address.py``, since every simulated user
comes from 127.0.0.1), then Locust walks the product's journeys (``bench/loadtest/journeys.py``,
with their think time) at each rung of users in turn: headless, only against 127.0.0.1, counted
from when the rung's last user has started, for a bounded time. Each cell records requests a
second, p95 and p99, the error rate, the busiest PostgreSQL server's client connections and the
oldest job waiting in a queue users wait on (``bench.pressure``), and is judged holds / strains /
breaks by ``bench.verdict``'s stated bounds, naming the figure that set it.

A rung's Locust users are stated as real users by ``make capacity``'s model
(``bench.capacity.model.users_for``): the requests a second the rung made, read back through the
model's active share, peak factor and requests per active user. A column is headed by the users
its Locust users stand for at the rate a simulated user made where the tiers held.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.runner.stack import Stack
from bench.capacity.model import Assumptions, users_for
from bench.chart import HeatCell, HeatMap
from bench.cpu import OTHERS, CpuMeter, stack_sessions
from bench.loadtest.run import Row, commonest_failure, read_stats, run_locust, seeded_users
from bench.pressure import Peaks, PressureSampler
from bench.report import Report
from bench.stacks import bench_stack
from bench.verdict import (
    BREAKS,
    ERRORS_BREAK,
    ERRORS_HOLD,
    HOLDS,
    P95_BREAKS_SECONDS,
    P95_HOLDS_SECONDS,
    QUEUE_AGE_BREAKS_SECONDS,
    QUEUE_AGE_HOLDS_SECONDS,
    STRAINS,
    UNJUDGED_QUEUES,
    judge,
)

TIERS = ("tier0", "tier1", "tier2", "tier3", "tier4")
#: Locust users at each rung: from a load every tier takes to one past what this 2-core machine's
#: tiers hold with the load generator on the same cores, closer together where they give way
#: (a first run of 10/25/50/100/200 saw every tier on PostgreSQL hold 50 and break at 100).
RUNGS = (10, 25, 50, 75, 100, 150)
#: The smoke size: two tiers (SQLite, and PostgreSQL with a broker, so every figure is read), two
#: small rungs. Proves the harness, not the tiers.
QUICK_TIERS = ("tier0", "tier1")
QUICK_RUNGS = (2, 6)
#: A rung is measured at least this long (``--seconds`` when longer): enough requests for a p99.
MIN_RUNG_SECONDS = 15.0
#: Seconds over which a rung's users are started (their log-ins are not counted).
SPAWN_SECONDS = 4.0
#: Between rungs: the previous rung's users have stopped, their last requests are answered.
PAUSE_SECONDS = 2.0
#: tier3 and later limit log-ins per address; a load test's users all share one.
SETTINGS = {
    "tier3": "bench.settings.tier3_one_address",
    "tier4": "bench.settings.tier4_one_address",
}
COLOURS = {HOLDS: "#2f9e44", STRAINS: "#e8890c", BREAKS: "#c92a2a"}
IMAGE = Path(__file__).resolve().parents[2] / "docs" / "img" / "matrix.png"


@dataclass(frozen=True)
class Cell:
    tier: str
    users: int
    requests: int
    requests_per_second: float
    p95_ms: float
    p99_ms: float
    error_rate: float
    #: The busiest PostgreSQL server's client connections at their peak (``None``: SQLite).
    connections: int | None
    #: The oldest job waiting in a judged queue, at its peak (``None``: jobs run inline).
    queue_age_seconds: float | None
    verdict: str
    reason: str
    #: What most failed requests failed with (``503``), empty when none failed.
    commonest_failure: str
    #: Cores the tier's processes used over the rung, and the whole machine (the load generator
    #: and anything else running included): where the machine, not the tier, ran out.
    stack_cores: float
    machine_cores: float
    peaks: dict[str, Any]

    @property
    def real_users(self) -> float:
        """The registered users whose busiest minute makes this cell's requests (``make capacity``'s model)."""
        return users_for(self.requests_per_second, Assumptions())


def run(*, seconds: float, quick: bool = False) -> Report:
    tiers, rungs = (QUICK_TIERS, QUICK_RUNGS) if quick else (TIERS, RUNGS)
    rung_seconds = seconds if quick else max(seconds, MIN_RUNG_SECONDS)
    cells = {tier: _ladder(tier, rungs, rung_seconds, spawn_seconds=1.0 if quick else SPAWN_SECONDS) for tier in tiers}
    per_user, basis = _rate_per_user([cell for row in cells.values() for cell in row])
    report = _report(cells, rungs, per_user, basis, rung_seconds)
    if not quick:
        # The README shows the latest full run; a smoke run's picture belongs in its results only.
        from bench.chart import heat_map

        assert report.heat_map is not None
        IMAGE.parent.mkdir(parents=True, exist_ok=True)
        heat_map(report.heat_map, IMAGE)
    return report


def _ladder(tier: str, rungs: tuple[int, ...], seconds: float, *, spawn_seconds: float) -> list[Cell]:
    """One stack of ``tier``, every rung in turn against it."""
    with bench_stack(tier, f"matrix-{tier}", settings_module=SETTINGS.get(tier)) as stack:
        folder = stack.ctx.var_dir / "locust"
        folder.mkdir(parents=True, exist_ok=True)
        usernames, password = seeded_users(stack, folder)
        cells = []
        for users in rungs:
            print(f"  {tier}: {users} Locust users for {seconds:.0f} s …", flush=True)
            cells.append(_rung(stack, tier, users, seconds, spawn_seconds, folder, usernames, password))
            time.sleep(PAUSE_SECONDS)
        return cells


def _rung(
    stack: Stack,
    tier: str,
    users: int,
    seconds: float,
    spawn_seconds: float,
    folder: Path,
    usernames: Path,
    password: str,
) -> Cell:
    prefix = folder / f"rung-{users}"
    sampler = PressureSampler(stack)
    meter = CpuMeter(stack_sessions(stack.ctx.run_dir))
    sampler.start()
    meter.start()
    try:
        run_locust(
            stack,
            users,
            users / spawn_seconds,
            f"{spawn_seconds + seconds:.0f}s",
            prefix,
            usernames,
            password,
            reset_stats=True,
            output=folder / "locust.log",
        )
    finally:
        cores = meter.stop()
        sampler.stop()
    total = _aggregated(read_stats(prefix))
    failure = commonest_failure(prefix)
    peaks = sampler.peaks
    queue_age = _judged_queue_age(peaks)
    judged = judge(
        requests=total.requests,
        p95_seconds=total.p95_ms / 1000,
        error_rate=total.error_rate,
        queue_age_seconds=queue_age,
    )
    return Cell(
        tier=tier,
        users=users,
        requests=total.requests,
        requests_per_second=total.requests_per_second,
        p95_ms=total.p95_ms,
        p99_ms=total.p99_ms,
        error_rate=total.error_rate,
        connections=peaks.busiest_server,
        queue_age_seconds=queue_age,
        verdict=judged.verdict,
        reason=_with_failure(judged.reason, failure),
        commonest_failure=failure,
        stack_cores=sum(used for part, used in cores.items() if part != OTHERS),
        machine_cores=sum(cores.values()),
        peaks={**asdict(peaks), "errors": peaks.errors[:3]},
    )


def _with_failure(reason: str, failure: str) -> str:
    """The reason, with what the requests failed with where errors are part of it: "errors 7% (503)"."""
    if not failure or "errors" not in reason:
        return reason
    return ", ".join(f"{part} ({failure})" if part.startswith("errors") else part for part in reason.split(", "))


def _aggregated(rows: list[Row]) -> Row:
    for row in rows:
        if row.name == "Aggregated":
            return row
    raise RuntimeError("Locust's statistics have no Aggregated row")


def _judged_queue_age(peaks: Peaks) -> float | None:
    if peaks.queue_age is None:
        return None
    return max((age for queue, age in peaks.queue_age.items() if queue not in UNJUDGED_QUEUES), default=0.0)


def _rate_per_user(cells: list[Cell]) -> tuple[float, str]:
    """Requests a second one simulated user makes while the server keeps up (its think time's
    pace), and where that was measured.

    The median over the cells that held (elsewhere the server, not the user, sets the pace); over
    every cell when none held, which understates it.
    """
    held = [cell for cell in cells if cell.verdict == HOLDS]
    basis = "where the tiers held" if held else "over every rung (none held)"
    return statistics.median(cell.requests_per_second / cell.users for cell in held or cells), basis


def _served_users(cells: list[Cell]) -> float:
    """The most real users a tier's ladder served before it broke (holding or straining; 0 when it
    broke at every rung): where its edge is."""
    return max((cell.real_users for cell in cells if cell.verdict != BREAKS), default=0.0)


def _report(
    cells: dict[str, list[Cell]], rungs: tuple[int, ...], per_user: float, basis: str, seconds: float
) -> Report:
    tiers = list(cells)
    first, last = _served_users(cells[tiers[0]]), _served_users(cells[tiers[-1]])
    assumptions = Assumptions()
    headings = [
        [f"{users} Locust users", f"~{_people(users_for(users * per_user, assumptions))} real users"] for users in rungs
    ]
    rows = [
        [
            cell.tier,
            cell.users,
            _people(cell.real_users),
            round(cell.requests_per_second, 1),
            round(cell.p95_ms),
            round(cell.p99_ms),
            f"{cell.error_rate:.1%}",
            "n/a" if cell.connections is None else cell.connections,
            "n/a" if cell.queue_age_seconds is None else f"{cell.queue_age_seconds:.0f}",
            f"{cell.stack_cores:.1f} / {cell.machine_cores:.1f}",
            cell.verdict,
            cell.reason or "-",
        ]
        for row in cells.values()
        for cell in row
    ]
    # ASCII only: the heat map's font has no glyphs for the usual symbols.
    method = (
        f"each rung measured for {seconds:.0f} s once its users had started; a simulated user made "
        f"{per_user:.2f} req/s {basis}; real users = req/s / ({assumptions.active_share:g} active "
        f"x {assumptions.peak_factor:g} peak x {assumptions.requests_per_minute:g} req/min / 60), make capacity's model"
    )
    bounds = (
        f"holds: p95 <= {P95_HOLDS_SECONDS * 1000:.0f} ms, errors <= {ERRORS_HOLD:.0%}, queue age <= "
        f"{QUEUE_AGE_HOLDS_SECONDS:.0f} s; breaks: p95 > {P95_BREAKS_SECONDS:.0f} s, errors > {ERRORS_BREAK:.0%}, "
        f"queue age > {QUEUE_AGE_BREAKS_SECONDS:.0f} s; strains between"
    )
    grid = HeatMap(
        title=f"Milestone matrix: each tier under a ladder of Locust loads ({os.cpu_count()} cores, one machine)",
        rows=tiers,
        columns=headings,
        cells=[[_heat_cell(cell) for cell in row] for row in cells.values()],
        colours=COLOURS,
        notes=[method, bounds],
    )
    return Report(
        scenario="matrix",
        columns=[
            "tier",
            "Locust users",
            "~ real users",
            "req/s",
            "p95 ms",
            "p99 ms",
            "errors",
            "DB conns (peak)",
            "queue age s",
            "cores tier / all",
            "verdict",
            "reason",
        ],
        rows=rows,
        ratio=last / first if first else 0.0,
        ratio_label=f"real users served before breaking: {tiers[-1]} / {tiers[0]} (0: {tiers[0]} broke at once)",
        notes=[
            method,
            bounds,
            "DB conns: the busiest PostgreSQL server's client backends (n/a: SQLite); queue age: the "
            "oldest job waiting in critical, default or media (n/a: jobs run inline); cores: the tier's "
            f"processes, then the whole machine with the load generator ({os.cpu_count()} cores in all)",
        ],
        figures={
            "cells": {
                tier: [{**asdict(cell), "real_users": cell.real_users} for cell in row] for tier, row in cells.items()
            },
            "rungs": list(rungs),
            "rung_seconds": seconds,
            "requests_per_second_per_user": per_user,
            "served_users": {tier: _served_users(row) for tier, row in cells.items()},
        },
        heat_map=grid,
    )


def _heat_cell(cell: Cell) -> HeatCell:
    """The verdict, then the reason at the edge (or, where it holds, the figures it held at)."""
    served = f"{cell.requests_per_second:.0f} req/s, {_people(cell.real_users)} users"
    cores = f"cores {cell.stack_cores:.1f} tier, {cell.machine_cores:.1f} all"
    if cell.verdict == HOLDS:
        return HeatCell(HOLDS, [HOLDS, served, f"p95 {cell.p95_ms:.0f} ms", cores])
    return HeatCell(cell.verdict, [cell.verdict, *_wrap(cell.reason), served, cores][:4])


def _wrap(reason: str) -> list[str]:
    """The reason on one line per figure (a cell is narrow)."""
    return [part.strip() for part in reason.split(",")][:2]


def _people(users: float) -> str:
    """A user count as the roadmap writes it: 850, 12K, 1.2M."""
    if users >= 1_000_000:
        return f"{users / 1_000_000:.1f}M"
    if users >= 10_000:
        return f"{users / 1000:.0f}K"
    if users >= 1000:
        return f"{users / 1000:.1f}K"
    return f"{users:.0f}"
