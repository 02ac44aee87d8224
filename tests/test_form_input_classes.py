"""The HTML forms get the same classes of bad input as the API: a form error, never a 500 or a stored row.

Runs in every tier's pass, so at tier1 and tier2 against PostgreSQL (no NUL in text, bigint ids).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from app.accounts.models import User
from app.posts.models import Comment, Post
from app.shop.models import Order
from app.teams.models import Team
from tests.factories import PostFactory, ProductFactory, TeamFactory

pytestmark = pytest.mark.django_db

NUL = "bad\x00value"
LONG = "x" * 300_000
INVISIBLE = "\u200b\u200c\u200d\ufeff"
HUGE = str(10**30)


def refused(response) -> bool:
    """A form error (the page again, 200, or a 4xx), never a server error and never a redirect onwards."""
    return response.status_code < 500 and response.status_code != 302


@pytest.mark.parametrize(
    "data",
    [
        {"username": NUL, "email": "a@example.com"},
        {"username": "newuser", "email": f"a{NUL}@example.com"},
        {"username": LONG, "email": "a@example.com"},
        {"username": INVISIBLE, "email": "a@example.com"},
        {"username": "newuser", "email": LONG + "@example.com"},
    ],
)
def test_sign_up(client, data):
    data = {**data, "password1": "a-long-enough-pass", "password2": "a-long-enough-pass"}
    assert refused(client.post(reverse("signup"), data))
    assert not User.objects.exists()


@pytest.mark.parametrize("username", [NUL, LONG, INVISIBLE, "\x00"])
def test_log_in(client, user, username):
    response = client.post(reverse("login"), {"username": username, "password": "x"})
    assert refused(response)
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("body", [NUL, LONG, INVISIBLE, "   "])
def test_comment(signed_in, body):
    post = PostFactory()
    assert refused(signed_in.post(reverse("post_detail", args=[post.pk]), {"body": body}))
    assert not Comment.objects.exists()


@pytest.mark.parametrize(("title", "body"), [(NUL, "body"), ("title", NUL), (LONG, "b"), ("t", LONG), (INVISIBLE, "b")])
def test_publish(signed_in, user, title, body):
    team = TeamFactory(owner=user)
    before = Post.objects.count()
    assert refused(signed_in.post(reverse("post_publish"), {"team": team.pk, "title": title, "body": body}))
    assert refused(signed_in.post(reverse("post_publish"), {"team": HUGE, "title": "t", "body": "b"}))
    assert Post.objects.count() == before


@pytest.mark.parametrize("quantity", [HUGE, "-1", "0", NUL, "1_0", "1e3", LONG])
def test_checkout(signed_in, quantity):
    product = ProductFactory(stock=5)
    url = reverse("product_detail", args=[product.team.slug, product.slug])
    assert refused(signed_in.post(url, {"quantity": quantity}))
    assert not Order.objects.exists()


@pytest.mark.parametrize("email", [NUL, LONG + "@example.com", INVISIBLE])
def test_password_reset(client, email):
    assert client.post(reverse("password_reset"), {"email": email}).status_code < 500


@pytest.mark.parametrize(
    "data",
    [{"name": NUL}, {"name": LONG}, {"name": INVISIBLE}, {"name": "ok", "description": NUL}],
)
def test_new_team(signed_in, data):
    assert refused(signed_in.post(reverse("team_new"), data))
    assert not Team.objects.exists()


@pytest.mark.parametrize("url", [f"https://example.com/{NUL}", "https://example.com/" + "a" * 300])
def test_webhook_url(signed_in, user, url):
    team = TeamFactory(owner=user)
    assert refused(signed_in.post(reverse("team_settings", args=[team.slug]), {"webhook_url": url}))
    team.refresh_from_db()
    assert team.webhook_url == ""
