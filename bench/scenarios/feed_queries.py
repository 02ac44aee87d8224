"""feed-queries: SQL queries per feed page at page sizes 5, 20 and 50.

tier0 loads lazily, so its count grows with the page; a tier with eager loading
must stay flat. The ratio is the count at 50 over the count at 5.
"""

from __future__ import annotations

from bench.report import Report
from bench.stacks import bench_stack, probe

SIZES = (5, 20, 50)


def run(*, seconds: float) -> Report:
    with bench_stack("tier0", "feed-queries") as stack:
        counts = {int(k): v for k, v in probe(stack, "queries", ",".join(map(str, SIZES))).items()}
    return Report(
        scenario="feed-queries",
        columns=["tier", *[f"page_size={size}" for size in SIZES]],
        rows=[["tier0 (lazy)", *[counts[size] for size in SIZES]]],
        ratio=counts[SIZES[-1]] / counts[SIZES[0]],
        ratio_label=f"tier0 queries at page_size={SIZES[-1]} / at page_size={SIZES[0]}",
        notes=["queries for one GET /api/v1/feed, counted inside Django, including the inline page-view job"],
        figures={"tier0": counts},
        chart=[(f"tier0, {size} posts", float(counts[size])) for size in SIZES],
        chart_unit="queries",
    )
