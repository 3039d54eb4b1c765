"""`python -m bench profile <scenario>`: one framework's app for a scenario under cProfile.

The app is built, started and checked exactly as in the timed run (a broken
app is reported, not profiled); then `--requests` requests run under
cProfile and the top functions are printed, by own time (`tottime`) by
default — the hot spots — or `--sort cumulative` for the call tree's heavy
branches. Building the app and lifespan are outside the profile.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import site
import sys
import sysconfig
from collections.abc import Sequence
from pathlib import Path

from bench.harness import (
    Exchange,
    Lifespan,
    body_messages,
    build_app,
    check_response,
    request_once,
    scope_template,
)
from bench.scenarios import SCENARIOS, CheckFailed, Scenario

__all__ = ["main", "profile_cell"]


async def _drive(framework: str, scenario: Scenario, requests: int, profiler: cProfile.Profile) -> None:
    app = build_app(framework, scenario)
    lifespan = Lifespan(app)
    await lifespan.startup()
    state = lifespan.state if lifespan.supported and lifespan.state else None
    try:
        check_response(await request_once(app, scenario, state), scenario, framework)
        template = scope_template(scenario)
        messages = body_messages(scenario.body)
        for round_, count in enumerate((min(200, requests), requests)):
            if round_ == 1:  # the first round warms caches outside the profile
                profiler.enable()
            for _ in range(count):
                scope = template.copy()
                scope["headers"] = template["headers"][:]
                if state is not None:
                    scope["state"] = state.copy()
                exchange = Exchange(messages)
                await app(scope, exchange.receive, exchange.send)
        profiler.disable()
    finally:
        await lifespan.shutdown()


def profile_cell(framework: str, scenario: Scenario, requests: int, top: int, sort: str) -> str:
    """Profile `requests` requests; return the pstats report of the top `top` functions.

    Raises:
        CheckFailed: the app's response is wrong.
        Exception: whatever building or running the app raised.
    """
    profiler = cProfile.Profile()
    asyncio.run(_drive(framework, scenario, requests, profiler))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(top)
    return _short_paths(out.getvalue())


def _short_paths(text: str) -> str:
    """Paths relative to the repository or site-packages (`routing/api_route.py`, `fastapi/routing.py`)."""
    prefixes = {str(Path.cwd()) + "/", *(p + "/" for p in site.getsitepackages()), sysconfig.get_path("stdlib") + "/"}
    for prefix in sorted(prefixes, key=len, reverse=True):
        text = text.replace(prefix, "")
    return text


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench profile", description=__doc__.split("\n")[0])
    parser.add_argument("scenario", choices=list(SCENARIOS))
    parser.add_argument("--framework", default="ferrule", help="default ferrule")
    parser.add_argument("--requests", type=int, default=0, help="requests profiled (default: 5000, streams 20)")
    parser.add_argument("--top", type=int, default=15, help="functions shown (default 15)")
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative", "ncalls"))
    args = parser.parse_args(list(argv))
    scenario = SCENARIOS[args.scenario]
    requests = args.requests or (20 if scenario.items or len(scenario.body) > 1_000_000 else 5000)
    try:
        report = profile_cell(args.framework, scenario, requests, args.top, args.sort)
    except CheckFailed as exc:
        print(f"bad: {args.framework}/{scenario.name} answered wrongly: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"error: {args.framework}/{scenario.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"{args.framework} / {scenario.name}: {requests} requests under cProfile, sorted by {args.sort}")
    print(report)
    return 0
