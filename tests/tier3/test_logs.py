"""tier3's structured logs: one JSON line per request saying what it cost, and the request's id on
every line it causes — in the web process, in the jobs it enqueued (sent at once or by the outbox
relay), in the media service and in the worker that applies the service's result."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from app.accounts.jobs import deliver_email
from app.platform.jobs import enqueue, outbox
from app.platform.models import JobRun
from app.platform.telemetry import request_id
from app.platform.telemetry.json_logs import JsonFormatter
from tests.factories import PostFactory, ProductFactory, TeamFactory, UserFactory
from tests.tier1.conftest import eventually

pytestmark = pytest.mark.django_db(transaction=True)

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    """The request lines as the tier's formatter writes them, each when it is logged."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("milestones.request")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def request_lines(stream: io.StringIO) -> list[dict]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    stream.seek(0)
    stream.truncate()
    return lines


def json_lines(folder: Path, pattern: str) -> list[dict]:
    lines = []
    for log in sorted(folder.glob(pattern)):
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
    return lines


def from_the_load_balancer(**headers: str) -> dict[str, str]:
    """What a request through HAProxy looks like to the app: from its source address, with its id."""
    return {"REMOTE_ADDR": settings.TRUSTED_PROXIES[0], **{f"HTTP_{k.upper()}": v for k, v in headers.items()}}


def test_each_request_writes_one_json_line_saying_what_it_cost(request_log):
    PostFactory.create_batch(3)
    client = Client()
    with (
        CaptureQueriesContext(connections["default"]) as on_primary,
        CaptureQueriesContext(connections["replica"]) as on_replica,
    ):
        first = client.get("/", **from_the_load_balancer(x_request_id="lb-req-0001"))
    counted = len(on_primary) + len(on_replica)  # before the next request resets Django's query log
    again = client.get("/")
    [computed, cached] = request_lines(request_log)
    assert first["X-Request-ID"] == "lb-req-0001"
    assert computed["request_id"] == "lb-req-0001"
    assert computed["event"] == "GET / 200"
    assert {k: computed[k] for k in ("level", "logger", "method", "path", "route", "status")} == {
        "level": "info",
        "logger": "milestones.request",
        "method": "GET",
        "path": "/",
        "route": "",
        "status": 200,
    }
    assert computed["queries"] == counted > 0
    assert 0 < computed["query_ms"] < computed["duration_ms"]
    assert (computed["cache_hits"], computed["cache_misses"]) == (0, 1)
    # The second is answered from the cache before URL resolution: no route, no query, one hit.
    assert cached["route"] is None
    assert (cached["queries"], cached["cache_hits"], cached["cache_misses"]) == (0, 1, 0)
    assert cached["request_id"] == again["X-Request-ID"] != computed["request_id"]
    assert computed["timestamp"].endswith("Z")


def test_an_exception_is_data_and_a_value_json_cannot_hold_is_its_repr(request_log):
    logger = logging.getLogger("milestones.request")
    with request_id.bound("job-0001"):
        try:
            raise ValueError("no such order")
        except ValueError:
            logger.exception("failed", extra={"order": object(), "big": 2**70, "when": None})
    [line] = request_lines(request_log)
    assert (line["event"], line["level"], line["request_id"]) == ("failed", "error", "job-0001")
    assert line["exception"][0]["exc_type"] == "ValueError"
    assert line["exception"][0]["exc_value"] == "no such order"
    assert line["order"].startswith("<object object at")
    assert line["big"] == 2**70
    assert line["when"] is None
    assert "exc_info" not in line


def test_a_client_cannot_choose_its_request_id(request_log):
    client = Client()
    # Only the load balancer's header counts; from anyone else, and when malformed, the app makes one.
    direct = client.get("/healthz/nothing", HTTP_X_REQUEST_ID="chosen-by-client", REMOTE_ADDR="192.0.2.7")
    forged = client.get("/nothing", **from_the_load_balancer(x_request_id='"}{"injected": 1'))
    ids = [direct["X-Request-ID"], forged["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in ids), ids
    lines = request_lines(request_log)
    assert [line["request_id"] for line in lines] == ids
    assert [line["status"] for line in lines] == [404, 404]


def test_the_signed_in_user_and_an_error_are_on_the_line(request_log):
    user = UserFactory()
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 200
    assert client.post("/api/v1/auth/token", "{not json", content_type="application/json").status_code == 400
    lines = request_lines(request_log)
    assert lines[0]["user_id"] == user.pk
    assert lines[1]["status"] == 400
    assert lines[1]["route"] == "api/v1/auth/token"


def test_one_id_finds_a_checkout_its_jobs_the_media_service_and_the_result(client, workers, drained):
    buyer = UserFactory()
    client.force_login(buyer)
    product = ProductFactory(team=TeamFactory(), stock=5)
    earlier = set(JobRun.objects.values_list("id", flat=True))  # e.g. the product picture's thumbnail
    answer = client.post(
        f"/shop/{product.team.slug}/{product.slug}/",
        {"quantity": 1, "once": "x1"},
        **from_the_load_balancer(x_request_id="checkout-0001"),
    )
    assert answer.status_code == 302, answer.content[:500]
    caused = JobRun.objects.exclude(id__in=earlier)
    assert set(caused.values_list("request_id", flat=True)) == {"checkout-0001"}
    jobs = set(caused.values_list("name", flat=True))
    log_dir = workers.ctx.log_dir

    def traced() -> dict[str, list[dict]]:
        lines = {
            "workers": json_lines(log_dir, "[!m]*.log"),  # the workers and the relay
            "media": json_lines(log_dir, "media-*.log"),
        }
        return {
            where: [line for line in found if line.get("request_id") == "checkout-0001"]
            for where, found in lines.items()
        }

    def complete() -> bool:
        found = traced()
        finished = {line["job"] for line in found["workers"] if line.get("outcome") == "succeeded"}
        rendered = any("(invoice): done" in line["event"] for line in found["media"])
        applied = any(line.get("task") == "media.v1.done" for line in found["workers"])
        return finished >= jobs and rendered and applied

    eventually(complete, timeout=60, what="the checkout's jobs, render and result under its request id")
    for line in traced()["workers"]:
        assert line["level"] in {"info", "warning"}, line


def test_a_job_the_relay_sends_keeps_the_id_of_the_request_that_enqueued_it(workers, drained, monkeypatch):
    # Enqueued while this process thinks the broker is down: the row waits for the relay process.
    monkeypatch.setattr(outbox, "_broker_down_until", float("inf"))
    with request_id.bound("relayed-0001"):
        delivery = enqueue(deliver_email, to="someone@example.com", subject="relayed", body="-")
    row = JobRun.objects.get(delivery_id=delivery)
    assert row.request_id == "relayed-0001"

    def done() -> bool:
        return any(
            line.get("request_id") == "relayed-0001" and line.get("outcome") == "succeeded"
            for line in json_lines(workers.ctx.log_dir, "*.log")
        )

    eventually(done, timeout=30, what="the relayed job's line with its request's id")
    assert JobRun.objects.get(delivery_id=delivery).sends == 1  # sent once, by the relay


@pytest.mark.stack
def test_the_load_balancer_gives_every_request_an_id_the_instance_logs(tier_stack):
    answer = httpx.get(tier_stack.url(), headers={"X-Request-ID": "chosen-by-client"}, timeout=10)
    assert answer.status_code == 200
    rid = answer.headers["X-Request-ID"]
    assert UUID.fullmatch(rid), rid

    def logged() -> list[dict]:
        lines = json_lines(tier_stack.ctx.log_dir, "web-*.log")
        return [line for line in lines if line.get("request_id") == rid]

    [line] = eventually(logged, timeout=10, what="the instance's line for the request")
    assert (line["method"], line["path"], line["status"]) == ("GET", "/", 200)
    balancer = (tier_stack.ctx.log_dir / "loadbalancer.log").read_text()
    assert rid in balancer
    assert "chosen-by-client" not in json.dumps(json_lines(tier_stack.ctx.log_dir, "web-*.log"))
