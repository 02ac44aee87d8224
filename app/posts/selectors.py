"""Reads for the feed and a post's page. Each declares the relations its page touches."""

from __future__ import annotations

from django.db.models import Prefetch

from app.platform.db.loading import Relations, load_one, teams_rows_page
from app.platform.errors import NotFound
from app.platform.http.pages import Page
from app.posts.models import Comment, Post
from app.teams.models import Team

FEED = Relations(
    select=("author", "team"),
    only=("title", "body", "created_at", "comment_count", "author__username", "team__name", "team__slug"),
)
DETAIL = Relations(
    select=("author", "team"),
    prefetch=(Prefetch("comments", queryset=Comment.objects.select_related("author")),),
)


def feed_page(*, page: int = 1, page_size: int = 20, team: Team | None = None) -> Page[Post]:
    """Newest posts first, with author, team and comment count (``Post.comment_count``): every
    team's (gathered from every shard in tier4), or one team's."""
    newest = Post.objects.order_by("-created_at", "-id")
    return teams_rows_page(newest, FEED, team_id=team.pk if team else None, page=page, page_size=page_size)


def post_detail(*, post_id: int) -> Post:
    """A post with its comments and their authors, whichever team's it is."""
    post = load_one(Post.objects.all(), DETAIL, pk=post_id)
    if post is None:
        raise NotFound("No such post.")
    return post
