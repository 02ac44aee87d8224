"""The benchmark harness runs end to end (short loads) and writes what it promises.

This proves the harness, not the speed: timings are for `make bench`, never asserted here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import bench_smokes
from tests.bench_smokes import TIER3_SCENARIOS

# The scenarios start the tiers they compare themselves: run once, not once per tier.
pytestmark = [pytest.mark.stack, pytest.mark.tier_independent]


@pytest.fixture(scope="module")
def results() -> Path:
    """The smoke run of every scenario but tier3's: started when the pass collected this module
    (``tests/bench_smokes.py``), or now."""
    return bench_smokes.start(["others"])["others"].result()


@pytest.fixture(scope="module")
def tier3_results() -> Path:
    return bench_smokes.start(["tier3"])["tier3"].result()


@pytest.mark.parametrize(
    "scenario",
    [
        "floor",
        "feed-queries",
        "checkout-latency",
        "index",
        "priorities",
        "pooling",
        "replica",
        "page-views",
        "seed",
        "shards",
    ],
)
def test_each_scenario_writes_json_with_its_ratio_and_a_chart(results: Path, scenario: str):
    data = json.loads((results / f"{scenario}.json").read_text())
    assert data["scenario"] == scenario
    assert data["ratio"] >= 0  # short smoke loads may not provoke a failure; `make bench` runs the real ones
    assert data["rows"]
    assert (results / f"{scenario}.png").read_bytes().startswith(b"\x89PNG")


def test_feed_queries_grow_with_the_page_at_tier0_only(results: Path):
    counts = json.loads((results / "feed-queries.json").read_text())["figures"]["queries"]
    assert int(counts["tier0"]["5"]) < int(counts["tier0"]["20"]) < int(counts["tier0"]["50"])
    assert len(set(counts["tier1"].values())) == 1
    assert max(counts["tier1"].values()) <= 3


def test_the_index_scenario_reads_through_the_index_only_with_it(results: Path):
    figures = json.loads((results / "index.json").read_text())["figures"]
    assert all("using order_user_newest" in node for timing in figures["with"].values() for node in timing["nodes"])
    assert not any("order_user_newest" in node for timing in figures["without"].values() for node in timing["nodes"])


def test_every_order_placed_under_load_got_its_email(results: Path):
    figures = json.loads((results / "checkout-latency.json").read_text())["figures"]
    assert figures["outbox_cost"] > 0  # tier1 with its outbox and without, side by side
    for run in figures["runs"].values():
        assert run["orders"] > 0
        assert run["emails"] == run["orders"]


def test_through_the_pooler_no_request_fails_and_postgresql_stays_small(results: Path):
    figures = json.loads((results / "pooling.json").read_text())["figures"]
    assert figures["tier2"]["failed"] == 0
    assert figures["tier2"]["peak"] <= 50


def test_the_replica_serves_reads_and_nobody_misses_their_own_write(results: Path):
    figures = json.loads((results / "replica.json").read_text())["figures"]
    assert set(figures) == {"window", "lsn"}  # both read-your-writes rules, side by side
    for rule in figures.values():
        assert set(rule) == {"90/10", "95/5"}
        for run in rule.values():
            assert run["queries"]["replica"]["reads"] > 0
            assert run["queries"]["replica"]["writes"] == 0  # a standby cannot write; the router never asks it to
            assert run["writes"] > 0
            assert run["violations"] == 0
            assert run["errors"] == 0


def test_the_floor_covers_every_tier_and_page_views_arrive_once_in_batches(results: Path):
    floor = json.loads((results / "floor.json").read_text())["figures"]
    assert set(floor["vs_ping"]) == {"tier0", "tier1", "tier2"}
    assert all(set(paths) == {"ping", "products", "api feed", "html feed"} for paths in floor["vs_ping"].values())
    assert set(floor["profiles"]) == {"api feed", "html feed"}
    assert all(shares and 0 < sum(shares.values()) <= 1.001 for shares in floor["profiles"].values())
    views = json.loads((results / "page-views.json").read_text())["figures"]
    # Every page's view, once: wrk does not count the (at most 8) requests in flight when it stops,
    # nor those whose answer it lost to an error.
    assert views["served"] > 0
    assert views["served"] <= views["stored"] <= views["served"] + views["uncounted"]
    assert views["inserts"] >= 1
    assert views["rows"] >= views["stored"]


def test_one_shard_takes_every_write_and_two_share_them(results: Path):
    figures = json.loads((results / "shards.json").read_text())["figures"]
    one, two = figures["totals"]["1 shard"], figures["totals"]["2 shards"]
    for arm in (one, two):
        assert arm["writes"] > 0
        assert set(arm["kinds"]) == {"post", "comment", "order"}
    # Counted by the clusters themselves: transactions that wrote, and WAL.
    assert one["transactions"]["shard1"] >= one["writes"]
    assert one["transactions"]["shard2"] <= 0.02 * one["transactions"]["shard1"]  # autovacuum's, at most
    assert all(count > 0 for count in two["transactions"].values())
    assert sum(two["transactions"].values()) >= two["writes"]


@pytest.mark.parametrize("scenario", TIER3_SCENARIOS)
def test_each_tier3_scenario_writes_json_with_its_ratio_and_a_chart(tier3_results: Path, scenario: str):
    data = json.loads((tier3_results / f"{scenario}.json").read_text())
    assert data["scenario"] == scenario
    assert data["ratio"] >= 0
    assert data["rows"]
    assert (tier3_results / f"{scenario}.png").read_bytes().startswith(b"\x89PNG")


def test_the_cache_is_hit_and_a_stampede_costs_one_recompute(tier3_results: Path):
    cache = json.loads((tier3_results / "cache.json").read_text())["figures"]
    assert cache["hit_ratio"] >= 0.95
    assert set(cache["rps"]) == {"tier2", "tier3"}
    stampede = json.loads((tier3_results / "stampede.json").read_text())["figures"]
    assert stampede["protected"] == [1, 1]  # after expiry, after invalidation: exactly one recompute each


def test_a_log_in_attack_is_cut_to_the_limit_and_the_neighbour_gets_in(tier3_results: Path):
    figures = json.loads((tier3_results / "rate-limit.json").read_text())["figures"]
    limit = figures["limit"]["count"]
    sent = sum(figures["attack"].values())
    assert sent > limit
    assert sent - figures["attack"].get("429", 0) <= limit
    assert figures["neighbour"].get("429", 0) == 0
    assert figures["neighbour"].get("302", 0) == sum(figures["neighbour"].values()) > 0


def test_load_is_only_ever_sent_to_this_machine():
    from bench import wrk

    with pytest.raises(ValueError, match="only load this machine"):
        wrk.run("http://192.0.2.1/", seconds=1)


def test_the_milestone_matrix_judges_every_cell_and_draws_the_heat_map(results: Path):
    """The smoke size of ``make bench S=matrix``: its tiers × rungs, each cell measured and judged,
    the edge's reason named, and the heat map written (its figures mean nothing at this size)."""
    from bench.scenarios.matrix import QUICK_RUNGS, QUICK_TIERS
    from bench.verdict import HOLDS, VERDICTS

    data = json.loads((results / "matrix.json").read_text())
    cells = data["figures"]["cells"]
    assert list(cells) == list(QUICK_TIERS)
    for tier, row in cells.items():
        assert [cell["users"] for cell in row] == list(QUICK_RUNGS)
        for cell in row:
            assert cell["requests"] > 0, cell
            assert cell["verdict"] in VERDICTS
            assert bool(cell["reason"]) == (cell["verdict"] != HOLDS), cell  # the reason at the edge
            assert cell["real_users"] > 0
            assert 0 < cell["stack_cores"] <= cell["machine_cores"]
            if tier == "tier0":  # SQLite, jobs inline: nothing to count
                assert cell["connections"] is None
                assert cell["queue_age_seconds"] is None
            else:  # read from PostgreSQL and the broker while the load ran
                assert cell["connections"] >= 1
                assert cell["queue_age_seconds"] is not None
                assert set(cell["peaks"]["queue_age"]) >= {"critical", "default", "bulk"}
    assert len(data["rows"]) == len(QUICK_TIERS) * len(QUICK_RUNGS)
    assert (results / "matrix.png").read_bytes().startswith(b"\x89PNG")
