"""Reads about accounts that more than one caller asks."""

from __future__ import annotations

from app.accounts.models import User

#: What a visitor is told when the name they chose belongs to someone (usernames are public).
USERNAME_TAKEN = "A user with that username already exists."


def username_taken(username: str) -> bool:
    """Whether someone has this username, in any letter case: the form asks before it shows the
    page again, the service asks again (and the database's constraint decides a race)."""
    return User.objects.filter(username__iexact=username).exists()
