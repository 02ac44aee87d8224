"""The tenant of a request, taken from its URL: the team whose pages it asks for.

Django resolves the URL before it calls the view; ``process_view`` finds the team the URL names
(``SHARDING["TENANT_URL_KWARGS"]``: a ``team_slug`` anywhere, a ``slug`` on the team's own
pages) and runs the view for it (``app.platform.tenancy.team``), so the router sends the view's
team-scoped queries to that team's shard. A URL that names no team runs for none: a
team-scoped query there must fan out explicitly or fails loudly (``NoTenant``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from app.platform import tenancy
from app.platform.sharding import directory


def team_id_for_slug(slug: str) -> int | None:
    tenant = apps.get_model(settings.SHARDING["TENANT_MODEL"])
    return tenant._default_manager.filter(slug=slug).values_list("pk", flat=True).first()


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with tenancy.team(None):
            return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        match = request.resolver_match
        for name, url_names in settings.SHARDING["TENANT_URL_KWARGS"].items():
            if name in kwargs and (url_names is None or (match and match.url_name in url_names)):
                team_id = team_id_for_slug(str(kwargs[name]))
                if team_id is not None:
                    directory.shard_of(team_id)  # a team with no shard: NotFound now, not mid-view
                    tenancy.switch_team(team_id)
                return
