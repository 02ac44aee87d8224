"""floor: what each tier's real requests cost next to the framework's floor, tier by tier.

For every tier that runs, the same four paths are loaded in alternating rounds on one
running stack: ``/ping`` (a view returning "ok": the framework's floor on that tier's
stack), the products API, the API feed and the HTML feed. Each path's req/s over ``/ping``'s
in the same round, the median over rounds, is comparable across runs and tiers: drift on a
shared machine hits a round's four loads alike, and a noisy round does not decide. Between
loads the stack settles, so the page views one path recorded are flushed before the next
path is measured instead of being charged to it.
tier0 stays slow on purpose (SQLite, lazy loading: its milestone); tier1 and tier2 must
stay near the floor, which ``GOALS`` names.
"""

from __future__ import annotations

import statistics
import time

from bench import wrk
from bench.report import Report
from bench.stacks import bench_stack, probe

ROUNDS = 5
#: A tier0 feed request takes ~100 ms; shorter rounds would end before requests do.
MIN_ROUND_SECONDS = 3
#: Longer than tier1's page-view flush interval (2 s): the flush after a load lands in the pause.
SETTLE_SECONDS = 2.5

PATHS = {
    "ping": "ping",
    "products": "api/v1/products",
    "api feed": "api/v1/feed?page_size=20",
    "html feed": "",
}
#: Each path's req/s over /ping's that tier1 and tier2 must reach (issue: the hot path).
GOALS = {"products": 0.30, "api feed": 0.20, "html feed": 0.15}
MEASURED_TIERS = ("tier0", "tier1", "tier2")


#: The paths profiled on tier1 after the load, and how many requests each profile takes.
PROFILED = ("api feed", "html feed")
PROFILE_REQUESTS = 200


def measure(tier: str, *, rounds: int, round_seconds: float, quick: bool) -> tuple[dict, dict]:
    """Each path's loads on ``tier``'s stack and, on tier1, where a request to each profiled path
    spends its time (pyinstrument, in-process, after the load so it disturbs nothing)."""
    loads: dict[str, list[wrk.Load]] = {name: [] for name in PATHS}
    profiles: dict[str, dict[str, float]] = {}
    with bench_stack(tier, f"floor-{tier}") as stack:
        for path in PATHS.values():  # warm-up: templates compiled, connections open, caches filled
            wrk.run(stack.url() + path, seconds=1)
        for _ in range(rounds):
            for name, path in PATHS.items():
                if not quick:
                    time.sleep(SETTLE_SECONDS)
                loads[name].append(wrk.run(stack.url() + path, seconds=round_seconds))
        if tier == "tier1":
            for name in PROFILED:
                requests = PROFILE_REQUESTS // 10 if quick else PROFILE_REQUESTS
                profiles[name] = probe(stack, "profile", "/" + PATHS[name], str(requests))
    return loads, profiles


def run(*, seconds: float, quick: bool = False) -> Report:
    rounds = 1 if quick else ROUNDS
    round_seconds = max(MIN_ROUND_SECONDS, seconds / rounds)
    rows: list[list[object]] = []
    rps: dict[str, dict[str, float]] = {}
    ratios: dict[str, dict[str, float]] = {}
    profiles: dict[str, dict[str, float]] = {}
    for tier in MEASURED_TIERS:
        loads, tier_profiles = measure(tier, rounds=rounds, round_seconds=round_seconds, quick=quick)
        profiles.update(tier_profiles)
        rps[tier] = {}
        for name, path_loads in loads.items():
            requests = sum(load.requests for load in path_loads)
            if not requests:
                raise wrk.NoRequests(f"{tier}: no /{PATHS[name]} request completed in {rounds} rounds")
            rps[tier][name] = requests / sum(load.seconds for load in path_loads)
        ratios[tier] = {
            name: statistics.median(
                load.requests / load.seconds / (ping.requests / ping.seconds)
                for load, ping in zip(path_loads, loads["ping"], strict=True)
            )
            for name, path_loads in loads.items()
        }
        for name, path_loads in loads.items():
            rows.append(
                [
                    f"{tier} /{PATHS[name]}",
                    rps[tier][name],
                    ratios[tier][name],
                    max(load.p50_ms for load in path_loads),
                    max(load.p99_ms for load in path_loads),
                    sum(load.errors + load.non_2xx for load in path_loads),
                ]
            )
    misses = [
        f"{tier} {name} {ratios[tier][name]:.2f}× < {goal:.2f}×"
        for tier in ("tier1", "tier2")
        for name, goal in GOALS.items()
        if ratios[tier][name] < goal
    ]
    notes = [
        f"wrk -c8 -t2, {rounds} alternating rounds of {round_seconds:.0f}s per path ({SETTLE_SECONDS}s apart), "
        "demo data, uncached; × /ping is the median over rounds of each round's ratio",
        "goals at tier1 and tier2: " + ", ".join(f"{name} ≥ {goal:.2f}× /ping" for name, goal in GOALS.items()),
        "every goal met" if not misses else "missed: " + "; ".join(misses),
    ]
    notes += [
        f"where a tier1 {name} request spends its time (pyinstrument, innermost Python frame): "
        + ", ".join(f"{package} {share:.0%}" for package, share in shares.items())
        for name, shares in profiles.items()
    ]
    worst = min(ratios[tier][name] / goal for tier in ("tier1", "tier2") for name, goal in GOALS.items())
    return Report(
        scenario="floor",
        columns=["tier and path", "req/s", "× /ping", "p50 ms", "p99 ms", "errors"],
        rows=rows,
        ratio=worst,
        ratio_label="worst tier1/tier2 path's share of /ping over its goal (≥ 1 means every goal met)",
        notes=notes,
        figures={"rps": rps, "vs_ping": ratios, "goals": GOALS, "profiles": profiles},
        chart=[(f"{tier} {name}", ratios[tier][name]) for tier in MEASURED_TIERS for name in GOALS],
        chart_unit="× /ping",
    )
