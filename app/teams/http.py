"""What a request needs to know about the signed-in user's teams, asked once per request."""

from __future__ import annotations

from django.http import HttpRequest

from app.platform.caching import cached
from app.teams.models import Team
from app.teams.ownership import OWNERSHIP_TOPIC
from app.teams.selectors import require_owner, team_get, teams_owned_by


def owned_teams(request: HttpRequest) -> list[Team]:
    """The teams the signed-in visitor owns (none for anyone else): one lookup per request at most.

    Kept on the request, so the layout's "Dashboard" link, the dashboard's team switcher and its
    permission check share one answer; kept in the application cache (tier3) for the visitor's
    next requests, until a team or a membership changes. Under load, a fifth of a tier3
    worker's time on the dashboard went to this query, mostly to building it, not running it.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    if not hasattr(request, "_owned_teams"):
        request._owned_teams = cached(  # type: ignore[attr-defined]
            f"owned-teams:{user.pk}",
            depends_on=[OWNERSHIP_TOPIC],
            compute=lambda: list(teams_owned_by(user=user)),
        )
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
