"""The Grafana dashboards against a running tier3 stack: after some traffic, every query of every
panel evaluated by the stack's own Prometheus (the one the dashboards' datasource reads), and
every panel drawing something, except those that draw only when something goes wrong."""

from __future__ import annotations

import time

import httpx
import pytest

from app.runner.units.monitoring import Prometheus
from tests.dashboards import Query, queries

#: Panels that are empty on a healthy stack: nothing has failed, the replica was never skipped.
QUIET_WHEN_HEALTHY = {"Jobs failing", "Reads sent to the primary"}
#: Pages through the load balancer: a rendered page, shared-cache hits, a product list, a 404.
TRAFFIC = ("", "", "", "shop/", "shop/", "login/", "no/such/page")


def evaluate(prometheus: str, query: Query) -> list[dict]:
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": query.expr}, timeout=5).json()
    assert answer["status"] == "success", (query, answer)
    return answer["data"]["result"]


@pytest.mark.stack
def test_every_panel_query_succeeds_and_every_panel_draws_on_a_running_stack(tier_stack):
    prometheus = Prometheus().url(tier_stack.ctx)
    for path in TRAFFIC:
        assert httpx.get(tier_stack.url() + path, timeout=10).status_code in {200, 404}
    every = queries()
    panels = {q.panel for q in every}
    assert panels >= QUIET_WHEN_HEALTHY, "a quiet panel was renamed or removed"

    def blank() -> list[str]:
        drawing = {q.panel for q in every if evaluate(prometheus, q)}
        return sorted(panels - drawing - QUIET_WHEN_HEALTHY)

    # Rates need two scrapes (5 s apart) of a counter the traffic made.
    deadline = time.monotonic() + 45
    while (empty := blank()) and time.monotonic() < deadline:
        time.sleep(1)
    assert not empty, f"panels with no data on a running stack: {empty}"
