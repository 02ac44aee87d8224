"""docker-compose.yml, run: each tier's profile comes up under podman-compose, passes the smoke
journey through its published port, and (tier2) rolls its app instances under load without a
failed request; (tier4) puts the demo's teams on both shards and the order on its team's shard.
``make up TIER=… RUNTIME=containers`` runs the same code (app/runner/containers/)."""

from __future__ import annotations

import re
import ssl
import time

import httpx
import pytest

from app.runner import tiers
from app.runner.containers.compose import ComposeStack
from tests.containers import journey
from tests.load import SteadyLoad

pytestmark = [pytest.mark.tier_independent, pytest.mark.containers]
PROJECT = "milestones-test"


@pytest.fixture
def compose_stack(request, podman, container_env):
    """The tier's profile up and healthy; afterwards down, its volumes removed."""
    stack = ComposeStack(request.param, environ=container_env, project=PROJECT)
    stack.down(volumes=True, quiet=True)  # whatever an interrupted run left behind
    started = time.monotonic()
    stack.up(say=lambda line: None)
    stack.up_seconds = time.monotonic() - started
    yield stack
    stack.down(volumes=True, quiet=True)


def mail_of(stack: ComposeStack):
    def read() -> str:
        everything = "cat /var/mail/milestones/*.eml"
        return stack.podman.run("exec", stack.container("mail"), "sh", "-c", everything, check=False)

    return read


@pytest.mark.parametrize("compose_stack", tiers.in_containers(), indirect=True)
def test_the_profile_serves_the_smoke_journey(compose_stack, record_property):
    seen = journey.run(compose_stack.url(), mail_of(compose_stack))
    record_property("up_seconds", round(compose_stack.up_seconds, 1))
    record_property("email_seconds", seen.email_seconds)
    took = f"up {compose_stack.up_seconds:.0f}s, email in {seen.email_seconds}s"
    print(f"\n{compose_stack.tier}: {took}, journey {seen.steps}")
    if compose_stack.tier != "tier0":
        # Jobs, not the request, sent that email: a worker container did.
        worker = next(name for name in compose_stack.services if name.startswith("worker-"))
        logs = compose_stack.log(compose_stack.container(worker), lines=500)
        assert re.search(r"Task app\.shop\.jobs\.send_order_confirmation\[[^]]+\] succeeded", logs), logs[-2000:]
    if compose_stack.tier in ("tier3", "tier4"):
        # Stateless instances: the pictures are in the object store, fetched from its public address.
        catalogue = httpx.get(compose_stack.url() + "shop/", timeout=10)
        pictures = re.findall(r'src="(http://127\.0\.0\.1:\d+/media/[^"]+)"', catalogue.text)
        assert pictures, catalogue.text[:1000]
        picture = httpx.get(pictures[0], timeout=10)
        assert picture.status_code == 200
        assert picture.headers["content-type"].startswith("image/")
        # Three instances in the pool; the anonymous feed comes from the shared cache the second time.
        pool = compose_stack.pool().servers()
        assert sorted(pool) == [f"web-{compose_stack.tier}-{n}" for n in (1, 2, 3)]
        assert all(row["status"] == "UP" for row in pool.values())
        assert httpx.get(compose_stack.url(), timeout=10).headers["cache-control"].startswith("public")
        # The journey's invoice is the media service's work: two containers of its own image.
        media = [
            row["Names"][0]
            for row in compose_stack.containers()
            if row.get("Labels", {}).get("com.docker.compose.service") == "media-tier3"
        ]
        assert len(media) == 2, media
        deadline = time.monotonic() + 60
        while "(invoice): done" not in (logs := "".join(compose_stack.log(name, lines=500) for name in media)):
            assert time.monotonic() < deadline, logs[-2000:]
            time.sleep(1)
    if compose_stack.tier == "tier4":
        journey.check_shards(seen.order, lambda server, sql: psql(compose_stack, server, sql), ["shard1", "shard2"])
    if compose_stack.tier == "tier2":
        ca = compose_stack.tls_dir / "ca.pem"
        trusting = ssl.create_default_context(cafile=str(ca))
        secure = httpx.get(compose_stack.https_url() + "readyz", verify=trusting, timeout=10)
        assert secure.status_code == 200
        # Both instances are in HAProxy's pool and took requests.
        pool = compose_stack.pool().servers()
        assert {name: row["status"] for name, row in pool.items()} == {"web-1": "UP", "web-2": "UP"}
        with SteadyLoad(compose_stack.url()) as load:
            time.sleep(1)
            compose_stack.deploy(say=lambda line: None)
            time.sleep(1)
        failed = [status for status in load.statuses if status != 200]
        print(f"tier2 rolling restart: {len(load.statuses)} requests, {len(failed)} failed")
        assert len(load.statuses) > 20
        assert failed == []


def psql(stack: ComposeStack, service: str, sql: str) -> list[str]:
    """``sql`` run in one of the stack's PostgreSQL containers (``db``, ``shard1``, …): its rows."""
    command = ["exec", stack.container(service), "psql", "-U", "postgres", "-d", "milestones", "-qAt", "-c", sql]
    return stack.podman.run(*command).split()
