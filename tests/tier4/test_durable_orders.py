"""An order's transaction asks for the tier's durable commit, for itself only: every other write
keeps the server's default, and nothing of it outlives the order's transaction."""

from __future__ import annotations

import pytest
from django.db import connections, router

from app.platform.db import durability
from app.platform.tenancy import team
from app.shop import services
from app.shop.models import Order
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _synchronous_commit(alias: str) -> str:
    with connections[alias].cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        (value,) = cursor.fetchone()
    return str(value)


@pytest.mark.parametrize("key", [None, "a-key"])
def test_an_orders_transaction_asks_for_the_tiers_durable_commit_and_only_it(settings, monkeypatch, key):
    # A level no server here has for its default, so that only the order's asking can show it.
    settings.DURABLE_COMMIT = "remote_apply"
    product = ProductFactory(stock=3)
    seen: dict[str, str] = {}
    checkout = services._checkout

    def watched(**kwargs):
        alias = router.db_for_write(Order)  # the product's team's shard: the checkout runs for that team
        seen["alias"] = alias
        seen["inside"] = _synchronous_commit(alias)
        return checkout(**kwargs)

    monkeypatch.setattr(services, "_checkout", watched)
    order = services.order_checkout(user=UserFactory(), product_id=product.pk, quantity=1, idempotency_key=key)
    with team(product.team_id):
        assert Order.objects.filter(pk=order.pk).exists()
    assert seen["inside"] == "remote_apply"
    # SET LOCAL: the connection (a pooled one, next used by anything) is back to the default.
    assert _synchronous_commit(seen["alias"]) == "on"


def test_asking_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        durability.durable_commit("default")
