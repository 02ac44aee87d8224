"""A database server that does not answer (app/web/server_errors.py): pages, forms and the API
answer 503 with a message and ``Retry-After``, never a 500 and never a hang, and nothing is
written; an unexpected error under ``/api/`` is the API's JSON error body. Real PostgreSQL
clients: every database alias of the tier is pointed at a port nothing listens on, as when the
server, or the pooler in front of it, is gone (tier2's replica included: its read is tried
first, then the primary, before the request counts as failed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connections

from app.platform import outages
from app.runner.processes import free_port
from app.web.server_errors import API_SERVER_ERROR
from tests.factories import PostFactory

pytestmark = [pytest.mark.django_db(transaction=True)]


@contextmanager
def servers_gone() -> Iterator[None]:
    """Every alias's connections closed and pointed at a free port, then put back."""
    saved = {alias: connections[alias].settings_dict["PORT"] for alias in connections}
    try:
        for alias in connections:
            connections[alias].close()
            connections[alias].settings_dict["PORT"] = free_port()
        yield
    finally:
        for alias, port in saved.items():
            connections[alias].close()
            connections[alias].settings_dict["PORT"] = port


@pytest.fixture
def database_down(client) -> Iterator[None]:
    client.raise_request_exception = False  # answered as a user would see it
    with servers_gone():
        yield


def assert_unavailable_page(response) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
    assert outages.DATABASE.encode() in response.content
    assert b"Something went wrong" not in response.content


def test_a_page_is_a_503_with_a_message(client, database_down):
    assert_unavailable_page(client.get("/teams/"))


def test_a_signed_in_page_is_a_503_though_the_session_and_the_user_are_in_the_database(signed_in, user):
    signed_in.raise_request_exception = False
    with servers_gone():
        assert_unavailable_page(signed_in.get("/orders/"))


def test_an_api_read_and_an_api_write_are_503_with_the_json_error_body(client, bearer, database_down):
    for response in (
        client.get("/api/v1/orders", **bearer),
        client.post("/api/v1/orders", {"product_id": 1, "quantity": 1}, content_type="application/json", **bearer),
    ):
        assert response.status_code == 503
        assert response.json() == {"detail": outages.DATABASE, "errors": {}}
        assert response["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)


def test_a_comment_sent_while_the_database_is_down_is_refused_and_not_written(client, bearer):
    from app.posts.models import Comment

    post = PostFactory()
    client.raise_request_exception = False
    with servers_gone():
        response = client.post(
            f"/api/v1/posts/{post.pk}/comments", {"body": "hello"}, content_type="application/json", **bearer
        )
        assert response.status_code == 503
    assert not Comment.objects.filter(post_id=post.pk).exists()
    answer = client.post(
        f"/api/v1/posts/{post.pk}/comments", {"body": "hello"}, content_type="application/json", **bearer
    )
    assert answer.status_code == 201, answer.content  # back up: the same request goes through


def test_an_unexpected_error_is_still_a_500_and_under_the_api_a_json_one(client, bearer, monkeypatch):
    client.raise_request_exception = False

    def explode(**kwargs: object) -> None:
        raise RuntimeError("not the database")

    monkeypatch.setattr("app.api.api.orders_for_user", explode)
    monkeypatch.setattr("app.posts.views.feed_page", explode)
    api = client.get("/api/v1/orders", **bearer)
    assert api.status_code == 500
    assert api.json() == {"detail": API_SERVER_ERROR, "errors": {}}
    page = client.get("/")
    assert page.status_code == 500
    assert b"Something went wrong" in page.content
