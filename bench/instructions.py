"""`python -m bench instructions`: CPU instructions per request, two ferrule installs side by side.

Timings of the same code swing by 10-30% between processes on a shared machine,
which hides a 5% change however many repeats are taken. The number of
instructions a request executes barely moves: valgrind's cachegrind counts
them (``I refs``). This command runs each scenario's timed loop (the same
``_run_batch`` the in-process benchmark times) under cachegrind twice per
install, with 0 and with N requests after the warm-up, and reports
``(Ir(N) - Ir(0)) / N``: startup and imports cancel out. The two installs are
two interpreters (``--a``, ``--b``), e.g. the venv of a checkout of the old
revision and this one; both run this checkout's harness, from a copy, so
neither install's source tree shadows the other's package.

Rules:
* ``PYTHONHASHSEED=0`` for every run, so dict and set layouts repeat; what
  remains (allocator addresses, garbage-collector timing) moves a count by
  about 1%, so ratios within 1.01 are equal.
* An instruction count is not a time (cache misses, branch mispredictions and
  memory stalls are not in it): it tells whether a change made the request do
  more work, not how long the work takes. Report it with an interleaved timing
  A/B, not instead of one.
* Needs ``valgrind`` on PATH (about 1 minute a run under valgrind); ferrule
  only (the peers' apps are not compared with themselves).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.scenarios import SCENARIOS

DEFAULT_SCENARIOS = "hello,json,path_int,router_scale_100,query,body,error422,deps"
_IR = re.compile(r"I\s+refs:\s+([\d,]+)")


def _child(name: str, requests: int) -> None:
    """Run `requests` timed-loop requests of scenario `name` after a warm-up (under valgrind)."""
    from bench.harness import Lifespan, _run_batch, body_messages, build_app, scope_template

    scenario = SCENARIOS[name]
    app = build_app("ferrule", scenario)

    async def main() -> None:
        lifespan = Lifespan(app)
        await lifespan.startup()
        state = lifespan.state if lifespan.supported and lifespan.state else None
        template, messages = scope_template(scenario), body_messages(scenario.body)
        _, warm = await _run_batch(app, template, messages, state, 50, time.perf_counter_ns)
        _, timed = await _run_batch(app, template, messages, state, requests, time.perf_counter_ns)
        expected = scenario.expected_status("ferrule")
        if set(warm) | set(timed) != {expected}:
            raise SystemExit(f"{name}: statuses {warm} {timed}, expected {expected}")
        await lifespan.shutdown()

    asyncio.run(main())


def _count(python: str, harness: Path, name: str, requests: int) -> int:
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=str(harness))
    command = [
        "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
        python, "-m", "bench.instructions", "--child", name, str(requests),
    ]
    done = subprocess.run(command, env=env, cwd=harness, capture_output=True, text=True, check=False)
    found = _IR.search(done.stderr)
    if done.returncode or found is None:
        raise SystemExit(f"{python} {name} ({requests} requests) failed:\n{done.stderr[-3000:]}")
    return int(found.group(1).replace(",", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench instructions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", metavar="PYTHON", help="interpreter of the baseline install (required)")
    parser.add_argument("--b", default=sys.executable, metavar="PYTHON", help="interpreter of the new install (default: this one)")
    parser.add_argument("--scenarios", default=DEFAULT_SCENARIOS, help=f"comma-separated (default {DEFAULT_SCENARIOS})")
    parser.add_argument("--requests", type=int, default=2000, help="requests counted per run (default 2000)")
    parser.add_argument("--jobs", type=int, default=2, help="valgrind runs at once (default 2)")
    parser.add_argument("--child", nargs=2, metavar=("SCENARIO", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return 0
    if args.a is None:
        parser.error("--a PYTHON is required: the interpreter of the install to compare with")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not on PATH (install it, e.g. apt-get install valgrind)")
    names = [name for name in args.scenarios.split(",") if name]
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; known: {', '.join(SCENARIOS)}")
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        harness = Path(tmp)
        shutil.copytree(Path(__file__).parent, harness / "bench", ignore=shutil.ignore_patterns("__pycache__"))
        with ThreadPoolExecutor(max(1, args.jobs)) as pool:
            runs = {
                (name, side, n): pool.submit(_count, python, harness, name, n)
                for name in names
                for side, python in (("a", args.a), ("b", args.b))
                for n in (0, args.requests)
            }
            print("| scenario | A instructions/request | B instructions/request | B/A |")
            print("|---|---:|---:|---:|")
            for name in names:
                per = {
                    side: (runs[(name, side, args.requests)].result() - runs[(name, side, 0)].result()) / args.requests
                    for side in ("a", "b")
                }
                print(f"| {name} | {per['a']:,.0f} | {per['b']:,.0f} | {per['b'] / per['a']:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
