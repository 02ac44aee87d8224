"""Writes for the shop: listing a product and checking out."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError
from django.db.models import F

from app.accounts.models import User
from app.platform.caching import invalidate
from app.platform.db.durability import durable_commit
from app.platform.db.loading import Relations, load
from app.platform.errors import Conflict, DomainError, NotFound, PermissionDenied, Unprocessable
from app.platform.http import ratelimit
from app.platform.inputs.names import clean_name, slug_for
from app.platform.jobs import enqueue, enqueue_all
from app.platform.tenancy import team, team_transaction
from app.shop import jobs
from app.shop.models import CheckoutKey, Order, OrderItem, Product
from app.shop.selectors import product_team
from app.teams.models import Team
from app.teams.selectors import is_member

MAX_QUANTITY = 100
#: ``/shop/<team>/new/`` is the page to add a product: no product may be called that.
RESERVED_PRODUCT_SLUGS = {"new"}


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
    name = clean_name(name, field="name", what="product name")
    slug = slug_for(name)
    if not slug or slug in RESERVED_PRODUCT_SLUGS:
        raise DomainError("Give the product a name with letters or digits.", field="name")
    try:
        with team_transaction(team.pk, Product):
            if Product.objects.filter(team=team, slug=slug).exists():
                raise DomainError("This team already sells a product with that name.", field="name")
            product = Product(team=team, name=name, slug=slug, price=price, stock=stock, description=description)
            if image is not None:
                product.image.save(image.name or "product", image, save=False)
            product.save()
            invalidate("products")
            if image is not None:
                enqueue(jobs.make_product_thumbnail, product_id=product.pk, team_id=product.team_id)
    except IntegrityError as exc:
        raise DomainError("This team already sells a product with that name.", field="name") from exc
    return product


def order_checkout(*, user: User, product_id: int, quantity: int, idempotency_key: str | None = None) -> Order:
    """Buy ``quantity`` of a product: stock is taken and the order written in one transaction.

    The stock check and decrement are one conditional ``UPDATE``, so two concurrent
    checkouts for the last item cannot both succeed. The confirmation email, invoice and
    webhook are enqueued to run after commit. With an ``idempotency_key`` a repeat of the
    same checkout (a retried request, a form sent twice) returns the order the first placed.
    Checkouts are limited per user (``RATE_LIMITS["checkout-user"]``), replays included.
    """
    ratelimit.enforce("checkout-user", user.pk)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise DomainError(f"Quantity must be between 1 and {MAX_QUANTITY}.", field="quantity")
    # The order is written where the product's team keeps its rows (tier4: the team's shard).
    team_id = product_team(product_id=product_id)
    if team_id is None:
        raise NotFound("No such product.", field="product_id")
    if idempotency_key is None:
        with team_transaction(team_id, Order) as alias:
            durable_commit(alias)
            return _checkout(user=user, product_id=product_id, quantity=quantity)
    fingerprint = hashlib.sha256(f"{product_id}:{quantity}".encode()).hexdigest()
    with team(team_id):
        earlier = CheckoutKey.objects.filter(user=user, key=idempotency_key).first()
        if earlier is not None:
            return _replay(earlier, fingerprint)
        try:
            with team_transaction(team_id, Order) as alias:
                durable_commit(alias)
                # Inserted first: a concurrent request with the same key waits here until this one commits.
                claim = CheckoutKey.objects.create(user=user, key=idempotency_key, fingerprint=fingerprint)
                order = _checkout(user=user, product_id=product_id, quantity=quantity)
                CheckoutKey.objects.filter(pk=claim.pk).update(order=order)
        except IntegrityError:  # the same key, committed by a concurrent request a moment ago
            return _replay(CheckoutKey.objects.get(user=user, key=idempotency_key), fingerprint)
    return order


def _replay(earlier: CheckoutKey, fingerprint: str) -> Order:
    if earlier.fingerprint != fingerprint:
        raise Unprocessable("This idempotency key was already used for a different order.", field="idempotency_key")
    if earlier.order_id is None:  # its order was never placed (the first request failed): try afresh
        raise Conflict("This idempotency key's order was not placed; send the order with a new key.")
    return load(Order.objects.filter(pk=earlier.order_id), PLACED).get()


#: What a placed order is shown with.
PLACED = Relations(select=("team",), prefetch=("items__product",))


def _checkout(*, user: User, product_id: int, quantity: int) -> Order:
    """Inside the caller's transaction on the team's database."""
    product = load(Product.objects.filter(pk=product_id), Relations(select=("team",))).first()
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
    enqueue_all([(job, {"order_id": order.pk}) for job in side_effects], team_id=order.team_id)
    # The catalogue shows stock; the team's dashboard, its orders.
    invalidate("products", f"team:{order.team_id}:orders")
    return order
