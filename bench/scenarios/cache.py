"""cache: tier2 (no application cache) against tier3 (the shared cache), at steady load.

Both tiers' stacks run at once, each with the demo data and a busy month for the demo team
(``ORDERS`` orders that its dashboard aggregates); each round loads one tier, then the other, on
three paths: ``/ping`` (the trivial view, the floor on that stack), the anonymous HTML feed, and
the team's dashboard for its signed-in owner. The headline compares tier3 with tier2 on the
dashboard (goal ≥ 20×) and the feed (≥ 3×), and tier3's cached feed with tier3's ``/ping``
(≥ 0.8×); tier3's hit ratio comes from the cache's own counters (lookups and misses during the
measured rounds).
"""

from __future__ import annotations

import json
import statistics
import time
from contextlib import ExitStack

import httpx

from app.runner.stack import Stack
from bench import wrk
from bench.report import Report
from bench.stacks import bench_stack, probe, session_cookie

ROUNDS = 5
MIN_ROUND_SECONDS = 3
ORDERS = 50_000
GOALS = {"dashboard": 20.0, "feed": 3.0, "feed vs ping": 0.8}
TIERS = ("tier2", "tier3")
#: A pause before each load, so the one before has finished (a tier2 dashboard request can take
#: a second) and the page views it left have been flushed, instead of landing in the next load.
SETTLE_SECONDS = 2.5


def _cookie_lua(cookie: str) -> str:
    return f'wrk.headers["Cookie"] = {json.dumps(cookie)}\n'


def _prepared(stack: Stack, *, orders: int) -> dict[str, tuple[str, str]]:
    """The stack's busy month loaded, its owner signed in, and every path warmed up: the paths."""
    team = probe(stack, "team-orders", str(orders))["team"]
    cookie = session_cookie(stack)
    page = httpx.get(f"{stack.url()}teams/{team}/dashboard/", headers={"Cookie": cookie}, timeout=60)
    assert page.status_code == 200, f"the owner's dashboard answered {page.status_code}"
    paths = {"ping": ("ping", ""), "feed": ("", ""), "dashboard": (f"teams/{team}/dashboard/", _cookie_lua(cookie))}
    for path, lua in paths.values():  # warm-up: templates compiled, connections open, caches filled
        wrk.run(stack.url() + path, seconds=2, lua=lua)
    return paths


def measure(*, rounds: int, round_seconds: float, orders: int, settle: float) -> dict[str, dict]:
    """Both tiers' stacks up at once, measured in turn within each round, so that whatever else
    this shared machine does at the time weighs on both alike."""
    with ExitStack() as running:
        stacks = {tier: running.enter_context(bench_stack(tier, f"cache-{tier}")) for tier in TIERS}
        paths = {tier: _prepared(stack, orders=orders) for tier, stack in stacks.items()}
        probe(stacks["tier3"], "cache-stats", "reset")
        loads: dict[str, dict[str, list[wrk.Load]]] = {tier: {name: [] for name in paths[tier]} for tier in TIERS}
        for _ in range(rounds):
            for tier, stack in stacks.items():
                for name, (path, lua) in paths[tier].items():
                    time.sleep(settle)
                    loads[tier][name].append(wrk.run(stack.url() + path, seconds=round_seconds, lua=lua))
        stats = probe(stacks["tier3"], "cache-stats")
    return {tier: {"loads": loads[tier], "stats": stats if tier == "tier3" else {}} for tier in TIERS}


def run(*, seconds: float, quick: bool = False) -> Report:
    rounds = 1 if quick else ROUNDS
    round_seconds = max(MIN_ROUND_SECONDS, seconds / rounds)
    orders = 2_000 if quick else ORDERS
    settle = 0.0 if quick else SETTLE_SECONDS
    measured = measure(rounds=rounds, round_seconds=round_seconds, orders=orders, settle=settle)
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
        f"wrk -c8 -t2; both stacks up at once, {rounds} rounds of {round_seconds:.0f}s per tier and path in turn, "
        f"{settle:g}s apart; demo data plus {orders:,} orders in the demo team's month; "
        "the dashboard for its signed-in owner, the feed anonymous",
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
