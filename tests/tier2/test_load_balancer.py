"""tier2 serves through HAProxy in front of two app instances, and `make deploy` rolls them
one at a time without losing a request."""

from __future__ import annotations

import time

import httpx
import pytest

from app.runner import processes
from app.runner.deploy import rolling_restart
from app.runner.units.loadbalancer import LoadBalancer
from app.runner.units.web import Web
from tests.load import SteadyLoad

pytestmark = pytest.mark.stack


def _parts(stack) -> tuple[LoadBalancer, Web]:
    return stack.service(LoadBalancer), stack.service(Web)


def test_every_instance_serves_behind_the_load_balancer(tier_stack):
    balancer, web = _parts(tier_stack)
    names = [f"web-{n}" for n in range(1, tier_stack.ctx.settings.WEB_SERVER["instances"] + 1)]
    assert [i.name for i in web.instances(tier_stack.ctx)] == names
    for _ in range(4 * len(names)):
        assert httpx.get(tier_stack.url(), timeout=10).status_code == 200
    servers = balancer.servers(tier_stack.ctx)
    assert {name: row["status"] for name, row in servers.items()} == dict.fromkeys(names, "UP")
    assert all(int(row["stot"]) > 0 for row in servers.values()), "every instance took requests"


def test_an_instance_that_dies_is_routed_around(tier_stack):
    balancer, web = _parts(tier_stack)
    ctx = tier_stack.ctx
    first = web.instances(ctx)[0]
    first.stop(ctx)
    try:
        # A refused connection is retried on the other instance at once; the checks then take it out.
        assert [httpx.get(tier_stack.url(), timeout=10).status_code for _ in range(10)] == [200] * 10
        processes.wait_until(
            lambda: balancer.servers(ctx)["web-1"]["status"].startswith("DOWN"), timeout=10, what="web-1 down"
        )
    finally:
        first.start(ctx)
    processes.wait_until(lambda: balancer.servers(ctx)["web-1"]["status"] == "UP", timeout=20, what="web-1 up")


def test_a_rolling_deploy_loses_no_request(tier_stack):
    balancer, web = _parts(tier_stack)
    ctx = tier_stack.ctx
    before = {i.name: processes.read_pid(i.pidfile(ctx)) for i in web.instances(ctx)}
    lines: list[str] = []
    with SteadyLoad(tier_stack.url()) as load:
        time.sleep(1)
        rolling_restart(tier_stack, say=lines.append)
        time.sleep(1)
    after = {i.name: processes.read_pid(i.pidfile(ctx)) for i in web.instances(ctx)}
    assert all(before[name] != after[name] for name in before), "every instance was restarted"
    assert len(load.statuses) > 20
    assert [s for s in load.statuses if s != 200] == []
    assert any("web-1: drained" in line for line in lines)
    assert any("web-2: back in the pool" in line for line in lines)
    assert {row["status"] for row in balancer.servers(ctx).values()} == {"UP"}
