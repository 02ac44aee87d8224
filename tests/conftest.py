"""Fixtures shared by every test."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def signed_in(client: Client, user) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def api_token(user) -> str:
    from app.accounts.services import api_token_create

    return api_token_create(user=user, name="tests")[1]


@pytest.fixture
def bearer(api_token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token}"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness protects real passwords; in tests it only costs minutes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def tier0_stack(tmp_path_factory):
    """tier0 as ``make up`` runs it (smtp sink, migrate, seed, gunicorn), on its own ports and folder."""
    from app.runner.stack import private_stack

    with private_stack("tier0", tmp_path_factory.mktemp("tier0")) as stack:
        yield stack
