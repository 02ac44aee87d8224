"""The invoice: what the application puts on it (the contract's ``invoice`` part) and how the
media service lays it out (an embedded Unicode font, amounts that fit their cells)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from media_service import contract
from media_service import invoice as layout

from app.shop.invoice import _seller_contacts, invoice_document, invoice_request
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
    pdf = layout.render(invoice_document(order))
    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile2" in pdf  # a TrueType font embedded in the file, not a reader's built-in one
    assert b"DejaVuSans" in pdf


def test_the_shipped_font_comes_with_its_licence():
    assert (layout.FONTS / "DejaVuSans.ttf").exists()
    assert "Bitstream" in (layout.FONTS / "LICENSE").read_text()


def test_every_amount_fits_its_column_even_the_largest_an_order_can_hold():
    pdf = layout._pdf()
    biggest = "$9,999,999,999.99"  # Order.total has 12 digits
    rows = [("A product with a long name that will need to wrap", "1,000,000", "$99,999,999.99", biggest)]
    cols = layout.columns(pdf, rows, total=biggest)
    pdf.set_font(layout.FAMILY, "B", cols.size)
    assert cols.amount >= pdf.get_string_width(biggest) + 2 * layout.PADDING
    assert cols.unit_price >= pdf.get_string_width("$99,999,999.99") + 2 * layout.PADDING
    assert cols.quantity >= pdf.get_string_width("1,000,000") + 2 * layout.PADDING
    assert cols.product >= layout.MIN_PRODUCT_WIDTH
    assert sum(cols.widths) == pytest.approx(pdf.epw)


def test_small_orders_keep_the_normal_type_size():
    cols = layout.columns(layout._pdf(), [("Mug", "1", "$24.00", "$24.00")], total="$24.00")
    assert cols.size == layout.SIZES[0]


def test_the_seller_is_named_with_a_contact_address():
    order = order_of([("Mug", 1, "24.00")])
    assert _seller_contacts(order) == ["owner@cafe.example"]
    assert invoice_document(order)["seller"]["contacts"] == ["owner@cafe.example"]


def test_the_request_the_application_sends_follows_the_contract():
    """The producer's side of the contract: what the application sends is what the schema allows."""
    order = order_of([("Mug", 2, "24.00"), ("Poster", 1, "9.50")])
    request = invoice_request(order)
    assert contract.check_request(request) is request
    assert request["output"] == {"store": "private", "key": f"invoices/invoice-{order.pk}.pdf"}
    assert request["subject"] == {"model": "shop.order", "pk": order.pk, "field": "invoice", "topics": []}
    assert [line["amount"] for line in request["invoice"]["lines"]] == ["$48.00", "$9.50"]
    assert request["invoice"]["total"] == "$57.50"
