"""tier3's extracted media service, run for real (``python -m media_service`` instances beside the
app's workers): invoices and thumbnails are its work, and the app keeps working while it is down."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from app.platform.db.routing import primary
from app.platform.jobs.queues import queue_depths
from app.shop.models import Order, OrderItem, Product
from tests.factories import ProductFactory, TeamFactory, UserFactory
from tests.tier1.conftest import eventually

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("drained")]


def invoice_of(order_id: int) -> str:
    with primary():
        return Order.objects.filter(pk=order_id).values_list("invoice", flat=True).get()


def buy(client, product) -> Order:
    """A checkout through the site, as a signed-in buyer makes it."""
    answer = client.post(f"/shop/{product.team.slug}/{product.slug}/", {"quantity": 1, "once": "x1"})
    assert answer.status_code == 302, answer.content[:500]
    with primary():
        return Order.objects.filter(user=answer.wsgi_request.user).latest("pk")


def test_the_invoice_is_rendered_by_the_service_not_by_the_app(client, workers):
    buyer = UserFactory()
    client.force_login(buyer)
    order = buy(client, ProductFactory(team=TeamFactory(), stock=5))
    key = eventually(lambda: invoice_of(order.pk), timeout=30, what="the service's invoice")
    answer = client.get(f"/orders/{order.pk}/invoice.pdf")
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content).startswith(b"%PDF-")
    logs = "".join(log.read_text() for log in workers.ctx.log_dir.glob("media-*.log"))
    assert "(invoice): done" in logs
    assert key == f"invoices/invoice-{order.pk}.pdf"


def test_with_the_service_down_checkout_succeeds_and_the_invoice_follows_once_it_is_back(client, workers):
    service = workers.service("media")
    service.stop(workers.ctx)
    try:
        buyer = UserFactory()
        client.force_login(buyer)
        order = buy(client, ProductFactory(team=TeamFactory(), stock=5))
        queue = settings.MEDIA_SERVICE["QUEUE"]
        eventually(
            lambda: next(d.depth for d in queue_depths() if d.queue == queue) >= 1,
            timeout=30,
            what="the request to wait in the media queue",
        )
        assert invoice_of(order.pk) == ""
        page = client.get(f"/orders/{order.pk}/")
        assert page.status_code == 200
        assert "Your invoice is being prepared" in page.content.decode()
        pending = client.get(f"/orders/{order.pk}/invoice.pdf")
        assert pending.status_code == 202
        assert "being prepared" in pending.content.decode()
    finally:
        service.start(workers.ctx)
    eventually(lambda: invoice_of(order.pk), timeout=30, what="the invoice once the service is back")
    answer = client.get(f"/orders/{order.pk}/invoice.pdf")
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content).startswith(b"%PDF-")
    assert "being prepared" not in client.get(f"/orders/{order.pk}/").content.decode()


def test_a_product_picture_is_thumbnailed_by_the_service_and_the_catalogue_shows_it(client, workers):
    owner = UserFactory()
    team = TeamFactory(owner=owner)
    client.force_login(owner)
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (40, 160, 90)).save(buffer, format="PNG")
    picture = SimpleUploadedFile("poster.png", buffer.getvalue(), content_type="image/png")
    answer = client.post(f"/shop/{team.slug}/new/", {"name": "Poster", "price": "9.50", "stock": 4, "image": picture})
    assert answer.status_code == 302

    def thumbnail() -> str:
        with primary():
            return Product.objects.filter(team=team).values_list("thumbnail", flat=True).get()

    name = eventually(thumbnail, timeout=30, what="the service's thumbnail")
    with primary():
        stored = Product.objects.get(team=team).thumbnail
    with stored.open("rb") as handle, Image.open(handle) as made:
        assert made.format == "JPEG"
        assert max(made.size) == 256
    assert name.startswith("products/thumbs/")


def test_results_wait_in_their_queue_while_the_apps_workers_are_down(workers):
    """The other direction: the service's answers wait in the results queue until a worker of the
    app's takes them."""
    from app.platform import media
    from app.shop.invoice import invoice_request
    from app.shop.jobs import _order

    default = next(unit for unit in workers.service("workers").members(workers.ctx) if unit.name == "worker-default")
    default.stop(workers.ctx)
    results = settings.MEDIA_SERVICE["RESULTS_QUEUE"]
    try:
        product = ProductFactory(team=TeamFactory(), price=12)
        order = Order.objects.create(user=UserFactory(), team=product.team, total=12)
        OrderItem.objects.create(order=order, product=product, quantity=1, unit_price=12)
        with primary():
            media.submit(invoice_request(_order(order.pk)))
        eventually(
            lambda: next(d.depth for d in queue_depths() if d.queue == results) >= 1,
            timeout=30,
            what="the service's result to wait in its queue",
        )
        assert invoice_of(order.pk) == ""
    finally:
        default.start(workers.ctx)
    eventually(lambda: invoice_of(order.pk), timeout=30, what="the result, applied once a worker is back")
