"""API tokens end: they expire, die with a password change, can be listed and revoked, and are capped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from app.accounts.models import ApiToken
from app.accounts.services import api_token_create
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

JSON = "application/json"


def works(client, raw: str) -> bool:
    return client.get("/api/v1/orders", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_a_token_expires(client, user, settings):
    token, raw = api_token_create(user=user, name="t")
    assert token.expires_at - timezone.now() > dt.timedelta(days=settings.API_TOKEN_LIFETIME_DAYS - 1)
    assert works(client, raw)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert not works(client, raw)


def test_changing_the_password_ends_every_token(client, user):
    raws = [api_token_create(user=user, name=f"t{n}")[1] for n in range(2)]
    assert all(works(client, raw) for raw in raws)
    client.force_login(user)
    changed = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "a-brand-new-pass-9", "new_password2": "a-brand-new-pass-9"},
    )
    assert changed.status_code == 302
    client.logout()
    assert not any(works(client, raw) for raw in raws)


def test_the_owner_lists_and_revokes_tokens_over_the_api(client, user):
    _, raw = api_token_create(user=user, name="laptop")
    other, _ = api_token_create(user=user, name="ci")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    listed = client.get("/api/v1/auth/tokens", **auth).json()["items"]
    assert {t["name"] for t in listed} == {"laptop", "ci"}
    assert all("key_hash" not in t and len(t["prefix"]) == 8 for t in listed)
    assert client.delete(f"/api/v1/auth/tokens/{other.pk}", **auth).status_code == 204
    assert [t["name"] for t in client.get("/api/v1/auth/tokens", **auth).json()["items"]] == ["laptop"]
    assert client.delete(f"/api/v1/auth/tokens/{other.pk}", **auth).status_code == 404


def test_nobody_revokes_another_users_token(client, user, django_user_model):
    stranger = django_user_model.objects.create_user("stranger", "s@example.com", "pass-pass-pass-1")
    theirs, their_raw = api_token_create(user=stranger, name="theirs")
    _, mine = api_token_create(user=user, name="mine")
    response = client.delete(f"/api/v1/auth/tokens/{theirs.pk}", HTTP_AUTHORIZATION=f"Bearer {mine}")
    assert response.status_code == 404
    assert works(client, their_raw)


def test_the_profile_page_lists_and_revokes(client, user):
    token, raw = api_token_create(user=user, name="laptop")
    client.force_login(user)
    page = client.get(reverse("profile")).content.decode()
    assert "laptop" in page
    assert raw[:8] in page
    assert client.post(reverse("profile"), {"revoke": str(token.pk)}).status_code == 302
    client.logout()  # so the session does not stand in for the token
    assert not works(client, raw)


def test_a_user_holds_a_bounded_number_of_tokens(client, user, settings):
    settings.API_TOKENS_PER_USER = 3
    body = {"username": user.username, "password": PASSWORD}
    statuses = [client.post("/api/v1/auth/token", body, content_type=JSON).status_code for _ in range(5)]
    assert statuses == [201, 201, 201, 409, 409]
    assert ApiToken.objects.filter(user=user).count() == 3
    client.force_login(user)
    page = client.post(reverse("profile"), {"name": "one more"})
    assert "revoke one" in page.content.decode()
