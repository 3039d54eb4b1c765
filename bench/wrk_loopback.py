"""`python -m bench wrk`: servers compared with wrk over loopback, the same ferrule app.

The table behind the README's server numbers (issue 19): each server runs the
same ferrule app (`bench.apps.ferrule_app`, built by its factory), pinned to
one core with `taskset`; wrk (a compiled load generator, `apt-get install wrk`)
runs on another core with keep-alive connections for a few seconds.

Rules:
1. Rounds are interleaved: every round runs each scenario on each server once,
   in turn, so a noisy neighbour on a shared machine disturbs all servers
   alike instead of one column. Every round's number is printed (no best-of).
2. Each cell starts a fresh server process, waits for its port, checks one
   response (status 200 and the scenario's body), warms it up for one second
   (not counted), then measures. A non-2xx answer or a socket error in the
   run marks the cell as bad.
3. The servers: `ferrule run` (the CLI, access log off), uvicorn with
   `--http h11` (the same HTTP parser as ferrule's server) and with
   httptools, and granian (Rust). uvicorn and ferrule use uvloop when it is
   installed (uvicorn's default `--loop auto`; `ferrule run` does the same).
4. Three numbers per cell: requests per second (what wrk saw), requests per
   CPU-second of the server's processes (from /proc) and wrk's p99 latency.
   On a shared machine the first and the last depend on what else runs; the
   second much less so. The load average is printed with the table.
5. The output is the README's table ("Deploying with `ferrule run`", Speed)
   as it stands, then the p99 table; the default run (4 servers x 3
   scenarios x 2 rounds x 4 s) takes about three minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bench.loopback import free_port, stop, wait_ready
from bench.report import format_table
from bench.scenarios import SCENARIOS, CheckFailed

__all__ = ["main", "SERVERS", "LABELS", "server_command", "parse_wrk", "parse_p99"]

SERVERS: Final = ("ferrule", "uvicorn-h11", "uvicorn", "granian")
#: How the README's table names each server.
LABELS: Final = {
    "ferrule": "`ferrule run`",
    "uvicorn-h11": "uvicorn (h11 mode)",
    "uvicorn": "uvicorn (httptools)",
    "granian": "granian",
}
DEFAULT_SCENARIOS: Final = "hello,json,deps"
APP_MODULE: Final = "bench.apps.ferrule_app"
READY_TIMEOUT: Final = 60.0


def server_command(server: str, app: str, port: int) -> list[str]:
    """The command line that serves `APP_MODULE:<app>` (a factory) on 127.0.0.1:`port`."""
    from bench.apps.ferrule_app import APPS

    target = f"{APP_MODULE}:{APPS[app].__name__}"
    py = sys.executable
    if server == "ferrule":
        return [py, "-m", "ferrule", "run", target, "--factory", "--port", str(port),
                "--no-access-log", "--log-level", "warning"]
    if server in ("uvicorn", "uvicorn-h11"):
        http = "h11" if server == "uvicorn-h11" else "httptools"
        return [py, "-m", "uvicorn", target, "--factory", "--port", str(port), "--http", http,
                "--no-access-log", "--log-level", "warning"]
    if server == "granian":
        return [py, "-m", "granian", "--interface", "asgi", "--factory", "--port", str(port),
                "--workers", "1", "--no-log", target]
    raise ValueError(f"unknown server {server!r}; choose from: {', '.join(SERVERS)}")


def parse_wrk(output: str) -> tuple[float, int, int]:
    """(requests per second, requests, non-2xx responses + socket errors) from wrk's report."""
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if match is None or total is None:
        raise ValueError(f"no 'Requests/sec' in wrk's output: {output[-300:]!r}")
    bad = 0
    if non2xx := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        bad += int(non2xx.group(1))
    if errors := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        bad += sum(int(x) for x in errors.groups())
    return float(match.group(1)), int(total.group(1)), bad


def parse_p99(output: str) -> float | None:
    """wrk's 99th percentile latency in milliseconds (from `--latency`), or None."""
    match = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if match is None:
        return None
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
    return float(match.group(1)) * scale


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and its descendants (Linux /proc; 0.0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    stats: dict[int, tuple[int, float]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return 0.0
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue
        stats[int(name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats.get(current, (0, 0.0))[1]
        todo.extend(p for p, (parent, _) in stats.items() if parent == current)
    return total


@dataclass
class Cell:
    server: str
    scenario: str
    rps: float = 0.0
    #: Requests per CPU-second of the server's processes: steadier than rps on a shared machine.
    per_cpu: float = 0.0
    error: str = ""
    #: Responses wrk waited more than 2 s for (its "timeout" count), marked with `*`.
    slow: int = 0
    #: wrk's p99 latency in milliseconds (None: not reported).
    p99_ms: float | None = None


def _wrk(url: str, *, connections: int, seconds: float, core: str) -> str:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", url]
    if core and shutil.which("taskset"):
        command = ["taskset", "-c", core, *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30, check=False)
    return done.stdout + done.stderr


def measure(server: str, scenario_name: str, *, connections: int, seconds: float,
            server_core: str, wrk_core: str) -> Cell:
    """One cell: a fresh server, a checked response, a warm-up, then wrk."""
    scenario = SCENARIOS[scenario_name]
    port = free_port()
    command = server_command(server, scenario.app, port)
    if server_core and shutil.which("taskset"):
        command = ["taskset", "-c", server_core, *command]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        wait_ready(child, port, READY_TIMEOUT)
        url = f"http://127.0.0.1:{port}{scenario.path}"
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
            scenario.check(response.read(), {k.lower(): v for k, v in response.headers.items()})
        _wrk(url, connections=connections, seconds=1, core=wrk_core)
        cpu_before = _cpu_seconds(child.pid)
        output = _wrk(url, connections=connections, seconds=seconds, core=wrk_core)
        rps, total, bad = parse_wrk(output)
        cpu = _cpu_seconds(child.pid) - cpu_before
        per_cpu = total / cpu if cpu > 0 else 0.0
        timeouts = re.search(r"timeout (\d+)", output)
        slow = int(timeouts.group(1)) if timeouts else 0
        if bad > slow:
            detail = re.findall(r"(?:Non-2xx[^\n]*|Socket errors[^\n]*)", output)
            return Cell(server, scenario_name, rps, per_cpu, f"{bad} bad: {'; '.join(detail)}")
        # wrk counts a response slower than 2 s as a timeout: reported, not an error.
        return Cell(server, scenario_name, rps, per_cpu, slow=slow, p99_ms=parse_p99(output))
    except (CheckFailed, OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
        return Cell(server, scenario_name, error=f"{type(exc).__name__}: {exc}"[:120])
    finally:
        stop(child)
        if child.stderr is not None:
            child.stderr.close()


def _cells(cells: Sequence[Cell], server: str, scenario: str) -> list[Cell]:
    return [c for c in cells if c.server == server and c.scenario == scenario]


def _table(cells: Sequence[Cell], servers: Sequence[str], scenarios: Sequence[str]) -> str:
    """The README's table: req/s then req/CPU-s per scenario, each round's value."""
    rows = []
    for server in servers:
        row = [LABELS.get(server, server)]
        for scenario in scenarios:
            row.append(" / ".join(f"{c.rps:,.0f}{'*' if c.slow else ''}" if not c.error else f"({c.error[:30]})"
                                  for c in _cells(cells, server, scenario)))
        for scenario in scenarios:
            row.append(" / ".join(f"{c.per_cpu:,.0f}" if not c.error else "-" for c in _cells(cells, server, scenario)))
        rows.append(row)
    headers = [f"{s} req/s" for s in scenarios] + [f"{s} req/CPU-s" for s in scenarios]
    return format_table(["server", *headers], rows)


def _p99_table(cells: Sequence[Cell], servers: Sequence[str], scenarios: Sequence[str]) -> str:
    def shown(cell: Cell) -> str:
        if cell.error or cell.p99_ms is None:
            return "-"
        return f"{cell.p99_ms:,.0f}" if cell.p99_ms >= 10 else f"{cell.p99_ms:.1f}"

    rows = [[LABELS.get(server, server), *(" / ".join(shown(c) for c in _cells(cells, server, scenario))
                                          for scenario in scenarios)] for server in servers]
    return format_table(["server", *(f"{s} p99 ms" for s in scenarios)], rows)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench wrk", description=__doc__.split("\n")[0])
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"default: {','.join(SERVERS)}")
    parser.add_argument("--scenarios", default=DEFAULT_SCENARIOS, help=f"default: {DEFAULT_SCENARIOS}")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default 2)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=4.0, help="measured seconds per cell (default 4)")
    parser.add_argument("--server-core", default="0", help="taskset core list for the server ('' = no pin)")
    parser.add_argument("--wrk-core", default="1", help="taskset core list for wrk ('' = no pin)")
    args = parser.parse_args(list(argv))
    if shutil.which("wrk") is None:
        print("error: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in servers if s not in SERVERS] + [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        print(f"error: unknown server(s) or scenario(s) {unknown!r}", file=sys.stderr)
        return 2
    cells: list[Cell] = []
    started = time.monotonic()
    loads: list[float] = []
    for round_no in range(1, args.rounds + 1):
        for scenario in scenarios:
            for server in servers:
                cell = measure(server, scenario, connections=args.connections, seconds=args.seconds,
                               server_core=args.server_core, wrk_core=args.wrk_core)
                cells.append(cell)
                loads.append(os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0)
                shown = (f"{cell.rps:,.0f} req/s, {cell.per_cpu:,.0f} req/CPU-s, p99 {cell.p99_ms} ms, "
                         f"{cell.slow} over 2 s" if not cell.error else cell.error)
                print(f"  round {round_no} {scenario:<6} {server:<12} {shown}", file=sys.stderr, flush=True)
    print(f"\nwrk over loopback: {args.connections} keep-alive connections, {args.seconds:g} s per cell, "
          f"server on core {args.server_core or '-'}, wrk on core {args.wrk_core or '-'}, "
          f"{args.rounds} interleaved round(s), load average {min(loads):.1f}-{max(loads):.1f}, "
          f"{time.monotonic() - started:.0f} s in all; * = some responses took over 2 s\n")
    print(_table(cells, servers, scenarios))
    print("\np99 latency (wrk --latency), milliseconds, each round:\n")
    print(_p99_table(cells, servers, scenarios))
    return 0
