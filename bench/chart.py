"""An SVG bar chart of a run, written by hand (no plotting dependency).

One group per scenario, one horizontal bar per framework. Scenarios differ by
orders of magnitude, so each group is scaled to its own slowest framework:
bar length = time / slowest time in the scenario, labelled with the time and,
for ferrule's peers, ferrule's ratio to them. Cells that did not run show
their status instead of a bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final
from xml.sax.saxutils import escape

from bench.harness import Cell
from bench.report import FERRULE, ratio_label

__all__ = ["render", "COLOURS"]

COLOURS: Final[dict[str, str]] = {
    "raw": "#9e9e9e",
    "ferrule": "#d1495b",
    "fastapi": "#00798c",
    "starlette": "#30638e",
    "litestar": "#edae49",
    "blacksheep": "#3d3d3d",
}
_OTHER: Final = "#7a5195"
WIDTH: Final = 1040
LABEL_W: Final = 130  # scenario names
NAME_W: Final = 80  # framework names
BAR_W: Final = 520
BAR_H: Final = 13
GAP: Final = 14
TOP: Final = 64


def _text(x: float, y: float, text: str, *, size: int = 11, anchor: str = "start", weight: str = "normal",
          fill: str = "#222") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}">{escape(text)}</text>')


def render(cells: Sequence[Cell], scenarios: Sequence[str], frameworks: Sequence[str], *, title: str) -> str:
    """The chart as an SVG document."""
    by_key = {(c.scenario, c.framework): c for c in cells}
    parts: list[str] = []
    y = TOP
    for scenario in scenarios:
        group = [by_key.get((scenario, f)) for f in frameworks]
        times = [c.median_us for c in group if c is not None and c.status == "ok" and c.median_us]
        slowest = max(times) if times else 1.0
        mine = by_key.get((scenario, FERRULE))
        parts.append(_text(8, y + BAR_H - 2, scenario, weight="bold"))
        for framework, cell in zip(frameworks, group):
            parts.append(_text(LABEL_W, y + BAR_H - 2, framework, fill="#555"))
            x0 = LABEL_W + NAME_W
            if cell is not None and cell.status == "ok" and cell.median_us:
                length = max(1.0, BAR_W * cell.median_us / slowest)
                colour = COLOURS.get(framework, _OTHER)
                parts.append(f'<rect x="{x0}" y="{y}" width="{length:.1f}" height="{BAR_H}" fill="{colour}"/>')
                label = cell.label()
                if framework != FERRULE and mine is not None and mine.status == "ok" and mine.median_us:
                    label += f"  (ferrule {ratio_label(mine.median_us, cell.median_us)})"
                parts.append(_text(x0 + length + 6, y + BAR_H - 2, label, size=10))
            else:
                status = "not run" if cell is None else f"{cell.status}: {cell.message}"
                parts.append(_text(x0, y + BAR_H - 2, status[:90], size=10, fill="#a00"))
            y += BAR_H + 3
        y += GAP
    legend = []
    x = 8.0
    for framework in frameworks:
        legend.append(f'<rect x="{x:.1f}" y="36" width="12" height="12" fill="{COLOURS.get(framework, _OTHER)}"/>')
        legend.append(_text(x + 16, 46, framework))
        x += 24 + 7 * len(framework) + 16
    height = y + 20
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="Helvetica, Arial, sans-serif">',
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
        _text(8, 22, title + " — median time per request, bars scaled per scenario (shorter is faster)",
              size=14, weight="bold"),
    ]
    return "\n".join([*head, *legend, *parts, "</svg>"]) + "\n"
