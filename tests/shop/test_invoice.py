"""The invoice PDF: an embedded Unicode font, amounts that fit their cells, the seller's details."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.shop import invoice
from app.shop.models import Order, OrderItem
from tests.factories import ProductFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def order_of(items: list[tuple[str, int, str]], *, team_name: str = "Łódź Café") -> Order:
    owner = UserFactory(email="owner@cafe.example")
    team = TeamFactory(name=team_name, description="Ceramics and prints.", owner=owner)
    total = sum(Decimal(price) * quantity for _, quantity, price in items)
    order = Order.objects.create(user=UserFactory(), team=team, total=total)
    for name, quantity, price in items:
        product = ProductFactory(team=team, name=name, price=Decimal(price))
        OrderItem.objects.create(order=order, product=product, quantity=quantity, unit_price=product.price)
    return order


def test_names_in_any_european_script_print_with_the_embedded_font():
    order = order_of([("Ελληνικός καφές — “Crème brûlée” mug", 2, "24.00"), ("Zażółć gęślą jaźń", 1, "3.50")])
    pdf = invoice.render_invoice(order)
    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile2" in pdf  # a TrueType font embedded in the file, not a reader's built-in one
    assert b"DejaVuSans" in pdf


def test_the_shipped_font_comes_with_its_licence():
    assert (invoice.FONTS / "DejaVuSans.ttf").exists()
    assert "Bitstream" in (invoice.FONTS / "LICENSE").read_text()


def test_every_amount_fits_its_column_even_the_largest_an_order_can_hold():
    pdf = invoice._pdf()
    biggest = "$9,999,999,999.99"  # Order.total has 12 digits
    rows = [("A product with a long name that will need to wrap", "1,000,000", "$99,999,999.99", biggest)]
    cols = invoice.columns(pdf, rows, total=biggest)
    pdf.set_font(invoice.FAMILY, "B", cols.size)
    assert cols.amount >= pdf.get_string_width(biggest) + 2 * invoice.PADDING
    assert cols.unit_price >= pdf.get_string_width("$99,999,999.99") + 2 * invoice.PADDING
    assert cols.quantity >= pdf.get_string_width("1,000,000") + 2 * invoice.PADDING
    assert cols.product >= invoice.MIN_PRODUCT_WIDTH
    assert sum(cols.widths) == pytest.approx(pdf.epw)


def test_small_orders_keep_the_normal_type_size():
    cols = invoice.columns(invoice._pdf(), [("Mug", "1", "$24.00", "$24.00")], total="$24.00")
    assert cols.size == invoice.SIZES[0]


def test_the_seller_is_named_with_a_contact_address():
    order = order_of([("Mug", 1, "24.00")])
    assert invoice._seller_contacts(order) == ["owner@cafe.example"]
    assert invoice.render_invoice(order).startswith(b"%PDF-")
