"""``Post.comment_count``: a counter the database keeps exact, instead of a COUNT per post per page.

Each comment saved for the first time adds one to its post, each deleted comment (one by one,
a queryset's ``delete()``, or a cascade from its author or post) takes one away, in the same
transaction as the change and as one ``UPDATE … SET comment_count = comment_count ± 1``: the
row lock makes concurrent comments queue for the increment, so none is lost.

Rows written below the ORM (``bulk_create``, ``COPY`` in the seeder and in data moves, raw SQL)
send no signals: whoever writes them calls :func:`recount` for the posts touched.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, router
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from app.posts.models import Comment, Post


@receiver(post_save, sender=Comment, dispatch_uid="posts.comment_counted")
def _comment_saved(sender: type[Comment], instance: Comment, created: bool, using: str, **kwargs: Any) -> None:
    if created:  # on the comment's own database: its post is there (tier4: the team's shard)
        Post.objects.using(using).filter(pk=instance.post_id).update(comment_count=F("comment_count") + 1)


@receiver(post_delete, sender=Comment, dispatch_uid="posts.comment_uncounted")
def _comment_deleted(sender: type[Comment], instance: Comment, using: str, **kwargs: Any) -> None:
    posts = Post.objects.using(using).filter(pk=instance.post_id, comment_count__gt=0)
    posts.update(comment_count=F("comment_count") - 1)


def recount(*, first_post_id: int = 0, last_post_id: int | None = None, using: str | None = None) -> None:
    """Set ``comment_count`` from the comments themselves for the posts in an id range (every
    post by default): zero them, then one grouped count joined back (``UPDATE … FROM``, which
    PostgreSQL and SQLite ≥ 3.33 both speak), so it scales with the comments, not posts × comments."""
    connection = connections[using or router.db_for_write(Post)]
    posts, comments = (connection.ops.quote_name(m._meta.db_table) for m in (Post, Comment))
    last = last_post_id if last_post_id is not None else 2**63 - 1
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {posts} SET comment_count = 0 WHERE id BETWEEN %s AND %s",  # noqa: S608 - quoted names
            [first_post_id, last],
        )
        cursor.execute(
            f"UPDATE {posts} SET comment_count = counted.n FROM ("  # noqa: S608 - quoted names
            f"SELECT post_id, count(*) AS n FROM {comments} WHERE post_id BETWEEN %s AND %s GROUP BY post_id"
            f") AS counted WHERE {posts}.id = counted.post_id",
            [first_post_id, last],
        )
