"""stampede: a hot entry of the application cache expiring under 200 concurrent clients.

On tier3's stack the anonymous feed is cached and fresh for ``FRESH`` seconds. Two moments are
provoked, each followed by a burst of 200 concurrent clients (wrk -c200) shorter than ``FRESH``,
so each burst meets exactly one change of the entry:

* *expired*: the entry went stale (its freshness ran out);
* *invalidated*: a write's topic (``posts``) changed, so the entry must not be shown at all.

The cache's counters say how many times the page was recomputed in each burst: with stampede
protection, exactly once; the same bursts on a stack with the protection off are the baseline.
"""

from __future__ import annotations

import time

from bench import wrk
from bench.report import Report
from bench.stacks import bench_stack, probe

FRESH = 4.0
BURST_SECONDS = 2.0
CLIENTS = 200
VARIANTS = {
    "protected": None,
    "unprotected": "bench.settings.tier3_no_stampede_protection",
}


def bursts(settings_module: str | None, name: str) -> dict[str, dict]:
    found: dict[str, dict] = {}
    with bench_stack(
        "tier3", f"stampede-{name}", settings_module=settings_module, APP_CACHE_FRESH_SECONDS=str(FRESH)
    ) as stack:
        url = stack.url()
        wrk.run(url, seconds=1, connections=4)  # warm: the entry exists and is fresh
        for moment in ("expired", "invalidated"):
            if moment == "expired":
                time.sleep(FRESH + 0.5)  # the entry is stale now
            else:
                wrk.run(url, seconds=1, connections=4)  # fresh again
                probe(stack, "invalidate", "posts")
            probe(stack, "cache-stats", "reset")
            load = wrk.run(url, seconds=BURST_SECONDS, connections=CLIENTS, threads=2, timeout="5s")
            found[moment] = {"load": load, "stats": probe(stack, "cache-stats")}
    return found


def run(*, seconds: float, quick: bool = False) -> Report:
    # The smoke run (``--quick``) proves the protected stack only: one stack instead of two.
    variants = {"protected": VARIANTS["protected"]} if quick else VARIANTS
    measured = {name: bursts(module, name) for name, module in variants.items()}
    rows = []
    for moment in ("expired", "invalidated"):
        for name in variants:
            seen = measured[name][moment]
            load, stats = seen["load"], seen["stats"]
            rows.append(
                [
                    f"{moment}, {name}",
                    load.requests,
                    load.errors + load.non_2xx,
                    int(stats.get("recomputes", 0)),
                    int(stats.get("stale", 0)),
                    int(stats.get("waited", 0)),
                    load.p99_ms,
                ]
            )
    protected = [int(measured["protected"][m]["stats"].get("recomputes", 0)) for m in ("expired", "invalidated")]
    unprotected = [
        int(measured["unprotected"][m]["stats"].get("recomputes", 0))
        for m in ("expired", "invalidated")
        if "unprotected" in measured
    ]
    return Report(
        scenario="stampede",
        columns=["moment, variant", "requests", "errors", "recomputes", "served stale", "waited", "p99 ms"],
        rows=rows,
        ratio=float(max(protected)),
        ratio_label="recomputes per burst with stampede protection, the worse of the two moments (goal: exactly 1)",
        notes=[
            f"tier3, anonymous feed fresh for {FRESH:g}s; each burst: wrk -c{CLIENTS} for {BURST_SECONDS:g}s right "
            "after the entry expired or its topic was invalidated; counts from the cache's own counters",
            f"with protection: {protected[0]} recompute(s) after expiry, {protected[1]} after invalidation; "
            + (f"without: {unprotected[0]} and {unprotected[1]}" if unprotected else "without: not run (--quick)"),
        ],
        figures={"protected": protected, "unprotected": unprotected},
        chart=[(row[0], float(row[3])) for row in rows],
        chart_unit="recomputes",
    )
