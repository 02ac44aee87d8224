"""Writes for the shop: listing a product and checking out."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.text import slugify

from app.accounts.models import User
from app.platform.errors import Conflict, DomainError, NotFound, PermissionDenied
from app.platform.jobs import enqueue, enqueue_all
from app.shop import jobs
from app.shop.models import Order, OrderItem, Product
from app.teams.models import Team
from app.teams.selectors import is_member

MAX_QUANTITY = 100


def product_create(
    *,
    actor: User,
    team: Team,
    name: str,
    price: Decimal,
    stock: int,
    description: str = "",
    image: UploadedFile | None = None,
) -> Product:
    if not is_member(user=actor, team=team):
        raise PermissionDenied("Only the team's members can list products for it.")
    slug = slugify(name)
    if not slug:
        raise DomainError("Give the product a name with letters or digits.", field="name")
    if Product.objects.filter(team=team, slug=slug).exists():
        raise DomainError("This team already sells a product with that name.", field="name")
    try:
        with transaction.atomic():
            product = Product(team=team, name=name, slug=slug, price=price, stock=stock, description=description)
            if image is not None:
                product.image.save(image.name or "product", image, save=False)
            product.save()
            if image is not None:
                enqueue(jobs.make_product_thumbnail, product_id=product.pk)
    except IntegrityError as exc:
        raise DomainError("This team already sells a product with that name.", field="name") from exc
    return product


def order_checkout(*, user: User, product_id: int, quantity: int) -> Order:
    """Buy ``quantity`` of a product: stock is taken and the order written in one transaction.

    The stock check and decrement are one conditional ``UPDATE``, so two concurrent
    checkouts for the last item cannot both succeed. The confirmation email, invoice and
    webhook are enqueued to run after commit.
    """
    if not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError(f"Quantity must be between 1 and {MAX_QUANTITY}.", field="quantity")
    with transaction.atomic():
        product = Product.objects.select_related("team").filter(pk=product_id).first()
        if product is None:
            raise NotFound("No such product.", field="product_id")
        taken = Product.objects.filter(pk=product.pk, stock__gte=quantity).update(stock=F("stock") - quantity)
        if not taken:
            left = Product.objects.values_list("stock", flat=True).get(pk=product.pk)
            raise Conflict(
                f"Only {left} of {product.name} left." if left else f"{product.name} is sold out.",
                field="quantity",
            )
        order = Order.objects.create(user=user, team=product.team, total=product.price * quantity)
        item = OrderItem.objects.create(order=order, product=product, quantity=quantity, unit_price=product.price)
        # The rows just written, so a caller can show the order without reading it back.
        order.placed_items = [item]
        side_effects = [jobs.send_order_confirmation, jobs.generate_invoice_pdf]
        if product.team.webhook_url:
            side_effects.append(jobs.deliver_order_webhook)
        enqueue_all([(job, {"order_id": order.pk}) for job in side_effects])
    return order
