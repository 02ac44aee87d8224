"""API authentication: a bearer token from ``POST /api/v1/auth/token``, or the browser session."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from app.accounts.models import User
from app.accounts.services import api_token_authenticate
from app.platform.errors import NotAuthenticated
from app.platform.http import ratelimit


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
            # Per token, counted once it is known to be one (a wrong token costs nothing to count).
            ratelimit.enforce("api-token", hashlib.blake2b(token.encode(), digest_size=16).hexdigest())
        return user


class SignedInSession(SessionAuth):
    """The browser's session, CSRF-checked only when there is a signed-in session to protect.

    ninja's own session auth checks CSRF first, so a request with no credentials at all was
    answered 403 "CSRF check failed"; it is 401 (not authenticated), as the schema says.
    """

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            return None
        return super().__call__(request)


#: Either way in: a token (``Authorization: Bearer …``) or a session cookie with its CSRF token.
token_or_session = [BearerToken(), SignedInSession()]


def signed_in(request: HttpRequest) -> User:
    """The user an endpoint with ``auth=token_or_session`` serves (ninja has let only them in)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated("Authentication required: send a Bearer token or log in.")
    return user
