"""``manage.py seed``: the sizes asked for, the same rows for the same seed, a working demo login,
and data a person would believe: readable text, time running forwards, a small shop's stock, pictures."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import Count, F
from django.utils import timezone
from PIL import Image

from app.accounts.models import User
from app.platform.db.bulk import reset_sequences
from app.posts.models import Comment, Post
from app.seeding.builders import DEMO_PASSWORD, SeedReport, SeedSize, seed
from app.seeding.management.commands.seed import summary
from app.shop.models import Order, OrderItem, Product
from app.teams.models import Membership, Team

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """The demo's pictures go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


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
    counted = Post.objects.annotate(n=Count("comments")).values_list("comment_count", "n")
    assert all(kept == real for kept, real in counted)  # COPY sends no signals: the seeder recounts
    assert sum(kept for kept, _ in counted) == 90
    assert report.total == sum(report.rows.values())
    for order in Order.objects.prefetch_related("items__product")[:50]:
        [item] = order.items.all()
        assert order.total == item.unit_price * item.quantity
        assert item.product.team_id == order.team_id


def test_the_same_seed_builds_the_same_rows():
    # The same starting point each time: ids come from the sequences, which other tests have
    # moved on and which deleting rows does not move back.
    tables = (OrderItem, Order, Comment, Post, Product, Membership, Team, User)
    reset_sequences(tables)
    seed(SMALL, seed=7)
    first = snapshot()
    for model in tables:
        model.objects.all().delete()
    reset_sequences(tables)
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
    seeded = set(User.objects.values_list("pk", flat=True))
    created = User.objects.create_user(username="after", email="after@example.com", password="x" * 12)
    assert created.pk == max(seeded) + 1


def test_the_command_says_what_it_added_and_skips_when_asked(capsys):
    call_command("seed", "--users", "5", "--teams", "1", "--posts", "3", "--orders", "10", "--demo")
    out = capsys.readouterr().out
    assert out.startswith("Seeded 5 users, 1 team, ")
    assert "rows/s" not in out  # a rate over a second's start-up says nothing about inserting
    assert "Demo login: demo / demo12345" in out
    call_command("seed", "--if-empty")
    assert "not seeding" in capsys.readouterr().out
    assert User.objects.count() == 5


def test_a_large_seed_reports_its_insert_rate_without_the_pictures_time():
    report = SeedReport(rows={"orders": 200_000, "order_items": 200_000}, images=4, image_seconds=1.0)
    line = summary(report, seconds=5.0)
    assert line == "Seeded 200,000 orders, 200,000 order items and 4 pictures in 5.0s (100,000 rows/s)."
    assert "rows/s" not in summary(SeedReport(rows={"users": 50, "teams": 5}), seconds=0.4)


def test_time_runs_forwards_comments_after_their_post_and_nothing_in_the_future():
    seed(SMALL)
    now = timezone.now()
    assert not Comment.objects.filter(created_at__lt=F("post__created_at")).exists()
    assert not Comment.objects.filter(created_at__gt=now).exists()
    assert not Order.objects.filter(created_at__lt=F("items__product__created_at")).exists()
    assert not Post.objects.filter(created_at__lt=F("team__created_at")).exists()
    assert not Membership.objects.filter(joined_at__lt=F("user__date_joined")).exists()


def test_the_text_reads_like_people_wrote_it():
    seed(SMALL)
    post = Post.objects.order_by("id").first()
    assert post.body[0].isupper()
    assert post.body.rstrip().endswith((".", "!", "?"))
    assert "\n\n" in post.body  # paragraphs
    assert all(c.body[0].isupper() for c in Comment.objects.all()[:50])
    user = User.objects.exclude(username="demo").order_by("id").first()
    assert user.first_name
    assert user.last_name
    assert user.username == f"{user.first_name}.{user.last_name}".lower()
    assert not any(char.isdigit() for char in Team.objects.values_list("name", flat=True)[0])


def test_stock_is_what_a_small_shop_keeps():
    seed(SeedSize(users=10, teams=4, posts=0, comments=0, products=200, orders=0))
    stock = list(Product.objects.values_list("stock", flat=True))
    assert max(stock) <= 250
    assert 0 < stock.count(0) < len(stock) / 4  # a few sold out, not most
    assert sorted(stock)[len(stock) // 2] >= 10  # most have a shelf's worth


def test_the_demo_gets_pictures_stored_like_uploads_and_other_seeds_none():
    seed(SMALL, demo=True)
    product = Product.objects.exclude(image="").first()
    assert product is not None
    assert not Product.objects.filter(image="").exists()
    with Image.open(default_storage.open(product.image.name)) as image:
        assert image.size == (800, 600)
    with Image.open(default_storage.open(product.thumbnail.name)) as thumb:
        assert max(thumb.size) <= 256
    demo = User.objects.get(username="demo")
    assert demo.avatar
    assert default_storage.exists(demo.avatar_thumbnail.name)
    first_run = set(Product.objects.values_list("pk", flat=True))
    seed(SMALL, seed=8)
    assert not Product.objects.exclude(pk__in=first_run).exclude(image="").exists()


def test_every_reference_the_seeder_writes_points_at_a_row():
    """PostgreSQL loads the seed without its foreign-key checks (``load_mode``): the seeder
    guarantees them by construction, and this holds it to that."""
    seed(SMALL, demo=True)
    for model in (User, Team, Membership, Post, Comment, Product, Order, OrderItem):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.many_to_one:
                target = field.related_model._default_manager.values("pk")
                dangling = model._default_manager.exclude(**{f"{field.attname}__isnull": True}).exclude(
                    **{f"{field.attname}__in": target}
                )
                assert not dangling.exists(), f"{model.__name__}.{field.name} points at missing rows"
