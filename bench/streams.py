"""`python -m bench streams`: ferrule's streaming responses on asyncio and on trio.

The main harness (`bench.harness`) drives every framework on asyncio only.
ferrule's streams run on anyio, so their cost can differ by backend; this
runner measures ferrule alone, on the backend you pick, with the same rules
as the main harness (ASGI messages in-process, one request at a time, a
disconnect only after the response ended, process CPU time, median of the
repeats, every response checked once before timing).

Scenarios: the main table's ``sse``, ``sse_model``, ``sse_str`` and ``jsonl``
(``bench.apps.ferrule_app``), plus three that only this runner has:

* ``stream``: a ``StreamingResponse`` over an async generator of ``STREAM_ITEMS``
  small byte chunks that never waits (the case batching is for);
* ``stream_wait``: the same generator, with ``anyio.lowlevel.checkpoint()``
  before each yield (every item waits, so nothing can be batched);
* ``stream_sync``: a sync generator of ``SYNC_ITEMS`` chunks (a worker thread
  per item).

Usage::

    .venv/bin/python -m bench streams [--backend asyncio|trio] [--scenarios a,b] [--repeats 5]

Each line of output is ``<scenario> <backend> <median us per response> [repeats]``;
``--json OUT`` writes the same as JSON (for A/B scripts).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from typing import Any, Final

import anyio
import anyio.lowlevel

from bench.harness import body_messages, build_app, scope_template
from bench.scenarios import SCENARIOS, STREAM_ITEMS, CheckFailed, Scenario

__all__ = ["EXTRA", "SYNC_ITEMS", "main", "measure"]

Message = MutableMapping[str, Any]
App = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

SYNC_ITEMS: Final = 200
"""Chunks of the ``stream_sync`` scenario (each costs a worker-thread hop)."""

_CHUNK: Final = b"0123456789abcdef\n"


def _stream_app(kind: str) -> App:
    from ferrule import App as FerruleApp
    from ferrule.responses import StreamingResponse

    app = FerruleApp()

    async def ready() -> AsyncIterator[bytes]:
        for _ in range(STREAM_ITEMS):
            yield _CHUNK

    async def waiting() -> AsyncIterator[bytes]:
        for _ in range(STREAM_ITEMS):
            await anyio.lowlevel.checkpoint()
            yield _CHUNK

    def sync() -> Iterator[bytes]:
        for _ in range(SYNC_ITEMS):
            yield _CHUNK

    @app.get("/stream", response_model=None)
    async def stream():  # type: ignore[no-untyped-def]  # an annotation here is a string (PEP 563)
        if kind == "stream":
            return StreamingResponse(ready())
        if kind == "stream_wait":
            return StreamingResponse(waiting())
        return StreamingResponse(sync())

    return app


def _check_chunks(count: int) -> Callable[[bytes, Any], None]:
    def check(body: bytes, headers: Any) -> None:
        if body != _CHUNK * count:
            raise CheckFailed(f"body of {len(body)} bytes, expected {count} chunks of {_CHUNK!r}")

    return check


EXTRA: Final[dict[str, tuple[Scenario, int]]] = {
    name: (Scenario(name, name, "GET", "/stream", _check_chunks(count), items=count), count)
    for name, count in (("stream", STREAM_ITEMS), ("stream_wait", STREAM_ITEMS), ("stream_sync", SYNC_ITEMS))
}
DEFAULT: Final = "sse,sse_model,sse_str,jsonl,stream,stream_wait,stream_sync"


class _Exchange:
    """One request's receive/send; reports the disconnect only after the body ended."""

    __slots__ = ("_messages", "_index", "_ended", "status", "chunks", "keep")

    def __init__(self, messages: list[Message], keep: bool = False) -> None:
        self._messages = messages
        self._index = 0
        self._ended = anyio.Event()
        self.status = 0
        self.chunks: list[bytes] = []
        self.keep = keep

    async def receive(self) -> Message:
        if self._index < len(self._messages):
            self._index += 1
            return self._messages[self._index - 1]
        await self._ended.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            if self.keep:
                self.chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                self._ended.set()


def _build(scenario: Scenario) -> App:
    if scenario.name in EXTRA:
        return _stream_app(scenario.name)
    app: App = build_app("ferrule", scenario)
    return app


async def _batch(app: App, scenario: Scenario, n: int) -> int:
    template = scope_template(scenario)
    messages = body_messages(scenario.body)
    start = time.process_time_ns()
    for _ in range(n):
        scope = template.copy()
        scope["headers"] = template["headers"][:]
        exchange = _Exchange(messages)
        await app(scope, exchange.receive, exchange.send)
        if exchange.status != 200:
            raise CheckFailed(f"status {exchange.status}")
    return time.process_time_ns() - start


async def measure(scenario: Scenario, repeats: int, target: float) -> list[float]:
    """Check one response, then time ``repeats`` repeats of about ``target`` s; us per response.

    Raises:
        CheckFailed: the response is not the scenario's.
    """
    app = _build(scenario)
    exchange = _Exchange(body_messages(scenario.body), keep=True)
    await app(scope_template(scenario), exchange.receive, exchange.send)
    if exchange.status != 200:
        raise CheckFailed(f"status {exchange.status}")
    scenario.check(b"".join(exchange.chunks), {"content-type": _content_type(scenario)})
    elapsed = await _batch(app, scenario, 1)
    n = max(1, int(target * 1e9 / max(elapsed, 1)))
    results = []
    for _ in range(repeats):
        gc.collect()
        results.append(await _batch(app, scenario, n) / n / 1000)
    return results


def _content_type(scenario: Scenario) -> str:
    # The checks look at the content type; the app's own is checked by the main harness.
    if scenario.name.startswith("sse"):
        return "text/event-stream"
    if scenario.name == "jsonl":
        return "application/jsonl"
    return "application/octet-stream"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench streams", description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--scenarios", default=DEFAULT, help=f"comma-separated (default {DEFAULT})")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--target", type=float, default=0.25, help="seconds per repeat")
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, Any]] = {}
    for name in [n.strip() for n in args.scenarios.split(",") if n.strip()]:
        if name in EXTRA:
            scenario = EXTRA[name][0]
        elif name in SCENARIOS and SCENARIOS[name].items:
            scenario = SCENARIOS[name]
        else:
            parser.error(f"unknown streaming scenario {name!r}; choose from: {DEFAULT}")
        repeats = anyio.run(measure, scenario, args.repeats, args.target, backend=args.backend)
        median = statistics.median(repeats)
        results[name] = {"backend": args.backend, "median_us": median, "repeats_us": repeats}
        print(f"{name:12} {args.backend:8} {median:10.1f} us  {' '.join(f'{r:.1f}' for r in repeats)}", flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=1)
    return 0
