"""Tables of results: times per framework, then ferrule's ratio to each peer.

Ratios compare medians from the same process and run: `peer / ferrule`.
Above 1, ferrule is that many times faster ("2.10x faster"); below 1 it is
slower ("1.35x slower", i.e. `ferrule / peer`). The `raw` column is the floor
(the harness plus the unavoidable work), so "vs raw" reads as ferrule's overhead.
The last row is the geometric mean of each column's ratios (scenarios that
ran on both sides; their count in parentheses).
Cells that did not run show their status and message (`error: ...`, `bad: ...`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from bench.harness import Cell

__all__ = ["ratio_label", "results_table", "ratios_table", "flatness_lines", "format_table"]

FERRULE: Final = "ferrule"
#: Longest status message kept in a table cell; the full text is in the footnotes.
CELL_MESSAGE: Final = 48


def ratio_label(ferrule_us: float, peer_us: float) -> str:
    """`peer / ferrule` as "N.NNx faster" or "N.NNx slower"."""
    ratio = peer_us / ferrule_us
    if ratio >= 1:
        return f"{ratio:.2f}x faster"
    return f"{1 / ratio:.2f}x slower"


def _rate(cell: Cell) -> str:
    rate = cell.items_per_second
    if rate is None:
        return ""
    if rate >= 1e6:
        return f" ({rate / 1e6:.2f}M/s)"
    return f" ({rate / 1e3:.0f}k/s)"


def _cell_text(cell: Cell | None, notes: list[str]) -> str:
    if cell is None:
        return "-"
    if cell.status == "ok":
        return cell.label() + _rate(cell)
    text = f"{cell.status}: {cell.message}" if cell.message else cell.status
    if len(text) > CELL_MESSAGE:
        notes.append(f"[{len(notes) + 1}] {cell.framework}/{cell.scenario}: {text}")
        text = text[: CELL_MESSAGE - 6].rstrip() + f"… [{len(notes)}]"
    return text


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table with aligned columns (first column left, others right)."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [cells[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join(["-" * (widths[0] + 2)] + ["-" * (w + 1) + ":" for w in widths[1:]]) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _index(cells: Sequence[Cell]) -> dict[tuple[str, str], Cell]:
    return {(c.scenario, c.framework): c for c in cells}


def results_table(cells: Sequence[Cell], scenarios: Sequence[str], frameworks: Sequence[str]) -> str:
    """Median time per request for every scenario x framework (streams add items/s)."""
    by_key = _index(cells)
    notes: list[str] = []
    rows = [[s, *(_cell_text(by_key.get((s, f)), notes) for f in frameworks)] for s in scenarios]
    table = format_table(["scenario", *frameworks], rows)
    return table + ("\n\n" + "\n".join(notes) if notes else "")


def ratios_table(cells: Sequence[Cell], scenarios: Sequence[str], frameworks: Sequence[str]) -> str:
    """ferrule against each other framework, per scenario; "" without a ferrule column."""
    peers = [f for f in frameworks if f != FERRULE]
    if FERRULE not in frameworks or not peers:
        return ""
    by_key = _index(cells)
    rows = []
    logs: dict[str, list[float]] = {peer: [] for peer in peers}
    for scenario in scenarios:
        mine = by_key.get((scenario, FERRULE))
        row = [scenario]
        for peer in peers:
            other = by_key.get((scenario, peer))
            if mine is None or mine.status != "ok" or mine.median_us is None:
                row.append(f"ferrule {mine.status}" if mine else "-")
            elif other is None or other.status != "ok" or other.median_us is None:
                row.append(f"{peer} {other.status}" if other else "-")
            else:
                row.append(ratio_label(mine.median_us, other.median_us))
                logs[peer].append(math.log(other.median_us / mine.median_us))
        rows.append(row)
    if len(scenarios) > 1:
        # The geometric mean of the ratios: one number per peer, each scenario weighted equally.
        rows.append(["geometric mean"] + [
            ratio_label(1.0, math.exp(sum(v) / len(v))) + f" ({len(v)})" if v else "-"
            for v in (logs[p] for p in peers)
        ])
    return format_table(["ferrule vs", *peers], rows)


def flatness_lines(cells: Sequence[Cell], frameworks: Sequence[str]) -> str:
    """router_scale flatness: time at the most routes / time at the fewest (1.00 = flat)."""
    lines = []
    for framework in frameworks:
        points = sorted(
            (int(c.scenario.rsplit("_", 1)[1]), c.median_us)
            for c in cells
            if c.framework == framework and c.scenario.startswith("router_scale_")
            and c.status == "ok" and c.median_us is not None
        )
        if len(points) >= 2:
            (low, t_low), (high, t_high) = points[0], points[-1]
            steps = ", ".join(f"{n:,}: {t / t_low:.2f}" for n, t in points)
            lines.append(f"  {framework:<11} {t_high / t_low:6.2f}  (t@{high:,} / t@{low:,}; per size {steps})")
    if not lines:
        return ""
    return "router_scale flatness (1.00 = lookup cost independent of route count):\n" + "\n".join(lines)
