"""pooling: 300 concurrent clients against an app holding more connections than PostgreSQL allows.

Both tiers run gunicorn with 4 workers × 40 threads; each thread keeps its own database
connection (CONN_MAX_AGE), so tier1 asks PostgreSQL (max_connections = 100) for up to 160
and some requests fail. tier2's threads connect to PgBouncer, which holds at most 45 server
connections. The number of client connections PostgreSQL sees is sampled during the run.
"""

from __future__ import annotations

import re
import threading
import time

import psycopg

from bench import wrk
from bench.report import Report
from bench.stacks import bench_stack

TIERS = ("tier1", "tier2")
CLIENTS = 300
SIZE = {"WEB_WORKERS": "4", "WEB_THREADS": "40"}


def run(*, seconds: float, quick: bool = False) -> Report:
    results: dict[str, dict] = {}
    for tier in TIERS:
        with bench_stack(tier, f"pooling-{tier}", **SIZE) as stack:
            peak = _Peak(stack.ctx.port("PG_PORT"))
            peak.start()
            try:
                load = wrk.run(stack.url(), seconds=max(seconds, 3), connections=CLIENTS, threads=2, timeout="30s")
            finally:
                peak.stop()
            log = (stack.ctx.log_dir / "web.log").read_text(errors="replace")
            error = next(
                iter(re.findall(r"(FATAL:\s+sorry, too many clients already|too many clients[^\n]*)", log)), ""
            )
        results[tier] = {"load": load, "failed": load.non_2xx + load.errors, "peak": peak.value, "error": error}
    rows = [
        [tier, CLIENTS, r["load"].requests, r["failed"], r["peak"], r["error"] or "-"] for tier, r in results.items()
    ]
    return Report(
        scenario="pooling",
        columns=["tier", "clients", "requests", "failed", "PostgreSQL connections (peak)", "error seen"],
        rows=rows,
        ratio=results["tier1"]["failed"] / max(1, results["tier2"]["failed"]),
        ratio_label="failed requests: tier1 / tier2 (tier2 must fail none)",
        notes=[
            f"wrk -c{CLIENTS} on / for {max(seconds, 3):.0f}s; gunicorn 4 workers × 40 threads; max_connections = 100"
        ],
        figures={t: {**r, "load": r["load"].__dict__} for t, r in results.items()},
        chart=[(f"{tier} failed requests", float(r["failed"])) for tier, r in results.items()],
        chart_unit="requests",
    )


class _Peak:
    """Samples PostgreSQL's count of client connections every 200 ms, keeping the highest."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.value = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        # Open before the load: once the server is full, a new connection is refused too.
        with psycopg.connect(dsn, autocommit=True) as connection:
            while not self._stop.is_set():
                (count,) = connection.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                ).fetchone()
                self.value = max(self.value, count - 1)  # not counting this sampler
                time.sleep(0.2)
