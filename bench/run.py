"""`python -m bench`: the in-process run, its table, and the JSON/SVG outputs.

All cells run in this one process under one event loop (asyncio by default,
`--loop uvloop` to swap it), scenario by scenario so the frameworks of one
scenario are measured close together in time. Progress goes to stderr; the
tables go to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from bench import chart, report
from bench.harness import FRAMEWORKS, Cell, Settings, framework_module, measure
from bench.scenarios import SCENARIOS, Scenario, select

__all__ = ["main", "parse_frameworks", "versions", "run_cells", "estimate_build", "loop_runner"]


def parse_frameworks(text: str | None) -> list[str]:
    """Comma-separated framework names (all when empty).

    Raises:
        ValueError: an unknown name.
    """
    if not text:
        return list(FRAMEWORKS)
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in FRAMEWORKS]
    if unknown:
        raise ValueError(f"unknown framework(s) {unknown!r}; choose from: {', '.join(FRAMEWORKS)}")
    return names


def versions(frameworks: Sequence[str]) -> dict[str, str]:
    """Each framework's version, or why it does not import."""
    found = {}
    for name in frameworks:
        try:
            found[name] = str(framework_module(name).VERSION)
        except Exception as exc:
            found[name] = f"import error: {type(exc).__name__}: {exc}"[:200]
    return found


def loop_runner(loop: str) -> Callable[[Any], Any]:
    """`asyncio.run`, or uvloop's event loop when `loop == "uvloop"`.

    Raises:
        ValueError: uvloop asked for but not installed.
    """
    if loop == "asyncio":
        return asyncio.run
    try:
        import uvloop
    except ImportError:
        raise ValueError("--loop uvloop needs uvloop installed (pip install uvloop)") from None

    run_uvloop: Callable[[Any], Any] = uvloop.run
    return run_uvloop


def estimate_build(cells: Sequence[Cell], framework: str, scenario: Scenario) -> tuple[float, str] | None:
    """Extrapolated build seconds of a `router_scale` app from the smaller sizes already built.

    Growth is taken from the last two sizes (at least linear); None without data.
    """
    routes = scenario.params.get("routes")
    if not routes:
        return None
    points = sorted(
        (c_routes, c.build_s)
        for c in cells
        if c.framework == framework and c.build_s and c.scenario.startswith("router_scale_")
        and (c_routes := int(c.scenario.rsplit("_", 1)[1])) < routes
    )
    if not points:
        return None
    n1, t1 = points[-1]
    exponent = 1.0
    if len(points) >= 2:
        n0, t0 = points[-2]
        if t0 > 0 and t1 > t0:
            exponent = max(1.0, math.log(t1 / t0) / math.log(n1 / n0))
    estimate = t1 * (routes / n1) ** exponent
    return estimate, f"{n1:,} routes took {t1:.1f} s"


async def run_cells(
    scenarios: Sequence[Scenario], frameworks: Sequence[str], settings: Settings, progress: bool = True,
    build_budget: float = 60.0,
) -> list[Cell]:
    """Measure every scenario x framework; a router_scale app whose startup is
    estimated above `build_budget` seconds is skipped (and says why)."""
    cells: list[Cell] = []
    for scenario in scenarios:
        for framework in frameworks:
            started = time.perf_counter()
            estimate = estimate_build(cells, framework, scenario)
            if estimate is not None and estimate[0] > build_budget:
                cell = Cell(framework, scenario.name, "skipped",
                            f"startup est. {estimate[0]:.0f} s ({estimate[1]}); --build-budget {build_budget:g}")
            else:
                cell = await measure(framework, scenario, settings)
            cells.append(cell)
            if progress:
                took = time.perf_counter() - started
                build = f", build {cell.build_s:.1f} s" if cell.build_s is not None else ""
                print(f"  {scenario.name:<20} {framework:<11} {cell.label()[:100]}  ({took:.1f} s{build})",
                      file=sys.stderr)
    return cells


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="In-process benchmark of ferrule against its peers (median time per request).",
    )
    parser.add_argument("--scenarios", help=f"comma-separated; default all: {', '.join(SCENARIOS)}")
    parser.add_argument("--frameworks", help=f"comma-separated; default all: {', '.join(FRAMEWORKS)}")
    parser.add_argument("--quick", action="store_true", help="few iterations (CI/smoke); numbers are rough")
    parser.add_argument("--repeats", type=int, help="repeats per cell (median reported)")
    parser.add_argument("--target", type=float, help="seconds per repeat")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="cpu: process CPU time, robust on a shared machine (default); wall: elapsed time")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio", help="event loop (default asyncio)")
    parser.add_argument("--build-budget", type=float, default=60.0, metavar="S",
                        help="skip a router_scale app whose startup is estimated above S seconds (default 60)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write all results as JSON")
    parser.add_argument("--svg", type=Path, metavar="OUT", help="write a bar chart as SVG")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    try:
        scenarios = select([s.strip() for s in args.scenarios.split(",")] if args.scenarios else None)
        frameworks = parse_frameworks(args.frameworks)
        runner = loop_runner(args.loop)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = Settings.quick() if args.quick else Settings()
    settings = replace(
        settings,
        repeats=args.repeats or settings.repeats,
        target=args.target or settings.target,
        clock=args.clock,
    )

    meta: dict[str, Any] = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "loop": args.loop,
        "quick": args.quick,
        "settings": asdict(settings),
        "versions": versions(frameworks),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    print(f"in-process run: {len(scenarios)} scenarios x {len(frameworks)} frameworks, loop={args.loop}, "
          f"{settings.repeats} repeats of ~{settings.target:g} s{' (quick)' if args.quick else ''}", file=sys.stderr)
    cells = runner(run_cells(scenarios, frameworks, settings, build_budget=args.build_budget))

    names = [s.name for s in scenarios]
    print(f"\nferrule in-process benchmark — Python {meta['python']}, loop: {args.loop}, "
          f"clock: {settings.clock}{' (process CPU time)' if settings.clock == 'cpu' else ''}, "
          f"median of {settings.repeats} repeats{' (QUICK: rough numbers)' if args.quick else ''}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()))
    print("\nMedian time per request (lower is better; streams also show items per second):\n")
    print(report.results_table(cells, names, frameworks))
    ratios = report.ratios_table(cells, names, frameworks)
    if ratios:
        print("\nferrule vs each framework (peer time / ferrule time; vs raw = overhead above the floor):\n")
        print(ratios)
    flat = report.flatness_lines(cells, frameworks)
    if flat:
        print("\n" + flat)

    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": [asdict(c) for c in cells]}, indent=2))
        print(f"\nwrote {args.json}", file=sys.stderr)
    if args.svg:
        args.svg.write_text(chart.render(cells, names, frameworks, title=f"ferrule in-process benchmark ({args.loop})"))
        print(f"wrote {args.svg}", file=sys.stderr)
    return 0
