"""A team's jobs under sharding: written on its shard with the change that causes them, run for
the team by the real workers, and relayed from every shard when the fast path missed them."""

from __future__ import annotations

import time

import pytest

from app.platform.jobs import outbox
from app.platform.models import JobRun
from app.platform.sharding import directory
from app.platform.sharding.routing import on_shard
from app.platform.tenancy import team
from app.shop.models import Order
from tests.factories import ProductFactory, UserFactory
from tests.tier4.test_sharding import two_teams

pytestmark = pytest.mark.django_db(transaction=True)


def eventually(check, *, timeout: float = 30, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_an_orders_jobs_are_written_on_its_shard_and_run_there(client, workers, drained):
    _, b = two_teams()
    shard = directory.shard_of(b.pk)
    product = ProductFactory(team=b, stock=3)
    client.force_login(UserFactory())
    response = client.post("/api/v1/orders", {"product_id": product.pk, "quantity": 1}, content_type="application/json")
    assert response.status_code == 201, response.content
    with on_shard(shard):
        runs = JobRun.objects.filter(team_id=b.pk)
        assert {run.name.rsplit(".", 1)[1] for run in runs} >= {"send_order_confirmation", "generate_invoice_pdf"}
    assert not JobRun.objects.using("default").filter(team_id=b.pk).exists()  # none on the control database

    def finished() -> bool:
        with on_shard(shard):
            return not JobRun.objects.filter(team_id=b.pk).exclude(status=JobRun.Status.SUCCEEDED).exists()

    eventually(finished, what="the order's jobs to succeed on its shard")
    with team(b.pk):
        eventually(lambda: bool(Order.objects.get().invoice), what="the invoice to be written back")


def test_the_relay_sends_what_a_shard_holds_unsent(workers, drained):
    _, b = two_teams()
    shard = directory.shard_of(b.pk)
    product = ProductFactory(team=b)
    from app.shop import jobs

    with team(b.pk):
        # Written down unsent, as when the broker was down at checkout: the relay's work.
        JobRun.objects.create(
            delivery_id="relay-from-shard",
            name=jobs.make_product_thumbnail.name,
            queue=jobs.make_product_thumbnail.queue,
            arguments={"product_id": product.pk},
            team_id=b.pk,
        )
    assert outbox.backlog().unsent >= 1

    def sent() -> bool:
        with on_shard(shard):
            return JobRun.objects.filter(delivery_id="relay-from-shard").exclude(sent_at=None).exists()

    eventually(sent, what="the relay to send the shard's unsent job")
