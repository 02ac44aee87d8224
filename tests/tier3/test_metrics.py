"""tier3's metrics: the app's own at /metrics (served to the monitoring network only, refused by
the load balancer), the workers' exposition, Debian's exporters, and Prometheus scraping every
target of a running stack."""

from __future__ import annotations

import re

import httpx
import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from app.accounts.jobs import deliver_email
from app.platform.jobs import enqueue
from app.runner.units.monitoring import Prometheus, scrape_targets
from tests.factories import PostFactory
from tests.tier1.conftest import eventually

pytestmark = pytest.mark.django_db(transaction=True)


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: Client) -> dict[tuple[str, frozenset], float]:
    answer = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain; version=")
    return samples(answer.content.decode())


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_with_their_latency_and_queries():
    client = Client()
    PostFactory.create_batch(2)
    before = scrape(client)
    post = PostFactory()
    for _ in range(3):
        assert client.get(f"/posts/{post.pk}/").status_code == 200
    assert client.get("/no/such/page").status_code == 404
    after = scrape(client)
    route = "posts/<id:post_id>/"

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # The first rendered the page; the shared cache answered the next two before URL resolution.
    assert grew("milestones_http_requests_total", route=route, method="GET", status="200") == 1
    assert grew("milestones_http_requests_total", route="(shared page)", method="GET", status="200") == 2
    assert grew("milestones_http_request_duration_seconds_count", route=route, method="GET") == 1
    assert grew("milestones_http_requests_total", route="(unmatched)", method="GET", status="404") == 1
    assert grew("milestones_db_queries_per_request_count", route=route) == 1
    assert grew("milestones_db_queries_per_request_sum", route=route) >= 1
    assert grew("milestones_db_queries_per_request_sum", route="(shared page)") == 0
    assert grew("milestones_cache_lookups_total", result="hit") == 2


def test_the_backlog_is_read_at_each_scrape():
    found = scrape(Client())
    assert value(found, "milestones_backlog_up") == 1
    for queue in ("critical", "default", "bulk", "media"):
        assert ("milestones_queue_depth", frozenset({("queue", queue)})) in found, queue
    assert ("milestones_outbox_unsent", frozenset()) in found


def test_metrics_are_refused_outside_the_monitoring_network():
    answer = Client().get("/metrics", REMOTE_ADDR="192.0.2.7")
    assert answer.status_code == 403
    assert b"monitoring network" in answer.content


def test_a_pooler_that_does_not_answer_is_reported_down_not_a_failed_scrape():
    from prometheus_client import CollectorRegistry, generate_latest

    from app.platform.telemetry.pgbouncer_exporter import PgBouncerCollector
    from app.runner.processes import free_port

    registry = CollectorRegistry()
    registry.register(PgBouncerCollector(f"host=127.0.0.1 port={free_port()} user=postgres dbname=pgbouncer"))
    assert value(samples(generate_latest(registry).decode()), "pgbouncer_up") == 0


def test_a_worker_serves_its_jobs_outcomes(workers, drained):
    [worker] = [t for t in scrape_targets(workers.ctx)["workers"] if t["labels"]["instance"] == "worker-critical"]
    url = f"http://{worker['targets'][0]}/metrics"
    enqueue(deliver_email, to="someone@example.com", subject="counted", body="-")

    def counted() -> float:
        found = samples(httpx.get(url, timeout=5).text)
        return value(found, "milestones_jobs_total", job="app.accounts.jobs.deliver_email", outcome="succeeded")

    eventually(counted, timeout=30, what="the worker's count of the job")


@pytest.mark.stack
def test_prometheus_scrapes_every_target_of_the_stack(tier_stack):
    ctx = tier_stack.ctx
    prometheus = Prometheus().url(ctx)
    # Visitors never see the instances' metrics through the load balancer.
    assert httpx.get(tier_stack.url() + "metrics", timeout=10).status_code == 404
    for _ in range(5):
        assert httpx.get(tier_stack.url(), timeout=10).status_code == 200
    expected = {job for job, targets in scrape_targets(ctx).items() for _ in targets}
    assert expected == {"app", "workers", "haproxy", "postgres", "pgbouncer", "redis", "node", "prometheus"}

    def all_up() -> list[dict]:
        targets = httpx.get(f"{prometheus}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
        count = sum(len(t) for t in scrape_targets(ctx).values())
        up = [t for t in targets if t["health"] == "up"]
        return targets if len(up) == count == len(targets) else []

    targets = eventually(all_up, timeout=60, what="every target up in Prometheus")
    assert {t["labels"]["job"] for t in targets} == expected

    def query(expression: str) -> list[dict]:
        answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": expression}, timeout=5).json()
        return answer["data"]["result"]

    # The key series, each from its own exporter.
    for expression in (
        "sum(milestones_http_requests_total) > 0",
        "min(pg_up) == 1",
        "min(redis_up) == 1",
        "min(pgbouncer_up) == 1",
        "sum(pgbouncer_stats_queries_pooled_total) > 0",
        "haproxy_process_start_time_seconds",
        "max(milestones_queue_depth) >= 0",
    ):
        eventually(lambda e=expression: query(e), timeout=30, what=expression)

    # Every query the README offers for Prometheus' UI is valid, and every metric it names exists here.
    def known(expression: str) -> bool:
        names = set(httpx.get(f"{prometheus}/api/v1/label/__name__/values", timeout=5).json()["data"])
        answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": expression}, timeout=5).json()
        assert answer["status"] == "success", (expression, answer)
        return set(re.findall(r"\b(?:milestones|pg|pgbouncer|redis|haproxy)_[a-z_]+", expression)) <= names

    for expression in readme_queries():
        eventually(lambda e=expression: known(e), timeout=30, what=f"the series {expression} reads")


def readme_queries() -> list[str]:
    """The queries in the README's table of graphs for Prometheus' UI."""
    from itertools import takewhile
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    after = readme.split("Queries to paste into Prometheus' own UI", 1)[1].splitlines()
    rows = list(takewhile(lambda line: line.startswith("|"), after[2:]))[2:]  # past the header and its rule
    found = [query for row in rows for query in re.findall(r"`([^`]+)`", row.split("|")[2])]
    assert len(found) >= 9, found
    return found
