"""API authentication: a bearer token from ``POST /api/v1/auth/token``, or the browser session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from app.accounts.services import api_token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


#: Either way in: a token (``Authorization: Bearer …``) or a session cookie with its CSRF token.
token_or_session = [BearerToken(), django_auth]
