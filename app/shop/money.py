"""How an amount of money reads, the same on a page, in an email and on an invoice.

The shop sells in one currency. Django's ``USE_THOUSAND_SEPARATOR`` would also put commas
into ids and form values ("Order #1,234", ``value="1,000"``), so money and counts are
formatted where they are shown, by these functions and the template filters built on them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

CURRENCY_SYMBOL = "$"
CURRENCY_CODE = "USD"
CENT = Decimal("0.01")


def format_money(amount: Decimal | int | float | str | None) -> str:
    """``Decimal("1234.5")`` → ``"$1,234.50"``; a refund reads ``"-$5.00"``; nothing is ``"$0.00"``."""
    try:
        value = Decimal(str(amount if amount is not None else 0)).quantize(CENT)
    except InvalidOperation:
        return str(amount)
    sign = "-" if value < 0 else ""
    return f"{sign}{CURRENCY_SYMBOL}{abs(value):,.2f}"


def format_count(value: int | Decimal | str | None) -> str:
    """``12345`` → ``"12,345"``: counts of things (stock, orders, rows) with thousands separators."""
    try:
        return f"{int(value or 0):,}"
    except (TypeError, ValueError):
        return str(value)
