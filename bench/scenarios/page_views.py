"""page-views: what counting a view costs the request, and how views reach PostgreSQL (tier1).

First, in-process on a tier1 stack, the two ways of recording a view timed side by side in
alternating blocks: one background job per view (``JobRecorder``: a Celery publish after an
outbox-less commit hook, what tier1 did before), one Redis push per view in the request, and
the Redis buffer as tier1 runs it (``BufferedRecorder``: queued in the process, pushed in
batches by its sender thread).
Then the API feed under load with the scheduler and a worker flushing as in production:
every view must arrive once, and each INSERT into ``analytics_pageview`` must carry many of
them (``pg_stat_statements``: rows over calls).
"""

from __future__ import annotations

import time

import psycopg

from app.runner.stack import Stack
from app.runner.units.postgres import Postgres
from bench import wrk
from bench.report import Report
from bench.sql import one
from bench.stacks import bench_stack, probe

#: Rows per INSERT the issue asks for at steady load, and the request's budget for a view.
ROWS_PER_INSERT_GOAL = 100
COST_GOAL_MS = 0.3
INSERTS = """
SELECT coalesce(sum(calls), 0), coalesce(sum(rows), 0)
FROM pg_stat_statements WHERE query ~ '^INSERT INTO "analytics_pageview"'
"""


def run(*, seconds: float, quick: bool = False) -> Report:
    calls = 500 if quick else 5000
    with bench_stack("tier1", "page-views") as stack:
        cost = probe(stack, "page-view-cost", str(calls))
        dsn = stack.unit(Postgres).dsn(stack.ctx, "milestones")
        _drain(stack)
        before = probe(stack, "page-views")["stored"]
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("SELECT pg_stat_statements_reset()")
        load = wrk.run(stack.url() + "api/v1/feed?page_size=20", seconds=seconds)
        after = _drain(stack)
        with psycopg.connect(dsn, autocommit=True) as connection:
            statements, rows = (int(v) for v in one(connection.execute(INSERTS)))
    if not load.ok:
        raise wrk.NoRequests("no feed request completed")
    views = after["stored"] - before
    # Requests wrk did not count but the app may have served: the ≤ 8 in flight when it stops, and
    # any whose answer it lost (a read error or a timeout after the view was recorded).
    uncounted = 8 + load.errors
    job, pushed, buffered = cost["one job per view"], cost["one Redis push per view"], cost["Redis buffer"]
    per_insert = rows / statements if statements else 0.0
    return Report(
        scenario="page-views",
        columns=["tier1", "median ms", "p99 ms"],
        rows=[
            ["a view recorded as one job", job["median_ms"], job["p99_ms"]],
            ["a view pushed to Redis in the request", pushed["median_ms"], pushed["p99_ms"]],
            ["a view queued for the Redis buffer (tier1)", buffered["median_ms"], buffered["p99_ms"]],
        ],
        ratio=job["median_ms"] / buffered["median_ms"],
        ratio_label="one job per view / Redis buffer, the request's cost of one view (median)",
        notes=[
            f"{calls} views per recorder, alternating blocks of 100; budget {COST_GOAL_MS} ms: "
            + ("met" if buffered["median_ms"] <= COST_GOAL_MS else "MISSED"),
            f"under load (wrk -c8 -t2, {seconds:.0f}s on /api/v1/feed): {load.ok:,} pages served, "
            f"{views:,} views stored (each once: {'yes' if load.ok <= views <= load.ok + uncounted else 'NO'}; "
            f"wrk does not count the ≤ 8 requests in flight when it stops, nor the {load.errors} it lost to errors)",
            f"{statements} INSERTs into analytics_pageview carried {rows:,} rows: {per_insert:,.0f} per INSERT "
            f"(goal ≥ {ROWS_PER_INSERT_GOAL}: {'met' if per_insert >= ROWS_PER_INSERT_GOAL else 'MISSED'})",
        ],
        figures={
            "cost": cost,
            "served": load.ok,
            "uncounted": uncounted,
            "stored": views,
            "inserts": statements,
            "rows": rows,
        },
        chart=[
            ("one job per view", job["median_ms"]),
            ("one Redis push per view", pushed["median_ms"]),
            ("Redis buffer", buffered["median_ms"]),
        ],
        chart_unit="ms per view (median)",
    )


def _drain(stack: Stack, timeout: float = 60) -> dict[str, int]:
    """Wait until every view recorded so far is stored: the buffer empty (the scheduler's flushes)
    and the count steady over two probes a second apart, since the cost probe's "one job per
    view" views arrive through the workers' queue, not the buffer, and may still be running."""
    deadline = time.monotonic() + timeout
    seen: list[int] = []
    while True:
        state = probe(stack, "page-views")
        seen.append(state["stored"])
        steady = len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3]
        if (not state["pending"] and steady) or time.monotonic() > deadline:
            return state
        time.sleep(1)
