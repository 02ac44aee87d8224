"""``manage.py seed``: the sizes asked for, the same rows for the same seed, a working demo login."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from app.accounts.models import User
from app.posts.models import Comment, Post
from app.seeding.builders import DEMO_PASSWORD, SeedSize, seed
from app.shop.models import Order, OrderItem, Product
from app.teams.models import Membership, Team

pytestmark = pytest.mark.django_db

SMALL = SeedSize(users=30, teams=3, posts=40, comments=90, products=12, orders=250)


def snapshot() -> list:
    return [
        list(User.objects.order_by("id").values_list("username", "email")),
        list(Post.objects.order_by("id").values_list("team_id", "author_id", "title")),
        list(Order.objects.order_by("id").values_list("user_id", "team_id", "total")),
        list(OrderItem.objects.order_by("id").values_list("order_id", "product_id", "quantity", "unit_price")),
    ]


def test_seed_builds_the_sizes_asked_for_and_consistent_orders():
    report = seed(SMALL, demo=True)
    assert (User.objects.count(), Team.objects.count(), Post.objects.count()) == (30, 3, 40)
    assert (Comment.objects.count(), Product.objects.count(), Order.objects.count()) == (90, 12, 250)
    assert OrderItem.objects.count() == 250
    assert report.total == sum(report.rows.values())
    for order in Order.objects.prefetch_related("items__product")[:50]:
        [item] = order.items.all()
        assert order.total == item.unit_price * item.quantity
        assert item.product.team_id == order.team_id


def test_the_same_seed_builds_the_same_rows():
    seed(SMALL, seed=7)
    first = snapshot()
    for model in (OrderItem, Order, Comment, Post, Product, Membership, Team, User):
        model.objects.all().delete()
    seed(SMALL, seed=7)
    assert snapshot() == first
    seed(SMALL, seed=8)
    assert snapshot()[2][-250:] != first[2]


def test_the_demo_user_can_log_in_and_owns_a_team_with_orders():
    seed(SMALL, demo=True)
    demo = authenticate(username="demo", password=DEMO_PASSWORD)
    assert demo is not None
    team = Team.objects.get(memberships__user=demo, memberships__role="owner")
    assert team.products.exists()
    assert Order.objects.filter(team=team).exists()


def test_seeding_appends_and_new_rows_get_fresh_ids():
    seed(SMALL)
    seed(SMALL, seed=8)
    assert User.objects.count() == 60
    created = User.objects.create_user(username="after", email="after@example.com", password="x" * 12)
    assert created.pk == 61


def test_the_command_reports_its_rate_and_skips_when_asked(capsys):
    call_command("seed", "--users", "5", "--teams", "1", "--posts", "3", "--orders", "10", "--demo")
    out = capsys.readouterr().out
    assert "rows/s" in out
    assert "Demo login: demo / demo12345" in out
    call_command("seed", "--if-empty")
    assert "not seeding" in capsys.readouterr().out
    assert User.objects.count() == 5
