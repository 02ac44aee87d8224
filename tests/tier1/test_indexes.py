"""tier1's indexes: built concurrently, each commented with its query, used by that query, removable."""

from __future__ import annotations

import importlib

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from app.shop.models import Order
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

MIGRATIONS = ("0001_milestone_indexes", "0002_outbox_index")
NAMES = [
    operation.name
    for migration in MIGRATIONS
    for operation in importlib.import_module(f"app.indexes.migrations.{migration}").Migration.operations
]


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


def test_my_orders_is_read_through_its_index():
    user = UserFactory()
    OrderFactory.create_batch(3, user=user)
    sql, params = Order.objects.filter(user=user).order_by("-created_at", "-id")[:21].query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a three-row table would be scanned anyway
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "order_user_newest" in plan, plan


def test_the_milestone_can_be_taken_away_and_put_back():
    call_command("migrate", "indexes", "zero", verbosity=0)
    assert comments() == {}
    call_command("migrate", "indexes", verbosity=0)
    assert sorted(comments()) == sorted(NAMES)
