"""Charts drawn with Pillow (already a dependency), so charts need no plotting library: a horizontal
bar chart, and a heat map (a grid of categories, each cell labelled)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

WIDTH, ROW, LEFT, PAD = 900, 44, 300, 20


def bar_chart(bars: list[tuple[str, float]], path: Path, *, title: str, unit: str = "") -> None:
    height = PAD * 3 + ROW * len(bars) + 30
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=16)
    draw.text((PAD, PAD), title, fill="#1d2330", font=font)
    peak = max((value for _, value in bars), default=1) or 1
    span = WIDTH - LEFT - PAD - 120
    for index, (label, value) in enumerate(bars):
        top = PAD * 2 + 30 + index * ROW
        draw.text((PAD, top + 8), label[:34], fill="#1d2330", font=font)
        draw.rectangle((LEFT, top, LEFT + max(2, int(span * value / peak)), top + ROW - 12), fill="#3656d6")
        draw.text((LEFT + int(span * value / peak) + 8, top + 8), f"{value:,.1f} {unit}", fill="#5f6b7a", font=font)
    image.save(path)


@dataclass(frozen=True)
class HeatCell:
    """One cell of a heat map: its category (which picks the colour) and the lines written in it."""

    category: str
    lines: list[str]


@dataclass(frozen=True)
class HeatMap:
    """A grid of categories: rows × columns, each cell coloured by its category and labelled.

    Pillow's default font has no glyphs for most symbols (≈, ×, ≤): write its text in ASCII.
    """

    title: str
    rows: list[str]
    #: Column headings, each one or more lines.
    columns: list[list[str]]
    cells: list[list[HeatCell]]
    #: Category → fill colour; the legend lists them in this order.
    colours: dict[str, str]
    #: Lines under the grid: what was measured and how it was judged.
    notes: list[str] = field(default_factory=list)


CELL_WIDTH, CELL_HEIGHT, ROW_LABEL_WIDTH, LINE = 190, 90, 110, 19


def heat_map(grid: HeatMap, path: Path) -> None:
    """Draw ``grid`` as a PNG: row labels on the left, column headings on top, a legend and notes below."""
    font = ImageFont.load_default(size=16)
    small = ImageFont.load_default(size=14)
    heading_lines = max((len(column) for column in grid.columns), default=1)
    top = PAD * 2 + 30 + heading_lines * LINE + 8
    width = max(WIDTH, ROW_LABEL_WIDTH + PAD * 2 + CELL_WIDTH * len(grid.columns))
    notes = _wrapped(grid.notes, width - PAD * 2, lambda text: small.getlength(text))
    height = top + CELL_HEIGHT * len(grid.rows) + PAD * 2 + LINE * (1 + len(notes)) + PAD
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((PAD, PAD), grid.title, fill="#1d2330", font=font)
    for index, column in enumerate(grid.columns):
        left = PAD + ROW_LABEL_WIDTH + index * CELL_WIDTH
        for number, line in enumerate(column):
            draw.text(
                (left + 8, PAD * 2 + 30 + number * LINE), line, fill="#1d2330", font=font if not number else small
            )
    for row_index, (label, cells) in enumerate(zip(grid.rows, grid.cells, strict=True)):
        row_top = top + row_index * CELL_HEIGHT
        draw.text((PAD, row_top + CELL_HEIGHT // 2 - 9), label, fill="#1d2330", font=font)
        for index, cell in enumerate(cells):
            left = PAD + ROW_LABEL_WIDTH + index * CELL_WIDTH
            box = (left, row_top, left + CELL_WIDTH - 4, row_top + CELL_HEIGHT - 4)
            draw.rectangle(box, fill=grid.colours.get(cell.category, "#d0d4da"))
            for number, line in enumerate(cell.lines[:4]):
                draw.text(
                    (left + 8, row_top + 6 + number * LINE),
                    line[:24],
                    fill="white" if not number else "#10141c",
                    font=font if not number else small,
                )
    legend_top = top + CELL_HEIGHT * len(grid.rows) + PAD
    left = PAD
    for category, colour in grid.colours.items():
        draw.rectangle((left, legend_top + 2, left + 14, legend_top + 16), fill=colour)
        draw.text((left + 20, legend_top), category, fill="#1d2330", font=small)
        left += 30 + int(draw.textlength(category, font=small))
    for number, note in enumerate(notes, start=1):
        draw.text((PAD, legend_top + number * LINE), note, fill="#5f6b7a", font=small)
    image.save(path)


def _wrapped(lines: list[str], width: float, measure: Callable[[str], float]) -> list[str]:
    """``lines`` broken at spaces so that none is wider than ``width``."""
    out = []
    for line in lines:
        current = ""
        for word in line.split(" "):
            candidate = f"{current} {word}".strip()
            if current and measure(candidate) > width:
                out.append(current)
                current = word
            else:
                current = candidate
        out.append(current)
    return out
