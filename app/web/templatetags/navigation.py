"""``{% load navigation %}``: what the layout's navigation needs to know about the signed-in user."""

from __future__ import annotations

from django import template
from django.http import HttpRequest

from app.teams.models import Team
from app.teams.selectors import teams_owned_by

register = template.Library()


@register.simple_tag(takes_context=True)
def owned_teams(context: template.Context) -> list[Team]:
    """The teams the signed-in user owns, for the "Dashboard" link: one query per request, at most.

    The answer is kept on the request, so the navigation and a page that lists the same
    teams (the dashboard's team switcher) share it; anonymous visitors cost nothing.
    """
    request: HttpRequest | None = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return []
    if not hasattr(request, "_owned_teams"):
        request._owned_teams = list(teams_owned_by(user=user).only("name", "slug"))  # type: ignore[attr-defined]
    return request._owned_teams  # type: ignore[attr-defined]
