"""index: the same PostgreSQL and the same million orders, without and then with tier1's indexes.

The tier1 database is seeded once; ``migrate indexes zero`` removes the milestone's
indexes, ``migrate indexes`` builds them again (concurrently). Both queries are timed
by ``EXPLAIN ANALYZE`` for the same users either way, and the plan's scan node shows why.
"""

from __future__ import annotations

import subprocess

from bench.report import Report
from bench.stacks import bench_stack, probe

QUERY = "WHERE user_id = ?"


def run(*, seconds: float, quick: bool = False) -> Report:
    orders = 20_000 if quick else 1_000_000
    users = 2_000 if quick else 20_000
    timings = {}
    with bench_stack("tier1", "index", only={"postgres", "migrate"}) as stack:
        manage = [stack.ctx.python, str(stack.ctx.base_dir / "manage.py")]
        env = stack.ctx.env
        seed = ["seed", "--users", str(users), "--teams", "200", "--posts", "0", "--comments", "0"]
        subprocess.run([*manage, *seed, "--products", "2000", "--orders", str(orders)], env=env, check=True)
        subprocess.run([*manage, "migrate", "indexes", "zero", "-v0"], env=env, check=True)
        timings["without"] = probe(stack, "index-timings", "20")
        subprocess.run([*manage, "migrate", "indexes", "-v0"], env=env, check=True)
        timings["with"] = probe(stack, "index-timings", "20")
    rows = []
    for label in timings["with"]:
        before, after = timings["without"][label], timings["with"][label]
        rows.append(
            [
                label,
                before["median_ms"],
                after["median_ms"],
                before["median_ms"] / after["median_ms"],
                " / ".join(before["nodes"]),
                " / ".join(after["nodes"]),
            ]
        )
    ratio = timings["without"][QUERY]["median_ms"] / timings["with"][QUERY]["median_ms"]
    return Report(
        scenario="index",
        columns=["query on shop_order", "no index ms", "tier1 ms", "speed-up", "plan without", "plan with"],
        rows=rows,
        ratio=ratio,
        ratio_label=f"{QUERY}: median ms without the tier1 indexes / with them",
        notes=[f"{orders:,} orders, {users:,} users, one PostgreSQL; medians of EXPLAIN ANALYZE over 20 users"],
        figures=timings,
        chart=[(f"{label[:20]} without", r[1]) for label, r in zip(timings["with"], rows, strict=True)]
        + [(f"{label[:20]} with", r[2]) for label, r in zip(timings["with"], rows, strict=True)],
        chart_unit="ms",
    )
