"""tier4's monitoring: every shard's PostgreSQL and PgBouncer has its exporter, scraped by
Prometheus as an instance of the postgres and pgbouncer jobs, and a shard that stops answering
is what DatabaseDown fires on (its rule is unit-tested with promtool: tests/test_alert_rules.py)."""

from __future__ import annotations

import re

import httpx
import pytest

from app.runner.units.monitoring import Exporters, ShardPgBouncerExporter, ShardPostgresExporter, scrape_targets
from app.runner.units.shards import shard_aliases
from tests.tier1.conftest import eventually
from tests.tier4.test_sharding import answering

pytestmark = pytest.mark.django_db


def instances(targets: list[dict]) -> dict[str, str]:
    return {target["labels"]["instance"]: target["targets"][0] for target in targets}


def test_prometheus_is_told_to_scrape_every_shard_and_its_pooler(tier_services):
    ctx = tier_services.ctx
    jobs = scrape_targets(ctx)
    shards = shard_aliases(ctx)
    assert set(shards) <= set(instances(jobs["postgres"]))
    assert {f"{alias}-pgbouncer" for alias in shards} <= set(instances(jobs["pgbouncer"]))
    addresses = [address for targets in jobs.values() for address in instances(targets).values()]
    assert len(addresses) == len(set(addresses)), "two targets on one port"


def sample(url: str, name: str) -> float:
    found = re.search(rf"^{name}(?:{{[^}}]*}})? (\S+)$", httpx.get(url, timeout=10).text, re.MULTILINE)
    assert found, f"no {name} at {url}"
    return float(found.group(1))


@pytest.mark.django_db(transaction=True)
def test_a_shards_exporters_read_it_and_report_it_down_when_it_stops(tier_services):
    ctx = tier_services.ctx
    exporters = [m for m in Exporters().members(ctx) if isinstance(m, ShardPostgresExporter | ShardPgBouncerExporter)]
    server, pooler = (
        next(e for e in exporters if e.number == 2 and isinstance(e, kind))
        for kind in (ShardPostgresExporter, ShardPgBouncerExporter)
    )
    for exporter in (server, pooler):
        exporter.start(ctx)
    down = next(s for s in tier_services.service("shards").servers(ctx) if s.number == 2)
    try:
        assert sample(f"http://127.0.0.1:{server.port(ctx)}/metrics", "pg_up") == 1
        assert sample(f"http://127.0.0.1:{pooler.port(ctx)}/metrics", "pgbouncer_up") == 1
        down.stop(ctx)
        try:
            eventually(
                lambda: sample(f"http://127.0.0.1:{server.port(ctx)}/metrics", "pg_up") == 0,
                timeout=20,
                what="pg_up 0 for the stopped shard",
            )
        finally:
            down.start(ctx)
            answering(down.name)
    finally:
        for exporter in (server, pooler):
            exporter.stop(ctx)
