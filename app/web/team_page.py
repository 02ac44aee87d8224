"""A team's public page: its products, then its posts.

It shows three apps' data (teams, shop, posts), so it is composed here, above them, rather
than inside one of them: no app imports another app's selectors to draw a page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from app.platform.http.pages import page_number
from app.posts.selectors import feed_page
from app.shop.selectors import product_list
from app.teams.selectors import is_member, is_owner, team_get


def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The team's products, then its posts; ``?page=`` pages the posts, and later pages show only them."""
    team = team_get(slug=slug)
    number = page_number(request.GET.get("page"))
    posts = feed_page(page=number, page_size=10, team=team)
    context = {
        "team": team,
        "posts": posts,
        "products": product_list(page=1, page_size=10, team=team) if number == 1 else None,
        "is_member": is_member(user=request.user, team=team),
        "is_owner": is_owner(user=request.user, team=team),
    }
    return render(request, "teams/detail.html", context, status=posts.status)
