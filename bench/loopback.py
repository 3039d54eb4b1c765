"""`python -m bench loopback`: the same apps behind real servers, loaded over 127.0.0.1.

For each server x framework x scenario:
1. a child process builds the app and serves it on a free 127.0.0.1 port:
   uvicorn (httptools + uvloop, access log off) or ferrule's own server
   (`ferrule.server.serve.serve`, uvloop via anyio, access log off);
2. this process waits until the port accepts, warms the server up with a
   tenth of the requests (not counted), then runs the load generator
   (`bench.loadgen`): keep-alive connections, a fixed request count, a time cap;
3. the first response is checked like the in-process run (status and body)
   and every response's status is counted, so a broken server is reported;
4. the child is stopped with SIGINT (graceful shutdown, lifespan shutdown).

Numbers are requests per second and latency percentiles. The server and the
load generator share the machine's cores, so treat them as a second opinion
on the in-process table, not as a capacity figure.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bench.harness import build_app
from bench.loadgen import LoadResult, build_request, run_load
from bench.report import format_table
from bench.scenarios import SCENARIOS, CheckFailed, Scenario, select

__all__ = ["main", "SERVERS", "LoopbackCell", "server_available"]

SERVERS: Final = ("uvicorn", "uvicorn-h11", "ferrule")
DEFAULT_SCENARIOS: Final = "hello,json,path_int,query,body,deps"
READY_TIMEOUT: Final = 120.0


@dataclass
class LoopbackCell:
    server: str
    framework: str
    scenario: str
    status: str  # "ok", "error", "bad", "not available"
    message: str = ""
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    completed: int = 0


def server_available(server: str) -> str | None:
    """None when `server` can run here, else the reason it cannot."""
    try:
        if server.startswith("uvicorn"):
            import uvicorn  # noqa: F401
        else:
            from ferrule.server import serve  # noqa: F401
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:160]
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- the child: one server, one app ------------------------------------------------------


def _serve(server: str, framework: str, scenario: Scenario, port: int) -> None:
    app = build_app(framework, scenario)
    if server.startswith("uvicorn"):
        import uvicorn

        # "uvicorn-h11": the same pure-Python HTTP parser ferrule's server uses,
        # so the comparison is server design against server design.
        http = "h11" if server == "uvicorn-h11" else "httptools"
        uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http=http,
                    lifespan="auto", access_log=False, log_level="warning")
        return
    import anyio

    from ferrule.server.config import ServerConfig
    from ferrule.server.serve import serve

    config = ServerConfig(host="127.0.0.1", port=port, access_log=False, log_level="warning")
    try:
        import uvloop  # noqa: F401

        options = {"use_uvloop": True}
    except ImportError:
        options = {}
    anyio.run(serve, app, config, backend_options=options)


# --- the parent: start, load, stop ---------------------------------------------------------


def wait_ready(child: subprocess.Popen[bytes], port: int, timeout: float = READY_TIMEOUT) -> None:
    """Return once ``child`` accepts connections on ``port``; fail if it exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"server exited with status {child.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen within {timeout:.0f} s")


def stop(child: subprocess.Popen[bytes]) -> None:
    """Stop ``child`` as Ctrl-C would (SIGINT), killing it if it is not gone within 10 s."""
    if child.poll() is None:
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _check(result: LoadResult, scenario: Scenario, framework: str) -> None:
    expected = scenario.expected_status(framework)
    if result.first_status != expected:
        raise CheckFailed(f"status {result.first_status}, expected {expected}: {result.first_body[:100]!r}")
    scenario.check(result.first_body, result.first_headers)
    if result.errors:
        raise CheckFailed(f"{result.errors} of {result.completed} responses had a status other than {expected}")


def measure_loopback(server: str, framework: str, scenario: Scenario, *, connections: int, requests: int,
                     time_cap: float) -> LoopbackCell:
    """Serve one app in a child process and load it; never raises for a broken app."""
    port = free_port()
    command = [sys.executable, "-m", "bench", "loopback", "_serve", server, framework, scenario.name, str(port)]
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, cwd=os.getcwd())
        try:
            wait_ready(child, port)
            target = scenario.path + (f"?{scenario.query}" if scenario.query else "")
            request = build_request(scenario.method, target, f"127.0.0.1:{port}", scenario.headers, scenario.body)
            expected = scenario.expected_status(framework)
            # Warm-up on fresh connections (caches, lazy compiles); not counted.
            run_load(port, request, expected, connections=connections,
                     requests=max(connections, requests // 10), time_cap=time_cap / 5)
            result = run_load(port, request, expected,
                              connections=connections, requests=requests, time_cap=time_cap)
            if result.error_message:
                raise RuntimeError(result.error_message)
            _check(result, scenario, framework)
            return LoopbackCell(server, framework, scenario.name, "ok", rps=result.rps,
                                p50_ms=result.percentile(50) * 1e3, p99_ms=result.percentile(99) * 1e3,
                                completed=result.completed)
        except CheckFailed as exc:
            return LoopbackCell(server, framework, scenario.name, "bad", str(exc)[:160])
        except Exception as exc:
            errors.seek(0)
            tail = errors.read().decode(errors="replace").strip().splitlines()[-1:]
            detail = f"{type(exc).__name__}: {exc}" + (f" | {tail[0]}" if tail else "")
            return LoopbackCell(server, framework, scenario.name, "error", detail[:200])
        finally:
            stop(child)


def _label(cell: LoopbackCell | None) -> str:
    if cell is None:
        return "-"
    if cell.status == "ok":
        return f"{cell.rps:,.0f} rps, p99 {cell.p99_ms:.1f} ms"
    text = f"{cell.status}: {cell.message}" if cell.message else cell.status
    return text[:60]


def _table(cells: Sequence[LoopbackCell], scenarios: Sequence[str], frameworks: Sequence[str],
           servers: Sequence[str]) -> str:
    by_key = {(c.scenario, c.framework, c.server): c for c in cells}
    rows = []
    for scenario in scenarios:
        for framework in frameworks:
            row = [f"{scenario} / {framework}"]
            row += [_label(by_key.get((scenario, framework, s))) for s in servers]
            ferrule = by_key.get((scenario, "ferrule", servers[0]))
            mine = by_key.get((scenario, framework, servers[0]))
            if framework != "ferrule" and ferrule and mine and ferrule.status == mine.status == "ok":
                ratio = ferrule.rps / mine.rps
                row.append(f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower")
            else:
                row.append("")
            rows.append(row)
    return format_table(["scenario / framework", *servers, f"ferrule vs it ({servers[0]})"], rows)


def main(argv: Sequence[str]) -> int:
    if argv and argv[0] == "_serve":
        server, framework, scenario_name, port = argv[1:5]
        _serve(server, framework, SCENARIOS[scenario_name], int(port))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench loopback", description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", default=DEFAULT_SCENARIOS, help=f"default: {DEFAULT_SCENARIOS}")
    parser.add_argument("--frameworks", help="comma-separated; default all")
    parser.add_argument("--servers", default=",".join(SERVERS), help="uvicorn,uvicorn-h11,ferrule (default all)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--requests", type=int, default=20_000, help="per cell (default 20000)")
    parser.add_argument("--time-cap", type=float, default=10.0, help="seconds of load per cell (default 10)")
    parser.add_argument("--quick", action="store_true", help="1000 requests, 4 connections, 3 s cap")
    args = parser.parse_args(list(argv))
    from bench.run import parse_frameworks  # the in-process run's parser, shared

    try:
        scenarios = select([s.strip() for s in args.scenarios.split(",") if s.strip()])
        frameworks = parse_frameworks(args.frameworks)
        servers = [s.strip() for s in args.servers.split(",") if s.strip()]
        unknown = [s for s in servers if s not in SERVERS]
        if unknown:
            raise ValueError(f"unknown server(s) {unknown!r}; choose from: {', '.join(SERVERS)}")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    connections, requests, cap = args.connections, args.requests, args.time_cap
    if args.quick:
        connections, requests, cap = 4, 1000, 3.0
    cells: list[LoopbackCell] = []
    for server in servers:
        missing = server_available(server)
        for scenario in scenarios:
            for framework in frameworks:
                if missing:
                    cell = LoopbackCell(server, framework, scenario.name, "not available", missing)
                else:
                    cell = measure_loopback(server, framework, scenario, connections=connections,
                                            requests=requests, time_cap=cap)
                cells.append(cell)
                print(f"  {server:<8} {scenario.name:<12} {framework:<11} {_label(cell)}", file=sys.stderr)
    print(f"\nloopback benchmark — {connections} keep-alive connections, up to {requests:,} requests "
          f"or {cap:g} s per cell, load generator in a separate process\n")
    print(_table(cells, [s.name for s in scenarios], frameworks, servers))
    return 0
