"""``make capacity``: the plan's arithmetic on known figures, where the figures come from, and the command."""

from __future__ import annotations

import importlib
import inspect
import json
import math
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from app.runner.units.pgbouncer import PgBouncer
from app.runner.units.postgres import Postgres
from bench.capacity import model
from bench.capacity.__main__ import main
from bench.capacity.figures import BASELINE, EXTRACTORS, gather, measured, write_baseline
from bench.capacity.model import Assumptions, Measured, plan

pytestmark = pytest.mark.tier_independent

ROOT = Path(__file__).resolve().parent.parent

#: Round figures, so the expected counts can be worked out by hand: a read costs 2 ms of an app
#: core whether cached or not, a write 3 ms more; a write 1 ms of database CPU, a query 0.5 ms; a
#: worker process runs 100 jobs a second.
FIGURES = Measured(
    read_requests_per_app_core=500,
    cached_requests_per_app_core=500,
    app_seconds_per_write=0.003,
    database_seconds_per_write=0.001,
    wal_bytes_per_write=4096,
    database_seconds_per_query=0.0005,
    queries_per_read=3,
    jobs_per_second_per_worker=100,
    l1_heap_factor=1.05,
    cache_entry_bytes=20_000,
)
READS_ONLY = Assumptions(write_share=0)


def test_the_peak_follows_the_assumptions():
    """1M users × 2% active × 3 at the peak = 60,000 active, at 2 requests a minute = 2,000 req/s."""
    p = plan(1_000_000, Assumptions(), FIGURES)
    assert p.active_at_peak == pytest.approx(60_000)
    assert p.requests_per_second == pytest.approx(2_000)
    assert p.writes_per_second == pytest.approx(100)


def test_a_measured_rate_reads_back_as_the_users_that_make_it():
    """The milestone matrix states a load test's req/s as users: 2,000 req/s at the peak is 1M users
    by the default assumptions, and whatever the assumptions, the plan for those users makes the rate."""
    assert model.users_for(2_000, Assumptions()) == pytest.approx(1_000_000)
    busier = Assumptions(active_share=0.05, peak_factor=4, requests_per_minute=3)
    assert plan(round(model.users_for(600, busier)), busier, FIGURES).requests_per_second == pytest.approx(600)


def test_doubling_users_doubles_the_load_and_the_instances():
    one, two = plan(5_000_000, Assumptions(), FIGURES), plan(10_000_000, Assumptions(), FIGURES)
    # (Not the connections: they follow the processes provisioned, whole units.)
    for small, large in zip(one.resources, two.resources, strict=True):
        if "connections" not in large.name and "PgBouncers" not in large.name:
            assert large.load == pytest.approx(2 * small.load), large.name
    # Load-set counts (well above their floors) double too, to within one unit of rounding up.
    # 5M: 9,500 reads/s * 2 ms + 500 writes/s * 5 ms = 21.5 cores = 10.75 instances, 17.9 at 60%.
    assert (one.instances.units, two.instances.units) == (18, 36)


def test_counts_round_up_to_whole_units_at_the_target_utilisation():
    # 9M users, reads only: 18,000 req/s * 2 ms = 36 app cores = 18 instances at 100%, 30.0 at 60%:
    # exactly 30, not 31 through float error.
    exact = plan(9_000_000, READS_ONLY, FIGURES)
    assert exact.instances.load == pytest.approx(18)
    assert exact.instances.units == 30
    # One more user needs a little more than 30 instances: 31.
    assert plan(9_000_001, READS_ONLY, FIGURES).instances.units == 31
    # A smaller target utilisation needs more instances for the same load: 18 ÷ 0.5 = 36.
    assert plan(9_000_000, replace(READS_ONLY, target_utilisation=0.5), FIGURES).instances.units == 36


def test_a_small_site_is_set_by_its_floors():
    p = plan(1_000, Assumptions(), FIGURES)
    assert p.instances.units == model.MIN_INSTANCES == 2
    assert {q: w.units for q, w in p.workers.items()} == {"critical": 1, "default": 1, "bulk": 1}
    assert (p.shards.units, p.replicas_per_shard.units, p.redis.units) == (1, 1, 1)
    assert all(resource.set_by_floor for resource in p.resources)
    # Every process holds one connection: 2 instances * 2 processes + 1 + 2 + 1 worker processes.
    assert p.client_connections == 8
    assert p.server_connections.units == 45


def test_the_bottleneck_is_the_resource_the_load_pushed_furthest_past_its_floor():
    """App CPU with the default mix; the shards' primaries when writes are many and dear; the
    default queue when its jobs are slow; nothing yet on a small site."""
    assert plan(10_000_000, Assumptions(), FIGURES).bottleneck.name == "app instances"
    write_heavy = replace(FIGURES, database_seconds_per_write=0.05)
    p = plan(10_000_000, replace(Assumptions(), write_share=0.3), write_heavy)
    assert p.bottleneck.name == "shards"
    # 6,000 writes/s * 50 ms = 300 database cores = 37.5 shards of 8 cores at 100%, 62.5 at 60%.
    assert p.shards.units == 63
    slow_jobs = replace(FIGURES, jobs_per_second_per_worker=2)
    assert plan(10_000_000, Assumptions(), slow_jobs).bottleneck.name == "default workers"
    small = plan(10_000, Assumptions(), FIGURES)
    assert small.bottleneck.name == "app instances"
    assert small.bottleneck.outgrown < 1


def test_more_cores_per_database_server_need_fewer_shards():
    write_heavy = replace(FIGURES, database_seconds_per_write=0.05)
    assumptions = replace(Assumptions(), write_share=0.3)
    eight = plan(10_000_000, assumptions, write_heavy).shards.units
    sixteen = plan(10_000_000, replace(assumptions, database_cores=16), write_heavy).shards.units
    assert (eight, sixteen) == (63, 32)


def test_connections_past_what_one_pgbouncer_takes_need_another():
    many = plan(10_000_000, replace(Assumptions(), requests_per_minute=60), FIGURES)
    assert many.client_connections > model.MAX_CLIENT_CONNECTIONS
    assert many.poolers_per_database.units == math.ceil(many.client_connections / model.MAX_CLIENT_CONNECTIONS)
    assert many.server_connections.floor == many.poolers_per_database.units * 45


@pytest.mark.parametrize(
    "bad", [{"active_share": 0}, {"active_share": 1.5}, {"peak_factor": 0.5}, {"requests_per_minute": 0}]
)
def test_impossible_assumptions_are_refused(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        Assumptions(**bad)


def test_the_models_settings_match_what_the_runner_and_the_tiers_configure():
    """The figures the plan takes from configuration, not measurement, are the ones the code uses."""
    assert f"max_client_conn = {model.MAX_CLIENT_CONNECTIONS}" in inspect.getsource(PgBouncer.config)
    assert f'"max_connections": "{model.MAX_CONNECTIONS}"' in inspect.getsource(Postgres.command)
    tier2 = importlib.import_module("config.settings.tier2")
    assert {w["name"]: w["concurrency"] for w in tier2.WORKERS} == model.WORKER_CONCURRENCY
    tier3 = importlib.import_module("config.settings.tier3")
    assert (tier3.WEB_SERVER["workers"], tier3.WEB_SERVER["threads"]) == (model.INSTANCE_PROCESSES, 1)
    tier4 = importlib.import_module("config.settings.tier4")
    assert tier4.APP_CACHE_OPTIONS["L1_MAX_BYTES"] == model.L1_MAX_BYTES


# The figures: each scenario's result as bench/report.py writes it, cut to what the planner reads.
RESULTS: dict[str, dict[str, Any]] = {
    "scale-out": {
        "rps": {"products API": {"1": 200.0}, "cached feed": {"1": 600.0}},
        "cores": {
            "products API": {"1": {"app instances": 0.5, "database": 0.1}},
            "cached feed": {"1": {"app instances": 0.75, "redis": 0.1}},
        },
    },
    "shards": {
        "totals": {
            "1 shard": {
                "writes": 3000,
                "seconds": 10.0,
                "cores": {"writers (this process)": 0.9, "shard1 PostgreSQL": 0.3, "the rest of the machine": 0.5},
                "wal_bytes": {"shard1": 30_000_000, "shard2": 0},
            }
        }
    },
    "priorities": {
        "bulk_drained_per_second": {"tier1": 150.0, "tier2": 100.0},
        "bulk_worker_processes": {"tier1": 2, "tier2": 1},
    },
    "l1": {"l1_bytes": 8_000_000, "l1_heap_bytes": 8_400_000, "entry_bytes": 20_000},
    "feed-queries": {"queries": {"tier0": {"20": 42}, "tier1": {"20": 3}}},
}


def write_results(directory: Path, *scenarios: str) -> Path:
    directory.mkdir(exist_ok=True)
    for scenario in scenarios:
        payload = {
            "scenario": scenario,
            "figures": RESULTS[scenario],
            "measured_at": "2026-01-02T03:04:05+00:00",
            "machine": {"python": "3.11.2", "cpus": 2},
        }
        (directory / f"{scenario}.json").write_text(json.dumps(payload))
    return directory


def test_a_results_figures_become_the_models_per_unit_figures(tmp_path):
    sources = gather(write_results(tmp_path / "results", *RESULTS), baseline=tmp_path / "none.json")
    assert {s.scenario: s.origin for s in sources} == dict.fromkeys(RESULTS, "bench results")
    m = measured(sources)
    assert m.read_requests_per_app_core == pytest.approx(400)  # 200 req/s on 0.5 app cores
    assert m.cached_requests_per_app_core == pytest.approx(800)
    assert m.database_seconds_per_query == pytest.approx(0.0005)  # 0.1 cores ÷ 200 queries/s
    assert m.app_seconds_per_write == pytest.approx(0.003)  # 0.9 cores ÷ 300 writes/s
    assert m.database_seconds_per_write == pytest.approx(0.001)  # the PostgreSQL parts only
    assert m.wal_bytes_per_write == pytest.approx(10_000)
    assert m.jobs_per_second_per_worker == pytest.approx(100)  # tier2's bulk worker: 1 process
    assert m.l1_heap_factor == pytest.approx(1.05)
    assert m.queries_per_read == 3


def test_missing_or_unreadable_results_fall_back_to_the_baseline_and_say_so(tmp_path, capsys):
    results = write_results(tmp_path / "results", "scale-out", "priorities")
    (results / "shards.json").write_text("{not json")
    stalled = json.loads((results / "priorities.json").read_text())
    stalled["figures"]["bulk_drained_per_second"]["tier2"] = 0
    (results / "priorities.json").write_text(json.dumps(stalled))
    sources = {s.scenario: s for s in gather(results)}
    assert sources["scale-out"].origin == "bench results"
    assert sources["shards"].origin == "baseline"
    assert "shards.json unreadable" in sources["shards"].reason
    assert sources["priorities"].origin == "baseline"
    assert sources["priorities"].reason == "priorities.json has jobs_per_second = 0"
    assert sources["l1"].origin == "baseline"
    assert sources["l1"].reason == f"no l1.json in {results}"

    assert main(["--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert "scale-out     this machine's bench/results/scale-out.json, measured 2026-01-02T03:04:05+00:00" in out
    assert f"l1            the baseline (no l1.json in {results}), measured " in out


def test_the_committed_baseline_has_every_figure_with_its_origin():
    recorded = json.loads(BASELINE.read_text())["scenarios"]
    assert set(recorded) == set(EXTRACTORS)
    for scenario, entry in recorded.items():
        assert entry["command"] == f"make bench S={scenario}"
        assert entry["measured_at"].startswith("20")
        assert entry["machine"]
        assert set(entry["figures"]) == set(EXTRACTORS[scenario]({"figures": RESULTS[scenario]}))


def test_the_baseline_is_written_from_results_and_read_back_the_same(tmp_path):
    results = write_results(tmp_path / "results", *RESULTS)
    baseline = write_baseline(results, tmp_path / "baseline.json")
    from_results = measured(gather(results, baseline))
    from_baseline = measured(gather(tmp_path / "empty", baseline))
    assert from_baseline == from_results


def test_the_baseline_is_not_written_from_partial_results(tmp_path):
    with pytest.raises(Exception, match=r"no shards\.json"):
        write_baseline(write_results(tmp_path / "results", "scale-out"), tmp_path / "baseline.json")


def test_no_results_and_no_baseline_is_a_message_not_a_traceback(tmp_path, capsys):
    assert main(["--results", str(tmp_path), "--baseline", str(tmp_path / "none.json")]) == 1
    assert "no baseline to fall back on" in capsys.readouterr().err


def make_capacity(*variables: str) -> subprocess.CompletedProcess[str]:
    """``make capacity`` with this interpreter's virtualenv (not rebuilt: -o takes its stamp as made)."""
    venv = Path(sys.executable).parent.parent
    return subprocess.run(
        ["make", "--no-print-directory", "capacity", f"VENV={venv}", "-o", str(venv / ".installed"), *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def table_rows(output: str) -> dict[str, list[str]]:
    """The plan's table: users → the row's cells (split on runs of two spaces or more)."""
    rows = {}
    for line in output.splitlines():
        if re.match(r"^[\d.,]+[KM]?  +[\d,]+  ", line):
            cells = re.split(r"  +", line)
            rows[cells[0]] = cells
    return rows


def test_make_capacity_prints_a_row_for_each_number_of_users_with_its_bottleneck():
    done = make_capacity()
    assert done.returncode == 0, done.stderr
    rows = table_rows(done.stdout)
    assert list(rows) == ["100K", "1M", "10M"]
    # Every row names its bottleneck; a bigger site needs at least as many instances.
    for cells in rows.values():
        assert re.search(r"(×|% of) its floor\)$", cells[-1]), cells
    instances = [int(cells[4]) for cells in rows.values()]
    assert instances == sorted(instances)
    assert instances[-1] > instances[0]
    for users in ("100K", "1M", "10M"):
        assert f"{users} users: what set each number" in done.stdout
    assert "Where they came from:" in done.stdout


def test_make_capacity_takes_overrides():
    done = make_capacity("USERS=2M", "WRITE_SHARE=0.2", "PEAK_FACTOR=4")
    assert done.returncode == 0, done.stderr
    assert "× 4 in the busiest" in done.stdout
    assert "20% of requests write" in done.stdout
    # 2M * 2% * 4 = 160,000 active at peak, 2 requests a minute each: 5,333 req/s, 1,067 writes/s.
    assert list(table_rows(done.stdout)) == ["2M"]
    assert table_rows(done.stdout)["2M"][1:4] == ["160,000", "5,333", "1,067"]


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        ("ACTIVE_SHARE=1.5", "argument --active-share: 1.5 is out of range"),
        ("WRITE_SHARE=lots", "argument --write-share: 'lots' is not a number"),
        ("USERS=1M,many", "argument --users: 'many' is not a number of users"),
        ("PEAK_FACTOR=0.5", "argument --peak-factor: 0.5 is out of range: at least 1"),
    ],
)
def test_a_bad_override_is_a_clear_error(variable, message):
    done = make_capacity(variable)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_reads_the_cache_answers_cost_the_app_less_and_the_replicas_nothing():
    cheap_hits = replace(FIGURES, cached_requests_per_app_core=5_000)
    warm, cold = (plan(10_000_000, replace(READS_ONLY, cache_hit_ratio=ratio), cheap_hits) for ratio in (0.9, 0.5))
    # 20,000 reads/s: at 90% hits 18,000 * 0.2 ms + 2,000 * 2 ms = 7.6 cores; at 50% 2 + 20 = 22.
    assert warm.instances.load == pytest.approx(7.6 / 2)
    assert cold.instances.load == pytest.approx(22 / 2)
    # The replicas see only the misses: 2,000 * 3 queries * 0.5 ms = 3 cores, against 15 for 10,000.
    assert warm.replicas_per_shard.load * 8 == pytest.approx(3)
    assert cold.replicas_per_shard.load * 8 == pytest.approx(15)
