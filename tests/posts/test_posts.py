"""The feed, a post's page, publishing and commenting."""

from __future__ import annotations

import pytest
from django.urls import reverse

from app.posts.models import Comment, Post
from app.teams.models import Membership
from tests.factories import CommentFactory, PostFactory, TeamFactory, UserFactory

# What the jobs do is tested here; their delivery by Celery workers in tests/tier1/.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inline_jobs")]


def test_the_feed_shows_newest_posts_first_with_author_team_and_comment_count(client):
    old = PostFactory(title="Older")
    new = PostFactory(title="Newer")
    CommentFactory.create_batch(2, post=old)
    Post.objects.filter(pk=old.pk).update(created_at=new.created_at.replace(year=2020))
    response = client.get(reverse("feed"))
    posts = response.context["page"].items
    assert [p.title for p in posts] == ["Newer", "Older"]
    html = response.content.decode()
    assert "2 comments" in html
    assert new.author.username in html
    assert new.team.name in html


def test_the_feed_pages_twenty_at_a_time(client):
    PostFactory.create_batch(21)
    first = client.get(reverse("feed")).context["page"]
    second = client.get(reverse("feed") + "?page=2").context["page"]
    assert (len(first.items), first.has_next) == (20, True)
    assert (len(second.items), second.has_next) == (1, False)
    assert client.get(reverse("feed") + "?page=nonsense").status_code == 200


def test_each_feed_and_post_view_is_recorded(client, page_views):
    post = PostFactory()
    client.get(reverse("feed"))
    client.get(reverse("post_detail", args=[post.pk]))
    assert sorted(view.post_id or 0 for view in page_views()) == [0, post.pk]


def test_a_post_page_shows_its_comments_in_order(client):
    post = PostFactory()
    CommentFactory(post=post, body="first!")
    CommentFactory(post=post, body="second")
    html = client.get(reverse("post_detail", args=[post.pk])).content.decode()
    assert html.index("first!") < html.index("second")


def test_a_missing_post_is_a_404(client):
    assert client.get(reverse("post_detail", args=[999999])).status_code == 404


def test_signed_in_users_comment_and_empty_comments_are_refused(signed_in, user):
    post = PostFactory()
    url = reverse("post_detail", args=[post.pk])
    assert signed_in.post(url, {"body": "Great read"}).status_code == 302
    assert Comment.objects.get().author == user
    response = signed_in.post(url, {"body": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors["body"]
    assert Comment.objects.count() == 1


def test_anonymous_comments_are_sent_to_log_in(client):
    post = PostFactory()
    response = client.post(reverse("post_detail", args=[post.pk]), {"body": "hi"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not Comment.objects.exists()


def test_members_publish_for_their_team_only(signed_in, user):
    mine = TeamFactory(owner=user)
    theirs = TeamFactory()
    response = signed_in.post(reverse("post_publish"), {"team": mine.pk, "title": "Hello", "body": "World"})
    assert response.status_code == 302
    refused = signed_in.post(reverse("post_publish"), {"team": theirs.pk, "title": "Sneaky", "body": "x"})
    assert refused.status_code == 200
    assert refused.context["form"].errors["team"]
    assert list(Post.objects.values_list("title", flat=True)) == ["Hello"]


def test_a_user_without_a_team_is_told_how_to_publish(signed_in):
    assert "Create a team" in signed_in.get(reverse("post_publish")).content.decode()


def test_owners_add_members_and_only_owners_see_settings(client, user):
    team = TeamFactory(owner=user)
    client.force_login(user)
    friend = UserFactory(username="friend")
    response = client.post(reverse("team_settings", args=[team.slug]), {"username": "FRIEND", "role": "member"})
    assert response.status_code == 302
    assert Membership.objects.filter(team=team, user=friend, role="member").exists()
    unknown = client.post(reverse("team_settings", args=[team.slug]), {"username": "nobody", "role": "member"})
    assert unknown.context["member_form"].errors["username"]
    client.force_login(friend)
    assert client.get(reverse("team_settings", args=[team.slug])).status_code == 403


def test_creating_a_team_makes_you_its_owner_and_names_are_unique(signed_in, user):
    assert signed_in.post(reverse("team_new"), {"name": "Night Owls"}).status_code == 302
    assert Membership.objects.get(team__slug="night-owls").user == user
    again = signed_in.post(reverse("team_new"), {"name": "night owls"})
    assert again.context["form"].errors["name"]
    assert signed_in.get(reverse("team_detail", args=["night-owls"])).status_code == 200
    assert signed_in.get(reverse("team_detail", args=["no-such-team"])).status_code == 404


def test_posting_a_comment_says_so_on_the_page_it_returns_to(signed_in, user):
    post = PostFactory()
    response = signed_in.post(reverse("post_detail", args=[post.pk]), {"body": "Great read"}, follow=True)
    html = response.content.decode()
    assert "your comment is posted" in html
    assert html.index("your comment is posted") < html.index("Great read")
