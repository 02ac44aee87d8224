"""tier1's indexes: built concurrently, each commented with its query, used by that query, removable."""

from __future__ import annotations

import importlib

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from app.indexes.operations import RemoveIndexConcurrently
from app.shop.models import Order
from tests.factories import OrderFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

MIGRATIONS = ("0001_milestone_indexes", "0002_outbox_index", "0003_pageview_partial_indexes")


def _names() -> list[str]:
    """The indexes the migrations leave, in order: those added, less those a later one dropped."""
    names: list[str] = []
    for migration in MIGRATIONS:
        for operation in importlib.import_module(f"app.indexes.migrations.{migration}").Migration.operations:
            if isinstance(operation, RemoveIndexConcurrently):
                names.remove(operation.name)
            else:
                names.append(operation.name)
    return names


NAMES = _names()


def comments() -> dict[str, str | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c "
            "JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = ANY(%s) AND i.indisvalid",
            [NAMES],
        )
        return dict(cursor.fetchall())


def test_every_index_exists_valid_and_says_what_it_serves():
    found = comments()
    assert sorted(found) == sorted(NAMES)
    assert all(comment and comment.startswith("serves: ") for comment in found.values())


def plan(sql: str, params: object) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a small table would be scanned anyway
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_my_orders_is_read_through_its_index():
    user = UserFactory()
    OrderFactory.create_batch(3, user=user)
    sql, params = Order.objects.filter(user=user).order_by("-created_at", "-id")[:21].query.sql_with_params()
    assert "order_user_newest" in plan(sql, params)


def test_deleting_a_post_finds_its_views_through_the_partial_index():
    """Django's SET NULL asks for ``post_id IN (...)``, which implies NOT NULL: the partial index,
    which leaves out the anonymous feed's views, still answers it."""
    post = PostFactory()
    with CaptureQueriesContext(connection) as queries:
        post.delete()
    [set_null] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('UPDATE "analytics_pageview"')]
    assert "pageview_post_set" in plan(set_null, None)


def test_the_milestone_can_be_taken_away_and_put_back():
    call_command("migrate", "indexes", "zero", verbosity=0)
    assert comments() == {}
    call_command("migrate", "indexes", verbosity=0)
    assert sorted(comments()) == sorted(NAMES)
