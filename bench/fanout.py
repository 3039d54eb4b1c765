"""`python -m bench fanout`: one publisher, N SSE subscribers, events delivered per second.

Every framework's app (``bench/apps/fanout_apps.py``) is driven in-process
like the main harness (lifespan started, ASGI requests with synthetic
messages, one event loop): N concurrent ``GET /sse`` requests subscribe to
channel ``fan``; once every subscriber got a warm-up event, the publisher
publishes ``events`` events through the framework's channels API (without
waiting for one before the next; see ``fanout_apps.py``), and the clock runs until every subscriber received all of them. Result: delivered
events per second (N x events / wall time) and process CPU time per event
delivered. With ``--redis``, a private redis-server is started on a free port
(or ``--redis-url`` is used); Redis's own CPU is not in the process time.

    .venv-bench/bin/python -m bench fanout [--subscribers 1000] [--events 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import MutableMapping
from typing import Any

from bench.apps.fanout_apps import BUILDERS
from bench.harness import Lifespan
from bench.loopback import free_port

Message = MutableMapping[str, Any]
_DISCONNECT: Message = {"type": "http.disconnect"}


class Subscriber:
    __slots__ = ("count", "target", "done", "stop", "started")

    def __init__(self) -> None:
        self.count = 0
        self.target = 1
        self.done = asyncio.Event()
        self.stop = asyncio.Event()
        self.started = False

    async def receive(self) -> Message:
        if not self.started:
            self.started = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.stop.wait()
        return _DISCONNECT

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.body":
            body = message.get("body", b"")
            if body:
                self.count += body.count(b"data: ")
                if self.count >= self.target:
                    self.done.set()


def _scope() -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": "/sse", "raw_path": b"/sse", "root_path": "",
        "query_string": b"", "headers": [(b"host", b"bench"), (b"accept", b"text/event-stream")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }


async def _all_reach(subscribers: list[Subscriber], target: int, timeout: float) -> None:
    for sub in subscribers:
        sub.target = target
        if sub.count >= target:
            sub.done.set()
    await asyncio.wait_for(asyncio.gather(*(sub.done.wait() for sub in subscribers)), timeout)


async def run_case(framework: str, redis_url: str | None, n: int, events: int, repeats: int) -> dict[str, Any]:
    app, publisher = BUILDERS[framework](redis_url)
    lifespan = Lifespan(app)
    await lifespan.startup()
    publish = publisher()
    subscribers = [Subscriber() for _ in range(n)]
    tasks = []
    for sub in subscribers:
        scope = _scope()
        scope["state"] = dict(lifespan.state)
        tasks.append(asyncio.ensure_future(app(scope, sub.receive, sub.send)))
    rates: list[float] = []
    cpu_per_event: list[float] = []
    try:
        # warm up: publish until every subscriber is subscribed and got one event
        warm = 0
        deadline = time.monotonic() + 60
        while not all(sub.count for sub in subscribers):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{framework}: subscribers did not all subscribe within 60 s")
            await publish(range(-1 - warm, -warm))
            warm += 1
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        for _ in range(repeats):
            for sub in subscribers:
                sub.done = asyncio.Event()
            base = [sub.count for sub in subscribers]
            gc.collect()
            wall0, cpu0 = time.perf_counter(), time.process_time()
            await publish(range(events))
            await asyncio.wait_for(
                asyncio.gather(*(_wait_count(sub, b + events) for sub, b in zip(subscribers, base))), 120
            )
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            delivered = n * events
            rates.append(delivered / wall)
            cpu_per_event.append(cpu / delivered * 1e6)
    finally:
        for sub in subscribers:
            sub.stop.set()
        await asyncio.wait(tasks, timeout=30)
        for task in tasks:
            if not task.done():
                task.cancel()
        await lifespan.shutdown()
    return {"rate": statistics.median(rates), "cpu_us": statistics.median(cpu_per_event)}


async def _wait_count(sub: Subscriber, target: int) -> None:
    sub.target = target
    if sub.count >= target:
        return
    await sub.done.wait()


def _start_redis() -> tuple[subprocess.Popen[bytes], str, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server not found: install it (apt-get install redis-server) or pass --redis-url")
    port = free_port()
    directory = tempfile.mkdtemp()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", directory, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, f"redis://127.0.0.1:{port}/0", directory


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench fanout", description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frameworks", default="ferrule,litestar")
    parser.add_argument("--backends", default="memory,redis")
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args(argv)
    backends = args.backends.split(",")
    process = None
    redis_url = args.redis_url
    if "redis" in backends and redis_url is None:
        process, redis_url, directory = _start_redis()
    try:
        print(f"fan-out: 1 publisher -> {args.subscribers} SSE subscribers, {args.events} events, "
              f"median of {args.repeats}; in-process, asyncio")
        print()
        print("| backend | framework | delivered events/s | CPU per delivered event |")
        print("|---|---|---:|---:|")
        results: dict[tuple[str, str], dict[str, Any]] = {}
        for backend in backends:
            for framework in args.frameworks.split(","):
                url = redis_url if backend == "redis" else None
                try:
                    result = asyncio.run(run_case(framework, url, args.subscribers, args.events, args.repeats))
                except Exception as exc:  # noqa: BLE001 - report, go on
                    print(f"| {backend} | {framework} | error: {type(exc).__name__}: {exc} | |")
                    continue
                results[(backend, framework)] = result
                print(f"| {backend} | {framework} | {result['rate']:,.0f} | {result['cpu_us']:.2f} us |")
        for backend in backends:
            ours, theirs = results.get((backend, "ferrule")), results.get((backend, "litestar"))
            if ours and theirs:
                print(f"\n{backend}: ferrule delivers {ours['rate'] / theirs['rate']:.2f}x Litestar's events/s")
    finally:
        if process is not None:
            process.terminate()
            process.wait()
    return 0
