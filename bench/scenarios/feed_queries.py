"""feed-queries: SQL queries per feed page at page sizes 5, 20 and 50, and feed req/s, tier by tier.

tier0 loads lazily, so its count grows with the page; tier1 loads eagerly and must stay
flat (at most 3). Each tier is also loaded with wrk on its home page with 20,000 posts.
The ratio is tier0's queries at page size 50 over tier1's.
"""

from __future__ import annotations

import subprocess

from bench import wrk
from bench.report import Report
from bench.stacks import bench_stack, probe

SIZES = (5, 20, 50)
TIERS = ("tier0", "tier1")


def run(*, seconds: float, quick: bool = False) -> Report:
    posts = 2_000 if quick else 20_000
    counts: dict[str, dict[int, int]] = {}
    rps: dict[str, float] = {}
    for tier in TIERS:
        with bench_stack(tier, f"feed-queries-{tier}") as stack:
            manage = [stack.ctx.python, str(stack.ctx.base_dir / "manage.py")]
            seed = ["seed", "--users", "2000", "--teams", "50", "--posts", str(posts), "--comments", str(posts * 3)]
            subprocess.run([*manage, *seed, "--orders", "0"], env=stack.ctx.env, check=True, capture_output=True)
            counts[tier] = {int(k): v for k, v in probe(stack, "queries", ",".join(map(str, SIZES))).items()}
            wrk.run(stack.url(), seconds=1)  # warm-up
            load = wrk.run(stack.url(), seconds=max(seconds, 3))
            if not load.ok:
                raise wrk.NoRequests(f"no feed page completed on {tier}")
            rps[tier] = load.ok / load.seconds
    return Report(
        scenario="feed-queries",
        columns=["tier", *[f"page_size={size}" for size in SIZES], "feed req/s"],
        rows=[[tier, *[counts[tier][size] for size in SIZES], rps[tier]] for tier in TIERS],
        ratio=counts["tier0"][SIZES[-1]] / counts["tier1"][SIZES[-1]],
        ratio_label=f"queries at page_size={SIZES[-1]}: tier0 / tier1",
        notes=[
            "queries for one GET /api/v1/feed, counted inside Django (tier0's include its inline page-view job)",
            f"feed req/s: wrk -c8 on / with {posts:,} posts; tier1 / tier0 = {rps['tier1'] / rps['tier0']:.1f}x",
        ],
        figures={"queries": counts, "rps": rps, "posts": posts},
        chart=[(f"{tier}, {size} posts", float(counts[tier][size])) for tier in TIERS for size in SIZES],
        chart_unit="queries",
    )
