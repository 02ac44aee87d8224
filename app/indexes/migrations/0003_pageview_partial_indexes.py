"""Page views' user and post indexes keep only the views that have one.

They serve one query, Django's ``SET NULL`` when a user or a post is deleted (``WHERE user_id IN
(...)``), which never looks for NULL; yet most views are anonymous views of the feed, with
neither, and each of those had to add an entry to both indexes. Partial indexes leave them out:
the views stored at tier3's request rates cost PostgreSQL two index updates fewer each, and the
indexes stay a fraction of the table. Each new index is built before the old one is dropped, so
the query always has one.
"""

from django.db import migrations

from app.indexes.operations import AddIndexConcurrently as Index
from app.indexes.operations import RemoveIndexConcurrently as Drop


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("indexes", "0002_outbox_index"),
        ("analytics", "0002_views_arrive_in_batches"),
    ]

    operations = [
        Index(
            name="pageview_post_set",
            table="analytics_pageview",
            columns="post_id",
            where="post_id IS NOT NULL",
            serves="SET NULL when a post is deleted: WHERE post_id IN (...)",
        ),
        Drop(
            name="pageview_post",
            table="analytics_pageview",
            columns="post_id",
            serves="SET NULL when a post is deleted: WHERE post_id = ?",
        ),
        Index(
            name="pageview_user_set",
            table="analytics_pageview",
            columns="user_id",
            where="user_id IS NOT NULL",
            serves="SET NULL when a user is deleted: WHERE user_id IN (...)",
        ),
        Drop(
            name="pageview_user",
            table="analytics_pageview",
            columns="user_id",
            serves="SET NULL when a user is deleted: WHERE user_id = ?",
        ),
    ]
