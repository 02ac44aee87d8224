"""Money and counts read with thousands separators, the same in pages, emails and invoices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from app.shop.money import format_count, format_money
from tests.factories import OrderFactory, ProductFactory, TeamFactory, UserFactory


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("0.01"), "$0.01"),
        (Decimal("1000000"), "$1,000,000.00"),
        (Decimal("-5"), "-$5.00"),
        (12, "$12.00"),
        (None, "$0.00"),
        ("19.999", "$20.00"),
    ],
)
def test_money(amount, shown):
    assert format_money(amount) == shown


def test_counts_and_the_template_filters():
    assert format_count(12345) == "12,345"
    html = Template("{% load numbers %}{{ a|money }} {{ n|thousands }}").render(
        Context({"a": Decimal("1234.5"), "n": 12345})
    )
    assert html == "$1,234.50 12,345"


def test_a_filter_given_something_else_shows_it_as_it_is():
    assert format_money("n/a") == "n/a"
    assert format_count("many") == "many"


@pytest.mark.django_db
def test_pages_show_prices_stock_and_totals_with_separators(client):
    team = TeamFactory()
    product = ProductFactory(team=team, price=Decimal("1234.50"), stock=12345)
    page = client.get(f"/shop/{team.slug}/{product.slug}/").content.decode()
    assert "$1,234.50" in page
    assert "12,345 in stock" in page
    assert "$1,234.50" in client.get("/shop/").content.decode()
    owner = UserFactory()
    order = OrderFactory(user=owner, team=team, total=Decimal("2469.00"))
    client.force_login(owner)
    assert "$2,469.00" in client.get(f"/orders/{order.pk}/").content.decode()


@pytest.mark.django_db
def test_figures_in_tables_are_right_aligned(client):
    owner = UserFactory()
    team = TeamFactory(owner=owner)
    OrderFactory(team=team, total=Decimal("1500.00"))
    client.force_login(owner)
    html = client.get(f"/teams/{team.slug}/dashboard/").content.decode()
    assert '<td class="num total">$1,500.00</td>' in html
    assert '<th scope="col" class="num">Revenue</th>' in html
