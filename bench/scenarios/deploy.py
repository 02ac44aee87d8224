"""deploy: continuous load on tier2 while ``make deploy`` restarts both app instances.

The same load (wrk, four connections on the feed, through HAProxy) runs twice on one
stack: once undisturbed, once while the rolling restart takes each instance out, restarts
it and puts it back. Every failed request (a socket error or a non-2xx answer) counts;
the target is none. The p99 latency of both runs is reported side by side.
"""

from __future__ import annotations

import threading
import time

from app.runner.deploy import rolling_restart
from bench import wrk
from bench.report import Report
from bench.stacks import bench_stack

CONNECTIONS = 4


def run(*, seconds: float, quick: bool = False) -> Report:
    duration = max(seconds, 15.0)  # long enough to cover both restarts (~8 s here)
    with bench_stack("tier2", "deploy") as stack:
        url = stack.url()
        steady = wrk.run(url, seconds=duration, connections=CONNECTIONS, threads=1)
        loads: list[wrk.Load] = []
        loader = threading.Thread(
            target=lambda: loads.append(wrk.run(url, seconds=duration, connections=CONNECTIONS, threads=1))
        )
        loader.start()
        time.sleep(2)
        started = time.monotonic()
        rolling_restart(stack, say=lambda line: None)
        rolled_in = time.monotonic() - started
        loader.join()
    during = loads[0]
    runs = {"steady": steady, "during deploy": during}
    rows = [
        [name, load.requests, load.errors + load.non_2xx, f"{load.p50_ms:.1f}", f"{load.p99_ms:.1f}"]
        for name, load in runs.items()
    ]
    return Report(
        scenario="deploy",
        columns=["run", "requests", "failed", "p50 ms", "p99 ms"],
        rows=rows,
        ratio=during.p99_ms / max(steady.p99_ms, 0.001),
        ratio_label="p99 latency: during the rolling deploy / steady (failed requests must be 0)",
        notes=[
            f"wrk -c{CONNECTIONS} on / through HAProxy for {duration:.0f}s each; "
            f"the rolling restart of 2 instances took {rolled_in:.1f}s"
        ],
        figures={
            "failed": during.errors + during.non_2xx,
            "rolled_seconds": rolled_in,
            **{name: load.__dict__ for name, load in runs.items()},
        },
        chart=[(f"{name} p99", load.p99_ms) for name, load in runs.items()],
        chart_unit="ms",
    )
