"""seed: how fast ``manage.py seed`` loads PostgreSQL, with its foreign-key checks and without.

The seeder streams generated rows into ``COPY`` (no model objects); what remained was
PostgreSQL checking every row's foreign keys, deferred to the commit. ``load_mode`` skips
those checks for the seed's transaction (the seeder reserves its ids and so guarantees the
references; the tests verify them). Both are loaded into one tier1 PostgreSQL in one run,
alternating, the same shop shape at the same size.
"""

from __future__ import annotations

from bench.report import Report
from bench.stacks import bench_stack, probe

GOAL_ROWS_PER_SECOND = 100_000


def run(*, seconds: float, quick: bool = False) -> Report:
    orders = 20_000 if quick else 200_000
    rates: dict[str, list[dict]] = {"checked": [], "load mode": []}
    with bench_stack("tier1", "seed", only={"postgres", "migrate"}) as stack:
        for _ in range(1 if quick else 2):
            for mode in rates:
                rates[mode].append(probe(stack, "seed-rate", str(orders), mode.replace(" ", "-")))
    best = {mode: max(r["rows_per_second"] for r in runs) for mode, runs in rates.items()}
    rows = rates["load mode"][0]["rows"]
    return Report(
        scenario="seed",
        columns=["tier1 PostgreSQL", "rows", "rows/s (best run)"],
        rows=[[mode, rows, rate] for mode, rate in best.items()],
        ratio=best["load mode"] / best["checked"],
        ratio_label="rows/s without ÷ with the foreign-key checks while loading",
        notes=[
            f"a shop of {orders:,} orders with their items, users, posts and comments in proportion; "
            f"{len(rates['checked'])} alternating run(s) each",
            f"goal ≥ {GOAL_ROWS_PER_SECOND:,} rows/s: "
            + ("met" if best["load mode"] >= GOAL_ROWS_PER_SECOND else f"MISSED ({best['load mode']:,.0f})"),
        ],
        figures={"runs": rates, "best": best},
        chart=[(mode, rate) for mode, rate in best.items()],
        chart_unit="rows/s",
    )
