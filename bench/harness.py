"""The in-process harness: ASGI apps driven directly, no sockets, one event loop.

How one cell (framework x scenario) is measured:
1. build the app (`bench.apps.<framework>_app.APPS[scenario.app]`); an import
   or build error becomes the cell's result ("error: ...").
2. run lifespan startup as a server would (`lifespan="auto"`: an app that
   raises on the lifespan scope has no lifespan); its state is copied into
   every request scope.
3. send the scenario's request once and check the response: status and body
   (`Scenario.check`). A failed check is the cell's result; it is never timed.
4. warm up, estimate the time per request, and pick the iteration count so one
   repeat lasts `target` seconds; then time `repeats` repeats and report the
   median per request. Every timed response's status is checked too (a cheap
   integer compare), so an app that breaks after warm-up is reported.
5. lifespan shutdown; the app is dropped and garbage collected.

Rules of the request loop (the same for every framework, so the harness's own
cost is the `raw` column, the floor):
- one scope template per scenario; per request a shallow copy with a new
  headers list and a copy of the lifespan state, as a server builds them;
- the body arrives in `CHUNK_SIZE` `http.request` messages; once it is
  consumed, `receive()` waits until the response is complete and then says
  `http.disconnect`, like uvicorn (streaming responses that listen for a
  disconnect are not cut short);
- `send()` keeps the status, and only in the check run the headers and body;
- the garbage collector stays on (its cost is the framework's), with a
  collection before each repeat;
- the clock is the process's CPU time (`time.process_time_ns`, all threads)
  unless `clock="wall"`: on a shared machine, time spent waiting for a core
  is other processes' noise, not the framework's cost.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import statistics
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Final

from bench.scenarios import CHUNK_SIZE, CheckFailed, Scenario

__all__ = [
    "FRAMEWORKS",
    "Cell",
    "Settings",
    "Exchange",
    "Lifespan",
    "build_app",
    "scope_template",
    "body_messages",
    "request_once",
    "check_response",
    "measure",
    "measure_app",
]

Message = MutableMapping[str, Any]
ASGIApp = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

#: Framework name -> module in `bench.apps` (each exposes `APPS` and `VERSION`).
FRAMEWORKS: Final[dict[str, str]] = {
    "raw": "bench.apps.raw_app",
    "ferrule": "bench.apps.ferrule_app",
    "fastapi": "bench.apps.fastapi_app",
    "starlette": "bench.apps.starlette_app",
    "litestar": "bench.apps.litestar_app",
    "blacksheep": "bench.apps.blacksheep_app",
}
#: Seconds the one checked request may take before the app counts as hung.
CHECK_TIMEOUT: Final = 30.0
_DISCONNECT: Final[Message] = {"type": "http.disconnect"}


@dataclass(frozen=True)
class Settings:
    """How long to measure. `quick` is for CI/smoke runs: numbers are rough."""

    repeats: int = 5
    target: float = 0.25  # seconds per repeat
    warmup: float = 0.05  # seconds of warm-up
    max_iterations: int = 200_000
    clock: str = "cpu"  # "cpu": process CPU time (all threads); "wall": perf_counter

    @classmethod
    def quick(cls) -> Settings:
        return cls(repeats=3, target=0.02, warmup=0.005)

    def clock_ns(self) -> Callable[[], int]:
        return time.process_time_ns if self.clock == "cpu" else time.perf_counter_ns


@dataclass
class Cell:
    """The result of one framework x scenario."""

    framework: str
    scenario: str
    status: str  # "ok", "error" (import/build/lifespan/exception), "bad" (failed check), "n/a", "skipped"
    message: str = ""
    median_us: float | None = None
    repeats_us: list[float] = field(default_factory=list)
    iterations: int = 0
    items: int = 0
    build_s: float | None = None  # seconds to build the app (route registration included)

    @property
    def items_per_second(self) -> float | None:
        if not self.items or not self.median_us:
            return None
        return self.items / (self.median_us / 1e6)

    def label(self) -> str:
        if self.status == "ok" and self.median_us is not None:
            return _format_us(self.median_us)
        return f"{self.status}: {self.message}" if self.message else self.status


def _format_us(us: float) -> str:
    if us >= 10_000:
        return f"{us / 1000:,.1f} ms"
    if us >= 100:
        return f"{us:,.0f} µs"
    return f"{us:.2f} µs"


def _short(exc: BaseException, depth: int = 0) -> str:
    """`Type: first line`, plus the cause's, for a table cell."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0] if lines else ''}"
    cause = exc.__cause__ or exc.__context__
    if cause is not None and depth < 3 and not isinstance(cause, (asyncio.CancelledError, StopIteration)):
        text += f" (from {_short(cause, depth + 1)})"
    return text[:240]


# --- building ---------------------------------------------------------------


def framework_module(framework: str) -> Any:
    """Import `bench.apps.<framework>_app` (raises whatever the import raises)."""
    try:
        module_name = FRAMEWORKS[framework]
    except KeyError:
        raise ValueError(f"unknown framework {framework!r}; choose from: {', '.join(FRAMEWORKS)}") from None
    return importlib.import_module(module_name)


def build_app(framework: str, scenario: Scenario) -> ASGIApp:
    """Build `framework`'s app for `scenario`.

    Raises:
        LookupError: the framework has no app for this scenario.
        Exception: whatever importing or building the app raised.
    """
    module = framework_module(framework)
    try:
        builder = module.APPS[scenario.app]
    except KeyError:
        raise LookupError(f"{framework} has no {scenario.app!r} app") from None
    app: ASGIApp = builder(**scenario.params)
    return app


# --- the ASGI conversation -----------------------------------------------------


def scope_template(scenario: Scenario) -> dict[str, Any]:
    """The HTTP scope a server would build for `scenario`'s request (copied per request)."""
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"ferrule-bench"), (b"accept", b"*/*")]
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in scenario.headers]
    if scenario.body:
        headers.append((b"content-length", str(len(scenario.body)).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": scenario.method,
        "root_path": "",
        "path": scenario.path,
        "raw_path": scenario.path.encode(),
        "query_string": scenario.query.encode(),
        "headers": headers,
    }


def body_messages(body: bytes) -> list[Message]:
    """The `http.request` messages carrying `body` in server-sized chunks."""
    if not body:
        return [{"type": "http.request", "body": b"", "more_body": False}]
    chunks = [body[i : i + CHUNK_SIZE] for i in range(0, len(body), CHUNK_SIZE)]
    last = len(chunks) - 1
    return [{"type": "http.request", "body": c, "more_body": i < last} for i, c in enumerate(chunks)]


class Exchange:
    """One request's `receive`/`send` pair. `keep=True` records headers and body."""

    __slots__ = ("_messages", "_index", "_done", "_waiter", "_keep", "status", "headers", "chunks")

    def __init__(self, messages: list[Message], keep: bool = False) -> None:
        self._messages = messages
        self._index = 0
        self._done = False
        self._waiter: asyncio.Future[None] | None = None
        self._keep = keep
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []

    @property
    def complete(self) -> bool:
        return self._done

    async def receive(self) -> Message:
        index = self._index
        if index < len(self._messages):
            self._index = index + 1
            return self._messages[index]
        if not self._done:
            # The client sent everything; like a server, report the
            # disconnect only once the response is over.
            if self._waiter is None:
                self._waiter = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._waiter)
        return _DISCONNECT

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            if self._keep:
                self.chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                self._done = True
                if self._waiter is not None and not self._waiter.done():
                    self._waiter.set_result(None)
        elif kind == "http.response.start":
            self.status = message["status"]
            if self._keep:
                self.headers = list(message.get("headers", []))


class Lifespan:
    """Drives an app's lifespan like a server with `lifespan="auto"`."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.state: dict[str, Any] = {}
        self.supported = True

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        await self._app(scope, self._to_app.get, self._from_app.put)

    async def _wait(self, expected: str) -> None:
        assert self._task is not None
        getter = asyncio.ensure_future(self._from_app.get())
        done, _ = await asyncio.wait({getter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            message = getter.result()
            if message["type"] == expected:
                return
            raise RuntimeError(f"lifespan: {message['type']} {message.get('message', '')}".strip())
        getter.cancel()
        exc = self._task.exception()
        if expected.startswith("lifespan.startup"):
            # Like uvicorn's lifespan="auto": an app that raises or returns
            # on the lifespan scope does not speak lifespan.
            self.supported = False
            return
        raise RuntimeError(f"lifespan: app returned before {expected}") from exc

    async def startup(self) -> None:
        self._task = asyncio.ensure_future(self._run())
        await self._to_app.put({"type": "lifespan.startup"})
        await self._wait("lifespan.startup.complete")

    async def shutdown(self) -> None:
        if not self.supported or self._task is None or self._task.done():
            return
        await self._to_app.put({"type": "lifespan.shutdown"})
        await self._wait("lifespan.shutdown.complete")
        await self._task


async def request_once(
    app: ASGIApp, scenario: Scenario, state: dict[str, Any] | None = None, *, timeout: float = CHECK_TIMEOUT
) -> Exchange:
    """Send `scenario`'s request once, recording the whole response.

    Raises:
        asyncio.TimeoutError: the app did not return within `timeout` seconds.
    """
    scope = scope_template(scenario)
    if state:
        scope["state"] = dict(state)
    exchange = Exchange(body_messages(scenario.body), keep=True)
    await asyncio.wait_for(app(scope, exchange.receive, exchange.send), timeout)
    return exchange


def check_response(exchange: Exchange, scenario: Scenario, framework: str) -> None:
    """Raise `CheckFailed` unless the recorded response is the scenario's."""
    expected = scenario.expected_status(framework)
    body = b"".join(exchange.chunks)
    if exchange.status != expected:
        raise CheckFailed(f"status {exchange.status}, expected {expected}: {body[:100]!r}")
    if not exchange.complete:
        raise CheckFailed("response never finished (no final http.response.body)")
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in exchange.headers}
    scenario.check(body, headers)


# --- timing -----------------------------------------------------------------------


async def _run_batch(
    app: ASGIApp, template: dict[str, Any], messages: list[Message], state: dict[str, Any] | None, n: int,
    clock: Callable[[], int],
) -> tuple[int, dict[int, int]]:
    """Run `n` requests; return the elapsed ns and a count of each status seen."""
    headers = template["headers"]
    statuses: dict[int, int] = {}
    start = clock()
    for _ in range(n):
        scope = template.copy()
        scope["headers"] = headers[:]
        if state is not None:
            scope["state"] = state.copy()
        exchange = Exchange(messages)
        await app(scope, exchange.receive, exchange.send)
        status = exchange.status
        statuses[status] = statuses.get(status, 0) + 1
    return clock() - start, statuses


async def _timed(app: ASGIApp, scenario: Scenario, framework: str, state: dict[str, Any] | None, settings: Settings) -> Cell:
    template = scope_template(scenario)
    messages = body_messages(scenario.body)
    expected = scenario.expected_status(framework)
    clock = settings.clock_ns()

    def fail_on(statuses: dict[int, int]) -> None:
        wrong = {s: c for s, c in statuses.items() if s != expected}
        if wrong:
            raise CheckFailed(f"timed responses had status {wrong}, expected {expected}")

    # Warm-up, doubling the batch until it lasts `warmup` seconds.
    n, elapsed = 1, 0
    while True:
        elapsed, statuses = await _run_batch(app, template, messages, state, n, clock)
        fail_on(statuses)
        if elapsed >= settings.warmup * 1e9 or n >= settings.max_iterations:
            break
        n *= 2
    per_request = max(elapsed, 1) / n
    iterations = max(1, min(settings.max_iterations, int(settings.target * 1e9 / per_request)))
    repeats: list[float] = []
    for _ in range(settings.repeats):
        gc.collect()
        elapsed, statuses = await _run_batch(app, template, messages, state, iterations, clock)
        fail_on(statuses)
        repeats.append(elapsed / iterations / 1000)
    return Cell(
        framework, scenario.name, "ok",
        median_us=statistics.median(repeats), repeats_us=repeats,
        iterations=iterations, items=scenario.items,
    )


async def measure(framework: str, scenario: Scenario, settings: Settings) -> Cell:
    """Build, check and time one cell; never raises for a broken app."""
    started = time.perf_counter()
    try:
        app = build_app(framework, scenario)
    except LookupError as exc:
        return Cell(framework, scenario.name, "n/a", str(exc))
    except Exception as exc:  # any import/build failure is the cell's result
        return Cell(framework, scenario.name, "error", _short(exc))
    build_s = time.perf_counter() - started
    cell = await measure_app(app, framework, scenario, settings)
    cell.build_s = build_s
    del app
    gc.collect()
    return cell


async def measure_app(
    app: ASGIApp, framework: str, scenario: Scenario, settings: Settings, *, timeout: float = CHECK_TIMEOUT
) -> Cell:
    """Start, check and time a built app (`framework` picks its expected status); never raises.

    `timeout` bounds lifespan startup, the checked request and shutdown.
    """
    lifespan = Lifespan(app)
    try:
        await asyncio.wait_for(lifespan.startup(), timeout)
        state = lifespan.state if lifespan.supported and lifespan.state else None
        exchange = await request_once(app, scenario, state, timeout=timeout)
        check_response(exchange, scenario, framework)
        cell = await _timed(app, scenario, framework, state, settings)
    except CheckFailed as exc:
        cell = Cell(framework, scenario.name, "bad", str(exc)[:160])
    except asyncio.TimeoutError:
        cell = Cell(framework, scenario.name, "error", f"no response within {timeout:g} s")
    except Exception as exc:
        cell = Cell(framework, scenario.name, "error", _short(exc))
    try:
        await asyncio.wait_for(lifespan.shutdown(), timeout)
    except Exception:  # a failing shutdown does not change the measurement
        pass
    return cell
