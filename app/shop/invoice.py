"""What an order's invoice says, as the media service's contract carries it (``invoice``).

The application decides the text (dates, money, names); the media service
(``media_service.invoice``) lays it out as a PDF.
"""

from __future__ import annotations

from typing import Any

from app.shop.models import Order
from app.shop.money import CURRENCY_CODE, format_count, format_money
from app.teams.models import Membership


def _seller_contacts(order: Order) -> list[str]:
    owners = Membership.objects.filter(team=order.team, role=Membership.Role.OWNER).select_related("user")
    return sorted({m.user.email for m in owners if m.user.email})


def invoice_document(order: Order) -> dict[str, Any]:
    """The contract's ``invoice`` part for ``order`` (its items and their products loaded)."""
    return {
        "number": order.pk,
        "placed": f"{order.created_at.day} {order.created_at:%B %Y, %H:%M} UTC",
        "currency": CURRENCY_CODE,
        "seller": {
            "name": order.team.name,
            "description": order.team.description,
            "contacts": _seller_contacts(order),
        },
        "buyer": {"name": order.user.get_full_name() or order.user.username, "email": order.user.email},
        "lines": [
            {
                "product": item.product.name,
                "quantity": format_count(item.quantity),
                "unit_price": format_money(item.unit_price),
                "amount": format_money(item.line_total),
            }
            for item in order.lines
        ],
        "total": format_money(order.total),
    }


def invoice_request(order: Order) -> dict[str, Any]:
    """The media request that makes ``order``'s invoice (kept where only its owner may read it)."""
    from app.platform.media import file_request

    return file_request(
        order,
        "invoice",
        kind="invoice",
        store="private",
        filename=f"invoice-{order.pk}.pdf",
        topics=[],
        invoice=invoice_document(order),
    )
