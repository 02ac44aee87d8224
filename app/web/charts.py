"""Bar charts as inline SVG, laid out here and drawn by ``_bar_chart.html``: no JavaScript, no library.

The server knows every figure when it renders the page, so it can place each bar, gridline
and label itself; the browser only paints. Coordinates are in the SVG's ``viewBox`` units,
which scale with the chart's width. The width is about what a phone gives a chart, so at
375 px the labels render near their nominal 10 units, and on a desktop (two charts side by
side) a little larger.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH = 320
HEIGHT = 180
#: Room for the y-axis labels on the left, the x-axis labels below, the peak's value above.
LEFT, RIGHT, TOP, BOTTOM = 46, 6, 16, 20
#: Share of each day's slot the bar fills; the rest is the gap between bars.
BAR_SHARE = 0.7
#: About this many gridlines above zero.
TICKS = 4
#: Half a date label's width: an x label centred closer than this to an end would be cut off.
EDGE = 16


@dataclass(frozen=True)
class Point:
    """One bar's figures: its value, its label on the x axis and what hovering it says."""

    value: Decimal | int
    label: str
    tooltip: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    #: The whole column the bar stands in, so hovering above a short bar still shows its tooltip.
    slot_x: float
    slot_width: float
    tooltip: str

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class AxisLabel:
    x: float
    text: str
    #: SVG ``text-anchor``: a label at either end of the axis leans inwards, so it is never cut off.
    anchor: str = "middle"


@dataclass(frozen=True)
class BarChart:
    title: str
    summary: str
    bars: list[Bar]
    y_ticks: list[Tick]
    x_labels: list[AxisLabel]
    #: The tallest bar and its value written above it (none when every value is zero).
    peak: Bar | None
    peak_label: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    baseline: int = HEIGHT - BOTTOM

    @property
    def plot_height(self) -> int:
        return self.baseline - self.top

    @property
    def y_label_x(self) -> int:
        return self.left - 4

    @property
    def x_label_y(self) -> int:
        return self.height - 6

    @property
    def peak_label_y(self) -> float:
        return round(self.peak.y - 4, 1) if self.peak else 0.0

    @property
    def peak_anchor(self) -> str:
        """Which end of the peak's label sits over the bar: near an edge, the label leans inwards."""
        if self.peak is None or self.left + 2 * EDGE <= self.peak.center <= self.right - 2 * EDGE:
            return "middle"
        return "start" if self.peak.center < self.left + 2 * EDGE else "end"


def nice_step(top: float, *, ticks: int = TICKS, whole: bool = False) -> float:
    """A round gridline interval (1, 2, 2.5 or 5 times a power of ten) giving about ``ticks`` lines up to ``top``.

    At least 1, so an empty chart still has an axis; ``whole`` numbers (counts) skip 2.5.
    """
    raw = max(top / ticks, 1)
    power = 10 ** math.floor(math.log10(raw))
    multiples = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    return next(m * power for m in multiples if m * power >= raw)


def bar_chart(
    points: Sequence[Point],
    *,
    title: str,
    summary: str,
    tick_label: Callable[[float], str],
    value_label: Callable[[Decimal | int], str],
    label_every: int = 7,
) -> BarChart:
    """Lay out ``points`` as bars over a zero-based y axis with round gridlines.

    ``tick_label`` writes a gridline's value, ``value_label`` the peak bar's own. Every
    ``label_every``-th x label is shown, counted back from the last point, so the most recent
    day is always named.
    """
    values = [float(p.value) for p in points]
    step = nice_step(max(values, default=0), whole=all(isinstance(p.value, int) for p in points))
    top_value = step * max(1, math.ceil(max(values, default=0) / step))
    plot_width, plot_height = WIDTH - RIGHT - LEFT, HEIGHT - BOTTOM - TOP
    baseline = HEIGHT - BOTTOM
    slot = plot_width / max(len(points), 1)

    def y_of(value: float) -> float:
        return round(baseline - value / top_value * plot_height, 1)

    bars = []
    for index, (point, value) in enumerate(zip(points, values, strict=True)):
        slot_x = LEFT + index * slot
        y = y_of(value)
        bars.append(
            Bar(
                x=round(slot_x + slot * (1 - BAR_SHARE) / 2, 1),
                y=y,
                width=round(slot * BAR_SHARE, 1),
                height=round(baseline - y, 1),
                slot_x=round(slot_x, 1),
                slot_width=round(slot, 1),
                tooltip=point.tooltip,
            )
        )
    ticks = [Tick(y=y_of(step * i), label=tick_label(step * i)) for i in range(round(top_value / step) + 1)]
    last = len(points) - 1
    x_labels = [_axis_label(bars[i], points[i].label) for i in range(len(points)) if (last - i) % label_every == 0]
    peak_index = max(range(len(values)), key=lambda i: (values[i], i), default=None)
    peak = bars[peak_index] if peak_index is not None and values[peak_index] > 0 else None
    peak_label = value_label(points[peak_index].value) if peak is not None and peak_index is not None else ""
    return BarChart(
        title=title, summary=summary, bars=bars, y_ticks=ticks, x_labels=x_labels, peak=peak, peak_label=peak_label
    )


def compact(value: float) -> str:
    """A gridline's value in at most six characters or so: ``2,500``, ``12.5k``, ``1.25M``, ``2.50``."""
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.3g}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:.3g}k"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _axis_label(bar: Bar, text: str) -> AxisLabel:
    if bar.center > WIDTH - RIGHT - EDGE:
        return AxisLabel(x=round(bar.x + bar.width, 1), text=text, anchor="end")
    if bar.center < LEFT + EDGE:
        return AxisLabel(x=bar.x, text=text, anchor="start")
    return AxisLabel(x=bar.center, text=text)
