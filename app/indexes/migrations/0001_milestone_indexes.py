"""tier1's index milestone: each index names the query it serves.

Built CONCURRENTLY, so this migration can run against a live database without blocking
writes; that is also why it is not atomic (PostgreSQL refuses CIC inside a transaction).
"""

from django.db import migrations

from app.indexes.operations import AddIndexConcurrently as Index


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("accounts", "0001_initial"),
        ("analytics", "0001_initial"),
        ("platform", "0001_initial"),
        ("posts", "0001_initial"),
        ("shop", "0001_initial"),
        ("teams", "0001_initial"),
    ]

    operations = [
        Index(
            name="order_user_newest",
            table="shop_order",
            columns="user_id, created_at DESC, id DESC",
            serves="My orders: WHERE user_id = ? ORDER BY created_at DESC, id DESC (orders_for_user)",
        ),
        Index(
            name="order_team_newest",
            table="shop_order",
            columns="team_id, created_at DESC, id DESC",
            serves="dashboard: WHERE team_id = ? AND created_at >= ? (by day) and its 10 recent orders",
        ),
        Index(
            name="orderitem_order",
            table="shop_orderitem",
            columns="order_id",
            serves="prefetching an order's items: WHERE order_id IN (...); the dashboard's top products join",
        ),
        Index(
            name="orderitem_product",
            table="shop_orderitem",
            columns="product_id",
            serves="the PROTECT check when a product is deleted: WHERE product_id = ?",
        ),
        Index(
            name="post_newest",
            table="posts_post",
            columns="created_at DESC, id DESC",
            serves="the feed: ORDER BY created_at DESC, id DESC LIMIT 21 (feed_page)",
        ),
        Index(
            name="post_team_newest",
            table="posts_post",
            columns="team_id, created_at DESC, id DESC",
            serves="a team's page: WHERE team_id = ? ORDER BY created_at DESC, id DESC",
        ),
        Index(
            name="post_author",
            table="posts_post",
            columns="author_id",
            serves="deleting a user cascades to their posts: WHERE author_id = ?",
        ),
        Index(
            name="comment_post_oldest",
            table="posts_comment",
            columns="post_id, created_at, id",
            serves="a post's comments in order and the feed's COUNT per post: WHERE post_id IN (...)",
        ),
        Index(
            name="comment_author",
            table="posts_comment",
            columns="author_id",
            serves="deleting a user cascades to their comments: WHERE author_id = ?",
        ),
        Index(
            name="product_name",
            table="shop_product",
            columns="name, id",
            serves="the shop: ORDER BY name, id LIMIT 21 (product_list)",
        ),
        Index(
            name="membership_user",
            table="teams_membership",
            columns="user_id",
            serves="a user's teams and every permission check: WHERE user_id = ? (teams_of, is_member)",
        ),
        Index(
            name="apitoken_user",
            table="accounts_apitoken",
            columns="user_id",
            serves="a user's tokens on the profile page: WHERE user_id = ?",
        ),
        Index(
            name="pageview_created",
            table="analytics_pageview",
            columns="created_at",
            serves="page views over time: WHERE created_at >= ?",
        ),
        Index(
            name="pageview_post",
            table="analytics_pageview",
            columns="post_id",
            serves="SET NULL when a post is deleted: WHERE post_id = ?",
        ),
        Index(
            name="pageview_user",
            table="analytics_pageview",
            columns="user_id",
            serves="SET NULL when a user is deleted: WHERE user_id = ?",
        ),
        Index(
            name="jobrun_status_created",
            table="platform_jobrun",
            columns="status, created_at",
            serves="operators finding failed jobs: WHERE status = 'failed' ORDER BY created_at",
        ),
    ]
