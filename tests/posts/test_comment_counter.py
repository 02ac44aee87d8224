"""``Post.comment_count`` stays exact however comments come and go, concurrent writers included."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from app.accounts.models import User
from app.posts.counters import recount
from app.posts.models import Comment, Post
from app.posts.services import comment_add
from tests.factories import CommentFactory, PostFactory, UserFactory


def count_of(post: Post) -> int:
    return Post.objects.values_list("comment_count", flat=True).get(pk=post.pk)


def real_count(post: Post) -> int:
    return Comment.objects.filter(post=post).count()


@pytest.mark.django_db
def test_every_way_a_comment_comes_and_goes_moves_the_count():
    post, other = PostFactory(), PostFactory()
    reader = UserFactory()
    comment_add(author=reader, post=post, body="via the service")
    CommentFactory.create_batch(3, post=post)  # the ORM's save(), as the admin does
    CommentFactory(post=other)
    assert (count_of(post), count_of(other)) == (4, 1)

    Comment.objects.filter(post=post, author=reader).delete()  # a queryset's delete
    assert count_of(post) == 3
    Comment.objects.filter(post=post).first().delete()  # one instance's delete
    assert count_of(post) == 2
    User.objects.filter(pk__in=Comment.objects.filter(post=post).values("author")).delete()  # cascade
    assert count_of(post) == real_count(post) == 0
    assert count_of(other) == 1

    comment = Comment.objects.get(post=other)
    comment.body = "edited"
    comment.save()  # an edit is not a new comment
    assert count_of(other) == 1


@pytest.mark.django_db
def test_recount_repairs_counts_written_below_the_orm():
    post, empty = PostFactory(), PostFactory()
    author = UserFactory()
    Comment.objects.bulk_create([Comment(post=post, author=author, body=str(n)) for n in range(5)])  # no signals
    Post.objects.filter(pk=empty.pk).update(comment_count=7)  # drifted
    assert count_of(post) == 0
    recount()
    assert (count_of(post), count_of(empty)) == (5, 0)
    Post.objects.filter(pk=post.pk).update(comment_count=99)
    recount(first_post_id=empty.pk, last_post_id=empty.pk)  # a range leaves other posts alone
    assert count_of(post) == 99


@pytest.mark.django_db(transaction=True)
def test_concurrent_comments_and_deletes_leave_the_count_exact():
    """Writers on their own connections, comments and deletes interleaved on one hot post."""
    post = PostFactory()
    authors = UserFactory.create_batch(6)
    doomed = CommentFactory.create_batch(12, post=post)
    errors: list[BaseException] = []
    start = threading.Barrier(len(authors) + 2)

    def commenter(author: User) -> None:
        try:
            start.wait()
            for n in range(10):
                comment_add(author=author, post=post, body=f"{author.username} #{n}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def deleter(comments: list[Comment]) -> None:
        try:
            start.wait()
            for comment in comments:
                comment.delete()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=commenter, args=(a,)) for a in authors]
    threads += [threading.Thread(target=deleter, args=(doomed[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert real_count(post) == 6 * 10
    assert count_of(post) == 6 * 10
