"""Checkout: totals computed by the server, stock taken in a transaction, side effects after commit."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from app.platform.errors import Conflict, DomainError, NotFound
from app.platform.models import JobRun
from app.shop.models import Order, Product
from app.shop.services import order_checkout
from app.teams.services import team_set_webhook
from tests.factories import ProductFactory, TeamFactory, UserFactory
from tests.webhook_receiver import start_receiver

# What the jobs do is tested here; their delivery by Celery workers in tests/tier1/.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("inline_jobs")]


def test_checkout_computes_the_total_takes_stock_and_sends_the_side_effects():
    buyer = UserFactory()
    product = ProductFactory(price=Decimal("12.50"), stock=5)
    order = order_checkout(user=buyer, product_id=product.pk, quantity=2)
    product.refresh_from_db()
    order.refresh_from_db()
    assert order.total == Decimal("25.00")
    assert product.stock == 3
    assert order.invoice.name.endswith(".pdf")
    assert order.invoice.open("rb").read(5) == b"%PDF-"
    assert [m.to for m in mail.outbox] == [[buyer.email]]
    assert f"#{order.pk}" in mail.outbox[0].subject


@pytest.mark.parametrize("quantity", [0, -1, 101])
def test_a_quantity_out_of_range_is_refused(quantity):
    product = ProductFactory()
    with pytest.raises(DomainError) as refused:
        order_checkout(user=UserFactory(), product_id=product.pk, quantity=quantity)
    assert refused.value.field == "quantity"
    assert not Order.objects.exists()


def test_buying_more_than_is_left_is_a_conflict_and_takes_nothing():
    product = ProductFactory(stock=2)
    with pytest.raises(Conflict, match="Only 2"):
        order_checkout(user=UserFactory(), product_id=product.pk, quantity=3)
    product.refresh_from_db()
    assert product.stock == 2
    assert not Order.objects.exists()
    assert mail.outbox == []


def test_a_missing_product_is_not_found():
    with pytest.raises(NotFound):
        order_checkout(user=UserFactory(), product_id=424242, quantity=1)


def test_concurrent_checkouts_never_oversell():
    """Eight buyers race for five items: exactly five orders, stock ends at zero."""
    product = ProductFactory(stock=5)
    buyers = UserFactory.create_batch(8)
    outcomes: list[str] = []
    start = threading.Barrier(len(buyers))

    def buy(user) -> None:
        start.wait()
        try:
            order_checkout(user=user, product_id=product.pk, quantity=1)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("sold out")
        finally:
            connection.close()  # each thread has its own connection; persistent ones would outlive it

    threads = [threading.Thread(target=buy, args=(b,)) for b in buyers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    product.refresh_from_db()
    assert sorted(outcomes) == ["ok"] * 5 + ["sold out"] * 3
    assert product.stock == 0
    assert Order.objects.count() == 5


def test_the_webhook_is_signed_json_the_receiver_can_verify():
    receiver, server = start_receiver()
    try:
        owner = UserFactory()
        team = team_set_webhook(actor=owner, team=TeamFactory(owner=owner), url=receiver.url)
        order = order_checkout(user=UserFactory(), product_id=ProductFactory(team=team).pk, quantity=1)
    finally:
        server.shutdown()
    [(headers, body)] = receiver.deliveries
    expected = "sha256=" + hmac.new(team.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-milestones-signature"], expected)
    assert headers["x-milestones-delivery"] == f"order-{order.pk}"
    assert json.loads(body)["order"]["id"] == order.pk


def test_a_failing_webhook_is_recorded_as_failed_and_the_order_still_stands():
    receiver, server = start_receiver()
    receiver.fail_next = 1
    try:
        owner = UserFactory()
        team = team_set_webhook(actor=owner, team=TeamFactory(owner=owner), url=receiver.url)
        order = order_checkout(user=UserFactory(), product_id=ProductFactory(team=team).pk, quantity=1)
    finally:
        server.shutdown()
    assert Order.objects.filter(pk=order.pk).exists()
    run = JobRun.objects.get(name="app.shop.jobs.deliver_order_webhook")
    assert run.status == JobRun.Status.FAILED
    assert "500" in run.last_error


def test_the_product_page_checks_out_and_shows_errors_as_form_errors(client):
    client.force_login(UserFactory())
    product = ProductFactory(stock=1)
    url = reverse("product_detail", args=[product.team.slug, product.slug])
    assert client.post(url, {"quantity": "abc", "once": "a"}).context["form"].errors["quantity"]
    response = client.post(url, {"quantity": 1, "once": "b"})
    assert response.status_code == 302
    sold_out = client.post(url, {"quantity": 1, "once": "c"})
    assert "sold out" in sold_out.context["form"].errors["quantity"][0]
    assert Product.objects.get().stock == 0
