"""``{% load numbers %}``: ``{{ order.total|money }}`` → "$1,234.50", ``{{ stock|thousands }}`` → "12,345",
``{{ post.comment_count|counted:"comment" }}`` → "1 comment", "12,345 comments"."""

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


@register.filter
def counted(value: object, noun: str) -> str:
    """A count and its noun, plural unless it is one (English, like ``pluralize``): one filter
    where the feed's cards used ``thousands``, ``pluralize`` and a ``with`` around them."""
    return f"{format_count(value)} {noun}{'' if value == 1 else 's'}"  # type: ignore[arg-type]
