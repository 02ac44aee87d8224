"""``{% load navigation %}``: what the layout's navigation needs to know about the signed-in user."""

from __future__ import annotations

from django import template
from django.http import HttpRequest

from app.teams import http as team_requests
from app.teams.models import Team

register = template.Library()


@register.simple_tag(takes_context=True)
def owned_teams(context: template.Context) -> list[Team]:
    """The teams the signed-in user owns, for the "Dashboard" link (``app.teams.http``: one query
    per request at most, shared with the dashboard's switcher and permission check)."""
    request: HttpRequest | None = context.get("request")
    return team_requests.owned_teams(request) if request is not None else []
