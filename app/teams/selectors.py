"""Reads for teams and the permission questions views ask."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from app.accounts.models import User
from app.platform.errors import NotFound, PermissionDenied
from app.platform.http.pages import Page, paginate
from app.teams.models import Membership, Team


def team_get(*, slug: str) -> Team:
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        raise NotFound(f"No team called {slug!r}.")
    return team


def teams_page(*, page: int = 1, page_size: int = 24) -> Page[Team]:
    """Every team by name, a page at a time (a list of all of them grows with the site)."""
    return paginate(Team.objects.order_by("name", "id"), page=page, page_size=page_size)


def teams_of(*, user: User) -> QuerySet[Team]:
    return Team.objects.filter(memberships__user=user).order_by("name")


def teams_owned_by(*, user: User) -> QuerySet[Team]:
    return Team.objects.filter(memberships__user=user, memberships__role=Membership.Role.OWNER).order_by("name")


def is_member(*, user: User | AnonymousUser, team: Team) -> bool:
    return user.is_authenticated and Membership.objects.filter(team=team, user=user).exists()


def is_owner(*, user: User | AnonymousUser, team: Team) -> bool:
    return (
        user.is_authenticated and Membership.objects.filter(team=team, user=user, role=Membership.Role.OWNER).exists()
    )


def require_owner(*, user: User, team: Team) -> None:
    if not is_owner(user=user, team=team):
        raise PermissionDenied("Only the team's owners can do that.")
