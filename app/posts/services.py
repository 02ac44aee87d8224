"""Writes for posts: publishing and commenting."""

from __future__ import annotations

from app.accounts.models import User
from app.platform.caching import invalidate
from app.platform.errors import DomainError, PermissionDenied
from app.platform.inputs.text import has_visible, trim
from app.platform.tenancy import team_transaction
from app.posts.models import COMMENT_MAX_LENGTH, Comment, Post
from app.teams.models import Team
from app.teams.selectors import is_member


def post_publish(*, author: User, team: Team, title: str, body: str) -> Post:
    if not is_member(user=author, team=team):
        raise PermissionDenied("Only the team's members can publish for it.")
    if not has_visible(title):
        raise DomainError("A post needs a title.", field="title")
    if not has_visible(body):
        raise DomainError("A post needs a body.", field="body")
    with team_transaction(team.pk, Post):
        post = Post.objects.create(team=team, author=author, title=trim(title), body=body)
        invalidate(*post_topics(post))
    return post


def comment_add(*, author: User, post: Post, body: str) -> Comment:
    body = trim(body)
    if not has_visible(body):
        raise DomainError("A comment cannot be empty.", field="body")
    if len(body) > COMMENT_MAX_LENGTH:
        raise DomainError(f"A comment is at most {COMMENT_MAX_LENGTH} characters.", field="body")
    # The comment and its post's count (app.posts.counters) together, on the post's database.
    with team_transaction(post.team_id, Comment):
        comment = Comment.objects.create(post=post, author=author, body=body)
        invalidate(*post_topics(post))
    return comment


def post_topics(post: Post) -> tuple[str, ...]:
    """What a new post or comment changes in the application cache: the feed (its cards and
    comment counts) and the post's own page."""
    return ("posts", f"post:{post.pk}")


def post_page_topics(post_id: int) -> tuple[str, ...]:
    """What a post's page shows: the post and its comments, and people's avatars."""
    return (f"post:{post_id}", "people")
