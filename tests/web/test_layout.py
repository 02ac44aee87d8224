"""The layout every page shares: its own title, the favicon, and the owner's "Dashboard" link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.templatetags.static import static

from tests.factories import CommentFactory, OrderFactory, PostFactory, ProductFactory, TeamFactory, UserFactory
from tests.shared_state import forget_shared_cache, session_queries

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "templates"


def title(response) -> str:
    found = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert found, "the page has no <title>"
    return found.group(1).strip()


def test_every_page_template_names_its_page():
    """A template that extends the layout and sets no title would be titled " · Milestones"."""
    missing = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if '{% extends "base.html" %}' in path.read_text() and "{% block title %}" not in path.read_text()
    ]
    assert missing == []


def test_each_page_has_its_own_title(client):
    owner = UserFactory()
    team = TeamFactory(name="Night Owls", owner=owner)
    post = PostFactory(team=team, title="Our first release")
    CommentFactory(post=post)
    product = ProductFactory(team=team, name="Owl mug")
    order = OrderFactory(user=owner, team=team)
    anonymous = {
        "/": "Feed · Milestones",
        "/?page=2": "Feed, page 2 · Milestones",
        f"/posts/{post.pk}/": "Our first release · Milestones",
        "/shop/": "Shop · Milestones",
        f"/shop/{team.slug}/{product.slug}/": "Owl mug · Milestones",
        "/teams/": "Teams · Milestones",
        f"/teams/{team.slug}/": "Night Owls · Milestones",
        "/accounts/login/": "Log in · Milestones",
        "/accounts/signup/": "Sign up · Milestones",
    }
    for url, expected in anonymous.items():
        assert title(client.get(url)) == expected, url
    client.force_login(owner)
    signed_in = {
        f"/teams/{team.slug}/dashboard/": "Night Owls dashboard · Milestones",
        "/orders/": "My orders · Milestones",
        f"/orders/{order.pk}/": f"Order #{order.pk} · Milestones",
        "/accounts/profile/": "Your profile · Milestones",
        "/posts/new/": "Write a post · Milestones",
    }
    for url, expected in signed_in.items():
        assert title(client.get(url)) == expected, url


def test_a_missing_page_is_titled_too(client):
    assert title(client.get("/posts/999999/")) == "Not found · Milestones"


def test_the_favicon_is_linked_through_the_static_pipeline(client):
    """Linked with ``{% static %}``, so from tier1 it is the hashed name collectstatic wrote."""
    html = client.get("/").content.decode()
    for name in ("favicon.svg", "favicon-32.png", "apple-touch-icon.png"):
        assert finders.find(name), f"{name} is not among the static files"
        assert f'href="{static(name)}"' in html
    if isinstance(staticfiles_storage._wrapped, ManifestFilesMixin):
        assert re.search(r"/favicon\.[0-9a-f]{12}\.svg$", static("favicon.svg"))
        response = client.get(static("favicon.svg"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("image/svg+xml")


def test_hashed_static_urls_are_remembered_and_read_as_whitenoise_writes_them():
    from whitenoise.storage import CompressedManifestStaticFilesStorage

    from app.platform.http.static import HashedStaticStorage

    static("favicon.svg")  # the storage is made on first use
    storage = staticfiles_storage._wrapped
    if not isinstance(storage, ManifestFilesMixin):
        return  # tier0 serves unhashed names: nothing to look up
    assert isinstance(storage, HashedStaticStorage)
    for name in ("favicon.svg", "css/site.css", "favicon.svg"):
        assert storage.url(name) == CompressedManifestStaticFilesStorage.url(storage, name)
    assert set(storage._urls) >= {"favicon.svg", "css/site.css"}


def test_owners_see_a_dashboard_link_and_nobody_else_does(client):
    owner, member = UserFactory(), UserFactory()
    team = TeamFactory(owner=owner)
    assert "Dashboard</a>" not in client.get("/").content.decode()
    client.force_login(member)
    assert "Dashboard</a>" not in client.get("/").content.decode()
    client.force_login(owner)
    assert f'<a href="/teams/{team.slug}/dashboard/">Dashboard</a>' in client.get("/").content.decode()


def test_an_owner_of_several_teams_switches_dashboards_without_another_query(client, django_assert_num_queries):
    owner = UserFactory()
    first, second = TeamFactory(name="A Team", owner=owner), TeamFactory(name="B Team", owner=owner)
    client.force_login(owner)
    url = f"/teams/{first.slug}/dashboard/"
    client.get(url)  # warm: the session's first read
    forget_shared_cache()  # the figures are computed, not read from tier3's cache
    # session (in the database to tier2), user, the owned teams (once: the link, the switcher and
    # the ownership check share them), revenue by day, top products, recent orders (none)
    with django_assert_num_queries(5 + session_queries()):
        html = client.get(url).content.decode()
    assert f'<a href="/teams/{second.slug}/dashboard/">B Team</a>' in html
    assert '<strong aria-current="page">A Team</strong>' in html
