"""A horizontal bar chart drawn with Pillow (already a dependency), so charts need no plotting library."""

from __future__ import annotations

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
