"""``{% load charts %}``: ``{% revenue_chart dashboard as chart %}``, then ``{% include "_bar_chart.html" %}``."""

from __future__ import annotations

from django import template

from app.shop.selectors import Dashboard
from app.web import shop_charts
from app.web.charts import BarChart

register = template.Library()


@register.simple_tag
def revenue_chart(dashboard: Dashboard) -> BarChart:
    return shop_charts.revenue_chart(dashboard)


@register.simple_tag
def orders_chart(dashboard: Dashboard) -> BarChart:
    return shop_charts.orders_chart(dashboard)
