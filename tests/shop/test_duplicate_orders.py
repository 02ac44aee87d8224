"""A checkout sent twice places one order: the API's Idempotency-Key, and the single-use checkout form.

Concurrent duplicates run in threads with their own database connections, so at tier1 and
tier2 they race on PostgreSQL for real.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from app.shop.models import Order
from tests.factories import ProductFactory, UserFactory

JSON = "application/json"


def in_threads(count: int, work) -> list:
    results: list = []
    barrier = threading.Barrier(count)

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db
def test_the_same_key_twice_answers_the_same_order_and_places_one(client, bearer):
    product = ProductFactory(stock=10)
    body = {"product_id": product.pk, "quantity": 2}
    first = client.post("/api/v1/orders", body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k-1", **bearer)
    again = client.post("/api/v1/orders", body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k-1", **bearer)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock == 8
    other = client.post("/api/v1/orders", body, content_type=JSON, HTTP_IDEMPOTENCY_KEY="k-2", **bearer)
    assert other.json()["id"] != first.json()["id"]


@pytest.mark.django_db
def test_a_key_reused_for_a_different_order_is_refused(client, bearer):
    product = ProductFactory(stock=10)
    client.post("/api/v1/orders", {"product_id": product.pk, "quantity": 1}, content_type=JSON,
                HTTP_IDEMPOTENCY_KEY="k", **bearer)  # fmt: skip
    response = client.post(
        "/api/v1/orders",
        {"product_id": product.pk, "quantity": 3},
        content_type=JSON,
        HTTP_IDEMPOTENCY_KEY="k",
        **bearer,
    )
    assert response.status_code == 422
    assert "idempotency_key" in response.json()["errors"]
    assert Order.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "nul\x00", "é"])
def test_a_malformed_key_is_422(client, bearer, key):
    product = ProductFactory(stock=10)
    response = client.post(
        "/api/v1/orders",
        {"product_id": product.pk, "quantity": 1},
        content_type=JSON,
        HTTP_IDEMPOTENCY_KEY=key,
        **bearer,
    )
    assert response.status_code == 422
    assert not Order.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_key_sent_in_parallel_places_one_order(bearer):
    product = ProductFactory(stock=100)

    def buy() -> tuple[int, int]:
        response = Client().post(
            "/api/v1/orders",
            {"product_id": product.pk, "quantity": 1},
            content_type=JSON,
            HTTP_IDEMPOTENCY_KEY="parallel",
            **bearer,
        )
        return response.status_code, response.json().get("id")

    results = in_threads(6, buy)
    assert {status for status, _ in results} == {201}
    assert len({order_id for _, order_id in results}) == 1
    assert Order.objects.count() == 1
    product.refresh_from_db()
    assert product.stock == 99


@pytest.mark.django_db
def test_the_checkout_form_sent_twice_places_one_order(client):
    client.force_login(UserFactory())
    product = ProductFactory(stock=5)
    url = reverse("product_detail", args=[product.team.slug, product.slug])
    once = client.get(url).context["form"]["once"].initial
    first = client.post(url, {"quantity": 1, "once": once})
    again = client.post(url, {"quantity": 1, "once": once})
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Order.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_checkout_form_sent_twice_at_once_places_one_order():
    buyer = UserFactory()
    product = ProductFactory(stock=5)
    url = reverse("product_detail", args=[product.team.slug, product.slug])

    def submit() -> int:
        browser = Client()
        browser.force_login(buyer)
        return browser.post(url, {"quantity": 1, "once": "same-page"}).status_code

    assert in_threads(4, submit) == [302] * 4
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_a_checkout_form_without_its_token_asks_for_a_reload(client):
    client.force_login(UserFactory())
    product = ProductFactory(stock=5)
    url = reverse("product_detail", args=[product.team.slug, product.slug])
    response = client.post(url, {"quantity": 1})
    assert response.status_code == 200
    assert "reload it" in response.content.decode()
    assert not Order.objects.exists()
