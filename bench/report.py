"""A scenario's result: a table printed for people, JSON for comparison across runs, a PNG chart."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.chart import HeatMap

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Report:
    scenario: str
    columns: list[str]
    rows: list[list[Any]]
    ratio: float
    ratio_label: str
    notes: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    #: (label, value) bars for the chart, or empty for no chart.
    chart: list[tuple[str, float]] = field(default_factory=list)
    chart_unit: str = ""
    #: A grid of verdicts drawn instead of the bars (the milestone matrix), or ``None``.
    heat_map: HeatMap | None = None

    def render(self) -> str:
        cells = [self.columns, *[[_fmt(v) for v in row] for row in self.rows]]
        widths = [max(len(str(row[i])) for row in cells) for i in range(len(self.columns))]
        lines = [f"== {self.scenario} =="]
        for index, row in enumerate(cells):
            lines.append(
                "  ".join(
                    str(v).ljust(w) if i == 0 else str(v).rjust(w)
                    for i, (v, w) in enumerate(zip(row, widths, strict=True))
                )
            )
            if index == 0:
                lines.append("  ".join("-" * w for w in widths))
        lines.extend(f"  {note}" for note in self.notes)
        lines.append(f"ratio: {self.ratio:.2f}  ({self.ratio_label})")
        return "\n".join(lines)

    def save(self, directory: Path = RESULTS) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        payload = asdict(self)
        payload["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        payload["machine"] = {"python": platform.python_version(), "cpus": _cpus()}
        path = directory / f"{self.scenario}.json"
        path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
        if self.heat_map is not None:
            from bench.chart import heat_map

            heat_map(self.heat_map, directory / f"{self.scenario}.png")
        elif self.chart:
            from bench.chart import bar_chart

            bar_chart(
                self.chart,
                directory / f"{self.scenario}.png",
                title=f"{self.scenario}: {self.ratio_label}",
                unit=self.chart_unit,
            )
        return path


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def _cpus() -> int:
    import os

    return os.cpu_count() or 0
