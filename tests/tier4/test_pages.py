"""Every kind of page with teams on different shards: what each shows, and what it costs in queries."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from app.platform.sharding import directory
from app.platform.tenancy import team
from app.posts.models import Comment
from app.shop.models import Order
from tests.factories import CommentFactory, OrderFactory, PostFactory, ProductFactory, TeamFactory, UserFactory
from tests.shared_state import forget_shared_cache
from tests.tier4.test_sharding import two_teams

pytestmark = pytest.mark.django_db


class AllQueries:
    """Statements on every database (the control database and each shard), by database."""

    def __enter__(self) -> AllQueries:
        self.stack = ExitStack()
        aliases = ["default", *directory.shards()]  # reads stay on the primary inside a test's transaction
        self.captured = {
            alias: self.stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in aliases
        }
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def on(self, alias: str) -> int:
        return len(self.captured[alias])

    @property
    def total(self) -> int:
        return sum(len(c) for c in self.captured.values())


@pytest.fixture(autouse=True)
def _fresh_cache():
    forget_shared_cache()


def test_the_feed_merges_every_shards_posts_newest_first(client):
    a, b = two_teams()
    older = PostFactory(team=a, title="Older on one shard")
    newer = PostFactory(team=b, title="Newer on the other")
    body = client.get("/").content.decode()
    assert body.index(newer.title) < body.index(older.title)
    assert a.name in body
    assert b.name in body
    assert older.author.username in body


@pytest.mark.parametrize("n", [3, 12])
def test_the_feed_costs_the_same_at_any_size(client, n):
    a, b = two_teams()
    PostFactory.create_batch(n, team=a)
    PostFactory.create_batch(n, team=b)
    client.get("/")  # connections opened, the directory and sessions warm
    forget_shared_cache()
    with AllQueries() as queries:
        response = client.get("/")
    assert response.status_code == 200
    # One page query per shard, then authors and teams by id from the control database.
    assert queries.on("shard1") == 1
    assert queries.on("shard2") == 1
    assert queries.on("default") == 2, queries.captured["default"].captured_queries


def test_a_teams_page_and_its_products_come_from_its_shard(client):
    a, b = two_teams()
    PostFactory(team=b, title="B's news")
    ProductFactory(team=b, name="B's mug", slug="bs-mug")
    PostFactory(team=a, title="A's news")
    page = client.get(f"/teams/{b.slug}/").content.decode()
    assert "B&#x27;s news" in page
    assert "B&#x27;s mug" in page
    assert "A&#x27;s news" not in page
    product = client.get(f"/shop/{b.slug}/bs-mug/")
    assert product.status_code == 200
    assert "B&#x27;s mug" in product.content.decode()


def test_the_catalogue_lists_every_teams_products_by_name(client):
    a, b = two_teams()
    ProductFactory(team=a, name="Zebra print", slug="zebra")
    ProductFactory(team=b, name="Apple crate", slug="apple")
    body = client.get("/shop/").content.decode()
    assert body.index("Apple crate") < body.index("Zebra print")


def test_a_post_on_any_shard_has_its_page_and_takes_comments(client):
    _, b = two_teams()
    post = PostFactory(team=b, title="Far away")
    CommentFactory(post=post, body="First!")
    assert "First!" in client.get(f"/posts/{post.pk}/").content.decode()
    client.force_login(UserFactory())
    response = client.post(f"/posts/{post.pk}/", {"body": "Second."})
    assert response.status_code == 302
    with team(b.pk):
        assert Comment.objects.filter(post=post).count() == 2
        post.refresh_from_db()
    assert post.comment_count == 2
    assert client.get(f"/posts/{10**15 + 999_999}/").status_code == 404


def test_a_row_found_by_id_is_asked_of_the_shard_it_was_born_on_alone(client):
    """A post's page, an order's, a product's checkout: the id's range names the shard the row
    was created on, where it still is unless its team moved; the other shards are not asked."""
    _, b = two_teams()
    home = directory.shard_of(b.pk)
    elsewhere = [alias for alias in directory.shards() if alias != home]
    post = PostFactory(team=b)
    product = ProductFactory(team=b, stock=5)
    buyer = UserFactory()
    client.force_login(buyer)
    with AllQueries() as queries:
        assert client.get(f"/posts/{post.pk}/").status_code == 200
        placed = client.post(
            "/api/v1/orders", {"product_id": product.pk, "quantity": 1}, content_type="application/json"
        )
        assert placed.status_code == 201, placed.content
        assert client.get(f"/orders/{placed.json()['id']}/").status_code == 200
    assert queries.on(home) > 0
    assert all(queries.on(alias) == 0 for alias in elsewhere), {
        a: queries.captured[a].captured_queries for a in elsewhere
    }


def test_checkout_writes_the_order_on_the_products_shard_and_orders_list_every_shard(client):
    a, b = two_teams()
    buyer = UserFactory()
    client.force_login(buyer)
    in_a = ProductFactory(team=a, stock=5)
    in_b = ProductFactory(team=b, stock=5)
    for product in (in_a, in_b):
        response = client.post(
            "/api/v1/orders", {"product_id": product.pk, "quantity": 2}, content_type="application/json"
        )
        assert response.status_code == 201, response.content
    with team(b.pk):
        placed = Order.objects.get(user=buyer)
    assert placed.team_id == b.pk
    assert placed.pk // 10**15 == directory.shards().index(directory.shard_of(b.pk)) + 1
    listed = client.get("/api/v1/orders").json()["items"]
    assert {order["team"]["slug"] for order in listed} == {a.slug, b.slug}
    assert client.get(f"/orders/{placed.pk}/").status_code == 200
    missing = client.post("/api/v1/orders", {"product_id": 424242, "quantity": 1}, content_type="application/json")
    assert missing.status_code == 404


def test_a_teams_dashboard_reads_its_shard(client):
    owner = UserFactory()
    TeamFactory()
    b_owned = TeamFactory(owner=owner)  # the second team: on the second shard
    assert directory.shard_of(b_owned.pk) == directory.shards()[1]
    OrderFactory(team=b_owned, total="12.50")
    client.force_login(owner)
    response = client.get(f"/teams/{b_owned.slug}/dashboard/")
    assert response.status_code == 200
    assert "12.50" in response.content.decode()
    assert client.get(f"/api/v1/teams/{b_owned.slug}/dashboard").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_shard_that_is_down_answers_503_for_its_teams_pages_and_others_are_served(client, tier_services):
    from tests.tier4.test_sharding import answering

    a, b = two_teams()
    PostFactory(team=a, title="Still here")
    PostFactory(team=b, title="Out of reach")
    down = next(
        s for s in tier_services.service("shards").servers(tier_services.ctx) if s.name == directory.shard_of(b.pk)
    )
    down.stop(tier_services.ctx)
    try:
        connections[down.name].close()
        refused = client.get(f"/teams/{b.slug}/")
        assert refused.status_code == 503
        assert "not answering" in refused.content.decode()
        assert refused["Retry-After"]
        served = client.get(f"/teams/{a.slug}/")
        assert served.status_code == 200
        assert "Still here" in served.content.decode()
        assert client.get("/accounts/login/").status_code == 200
    finally:
        down.start(tier_services.ctx)
        answering(down.name)


def test_staff_read_one_shard_at_a_time_in_the_admin(client):
    a, b = two_teams()
    PostFactory(team=a, title="On the first shard")
    on_second = PostFactory(team=b, title="On the second shard")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    first = client.get("/admin/posts/post/").content.decode()
    assert "On the first shard" in first
    assert "On the second shard" not in first
    second = client.get(f"/admin/posts/post/?shard={directory.shard_of(b.pk)}").content.decode()
    assert "On the second shard" in second
    assert "On the first shard" not in second
    page = client.get(f"/admin/posts/post/{on_second.pk}/change/")
    assert page.status_code == 200
    assert "On the second shard" in page.content.decode()
    assert client.get("/admin/posts/post/?shard=nowhere").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_write_on_a_shard_invalidates_cached_pages_when_the_shard_commits():
    """Not before: a visitor who asks between the invalidation and the commit would have the old
    page stored under the new version, and see it until the TTL."""
    import threading

    from django.test import Client

    from app.platform.caching import invalidate
    from app.platform.tenancy import team_transaction

    _, b = two_teams()
    post = PostFactory(team=b, title="Cached far away")
    visitor = Client()
    assert "First!" not in visitor.get(f"/posts/{post.pk}/").content.decode()  # now in the shared cache

    def visit_meanwhile() -> None:
        try:
            visitor.get(f"/posts/{post.pk}/")
        finally:
            for connection in connections.all():
                connection.close()

    with team_transaction(b.pk, Comment):
        Comment.objects.create(post=post, author=UserFactory(), body="First!")
        invalidate(f"post:{post.pk}")
        meanwhile = threading.Thread(target=visit_meanwhile)
        meanwhile.start()
        meanwhile.join()
    assert "First!" in visitor.get(f"/posts/{post.pk}/").content.decode()
