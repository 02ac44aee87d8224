"""The measured figures the plan needs: from this machine's ``make bench`` results where they are,
else from the committed baseline (``baseline.json``), and which is which.

A fresh clone has no ``bench/results/`` (it is git-ignored), so the baseline keeps the same
figures as a dated run recorded them: the scenario, when, on what machine. ``python -m
bench.capacity --write-baseline`` rewrites it from the latest results, so it only ever holds
what a real run printed.
"""

from __future__ import annotations

import json
import math
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.capacity.model import Measured

BASELINE = Path(__file__).resolve().parent / "baseline.json"
#: The products API runs one query per request with eager loading (tests/test_query_counts.py).
PRODUCTS_API_QUERIES = 1
#: The feed page size the plan takes its queries per read from (the default page).
FEED_PAGE_SIZE = "20"


class FiguresError(Exception):
    """The figures cannot be found: no usable result and no baseline for a scenario."""


def _scale_out(result: dict[str, Any]) -> dict[str, float]:
    """One instance: req/s on the products API (uncached) and the cached feed, and the cores its
    processes and the database used meanwhile."""
    rps, cores = result["figures"]["rps"], result["figures"]["cores"]
    return {
        "requests_per_second": float(rps["products API"]["1"]),
        "app_cores": float(cores["products API"]["1"]["app instances"]),
        "database_cores": float(cores["products API"]["1"].get("database", 0.0)),
        "cached_requests_per_second": float(rps["cached feed"]["1"]),
        "cached_app_cores": float(cores["cached feed"]["1"]["app instances"]),
    }


def _shards(result: dict[str, Any]) -> dict[str, float]:
    """The 1-shard arm: writes/s, the writers' cores (the services' Python), the shard's PostgreSQL's."""
    arm = result["figures"]["totals"]["1 shard"]
    seconds = float(arm["seconds"])
    return {
        "writes_per_second": arm["writes"] / seconds,
        "writer_cores": float(arm["cores"]["writers (this process)"]),
        "database_cores": sum(float(share) for part, share in arm["cores"].items() if "PostgreSQL" in part),
        "wal_bytes_per_second": sum(float(b) for b in arm["wal_bytes"].values()) / seconds,
    }


def _priorities(result: dict[str, Any]) -> dict[str, float]:
    """tier2's bulk worker (a worker of its own) draining the flood of page-view jobs."""
    figures = result["figures"]
    return {
        "jobs_per_second": float(figures["bulk_drained_per_second"]["tier2"]),
        "worker_processes": float(figures["bulk_worker_processes"]["tier2"]),
    }


def _l1(result: dict[str, Any]) -> dict[str, float]:
    """What L1 held, counted and in the heap, and the entry size the bench read."""
    figures = result["figures"]
    return {
        "l1_bytes": float(figures["l1_bytes"]),
        "l1_heap_bytes": float(figures["l1_heap_bytes"]),
        "entry_bytes": float(figures["entry_bytes"]),
    }


def _feed_queries(result: dict[str, Any]) -> dict[str, float]:
    """Queries for one feed page with eager loading (tier1)."""
    return {"queries_per_page": float(result["figures"]["queries"]["tier1"][FEED_PAGE_SIZE])}


#: Scenario → how its result's figures become the few the plan reads.
EXTRACTORS: dict[str, Callable[[dict[str, Any]], dict[str, float]]] = {
    "scale-out": _scale_out,
    "shards": _shards,
    "priorities": _priorities,
    "l1": _l1,
    "feed-queries": _feed_queries,
}


@dataclass(frozen=True)
class Source:
    """Where one scenario's figures came from."""

    scenario: str
    figures: dict[str, float]
    #: "bench results" (this machine's latest run) or "baseline".
    origin: str
    measured_at: str
    machine: str
    #: Why the baseline was used, when it was.
    reason: str = ""


def _machine(result: dict[str, Any]) -> str:
    machine = result.get("machine", {})
    return f"{machine.get('cpus', '?')} cores, Python {machine.get('python', '?')}"


def _from_results(scenario: str, results: Path) -> Source | str:
    """The scenario's figures from ``results``, or why they cannot be read from there."""
    path = results / f"{scenario}.json"
    if not path.exists():
        return f"no {path.name} in {results}"
    try:
        result = json.loads(path.read_text())
        figures = EXTRACTORS[scenario](result)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"{path.name} unreadable ({type(exc).__name__}: {exc})"
    # Every figure is a rate, a time or a size: 0 means the run measured nothing (a queue that
    # never drained, a load that never started), and dividing by it would mean nothing either.
    unusable = [f"{name} = {value:g}" for name, value in figures.items() if not 0 < value < math.inf]
    if unusable:
        return f"{path.name} has {', '.join(unusable)}"
    return Source(scenario, figures, "bench results", result.get("measured_at", "?"), _machine(result))


def gather(results: Path, baseline: Path = BASELINE) -> list[Source]:
    """Every scenario's figures, from ``results`` where usable, else from ``baseline``."""
    recorded: dict[str, Any] | None = None
    sources = []
    for scenario in EXTRACTORS:
        found = _from_results(scenario, results)
        if isinstance(found, Source):
            sources.append(found)
            continue
        if recorded is None:
            try:
                recorded = json.loads(baseline.read_text())["scenarios"]
            except (OSError, ValueError, KeyError) as exc:
                raise FiguresError(f"{found}, and no baseline to fall back on: {baseline} ({exc})") from exc
        entry = recorded.get(scenario)
        if entry is None:
            raise FiguresError(f"{found}, and {baseline.name} has no {scenario} figures: run make bench S={scenario}")
        sources.append(
            Source(scenario, dict(entry["figures"]), "baseline", entry["measured_at"], entry["machine"], reason=found)
        )
    return sources


def measured(sources: list[Source]) -> Measured:
    """The per-unit figures of the model, from each scenario's raw figures."""
    by = {source.scenario: source.figures for source in sources}
    scale_out, shards, priorities, l1 = by["scale-out"], by["shards"], by["priorities"], by["l1"]
    database_seconds_per_request = scale_out["database_cores"] / scale_out["requests_per_second"]
    return Measured(
        read_requests_per_app_core=scale_out["requests_per_second"] / scale_out["app_cores"],
        cached_requests_per_app_core=scale_out["cached_requests_per_second"] / scale_out["cached_app_cores"],
        app_seconds_per_write=shards["writer_cores"] / shards["writes_per_second"],
        database_seconds_per_write=shards["database_cores"] / shards["writes_per_second"],
        wal_bytes_per_write=shards["wal_bytes_per_second"] / shards["writes_per_second"],
        database_seconds_per_query=database_seconds_per_request / PRODUCTS_API_QUERIES,
        queries_per_read=by["feed-queries"]["queries_per_page"],
        jobs_per_second_per_worker=priorities["jobs_per_second"] / priorities["worker_processes"],
        l1_heap_factor=l1["l1_heap_bytes"] / l1["l1_bytes"],
        cache_entry_bytes=l1["entry_bytes"],
    )


def write_baseline(results: Path, baseline: Path = BASELINE) -> Path:
    """Record this machine's latest results as the baseline (every scenario must have one)."""
    entries = {}
    for scenario in EXTRACTORS:
        found = _from_results(scenario, results)
        if not isinstance(found, Source):
            raise FiguresError(f"{found}: run make bench S={scenario} first")
        entries[scenario] = {
            "command": f"make bench S={scenario}",
            "measured_at": found.measured_at,
            "machine": f"{found.machine}, {_cpu_model()}, shared with other work ({_load()})",
            "size": "full (no --quick), make bench's default SECONDS=10",
            "figures": found.figures,
        }
    payload = {
        "about": "Figures make capacity falls back on when bench/results/ lacks a scenario's: "
        "written by python -m bench.capacity --write-baseline from real make bench runs.",
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "scenarios": entries,
    }
    baseline.write_text(json.dumps(payload, indent=2) + "\n")
    return baseline


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load() -> str:
    try:
        return f"5-minute load {os.getloadavg()[1]:.1f} when recorded"
    except OSError:
        return "unknown"
