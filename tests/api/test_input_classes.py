"""Classes of bad input, not cases: each answers a 4xx with the documented error body, never a 500.

These run in every tier's pass, so at tier1 and tier2 against PostgreSQL, which refuses NUL in
text and numbers beyond ``bigint``: the checks must stop such input before it gets there.
"""

from __future__ import annotations

import pytest

from app.api.inputs import BIGINT_MAX
from app.platform.http.pages import MAX_PAGE
from app.posts.models import Comment
from tests.factories import PostFactory, ProductFactory, TeamFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"


def assert_error(response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    if field:
        assert field in body["errors"], body


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"page={MAX_PAGE + 1}", "page"),
        (f"page={10**30}", "page"),
        ("page=1_0", "page"),
        ("page=%C2%B2", "page"),  # a superscript two is a digit to Python, not to us
        ("page=-1", "page"),
        ("page_size=1e1", "page_size"),
        ("page=%00", "page"),
    ],
)
def test_a_whole_number_in_a_query_must_be_digits_within_range(client, query, field):
    assert_error(client.get(f"/api/v1/feed?{query}"), 422, field)


@pytest.mark.parametrize("post_id", [str(BIGINT_MAX + 1), "1" * 40, "0"])
def test_an_id_in_a_path_must_fit_the_database(client, post_id):
    assert_error(client.get(f"/api/v1/posts/{post_id}"), 422, "post_id")


def test_the_largest_id_the_database_holds_is_simply_not_found(client):
    assert_error(client.get(f"/api/v1/posts/{BIGINT_MAX}"), 404)


@pytest.mark.parametrize(
    "body",
    [
        {"product_id": BIGINT_MAX + 1, "quantity": 1},
        {"product_id": 1, "quantity": True},
        {"product_id": 1, "quantity": "1"},
        {"product_id": 1, "quantity": 1.5},
        {"product_id": "1", "quantity": 1},
        {"product_id": None, "quantity": 1},
        {"quantity": 1},
    ],
)
def test_numbers_in_a_json_body_are_read_strictly(client, bearer, body):
    assert_error(client.post("/api/v1/orders", body, content_type=JSON, **bearer), 422)


def test_a_whole_float_is_the_same_json_number(client, bearer):
    product = ProductFactory(stock=5)
    response = client.post("/api/v1/orders", {"product_id": product.pk, "quantity": 2.0}, content_type=JSON, **bearer)
    assert response.status_code == 201


@pytest.mark.parametrize(
    "text",
    ["nul\x00inside", "\x00", "bell\x07", "x" * 5001, "\u200b\u200b\u200b", " \u3164 ", ""],
)
def test_text_with_control_characters_over_long_or_invisible_is_refused(client, bearer, text):
    post = PostFactory()
    assert_error(client.post(f"/api/v1/posts/{post.pk}/comments", {"body": text}, content_type=JSON, **bearer), 422)
    assert not Comment.objects.exists()


def test_any_script_and_emoji_are_text(client, bearer):
    post = PostFactory()
    body = "東京 Привет 🎉 مرحبا\ttab\nnewline"
    response = client.post(f"/api/v1/posts/{post.pk}/comments", {"body": body}, content_type=JSON, **bearer)
    assert response.status_code == 201
    assert Comment.objects.get().body == body


@pytest.mark.parametrize("username", ["demo\x00", "\x00", "a" * 151])
def test_a_nul_or_over_long_login_name_is_refused_not_looked_up(client, username):
    response = client.post("/api/v1/auth/token", {"username": username, "password": "x"}, content_type=JSON)
    assert_error(response, 422, "username")


@pytest.mark.parametrize("slug", ["a%00b", "x" * 61, "a%20b", "%F0%9F%8E%89"])
def test_a_slug_in_a_path_is_checked_before_it_is_looked_up(client, bearer, slug):
    assert client.get(f"/api/v1/teams/{slug}/dashboard", **bearer).status_code in (404, 422)


def test_malformed_json_is_400_with_the_error_body(client, bearer):
    assert_error(client.post("/api/v1/orders", '{"product_id": 1,', content_type=JSON, **bearer), 400)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_declared_json_is_415(client, bearer, content_type):
    product = ProductFactory(stock=5)
    body = f'{{"product_id": {product.pk}, "quantity": 1}}'
    assert_error(client.post("/api/v1/orders", body, content_type=content_type, **bearer), 415)


def test_an_unknown_api_path_is_a_json_404(client):
    assert_error(client.get("/api/v1/nothing/here"), 404)


def test_a_method_an_endpoint_does_not_answer_is_a_json_405(client):
    response = client.delete("/api/v1/feed")
    assert_error(response, 405)
    assert "GET" in response["Allow"]


def test_head_is_answered_like_get_without_a_body(client):
    PostFactory()
    get, head = client.get("/api/v1/feed"), client.head("/api/v1/feed")
    assert head.status_code == 200
    assert head.content == b""
    assert int(head["Content-Length"]) == len(get.content)


def test_writing_without_credentials_is_401_not_a_csrf_403(client):
    post = PostFactory()
    assert_error(client.post(f"/api/v1/posts/{post.pk}/comments", {"body": "hi"}, content_type=JSON), 401)
    assert_error(client.post("/api/v1/orders", {"product_id": 1, "quantity": 1}, content_type=JSON), 401)


@pytest.mark.parametrize("path", ["/orders/99999999999999999999999/", "/posts/99999999999999999999999/"])
def test_an_id_in_a_page_url_too_large_for_the_database_is_404(signed_in, path):
    assert signed_in.get(path).status_code == 404


def test_a_page_number_past_the_last_page_in_a_page_url_is_the_first_page(client):
    TeamFactory()
    assert client.get(f"/?page={10**30}").status_code == 200
    assert client.get("/?page=1_0").status_code == 200
