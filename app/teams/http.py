"""What a request needs to know about the signed-in user's teams, asked once per request."""

from __future__ import annotations

from django.http import HttpRequest

from app.teams.models import Team
from app.teams.selectors import require_owner, team_get, teams_owned_by


def owned_teams(request: HttpRequest) -> list[Team]:
    """The teams the signed-in visitor owns (none for anyone else): one query per request at most.

    Kept on the request, so the layout's "Dashboard" link, the dashboard's team switcher and its
    permission check share one answer.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    if not hasattr(request, "_owned_teams"):
        request._owned_teams = list(teams_owned_by(user=user))  # type: ignore[attr-defined]
    return request._owned_teams  # type: ignore[attr-defined]


def owned_team(request: HttpRequest, slug: str) -> Team:
    """The team called ``slug`` if the visitor owns it; ``NotFound`` if there is none,
    ``PermissionDenied`` if it is someone else's. An owner's answer costs no query of its own."""
    for team in owned_teams(request):
        if team.slug == slug:
            return team
    team = team_get(slug=slug)
    require_owner(user=request.user, team=team)  # type: ignore[arg-type]
    return team  # an owner since this request first asked (reached only then)
