"""The JSON API: happy paths, and every kind of bad input answered with a 4xx and a message."""

from __future__ import annotations

import pytest
from django.urls import reverse

from app.shop.models import Order
from tests.factories import PASSWORD, CommentFactory, OrderFactory, PostFactory, ProductFactory, TeamFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"


def test_a_token_is_issued_for_good_credentials_only(client, user):
    response = client.post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, content_type=JSON)
    assert response.status_code == 201
    assert response.json()["token_type"] == "Bearer"
    token = response.json()["token"]
    assert client.get("/api/v1/orders", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    wrong = client.post("/api/v1/auth/token", {"username": user.username, "password": "nope"}, content_type=JSON)
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "Invalid username or password."
    missing = client.post("/api/v1/auth/token", {"username": user.username}, content_type=JSON)
    assert missing.status_code == 422
    assert "password" in missing.json()["errors"]


def test_the_feed_is_paged_and_bad_paging_names_the_field(client):
    PostFactory.create_batch(3)
    body = client.get("/api/v1/feed?page_size=2").json()
    assert (len(body["items"]), body["has_next"]) == (2, True)
    assert set(body["items"][0]) >= {"id", "title", "author", "team", "comment_count"}
    for query, field in [("page_size=51", "page_size"), ("page=0", "page"), ("page=x", "page")]:
        response = client.get(f"/api/v1/feed?{query}")
        assert response.status_code == 422
        assert field in response.json()["errors"]


def test_a_post_comes_with_its_comments_and_a_missing_one_is_404(client):
    post = PostFactory()
    CommentFactory.create_batch(2, post=post)
    body = client.get(f"/api/v1/posts/{post.pk}").json()
    assert (body["comment_count"], len(body["comments"])) == (2, 2)
    assert client.get("/api/v1/posts/999999").status_code == 404


def test_commenting_needs_authentication_and_a_body(client, bearer, user):
    post = PostFactory()
    url = f"/api/v1/posts/{post.pk}/comments"
    assert client.post(url, {"body": "hi"}, content_type=JSON).status_code == 401
    created = client.post(url, {"body": "hi"}, content_type=JSON, **bearer)
    assert created.status_code == 201
    assert created.json()["author"]["username"] == user.username
    empty = client.post(url, {"body": ""}, content_type=JSON, **bearer)
    assert empty.status_code == 422
    assert "body" in empty.json()["errors"]
    blank = client.post(url, {"body": "   "}, content_type=JSON, **bearer)
    assert blank.status_code == 422
    assert client.post("/api/v1/posts/999999/comments", {"body": "x"}, content_type=JSON, **bearer).status_code == 404


def test_session_auth_needs_the_csrf_token(user):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    post = PostFactory()
    response = browser.post(f"/api/v1/posts/{post.pk}/comments", {"body": "hi"}, content_type=JSON)
    assert response.status_code == 403  # signed in, but without the token that proves the page sent it


def test_checkout_through_the_api(client, bearer):
    product = ProductFactory(stock=1)
    created = client.post("/api/v1/orders", {"product_id": product.pk, "quantity": 1}, content_type=JSON, **bearer)
    assert created.status_code == 201
    assert created.json()["items"][0]["product_id"] == product.pk
    sold_out = client.post("/api/v1/orders", {"product_id": product.pk, "quantity": 1}, content_type=JSON, **bearer)
    assert sold_out.status_code == 409
    assert "quantity" in sold_out.json()["errors"]
    missing = client.post("/api/v1/orders", {"product_id": 999999, "quantity": 1}, content_type=JSON, **bearer)
    assert missing.status_code == 404
    for bad in (
        {"product_id": product.pk, "quantity": 0},
        {"product_id": product.pk},
        {"product_id": "x", "quantity": 1},
    ):
        response = client.post("/api/v1/orders", bad, content_type=JSON, **bearer)
        assert response.status_code == 422, bad
        assert response.json()["errors"]
    garbage = client.post("/api/v1/orders", "not json", content_type=JSON, **bearer)
    assert garbage.status_code == 400
    assert Order.objects.count() == 1


def test_my_orders_newest_first(client, bearer, user):
    first = OrderFactory(user=user)
    second = OrderFactory(user=user)
    OrderFactory()
    body = client.get("/api/v1/orders", **bearer).json()
    assert [o["id"] for o in body["items"]] == [second.pk, first.pk]
    assert client.get("/api/v1/orders").status_code == 401
    assert client.get("/api/v1/orders", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401


def test_the_dashboard_is_for_the_teams_owners(client, bearer, user):
    mine = TeamFactory(owner=user)
    theirs = TeamFactory(owner=OrderFactory().user)
    assert client.get(f"/api/v1/teams/{mine.slug}/dashboard", **bearer).json()["team"]["slug"] == mine.slug
    assert client.get(f"/api/v1/teams/{theirs.slug}/dashboard", **bearer).status_code == 403
    assert client.get("/api/v1/teams/nope/dashboard", **bearer).status_code == 404


def test_products_are_listed(client):
    ProductFactory.create_batch(3)
    assert len(client.get("/api/v1/products?page_size=2").json()["items"]) == 2


def test_the_schema_and_docs_are_published(client):
    schema = client.get("/api/v1/openapi.json").json()
    for path in [
        "/api/v1/feed",
        "/api/v1/posts/{post_id}",
        "/api/v1/posts/{post_id}/comments",
        "/api/v1/products",
        "/api/v1/orders",
        "/api/v1/teams/{slug}/dashboard",
        "/api/v1/auth/token",
    ]:
        assert path in schema["paths"], path
    assert client.get("/api/v1/docs").status_code == 200
    assert client.get(reverse("ping")).content == b"ok"
