"""cache: tier2 (no application cache) against tier3 (the shared cache), at steady load.

Each tier's stack, with the demo data and a busy month for the demo team (``ORDERS`` orders
that its dashboard aggregates), is loaded in alternating rounds on three paths: ``/ping`` (the
trivial view, the floor on that stack), the anonymous HTML feed, and the team's dashboard for
its signed-in owner. The headline compares tier3 with tier2 on the dashboard (goal ≥ 20×) and
the feed (≥ 3×), and tier3's cached feed with tier3's ``/ping`` (≥ 0.8×); tier3's hit ratio
comes from the cache's own counters (lookups and misses during the measured rounds).
"""

from __future__ import annotations

import json
import statistics

import httpx

from bench import wrk
from bench.report import Report
from bench.stacks import bench_stack, probe, session_cookie

ROUNDS = 5
MIN_ROUND_SECONDS = 3
ORDERS = 50_000
GOALS = {"dashboard": 20.0, "feed": 3.0, "feed vs ping": 0.8}


def _cookie_lua(cookie: str) -> str:
    return f'wrk.headers["Cookie"] = {json.dumps(cookie)}\n'


def measure(tier: str, *, rounds: int, round_seconds: float, orders: int) -> dict:
    with bench_stack(tier, f"cache-{tier}") as stack:
        team = probe(stack, "team-orders", str(orders))["team"]
        cookie = session_cookie(stack)
        owner = _cookie_lua(cookie)
        page = httpx.get(f"{stack.url()}teams/{team}/dashboard/", headers={"Cookie": cookie}, timeout=60)
        assert page.status_code == 200, f"the owner's dashboard answered {page.status_code}"
        paths = {"ping": ("ping", ""), "feed": ("", ""), "dashboard": (f"teams/{team}/dashboard/", owner)}
        for path, lua in paths.values():  # warm-up: templates compiled, connections open, caches filled
            wrk.run(stack.url() + path, seconds=2, lua=lua)
        cached = tier == "tier3"
        if cached:
            probe(stack, "cache-stats", "reset")
        loads: dict[str, list[wrk.Load]] = {name: [] for name in paths}
        for _ in range(rounds):
            for name, (path, lua) in paths.items():
                loads[name].append(wrk.run(stack.url() + path, seconds=round_seconds, lua=lua))
        stats = probe(stack, "cache-stats") if cached else {}
    return {"loads": loads, "stats": stats, "team": team}


def run(*, seconds: float, quick: bool = False) -> Report:
    rounds = 1 if quick else ROUNDS
    round_seconds = max(MIN_ROUND_SECONDS, seconds / rounds)
    orders = 2_000 if quick else ORDERS
    measured = {
        tier: measure(tier, rounds=rounds, round_seconds=round_seconds, orders=orders) for tier in ("tier2", "tier3")
    }
    rps = {
        tier: {
            name: sum(load.requests for load in loads) / sum(load.seconds for load in loads)
            for name, loads in m["loads"].items()
        }
        for tier, m in measured.items()
    }
    for tier, paths in rps.items():
        for name, value in paths.items():
            if not value:
                raise wrk.NoRequests(f"{tier}: no {name} request completed")
    tier3 = measured["tier3"]["loads"]
    speedup = {name: rps["tier3"][name] / rps["tier2"][name] for name in ("feed", "dashboard")}
    feed_vs_ping = statistics.median(
        feed.rps / ping.rps for feed, ping in zip(tier3["feed"], tier3["ping"], strict=True)
    )
    stats = measured["tier3"]["stats"]
    lookups = int(stats.get("lookups", 0))
    hit_ratio = 1 - int(stats.get("misses", 0)) / lookups if lookups else 0.0
    shares = {
        "dashboard": speedup["dashboard"] / GOALS["dashboard"],
        "feed": speedup["feed"] / GOALS["feed"],
        "feed vs ping": feed_vs_ping / GOALS["feed vs ping"],
    }
    rows = [
        [
            name,
            rps["tier2"][name],
            rps["tier3"][name],
            rps["tier3"][name] / rps["tier2"][name],
            max(load.p99_ms for load in measured["tier2"]["loads"][name]),
            max(load.p99_ms for load in tier3[name]),
            sum(load.errors + load.non_2xx for m in measured.values() for load in m["loads"][name]),
        ]
        for name in ("ping", "feed", "dashboard")
    ]
    notes = [
        f"wrk -c8 -t2, {rounds} alternating rounds of {round_seconds:.0f}s per path; demo data plus "
        f"{orders:,} orders in the demo team's month; the dashboard for its signed-in owner, the feed anonymous",
        f"tier3 ÷ tier2: dashboard {speedup['dashboard']:.1f}× (goal ≥ {GOALS['dashboard']:g}×), "
        f"feed {speedup['feed']:.1f}× (goal ≥ {GOALS['feed']:g}×)",
        f"tier3's cached feed ÷ tier3's /ping: {feed_vs_ping:.2f}× "
        f"(goal ≥ {GOALS['feed vs ping']:g}×, median over rounds)",
        f"tier3 cache during the rounds: {lookups:,} lookups, {int(stats.get('misses', 0)):,} misses, "
        f"{int(stats.get('recomputes', 0)):,} recomputes, {int(stats.get('stale', 0)):,} stale hits: "
        f"hit ratio {hit_ratio:.1%} (goal ≥ 95%)",
    ]
    return Report(
        scenario="cache",
        columns=["path", "tier2 req/s", "tier3 req/s", "tier3 ÷ tier2", "tier2 p99 ms", "tier3 p99 ms", "errors"],
        rows=rows,
        ratio=min(shares.values()),
        ratio_label="worst of dashboard ÷ 20×, feed ÷ 3×, cached feed vs /ping ÷ 0.8 (≥ 1 means every goal met)",
        notes=notes,
        figures={"rps": rps, "speedup": speedup, "feed_vs_ping": feed_vs_ping, "hit_ratio": hit_ratio, "stats": stats},
        chart=[
            (f"{tier} {name}", rps[tier][name]) for tier in ("tier2", "tier3") for name in ("ping", "feed", "dashboard")
        ],
        chart_unit="req/s",
    )
