"""``move_team`` under a concurrent write load: nothing lost, nothing twice, a short pause."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

from app.platform.sharding import directory
from app.platform.sharding.moving import move_team
from app.platform.sharding.routing import on_shard
from app.platform.tenancy import team
from app.posts.models import Comment, Post
from app.shop.models import Order, OrderItem, Product
from bench.team_writers import PostWriters
from tests.factories import CommentFactory, OrderFactory, PostFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture(autouse=True)
def _short_directory_cache(settings):
    settings.SHARDING = {**settings.SHARDING, "DIRECTORY_CACHE_SECONDS": 0.3}


def counts(alias: str, team_id: int) -> dict[str, int]:
    with on_shard(alias):
        return {
            "posts": Post.objects.filter(team_id=team_id).count(),
            "comments": Comment.objects.filter(post__team_id=team_id).count(),
            "products": Product.objects.filter(team_id=team_id).count(),
            "orders": Order.objects.filter(team_id=team_id).count(),
            "items": OrderItem.objects.filter(order__team_id=team_id).count(),
        }


def test_a_team_moves_under_concurrent_writes_and_loses_nothing(client):
    owner = UserFactory()
    moving = TeamFactory(owner=owner)
    staying = TeamFactory()
    source, target = directory.shard_of(moving.pk), directory.shard_of(staying.pk)
    posts = PostFactory.create_batch(30, team=moving, author=owner)
    for post in posts[:10]:
        CommentFactory.create_batch(3, post=post)
    OrderFactory.create_batch(8, team=moving)
    PostFactory(team=staying, title="Not moving")
    before = counts(source, moving.pk)

    with PostWriters(owner, moving, 3, body="during the move") as writers:
        time.sleep(0.5)
        report = move_team(moving.pk, target, say=lambda line: None)
        time.sleep(0.5)
    acknowledged = writers.acknowledged

    assert directory.shard_of(moving.pk) == target
    after = counts(target, moving.pk)
    assert counts(source, moving.pk) == dict.fromkeys(before, 0)  # the source's copy is gone
    with team(moving.pk):
        titles = list(Post.objects.filter(body="during the move").values_list("title", flat=True))
    assert sorted(titles) == sorted(acknowledged)  # every acknowledged write is there, once
    assert after == {**before, "posts": before["posts"] + len(acknowledged)}
    assert len(acknowledged) > 0
    assert report.pause_seconds < 5
    # Every row the team had at the switch was verified and counted; writes went on after it.
    assert sum(before.values()) <= report.rows <= sum(after.values())
    with team(staying.pk):
        assert Post.objects.filter(title="Not moving").exists()
    assert client.get(f"/teams/{moving.slug}/").status_code == 200


def test_the_command_refuses_a_move_to_where_the_team_already_is(capsys):
    moved = TeamFactory()
    with pytest.raises(Exception, match="already on"):
        call_command("move_team", moved.slug, directory.shard_of(moved.pk))
    with pytest.raises(Exception, match="not a shard"):
        call_command("move_team", moved.slug, "default")


def test_a_write_sent_to_the_shard_a_team_left_is_refused_and_the_team_can_move_back():
    """A process may hold the old directory entry for a few seconds after a switch: the source's
    fence refuses its write (a 503 to retry) instead of writing where nobody will read it."""
    from app.platform.sharding.models import Fence
    from app.platform.sharding.moving import TeamMoving
    from app.platform.tenancy import team_transaction
    from app.posts.selectors import post_detail
    from app.posts.services import post_publish

    owner = UserFactory()
    moved = TeamFactory(owner=owner)
    source = directory.shard_of(moved.pk)
    target = next(alias for alias in directory.shards() if alias != source)
    born_on_source = PostFactory(team=moved, author=owner)
    move_team(moved.pk, target, say=lambda line: None)
    assert Fence.objects.using(source).get(team_id=moved.pk).state == Fence.GONE
    assert post_detail(post_id=born_on_source.pk).team_id == moved.pk  # found on the shard it moved to
    with pytest.raises(TeamMoving), on_shard(source), team_transaction(moved.pk, Post):
        pass  # as a process whose directory entry still says source would start it
    # Back again: the fence on the shard it returns to goes, and its writes are taken there.
    move_team(moved.pk, source, say=lambda line: None)
    assert not Fence.objects.using(source).filter(team_id=moved.pk).exists()
    assert Fence.objects.using(target).get(team_id=moved.pk).state == Fence.GONE
    post_publish(author=owner, team=moved, title="Home again", body="Back on its first shard.")
    with team(moved.pk):
        assert Post.objects.filter(title="Home again").exists()
    assert directory.shard_of(moved.pk) == source


def test_a_move_that_fails_verification_leaves_the_team_writable_where_it_was(monkeypatch):
    from app.platform.errors import DomainError
    from app.platform.sharding import moving
    from app.platform.sharding.models import Fence
    from app.posts.services import post_publish

    owner = UserFactory()
    stuck = TeamFactory(owner=owner)
    source = directory.shard_of(stuck.pk)
    target = next(alias for alias in directory.shards() if alias != source)

    def differs(team_id: int, source: str, target: str) -> None:
        raise DomainError("the copy differs")

    monkeypatch.setattr(moving, "verify", differs)
    with pytest.raises(DomainError, match="differs"):
        move_team(stuck.pk, target, say=lambda line: None)
    assert directory.shard_of(stuck.pk) == source
    assert not Fence.objects.using(source).filter(team_id=stuck.pk).exists()
    post_publish(author=owner, team=stuck, title="Still here", body="The move was called off.")
    with team(stuck.pk):
        assert Post.objects.filter(title="Still here").exists()
