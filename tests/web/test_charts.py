"""The dashboard's charts: laid out on the server as SVG, with axes, values and every day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from app.web.charts import HEIGHT, WIDTH, Point, bar_chart, compact, nice_step
from tests.factories import OrderFactory, TeamFactory, UserFactory


def chart(values: list):
    points = [Point(value=v, label=f"Jun {i + 1}", tooltip=f"day {i + 1}: {v}") for i, v in enumerate(values)]
    return bar_chart(points, title="t", summary="s", tick_label=compact, value_label=str)


@pytest.mark.parametrize(
    ("top", "whole", "step"),
    [(0, False, 1), (3, True, 1), (10, True, 5), (10, False, 2.5), (37, True, 10), (1234.5, False, 500)],
)
def test_gridlines_fall_on_round_numbers(top, whole, step):
    assert nice_step(top, whole=whole) == step


def test_bars_stand_on_the_axis_and_the_tallest_reaches_no_higher_than_the_top_gridline():
    board = chart([Decimal("0"), Decimal("12.50"), Decimal("40"), Decimal("7")])
    assert len(board.bars) == 4
    assert all(round(bar.y + bar.height, 1) == board.baseline for bar in board.bars)
    assert board.bars[0].height == 0
    top_tick = min(tick.y for tick in board.y_ticks)
    assert min(bar.y for bar in board.bars) >= top_tick >= board.top
    assert [t.label for t in board.y_ticks] == ["0", "10", "20", "30", "40"]
    assert board.peak is board.bars[2]
    assert board.peak_label == "40"


def test_every_label_stays_inside_the_picture():
    board = chart(list(range(30)))
    assert board.x_labels[-1].text == "Jun 30"  # the latest day is always named
    assert [label.text for label in board.x_labels] == ["Jun 2", "Jun 9", "Jun 16", "Jun 23", "Jun 30"]
    assert board.x_labels[-1].anchor == "end"
    for label in board.x_labels:
        assert 0 <= label.x <= WIDTH
    assert board.peak_anchor == "end"  # the last bar is the tallest: its value leans left
    assert 0 < board.peak_label_y < HEIGHT


def test_a_quiet_month_still_has_an_axis_and_no_peak():
    board = chart([0] * 30)
    assert board.peak is None
    assert [t.label for t in board.y_ticks] == ["0", "1"]


def test_big_figures_get_short_gridline_labels():
    assert [compact(v) for v in (2500, 12_500, 250_000, 1_250_000, 2.5)] == ["2,500", "12.5k", "250k", "1.25M", "2.50"]


@pytest.mark.django_db
def test_the_dashboard_charts_revenue_and_orders_for_each_of_30_days(client):
    owner = UserFactory()
    team = TeamFactory(owner=owner)
    OrderFactory(team=team, total=Decimal("1234.00"))
    OrderFactory(team=team, total=Decimal("16.00"), created_at=dt.datetime.now(tz=dt.UTC) - dt.timedelta(days=3))
    client.force_login(owner)
    html = client.get(f"/teams/{team.slug}/dashboard/").content.decode()
    assert html.count('<svg class="bar-chart"') == 2
    assert html.count('<rect class="col"') == 60
    assert "Revenue by day" in html
    assert "Orders by day" in html
    assert ">$1,234.00</text>" in html  # the peak day's value, written over its bar
    assert "$1,250.00 in total" in html
