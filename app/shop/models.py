"""Products teams sell, and the orders users place for them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from app.platform.inputs.images import validate_image_size
from app.platform.storage import private_storage


class Product(models.Model):
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="products", db_index=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, allow_unicode=True)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    stock = models.PositiveIntegerField(default=0)
    image = models.ImageField(upload_to="products/", blank=True, validators=[validate_image_size])
    thumbnail = models.ImageField(upload_to="products/thumbs/", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "slug"], name="product_team_slug_unique")]

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    #: The rows a checkout has just written, set by ``order_checkout`` so the caller can show the
    #: order without reading it back (not a field).
    placed_items: list[OrderItem]

    class Status(models.TextChoices):
        PLACED = "placed"
        CANCELLED = "cancelled"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders", db_index=False)
    team = models.ForeignKey("teams.Team", on_delete=models.PROTECT, related_name="orders", db_index=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLACED)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)
    invoice = models.FileField(upload_to="invoices/", blank=True, storage=private_storage)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Order #{self.pk}"

    @property
    def lines(self) -> list[OrderItem]:
        """Its items: those just placed if this instance wrote them, else ``items`` (prefetched or not)."""
        placed = self.__dict__.get("placed_items")
        return list(placed) if placed is not None else list(self.items.all())


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_items", db_index=False)
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class CheckoutKey(models.Model):
    """A checkout's idempotency key: the same key from the same user places one order, once.

    From the API's ``Idempotency-Key`` header, or the single-use token in the checkout form.
    The unique constraint is what serialises two concurrent requests with the same key: the
    second waits on the first's insert and then finds its order.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    key = models.CharField(max_length=255)
    #: What was asked (product and quantity), so the key cannot be reused for a different order.
    fingerprint = models.CharField(max_length=64)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint("user", "key", name="checkoutkey_user_key_unique")]

    def __str__(self) -> str:
        return f"{self.key} → {self.order_id}"
