"""Writes for teams: creating one, adding members, setting the webhook."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction

from app.accounts.models import User
from app.platform.errors import DomainError, NotFound
from app.platform.inputs.names import clean_name, slug_for
from app.platform.outbound import http as outbound
from app.teams.models import Membership, Team
from app.teams.selectors import require_owner


def reserved_slugs() -> set[str]:
    """The words the app's own team URLs use (``/teams/new/``): no team may take one as its slug."""
    from app.teams import urls

    routes = (str(pattern.pattern) for pattern in urls.urlpatterns)
    return {route.split("/")[0] for route in routes if route and "<" not in route.split("/")[0]}


def team_create(*, owner: User, name: str, description: str = "") -> Team:
    name = clean_name(name, field="name", what="team name")
    slug = slug_for(name)
    if not slug:
        raise DomainError("Give the team a name with letters or digits.", field="name")
    if slug in reserved_slugs():
        raise DomainError(f"“{name}” is a word the site itself uses; choose another name.", field="name")
    if Team.objects.filter(slug=slug).exists():
        raise DomainError("A team with that name already exists.", field="name")
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name, slug=slug, description=description)
            Membership.objects.create(team=team, user=owner, role=Membership.Role.OWNER)
    except IntegrityError as exc:
        raise DomainError("A team with that name already exists.", field="name") from exc
    return team


def team_add_member(*, actor: User, team: Team, username: str, role: str = Membership.Role.MEMBER) -> Membership:
    require_owner(user=actor, team=team)
    user = User.objects.filter(username__iexact=username).first()
    if user is None:
        raise NotFound(f"No user called {username!r}.")
    membership, created = Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
    if not created:
        raise DomainError(f"{user.username} is already a member.", field="username")
    return membership


def team_set_webhook(*, actor: User, team: Team, url: str) -> Team:
    """Set (or clear, with an empty URL) where orders are POSTed; a new secret comes with a new URL."""
    require_owner(user=actor, team=team)
    if url:
        try:
            outbound.check(url)
        except outbound.OutboundError as exc:
            raise DomainError(f"Webhooks cannot go there: {exc}.", field="webhook_url") from exc
    if url and url != team.webhook_url:
        team.webhook_secret = secrets.token_hex(32)
    team.webhook_url = url
    team.save(update_fields=["webhook_url", "webhook_secret"])
    return team
