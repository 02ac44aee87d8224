"""floor: the framework's ceiling (a view returning "ok") vs the tier0 feed page, same gunicorn.

Both paths are loaded in alternating rounds on one running stack, so drift on the
machine hits both alike. The ratio is how close the real page gets to the ceiling.
"""

from __future__ import annotations

from bench import wrk
from bench.report import Report
from bench.stacks import bench_stack

ROUNDS = 2
#: A feed request takes ~100 ms at tier0; shorter rounds would end before requests do.
MIN_ROUND_SECONDS = 3


def run(*, seconds: float, quick: bool = False) -> Report:
    round_seconds = max(MIN_ROUND_SECONDS, seconds / ROUNDS)
    results: dict[str, list[wrk.Load]] = {"ping": [], "feed": []}
    with bench_stack("tier0", "floor") as stack:
        wrk.run(stack.url(), seconds=1)  # warm-up: templates compiled, connections open
        for _ in range(ROUNDS):
            results["ping"].append(wrk.run(stack.url() + "ping", seconds=round_seconds))
            results["feed"].append(wrk.run(stack.url(), seconds=round_seconds))
    rows, rps = [], {}
    for name, path in (("ping", "/ping (trivial view)"), ("feed", "/ (feed page, 20 posts)")):
        loads = results[name]
        requests = sum(load.requests for load in loads)
        if not requests:
            raise wrk.NoRequests(f"no {path} request completed in {ROUNDS} rounds of {round_seconds:.0f}s")
        rps[name] = requests / sum(load.seconds for load in loads)
        rows.append(
            [
                path,
                rps[name],
                max(load.p50_ms for load in loads),
                max(load.p99_ms for load in loads),
                sum(load.errors + load.non_2xx for load in loads),
            ]
        )
    return Report(
        scenario="floor",
        columns=["tier0, 1 gunicorn process × 4 threads", "req/s", "p50 ms", "p99 ms", "errors"],
        rows=rows,
        ratio=rps["feed"] / rps["ping"],
        ratio_label="feed req/s / trivial view req/s",
        notes=[f"wrk -c8 -t2, {ROUNDS} alternating rounds of {round_seconds:.0f}s per path"],
        figures={"rps": rps},
        chart=[("trivial view", rps["ping"]), ("feed page", rps["feed"])],
        chart_unit="req/s",
    )
