"""tier3's application cache, against its real Redis: shared anonymous pages, invalidation on
commit, per-visitor parts never shared, one recompute under a stampede, and a cache that is down."""

from __future__ import annotations

import threading
import time

import pytest
from django.test import Client

from app.platform.caching.shared import SharedCache
from app.platform.seams import seam
from app.runner.units.redis import CacheRedis
from tests.factories import OrderFactory, PostFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def shared() -> SharedCache:
    cache = seam("APP_CACHE")
    assert isinstance(cache, SharedCache)
    return cache


def test_an_anonymous_feed_is_computed_once_then_served_from_the_cache(django_assert_num_queries):
    PostFactory.create_batch(3)
    client = Client()
    first = client.get("/")
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = client.get("/")
    assert again.content == first.content
    assert again["Cache-Control"] == "public, max-age=0, s-maxage=60"
    assert "Cookie" in again["Vary"]
    assert again["ETag"] == first["ETag"]
    # A browser (or CDN) that has the page is told it has not changed.
    assert client.get("/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    stats = shared().stats()
    assert stats["recomputes"] == 1
    assert stats["misses"] == 1
    assert stats["lookups"] >= 1  # each process adds its count at most once a second


def test_a_shared_page_is_answered_before_the_stack_as_the_stack_answered_it(monkeypatch, page_views):
    """Once a page is shared, its next anonymous request is answered by SharePageMiddleware from
    one lookup, with no URL resolution and no view, and with every header the stack gave it."""
    from django.core.handlers.base import BaseHandler

    PostFactory.create_batch(2)
    client = Client()
    through_stack = client.get("/")  # rendered and shared; on its way out the middleware keeps its headers
    resolved: list[str] = []
    real = BaseHandler.resolve_request
    monkeypatch.setattr(BaseHandler, "resolve_request", lambda self, r: resolved.append(r.path) or real(self, r))
    early = client.get("/")
    assert resolved == []
    assert early.content == through_stack.content
    # Every header the stack gave it, but the request id: each response carries its own request's.
    own = "X-Request-ID"
    assert early[own] != through_stack[own]
    assert {k: v for k, v in early.headers.items() if k != own} == {
        k: v for k, v in through_stack.headers.items() if k != own
    }
    assert early["X-Frame-Options"] == "DENY"  # XFrameOptionsMiddleware's, which this answer skipped
    assert early["Cache-Control"] == "public, max-age=0, s-maxage=60"
    assert client.get("/", HTTP_IF_NONE_MATCH=early["ETag"]).status_code == 304
    assert [view.path for view in page_views()].count("/") == 3  # the early answers count their views too
    # A visitor with a session, or a write's invalidation, goes through the stack again.
    post = PostFactory(title="Published after the page was shared")
    from app.platform.caching import invalidate

    invalidate("posts")
    assert post.title in client.get("/").content.decode()
    assert resolved == ["/"]


def test_a_cached_page_is_refused_to_a_host_the_site_does_not_serve():
    client = Client()
    client.get("/")
    client.get("/")
    assert client.get("/", HTTP_HOST="attacker.example").status_code == 400


def test_a_new_comment_shows_on_the_next_request(client):
    post = PostFactory(title="Cached post")
    anonymous = Client()
    assert "No comments yet" in anonymous.get(f"/posts/{post.pk}/").content.decode()
    feed_before = anonymous.get("/").content.decode()
    commenter = UserFactory()
    client.force_login(commenter)
    assert client.post(f"/posts/{post.pk}/", {"body": "Fresh from the cache test"}).status_code == 302
    page = anonymous.get(f"/posts/{post.pk}/").content.decode()
    assert "Fresh from the cache test" in page
    assert "1 comment" in anonymous.get("/").content.decode()
    assert "1 comment" not in feed_before


def test_signed_in_pages_are_never_shared(client):
    PostFactory()
    alice = UserFactory(username="alice-signed-in")
    client.force_login(alice)
    mine = client.get("/")
    assert "alice-signed-in" in mine.content.decode()
    assert mine["Cache-Control"] == "private, no-cache"
    anonymous = Client().get("/")
    assert "alice-signed-in" not in anonymous.content.decode()
    assert "Log in" in anonymous.content.decode()
    # and the anonymous copy is not what a signed-in visitor gets afterwards
    assert "alice-signed-in" in client.get("/").content.decode()


def test_a_visitor_with_a_flash_message_waiting_gets_a_page_of_their_own():
    anonymous = Client()
    assert anonymous.get("/")["Cache-Control"].startswith("public")  # the shared copy exists
    anonymous.cookies["messages"] = "something-pending"  # flash messages travel in this cookie
    assert anonymous.get("/")["Cache-Control"] == "private, no-cache"


def test_a_team_dashboard_is_computed_once_until_the_next_order(client, django_assert_max_num_queries):
    owner = UserFactory()
    team = TeamFactory(owner=owner)
    OrderFactory.create_batch(3, team=team)
    client.force_login(owner)
    url = f"/teams/{team.slug}/dashboard/"
    client.get(url)
    # the user only: the teams they own (the ownership check, the switcher and the layout's link
    # share them) and the figures (revenue by day, top products, recent orders) are cached
    with django_assert_max_num_queries(1):
        assert client.get(url).status_code == 200
    from app.shop.services import order_checkout
    from tests.factories import ProductFactory

    product = ProductFactory(team=team, stock=5)
    order = order_checkout(user=UserFactory(), product_id=product.pk, quantity=1)
    assert f"#{order.pk}" in client.get(url).content.decode()


def test_a_change_of_ownership_takes_effect_on_the_next_request_whoever_made_it(client):
    """Owned teams are cached per visitor; any save or delete of a membership or a team, the
    admin's and a shell's included, invalidates them when it commits."""
    from app.teams.models import Membership

    owner = UserFactory()
    team = TeamFactory(owner=owner)
    client.force_login(owner)
    url = f"/teams/{team.slug}/dashboard/"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # from the cache now
    Membership.objects.filter(team=team, user=owner).get().delete()  # as the admin would
    assert client.get(url).status_code == 403
    renamed = TeamFactory(owner=owner)
    assert f"/teams/{renamed.slug}/dashboard/" in client.get("/orders/").content.decode()  # the layout's link
    renamed.name = "Renamed in a shell"
    renamed.save()
    assert "Renamed in a shell" in client.get(f"/teams/{renamed.slug}/dashboard/").content.decode()


def test_a_stale_hot_entry_is_recomputed_once_under_concurrency(settings):
    cache = shared()
    computed: list[int] = []

    def compute() -> str:
        computed.append(1)
        time.sleep(0.2)  # a slow query: the window in which a stampede would pile up
        return f"value {len(computed)}"

    cache.fresh = 0.0  # stored already expired: the next readers all find it stale at once
    try:
        assert cache.value("stampede-test", ("stampede",), compute) == "value 1"
        results: list[str] = []
        threads = [
            threading.Thread(target=lambda: results.append(cache.value("stampede-test", ("stampede",), compute)))
            for _ in range(30)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        cache.fresh = SharedCache().fresh
    assert len(computed) == 2, "one recompute for 30 concurrent readers of the stale entry"
    assert set(results) <= {"value 1", "value 2"}


def test_a_missing_entry_is_computed_once_while_the_others_wait():
    cache = shared()
    computed: list[int] = []

    def compute() -> str:
        computed.append(1)
        time.sleep(0.3)
        return "fresh"

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.value("cold-test", ("cold",), compute))) for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["fresh"] * 20
    assert len(computed) == 1


def test_invalidation_makes_every_dependent_entry_stale_and_nothing_else():
    cache = shared()
    calls: list[str] = []
    for key in ("a", "b"):
        cache.value(key, ("topic-x",), lambda key=key: calls.append(key) or key)
    cache.value("c", ("topic-y",), lambda: calls.append("c") or "c")
    cache.invalidate(["topic-x"])
    for key, topic in (("a", "topic-x"), ("b", "topic-x"), ("c", "topic-y")):
        cache.value(key, (topic,), lambda key=key: calls.append(key) or key)
    assert calls == ["a", "b", "c", "a", "b"]


def test_with_the_cache_redis_stopped_every_page_is_still_served(tier_services, client):
    PostFactory(title="Served without a cache")
    redis = tier_services.unit(CacheRedis)
    ctx = tier_services.ctx
    redis.stop(ctx)
    try:
        anonymous = Client()
        started = time.monotonic()
        for path in ("/", "/shop/", "/readyz"):
            response = anonymous.get(path)
            assert response.status_code == 200, (path, response.content[:300])
        assert "Served without a cache" in anonymous.get("/").content.decode()
        # One request pays the short socket timeout; the cache is then left alone, so the rest do not.
        assert time.monotonic() - started < 3
        owner = UserFactory()
        team = TeamFactory(owner=owner)
        client.force_login(owner)
        assert client.get(f"/teams/{team.slug}/dashboard/").status_code == 200
    finally:
        redis.start(ctx)


def test_a_page_holding_a_csrf_token_or_setting_a_cookie_is_never_stored(rf):
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    from app.platform.caching.shared import _storable

    plain = rf.get("/")
    assert _storable(plain, HttpResponse("<p>for everyone</p>")) is not None
    with_token = rf.get("/")
    get_token(with_token)  # what {% csrf_token %} does while the template renders
    assert _storable(with_token, HttpResponse("<form>…</form>")) is None
    cookie = HttpResponse("<p>hello</p>")
    cookie.set_cookie("seen", "1")
    assert _storable(rf.get("/"), cookie) is None
    assert _storable(rf.get("/"), HttpResponse(status=500)) is None
