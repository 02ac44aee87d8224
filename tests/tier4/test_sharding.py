"""tier4's shards against the real clusters: placement, routing, the guard, ids, fan-out, a shard down."""

from __future__ import annotations

import time

import pytest
from django.db import connections

from app.platform.sharding import directory, schema
from app.platform.sharding.backend.base import CrossShardQuery, ShardUnavailable
from app.platform.sharding.models import Placement
from app.platform.sharding.routing import NoTenant, each_shard, on_shard
from app.platform.tenancy import team
from app.posts.models import Comment, Post
from app.shop.models import Product
from app.teams.models import Team
from tests.factories import CommentFactory, OrderFactory, PostFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def two_teams() -> tuple[Team, Team]:
    """Two new teams, which the directory places on different shards (the emptier one first)."""
    first, second = TeamFactory(), TeamFactory()
    assert directory.shard_of(first.pk) != directory.shard_of(second.pk)
    return first, second


def rows_on(alias: str, table: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - a model's table name
        return int(cursor.fetchone()[0])


def test_a_team_scoped_query_made_for_no_team_raises():
    with pytest.raises(NoTenant, match="made for no team"):
        list(Post.objects.all())
    with pytest.raises(NoTenant):
        Product.objects.count()
    assert UserFactory().pk  # global models need no team


def test_new_teams_are_placed_on_the_shard_with_fewest_teams():
    teams = [TeamFactory() for _ in range(4)]
    placed = [Placement.objects.get(team_id=t.pk).shard for t in teams]
    assert sorted(placed) == ["shard1", "shard1", "shard2", "shard2"]
    assert directory.teams_on("shard1")
    assert directory.teams_on("shard2")


def test_a_teams_rows_live_on_its_shard_only():
    a, b = two_teams()
    with team(a.pk):
        post = PostFactory(team=a)
        CommentFactory(post=post)
        OrderFactory(team=a)
    with team(b.pk):
        PostFactory.create_batch(2, team=b)
    shard_a, shard_b = directory.shard_of(a.pk), directory.shard_of(b.pk)
    assert rows_on(shard_a, "posts_post") == 1
    assert rows_on(shard_b, "posts_post") == 2
    assert rows_on(shard_a, "posts_comment") == 1
    assert rows_on(shard_a, "shop_order") == 1
    with team(a.pk):
        assert list(Post.objects.values_list("team_id", flat=True)) == [a.pk]
        assert Comment.objects.get().post_id == post.pk
    with team(b.pk):
        assert Post.objects.count() == 2


def test_ids_come_from_each_shards_own_range():
    a, b = two_teams()
    with team(a.pk):
        in_a = PostFactory(team=a).pk
    with team(b.pk):
        in_b = PostFactory(team=b).pk
    number = {alias: index for index, alias in enumerate(directory.shards(), start=1)}
    assert in_a // schema.ID_RANGE == number[directory.shard_of(a.pk)]
    assert in_b // schema.ID_RANGE == number[directory.shard_of(b.pk)]
    assert max(in_a, in_b) < 2**53


def test_a_saved_row_goes_back_to_the_shard_it_came_from():
    a, b = two_teams()
    with team(a.pk):
        post = PostFactory(team=a, title="before")
    with team(b.pk):  # another team's context: the instance still knows its database
        post.title = "after"
        post.save()
    with team(a.pk):
        assert Post.objects.get(pk=post.pk).title == "after"


def test_a_query_joining_across_the_split_is_refused():
    a, _ = two_teams()
    with team(a.pk):
        PostFactory(team=a)
        with pytest.raises(CrossShardQuery, match="teams_team"):
            list(Post.objects.filter(team__slug=a.slug))
        with pytest.raises(CrossShardQuery, match="accounts_user"):
            list(Post.objects.select_related("author"))
    with connections["default"].cursor() as cursor, pytest.raises(CrossShardQuery, match="posts_post"):
        cursor.execute('SELECT id FROM "posts_post"')


def test_foreign_keys_across_databases_are_dropped_and_those_within_a_shard_kept():
    for alias in ["default", *directory.shards()]:
        with connections[alias].cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint WHERE contype = 'f'"
            )
            pairs = set(cursor.fetchall())
        assert ("posts_post", "accounts_user") not in pairs
        assert ("posts_post", "teams_team") not in pairs
        assert ("shop_order", "accounts_user") not in pairs
        assert ("posts_comment", "posts_post") in pairs
        assert ("shop_orderitem", "shop_order") in pairs
        assert ("teams_membership", "teams_team") in pairs


def test_explicit_fan_out_reads_every_shard():
    a, b = two_teams()
    with team(a.pk):
        PostFactory(team=a)
    with team(b.pk):
        PostFactory(team=b)
    seen = {alias: list(Post.objects.values_list("team_id", flat=True)) for alias in each_shard()}
    assert sorted(seen.values()) == sorted([[a.pk], [b.pk]])
    with pytest.raises(ValueError, match="not a shard"), on_shard("default"):
        pass


@pytest.mark.django_db(transaction=True)
def test_a_shard_that_is_down_fails_its_teams_only_and_quickly(tier_services):
    a, b = two_teams()
    with team(a.pk):
        PostFactory(team=a)
    with team(b.pk):
        PostFactory(team=b)
    shards = tier_services.service("shards")
    down = next(s for s in shards.servers(tier_services.ctx) if s.name == directory.shard_of(b.pk))
    down.stop(tier_services.ctx)
    try:
        connections[down.name].close()
        started = time.monotonic()
        with team(b.pk), pytest.raises(ShardUnavailable, match="not answering"):
            Post.objects.count()
        assert time.monotonic() - started < 10
        with team(a.pk):
            assert Post.objects.count() == 1
        assert Team.objects.count() == 2  # the control database serves
    finally:
        down.start(tier_services.ctx)
        answering(down.name)


def answering(alias: str, timeout: float = 20) -> None:
    """Wait until the shard's pooler logs in again (it waits ``server_login_retry`` after a failure)."""
    from django.db import OperationalError

    deadline = time.monotonic() + timeout
    while True:
        connections[alias].close()
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            return
        except OperationalError:
            assert time.monotonic() < deadline, f"{alias} never answered again"
            time.sleep(0.2)
