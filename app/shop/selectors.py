"""Reads for the shop: the catalogue, a user's orders and the owner's dashboard."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from app.accounts.models import User
from app.platform.caching import cached
from app.platform.db.loading import Relations, load, load_one, teams_rows_page
from app.platform.errors import NotFound
from app.platform.http.pages import Page, paginate
from app.platform.tenancy import team as for_team
from app.shop.models import Order, OrderItem, Product
from app.teams.models import Team

CATALOGUE = Relations(
    select=("team",),
    only=("name", "slug", "description", "price", "stock", "thumbnail", "team__name", "team__slug"),
)
ORDERS = Relations(select=("team",), prefetch=("items__product",))
RECENT_ORDERS = Relations(select=("user", "team"), prefetch=("items__product",))

DASHBOARD_DAYS = 30
CENT = Decimal("0.01")


def _money(value: Decimal | float | None) -> Decimal:
    """Sums come back as floats on SQLite; money is shown and compared to the cent."""
    return Decimal(str(value or 0)).quantize(CENT)


def product_list(*, page: int = 1, page_size: int = 20, team: Team | None = None) -> Page[Product]:
    """Products by name: every team's (gathered from every shard in tier4), or one team's."""
    by_name = Product.objects.order_by("name", "id")
    return teams_rows_page(by_name, CATALOGUE, team_id=team.pk if team else None, page=page, page_size=page_size)


def product_get(*, team_slug: str, slug: str) -> Product:
    """The team first, then its product: the two may live on different databases (tier4)."""
    team = Team.objects.filter(slug=team_slug).first()
    if team is None:
        raise NotFound("No such product.")
    with for_team(team.pk):
        product = Product.objects.filter(team=team, slug=slug).first()
    if product is None:
        raise NotFound("No such product.")
    product.team = team
    return product


def product_team(*, product_id: int) -> int | None:
    """The id of the team that sells ``product_id`` (``None``: no such product), wherever it lives."""
    return load_one(Product.objects.order_by().values_list("team_id", flat=True), Relations(), pk=product_id)


def orders_for_user(*, user: User, page: int = 1, page_size: int = 20) -> Page[Order]:
    """The user's orders, newest first, with their items and products, from every team."""
    orders = Order.objects.filter(user=user).order_by("-created_at", "-id")
    return paginate(load(orders, ORDERS, every_team=True), page=page, page_size=page_size)


def order_get_for_user(*, user: User, order_id: int) -> Order:
    order = load_one(Order.objects.filter(user=user), ORDERS, pk=order_id)
    if order is None:
        raise NotFound("No such order.")
    return order


@dataclass(frozen=True)
class DayFigures:
    day: dt.date
    revenue: Decimal
    orders: int


@dataclass(frozen=True)
class TopProduct:
    product_id: int
    name: str
    quantity: int
    revenue: Decimal


@dataclass(frozen=True)
class Dashboard:
    team: Team
    days: list[DayFigures]
    top_products: list[TopProduct]
    recent_orders: list[Order]

    @property
    def revenue(self) -> Decimal:
        return sum((d.revenue for d in self.days), Decimal("0"))

    @property
    def order_count(self) -> int:
        return sum(d.orders for d in self.days)

    @property
    def average_order(self) -> Decimal:
        return _money(self.revenue / self.order_count) if self.order_count else Decimal("0.00")


def team_dashboard(*, team: Team, today: dt.date | None = None) -> Dashboard:
    """Revenue and orders by day for the last 30 days, top products and recent orders.

    The same for each of the team's owners, and costly on a busy team (it reads every order of
    the month), so it goes through the application cache until the team's next order.
    """
    today = today or timezone.localdate()
    with for_team(team.pk):
        return cached(
            f"dashboard:{team.pk}:{today.isoformat()}",
            depends_on=[f"team:{team.pk}:orders"],
            compute=lambda: _dashboard(team, today),
        )


def _dashboard(team: Team, today: dt.date) -> Dashboard:
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=DASHBOARD_DAYS - 1), dt.time.min))
    recent = Order.objects.filter(team=team, created_at__gte=since, status=Order.Status.PLACED)
    by_day: dict[dt.date, dict[str, Any]] = {
        row["day"]: dict(row)
        for row in recent.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(revenue=Sum("total"), orders=Count("id"))
        .order_by("day")
    }
    days = []
    for offset in range(DASHBOARD_DAYS):
        day = today - dt.timedelta(days=DASHBOARD_DAYS - 1 - offset)
        row = by_day.get(day, {})
        days.append(DayFigures(day=day, revenue=_money(row.get("revenue")), orders=row.get("orders") or 0))
    line_total = ExpressionWrapper(F("quantity") * F("unit_price"), output_field=DecimalField())
    top = (
        OrderItem.objects.filter(order__team=team, order__created_at__gte=since, order__status=Order.Status.PLACED)
        .values("product_id", "product__name")
        .annotate(units=Sum("quantity"), revenue=Sum(line_total))
        .order_by("-revenue", "product_id")[:5]
    )
    top_products = [
        TopProduct(
            product_id=r["product_id"], name=r["product__name"], quantity=r["units"], revenue=_money(r["revenue"])
        )
        for r in top
    ]
    recent_orders = list(load(Order.objects.filter(team=team).order_by("-created_at", "-id"), RECENT_ORDERS)[:10])
    return Dashboard(team=team, days=days, top_products=top_products, recent_orders=recent_orders)
