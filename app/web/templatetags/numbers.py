"""``{% load numbers %}``: ``{{ order.total|money }}`` → "$1,234.50", ``{{ stock|thousands }}`` → "12,345"."""

from __future__ import annotations

from django import template

from app.shop.money import format_count, format_money

register = template.Library()


@register.filter
def money(amount: object) -> str:
    return format_money(amount)  # type: ignore[arg-type]


@register.filter
def thousands(value: object) -> str:
    return format_count(value)  # type: ignore[arg-type]
