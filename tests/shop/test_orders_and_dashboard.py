"""My orders, invoices, listing products and the owner's dashboard."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from app.shop.models import Order, OrderItem, Product
from app.shop.selectors import team_dashboard
from tests.factories import OrderFactory, ProductFactory, TeamFactory, UserFactory

# What the jobs do is tested here; their delivery by Celery workers in tests/tier1/.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inline_jobs")]


def test_my_orders_lists_only_mine_newest_first(client, user):
    older = OrderFactory(user=user, created_at=timezone.now() - dt.timedelta(days=1))
    newer = OrderFactory(user=user)
    OrderFactory()  # someone else's
    client.force_login(user)
    items = client.get(reverse("my_orders")).context["page"].items
    assert [o.pk for o in items] == [newer.pk, older.pk]


def test_someone_elses_order_and_invoice_are_not_found(client, user):
    other = OrderFactory()
    client.force_login(user)
    assert client.get(reverse("order_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("invoice", args=[other.pk])).status_code == 404


def test_an_invoice_not_made_yet_says_so_and_a_made_one_is_a_pdf(client, user, django_capture_on_commit_callbacks):
    from app.shop.jobs import generate_invoice_pdf

    order = OrderFactory(user=user)
    client.force_login(user)
    pending = client.get(reverse("invoice", args=[order.pk]))
    assert pending.status_code == 202
    generate_invoice_pdf(order_id=order.pk)
    response = client.get(reverse("invoice", args=[order.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_the_dashboard_adds_up_the_last_30_days(user):
    team = TeamFactory(owner=user)
    mug = ProductFactory(team=team, name="Mug", price=Decimal("5.00"))
    today = timezone.localdate()
    for days_ago, quantity in [(0, 2), (0, 1), (3, 4), (40, 9)]:
        order = Order.objects.create(
            user=UserFactory(),
            team=team,
            total=mug.price * quantity,
            created_at=timezone.now() - dt.timedelta(days=days_ago),
        )
        OrderItem.objects.create(order=order, product=mug, quantity=quantity, unit_price=mug.price)
    board = team_dashboard(team=team, today=today)
    assert len(board.days) == 30
    assert board.days[-1].orders == 2
    assert board.days[-1].revenue == Decimal("15.00")
    assert board.order_count == 3
    assert board.revenue == Decimal("35.00")
    assert [(p.name, p.quantity) for p in board.top_products] == [("Mug", 7)]
    assert len(board.recent_orders) == 4


def test_only_owners_see_the_dashboard(client, user):
    team = TeamFactory(owner=user)
    client.force_login(user)
    assert client.get(reverse("dashboard", args=[team.slug])).status_code == 200
    client.force_login(UserFactory())
    assert client.get(reverse("dashboard", args=[team.slug])).status_code == 403


def test_members_list_products_with_an_image_and_a_thumbnail(
    client, user, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    team = TeamFactory(owner=user)
    client.force_login(user)
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), "navy").save(buffer, format="JPEG")
    image = SimpleUploadedFile("poster.jpg", buffer.getvalue(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("product_new", args=[team.slug]),
            {"name": "Big Poster", "price": "19.99", "stock": 3, "image": image},
        )
    assert response.status_code == 302
    product = Product.objects.get()
    assert product.slug == "big-poster"
    with product.thumbnail.open("rb") as stored, Image.open(stored) as thumb:
        assert max(thumb.size) <= 256
    bad = client.post(reverse("product_new", args=[team.slug]), {"name": "Free", "price": "-1", "stock": 1})
    assert bad.context["form"].errors["price"]
    client.force_login(UserFactory())
    assert client.get(reverse("product_new", args=[team.slug])).status_code == 403
