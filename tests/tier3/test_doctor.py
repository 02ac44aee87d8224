"""The scaling doctor run as an operator runs it, ``manage.py doctor`` beside a running tier3
stack: every check reads its source (PostgreSQL on both servers, the queues, the outbox, the
shared cache's counters) and latency comes from Prometheus, across the instances."""

from __future__ import annotations

import json
import math
import subprocess

import httpx
import pytest

from app.platform.doctor.traffic import P95_BY_ROUTE
from app.runner.units.monitoring import Prometheus
from tests.tier1.conftest import eventually


@pytest.mark.stack
def test_the_doctor_reads_every_source_of_a_running_stack(tier_stack):
    ctx = tier_stack.ctx
    seen = f"{Prometheus().url(ctx)}/api/v1/query"

    def measured() -> bool:
        """Traffic on every sampled path until Prometheus has a p95 for it: a rate needs two
        scrapes of a counter, the first taken before the requests it counts."""
        for path in ("", "shop/", "api/v1/products", "api/v1/feed"):
            assert httpx.get(tier_stack.url() + path, timeout=10).status_code == 200
        series = httpx.get(seen, params={"query": P95_BY_ROUTE}, timeout=5).json()["data"]["result"]
        return any(not math.isnan(float(s["value"][1])) for s in series)

    eventually(measured, timeout=60, what="Prometheus to have a p95 of the requests")
    done = subprocess.run(
        [ctx.python, "manage.py", "doctor", "--json"], env=ctx.env, cwd=ctx.base_dir, capture_output=True, text=True
    )
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    assert report["tier"] == "tier3"
    assert done.returncode == (1 if report["problems"] else 0)
    by_check: dict[str, list[dict]] = {}
    for finding in report["findings"]:
        by_check.setdefault(finding["check"], []).append(finding)
        assert "could not be checked" not in finding["summary"], finding
    assert set(by_check) == {
        "sequential scans",
        "queries per request",
        "connections",
        "replica",
        "job queues",
        "outbox",
        "cache hit ratio",
        "latency",
    }
    assert "(Prometheus)" in by_check["latency"][0]["summary"]
    assert by_check["replica"][0]["summary"].startswith("replica replays ")
    queues = {f["summary"].split(":")[0] for f in by_check["job queues"]}
    assert queues == {"critical", "default", "bulk", "media"}
    # Demo data on a quiet stack: nothing past the graduation triggers but, at most, latency on a busy machine.
    assert {f["check"] for f in report["findings"] if f["status"] == "problem"} <= {"latency"}, report
