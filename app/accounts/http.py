"""The request a signed-in-only view receives, typed as such."""

from __future__ import annotations

from django.http import HttpRequest

from app.accounts.models import User


class SignedInRequest(HttpRequest):
    """What a view behind ``@login_required`` gets: its ``user`` is a ``User``, never anonymous.

    An annotation only (Django builds the request as usual); it lets the type checker hold every
    service that acts for a user to a real one.
    """

    user: User
