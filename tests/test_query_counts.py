"""Queries per request for every list page and API endpoint, at two sizes.

tier0 loads lazily, so its counts grow with the page: each case pins the exact
formula ``base + per_item × n``. Under the eager strategy (tier1 on) every page must
cost the same at both sizes, and the count is pinned too. When a count changes, the
failure prints every statement: justify the new query or remove it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from app.platform.db.loading import LazyLoading
from app.platform.jobs import InlineBackend
from app.platform.seams import seam
from tests.factories import CommentFactory, OrderFactory, PostFactory, ProductFactory, TeamFactory, UserFactory
from tests.shared_state import forget_shared_cache, session_queries

SIZES = (5, 20)
EAGER = "app.platform.db.loading.EagerLoading"


@dataclass(frozen=True)
class Case:
    name: str
    #: Builds ``n`` rows for the page and returns the URL and request headers to fetch it with.
    build: Callable[[int, Client], tuple[str, dict[str, str]]]
    lazy_base: int
    lazy_per_item: int
    eager: int
    #: Pages that show at most this many rows (the dashboard's 10 recent orders) stop growing there.
    cap: int = 50
    #: Queries the inline jobs backend adds to the request (the page-view event); on Celery, none.
    inline_jobs: int = 0
    #: Queries reading a signed-in page's session, where sessions are in the database (to tier2).
    session: int = 0

    def expected(self, n: int) -> int:
        """What this tier's configured strategy and jobs backend should cost at page size ``n``."""
        lazy = isinstance(seam("LOADING_STRATEGY"), LazyLoading)
        count = self.lazy_base + self.lazy_per_item * min(n, self.cap) if lazy else self.eager
        count -= self.session - self.session * session_queries()
        return count if isinstance(seam("JOBS_BACKEND"), InlineBackend) else count - self.inline_jobs


def _signed_in(client: Client):
    user = UserFactory()
    client.force_login(user)
    return user


def _bearer(client: Client) -> tuple[object, dict[str, str]]:
    from app.accounts.services import api_token_create

    user = UserFactory()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t')[1]}"}
    client.get("/api/v1/orders", **headers)  # the first use stamps last_used_at; later ones do not write
    return user, headers


def feed(n, client):
    PostFactory.create_batch(n)
    return "/", {}


def feed_api(n, client):
    PostFactory.create_batch(n)
    return f"/api/v1/feed?page_size={n}", {}


def post_page(n, client):
    post = PostFactory()
    CommentFactory.create_batch(n, post=post)
    return f"/posts/{post.pk}/", {}


def post_api(n, client):
    post = PostFactory()
    CommentFactory.create_batch(n, post=post)
    return f"/api/v1/posts/{post.pk}", {}


def team_page(n, client):
    team = TeamFactory()
    PostFactory.create_batch(n, team=team)
    ProductFactory.create_batch(n, team=team)
    return f"/teams/{team.slug}/", {}


def teams_list(n, client):
    TeamFactory.create_batch(n)
    return "/teams/", {}


def catalogue(n, client):
    ProductFactory.create_batch(n)
    return "/shop/", {}


def products_api(n, client):
    ProductFactory.create_batch(n)
    return f"/api/v1/products?page_size={n}", {}


def my_orders(n, client):
    user = _signed_in(client)
    OrderFactory.create_batch(n, user=user)
    return "/orders/", {}


def orders_api(n, client):
    user, headers = _bearer(client)
    OrderFactory.create_batch(n, user=user)
    return f"/api/v1/orders?page_size={n}", headers


def dashboard(n, client):
    user = _signed_in(client)
    team = TeamFactory(owner=user)
    OrderFactory.create_batch(n, team=team)
    return f"/teams/{team.slug}/dashboard/", {}


def dashboard_api(n, client):
    user, headers = _bearer(client)
    team = TeamFactory(owner=user)
    OrderFactory.create_batch(n, team=team)
    return f"/api/v1/teams/{team.slug}/dashboard", headers


CASES = [
    # the posts (with their comment counts); then author and team per post; +1 for the page-view event
    Case("feed page", feed, lazy_base=2, lazy_per_item=2, eager=2, inline_jobs=1),
    Case("GET /api/v1/feed", feed_api, lazy_base=2, lazy_per_item=2, eager=2, inline_jobs=1),
    # post, author, team, comments, page view; then each comment's author
    Case("post page", post_page, lazy_base=5, lazy_per_item=1, eager=3, inline_jobs=1),
    Case("GET /api/v1/posts/{id}", post_api, lazy_base=5, lazy_per_item=1, eager=3, inline_jobs=1),
    # team, its posts, its products; per row: a post's author and team, a product's team
    Case("team page", team_page, lazy_base=3, lazy_per_item=3, eager=3, cap=10),
    Case("shop page", catalogue, lazy_base=1, lazy_per_item=1, eager=1),
    # the teams, a page of them by name; nothing per team
    Case("teams page", teams_list, lazy_base=1, lazy_per_item=0, eager=1),
    Case("GET /api/v1/products", products_api, lazy_base=1, lazy_per_item=1, eager=1),
    # session, user, orders, the teams the user owns (the navigation's "Dashboard" link: one
    # query for a signed-in user's page whatever its size); per order: its team, items, product
    Case("my orders page", my_orders, lazy_base=4, lazy_per_item=3, eager=6, session=1),
    Case("GET /api/v1/orders", orders_api, lazy_base=2, lazy_per_item=3, eager=4),
    # session, user, team, ownership, revenue by day, top products, recent orders (at most 10),
    # and the teams the user owns (the "Dashboard" link and the page's team switcher share it)
    Case("dashboard page", dashboard, lazy_base=6, lazy_per_item=3, eager=8, cap=10, session=1),
    Case("GET /api/v1/teams/{slug}/dashboard", dashboard_api, lazy_base=6, lazy_per_item=4, eager=8, cap=10),
]


def measure(case: Case, n: int, client: Client, capture) -> tuple[int, list[str]]:
    url, headers = case.build(n, client)
    forget_shared_cache()  # what computing the page costs, not a copy of it (factories invalidate nothing)
    # Outer capture: the inline jobs that run on commit are part of what the request costs.
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries), [q["sql"] for q in queries.captured_queries]


def explain(count: int, expected: int, statements: list[str]) -> str:
    listing = "\n".join(f"  {i + 1}. {sql[:300]}" for i, sql in enumerate(statements))
    return f"{count} queries, expected {expected}. Justify each new one or remove it:\n{listing}"


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("n", SIZES)
def test_the_tiers_query_count_is_pinned(case: Case, n: int, client, django_capture_on_commit_callbacks):
    count, statements = measure(case, n, client, django_capture_on_commit_callbacks)
    assert count == case.expected(n), explain(count, case.expected(n), statements)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@override_settings(LOADING_STRATEGY=EAGER)
def test_eager_loading_costs_the_same_at_every_page_size(case: Case, client, django_capture_on_commit_callbacks):
    counts = []
    for n in SIZES:
        count, statements = measure(case, n, client, django_capture_on_commit_callbacks)
        assert count == case.expected(n), explain(count, case.expected(n), statements)
        counts.append(count)
    assert len(set(counts)) == 1
