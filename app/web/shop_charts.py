"""The dashboard's two charts: revenue by day and orders by day, over the same 30 days.

Drawn from the template (``{% load charts %}``), so the shop's view hands over its figures
and the pages decide how they look.
"""

from __future__ import annotations

from app.shop.money import CURRENCY_SYMBOL, format_count, format_money
from app.shop.selectors import Dashboard, DayFigures
from app.web.charts import BarChart, Point, bar_chart, compact


def _tooltip(day: DayFigures) -> str:
    orders = f"{format_count(day.orders)} order{'' if day.orders == 1 else 's'}"
    return f"{day.day:%a %b} {day.day.day}: {format_money(day.revenue)} from {orders}"


def _label(day: DayFigures) -> str:
    return f"{day.day:%b} {day.day.day}"


def _span(dashboard: Dashboard) -> str:
    first, last = dashboard.days[0].day, dashboard.days[-1].day
    return f"{first:%b} {first.day} to {last:%b} {last.day}"


def revenue_chart(dashboard: Dashboard) -> BarChart:
    points = [Point(value=d.revenue, label=_label(d), tooltip=_tooltip(d)) for d in dashboard.days]
    return bar_chart(
        points,
        title="Revenue by day",
        summary=f"Revenue by day, {_span(dashboard)}: {format_money(dashboard.revenue)} in total.",
        # Gridlines fall on round amounts, written short: "$250", "$12.5k".
        tick_label=lambda value: CURRENCY_SYMBOL + compact(value),
        value_label=format_money,
    )


def orders_chart(dashboard: Dashboard) -> BarChart:
    points = [Point(value=d.orders, label=_label(d), tooltip=_tooltip(d)) for d in dashboard.days]
    return bar_chart(
        points,
        title="Orders by day",
        summary=f"Orders by day, {_span(dashboard)}: {format_count(dashboard.order_count)} in total.",
        tick_label=compact,
        value_label=format_count,
    )
