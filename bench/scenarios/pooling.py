"""pooling: 300 concurrent clients against an app holding more connections than PostgreSQL allows.

Both tiers run gunicorn with 6 workers × 40 threads per instance; each thread keeps its own
database connection (CONN_MAX_AGE), so tier1 asks PostgreSQL (max_connections = 100) for up
to 240 and some requests fail. (With 4 × 40, gunicorn's workers accept connections unevenly
and tier1 sometimes peaked just under 100.) tier2's threads connect to PgBouncer, which holds at most 45 server
connections (and as many to the replica, through its own PgBouncer). The number of client
connections the PostgreSQL servers see is sampled during the run.
"""

from __future__ import annotations

import re
import time

import psycopg

from app.runner.units.postgres import Postgres
from bench import wrk
from bench.report import Report
from bench.sampler import Sampler
from bench.sql import one
from bench.stacks import bench_stack

TIERS = ("tier1", "tier2")
CLIENTS = 300
WORKERS, THREADS = "6", "40"


def run(*, seconds: float, quick: bool = False) -> Report:
    results: dict[str, dict] = {}
    for tier in TIERS:
        with bench_stack(tier, f"pooling-{tier}", WEB_WORKERS=WORKERS, WEB_THREADS=THREADS) as stack:
            # Every PostgreSQL server of the tier: the primary, and from tier2 the replica too.
            peak = _Peak([s.dsn(stack.ctx, "postgres") for s in stack.services if isinstance(s, Postgres)])
            peak.start()
            try:
                load = wrk.run(stack.url(), seconds=max(seconds, 3), connections=CLIENTS, threads=2, timeout="30s")
            finally:
                peak.stop()
            log = "".join(path.read_text(errors="replace") for path in stack.ctx.log_dir.glob("web*.log"))
            error = next(
                iter(re.findall(r"(FATAL:\s+sorry, too many clients already|too many clients[^\n]*)", log)), ""
            )
        results[tier] = {"load": load, "failed": load.non_2xx + load.errors, "peak": peak.value, "error": error}
    rows = [
        [tier, CLIENTS, r["load"].requests, r["failed"], r["peak"], r["error"] or "-"] for tier, r in results.items()
    ]
    return Report(
        scenario="pooling",
        columns=[
            "tier",
            "clients",
            "requests",
            "failed",
            "PostgreSQL connections (peak, busiest server)",
            "error seen",
        ],
        rows=rows,
        ratio=results["tier1"]["failed"] / max(1, results["tier2"]["failed"]),
        ratio_label="failed requests: tier1 / tier2 (tier2 must fail none)",
        notes=[
            f"wrk -c{CLIENTS} on / for {max(seconds, 3):.0f}s; gunicorn {WORKERS} workers × "
            f"{THREADS} threads per instance; max_connections = 100"
        ],
        figures={t: {**r, "load": r["load"].__dict__} for t, r in results.items()},
        chart=[(f"{tier} failed requests", float(r["failed"])) for tier, r in results.items()],
        chart_unit="requests",
    )


class _Peak(Sampler):
    """Samples the client connections of each PostgreSQL server (tier2: primary and replica) every
    200 ms, keeping each server's highest; ``value`` is the busiest server's."""

    def __init__(self, dsns: list[str]) -> None:
        self.dsns = dsns
        self.peaks = dict.fromkeys(dsns, 0)
        super().__init__()

    @property
    def value(self) -> int:
        return max(self.peaks.values())

    def sample(self) -> None:
        # Open before the load: once a server is full, a new connection is refused too.
        connections = [psycopg.connect(dsn, autocommit=True) for dsn in self.dsns]
        try:
            while not self.stopping:
                for dsn, connection in zip(self.dsns, connections, strict=True):
                    (count,) = one(
                        connection.execute(
                            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                        )
                    )
                    self.peaks[dsn] = max(self.peaks[dsn], count - 1)  # not counting this sampler
                time.sleep(0.2)
        finally:
            for connection in connections:
                connection.close()
