"""The seeder under sharding: teams dealt to the shards, each shard holding its teams' rows."""

from __future__ import annotations

import pytest
from django.db.models import Count

from app.platform.sharding import directory, schema
from app.platform.sharding.routing import each_shard
from app.posts.models import Comment, Post
from app.seeding.builders import SeedSize, seed
from app.shop.models import Order, OrderItem, Product
from app.teams.models import Team

pytestmark = pytest.mark.django_db

SMALL = SeedSize(users=20, teams=4, posts=40, comments=90, products=12, orders=120)


def test_each_shard_holds_exactly_its_teams_rows_and_the_whole_is_the_size_asked_for():
    seed(SMALL)
    assert Team.objects.count() == 4
    totals = {"posts": 0, "comments": 0, "products": 0, "orders": 0, "items": 0}
    for alias in each_shard():
        teams = set(directory.teams_on(alias))
        assert len(teams) == 2  # dealt evenly
        assert set(Post.objects.values_list("team_id", flat=True)) <= teams
        assert set(Order.objects.values_list("team_id", flat=True)) <= teams
        assert all(
            pk // schema.ID_RANGE == directory.shards().index(alias) + 1
            for pk in Post.objects.values_list("pk", flat=True)
        )
        counted = Post.objects.annotate(n=Count("comments")).values_list("comment_count", "n")
        assert all(kept == real for kept, real in counted)
        for order in Order.objects.prefetch_related("items__product"):
            [item] = order.items.all()
            assert item.product.team_id == order.team_id
        totals["posts"] += Post.objects.count()
        totals["comments"] += Comment.objects.count()
        totals["products"] += Product.objects.count()
        totals["orders"] += Order.objects.count()
        totals["items"] += OrderItem.objects.count()
    assert totals == {"posts": 40, "comments": 90, "products": 12, "orders": 120, "items": 120}
