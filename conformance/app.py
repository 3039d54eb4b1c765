"""The ferrule app every server runs: one endpoint per behaviour the checks probe.

``app`` is the app under test; ``failing_app`` is the same kind of app whose
lifespan startup raises (a server must then exit non-zero without serving).

Side effects are reported through ``/events/{token}``: a check picks a fresh
token, makes the app do something (drop a stream, run a background task, close
a WebSocket) and then polls the token's events. When the environment variable
``CONFORMANCE_MARKERS`` names a directory, lifespan startup and shutdown also
write files there, so a check can see a shutdown after the process is gone.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import anyio
from pydantic import BaseModel

from ferrule import App, BackgroundTasks, Request, Response, WebSocket
from ferrule.responses import FileResponse, JSONResponse, PlainTextResponse, StreamingResponse
from ferrule.sse import EventSourceResponse, ServerSentEvent

from .payload import BLOCK_SIZE, blocks
from .rawapp import TRACES, TraceMiddleware, data_file, raw_app, scope_summary

__all__ = ["app", "failing_app", "STARTUP_FAILURE_MESSAGE", "TEXT_BODY", "SSE_PING_INTERVAL"]

#: Non-ASCII on purpose: Content-Length counts bytes, not characters.
TEXT_BODY: Final = "héllo wörld — ferrule conformance ✓\n" * 40
SSE_PING_INTERVAL: Final = 0.2
STARTUP_FAILURE_MESSAGE: Final = "conformance: startup refused on purpose"
#: Upper bound of every open-ended stream, so a server that never notices a
#: disconnect cannot keep a generator alive forever.
MAX_STREAM_SECONDS: Final = 30.0
MAX_TOKENS: Final = 4096

EVENTS: OrderedDict[str, list[str]] = OrderedDict()
GATES: dict[str, anyio.Event] = {}
LIFESPAN: dict[str, Any] = {"startups": 0, "shutdowns": 0}


def record(token: str, event: str) -> None:
    """Append ``event`` to ``token``'s list (bounded number of tokens)."""
    EVENTS.setdefault(token, []).append(event)
    while len(EVENTS) > MAX_TOKENS:
        EVENTS.popitem(last=False)


def _marker(name: str) -> None:
    folder = os.environ.get("CONFORMANCE_MARKERS")
    if folder:
        with open(os.path.join(folder, name), "w", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")


@asynccontextmanager
async def lifespan(application: App) -> AsyncIterator[dict[str, Any]]:
    LIFESPAN["startups"] += 1
    token = uuid.uuid4().hex
    LIFESPAN["token"] = token
    _marker("startup")
    try:
        yield {"lifespan_token": token, "started_by": "lifespan"}
    finally:
        LIFESPAN["shutdowns"] += 1
        _marker("shutdown")


app = App(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
app.add_middleware(TraceMiddleware)
app.mount("/raw", raw_app)
app.mount("/mounted/deeper", raw_app)

_SCOPE_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


# -- scope and bookkeeping -----------------------------------------------------


@app.get("/health")
async def health() -> dict[str, Any]:
    return {"ok": True, "pid": os.getpid(), "lifespan": {k: v for k, v in LIFESPAN.items() if k != "token"}}


@app.api_route("/scope", methods=_SCOPE_METHODS)
async def scope_root(request: Request) -> dict[str, Any]:
    return {**scope_summary(request.scope), "url": str(request.url), "route": "/scope"}


@app.api_route("/scope/{rest:path}", methods=_SCOPE_METHODS)
async def scope_rest(request: Request, rest: str) -> dict[str, Any]:
    return {**scope_summary(request.scope), "url": str(request.url), "route": "/scope/{rest:path}", "rest": rest}


@app.get("/p/{param}")
async def path_param(param: str) -> dict[str, str]:
    """One segment: ``/p/a%2Fb`` is ``param="a/b"`` (routing on raw_path)."""
    return {"param": param}


@app.get("/state/mutate")
async def state_mutate(request: Request) -> dict[str, bool]:
    """Write into this request's state; a server that shares one dict leaks it to the next request."""
    state = request.scope.get("state")
    if state is not None:
        state["leak"] = "yes"
    return {"mutated": state is not None}


@app.get("/events/{token}")
async def events(token: str) -> dict[str, Any]:
    return {"events": EVENTS.get(token, [])}


@app.get("/trace/{trace_id}")
async def trace(trace_id: str) -> dict[str, Any]:
    return {"trace": TRACES.get(trace_id)}


@app.post("/gate/{token}")
async def open_gate(token: str) -> dict[str, bool]:
    GATES.setdefault(token, anyio.Event()).set()
    return {"opened": True}


# -- request bodies --------------------------------------------------------------


@app.post("/body")
async def body(request: Request) -> dict[str, Any]:
    """Read the body message by message (ASGI ``http.request``), hashing, never storing it."""
    digest = hashlib.sha256()
    size = messages = largest = 0
    flags: list[bool] = []
    other: list[str] = []
    receive = request.receive
    while True:
        message = await receive()
        if message["type"] != "http.request":
            other.append(message["type"])
            break
        chunk = message.get("body", b"")
        digest.update(chunk)
        size += len(chunk)
        largest = max(largest, len(chunk))
        messages += 1
        more = bool(message.get("more_body", False))
        if len(flags) < 10000:
            flags.append(more)
        if not more:
            break
    return {
        "size": size,
        "sha256": digest.hexdigest(),
        "messages": messages,
        "largest_message": largest,
        # SPEC: ASGI www "Request": more_body is True on every message but the last.
        "more_body_ok": bool(flags) and not flags[-1] and all(flags[:-1]),
        "other_messages": other,
        "transfer_encoding": request.headers.get("transfer-encoding"),
        "content_length": request.headers.get("content-length"),
    }


class Item(BaseModel):
    name: str


@app.post("/items")
async def items(item: Item) -> Item:
    """A JSON body parameter: ferrule reads and validates the body before the endpoint runs."""
    return item


# -- responses -------------------------------------------------------------------


@app.get("/text", response_class=PlainTextResponse)
async def text() -> str:
    return TEXT_BODY


@app.get("/json")
async def json_body() -> dict[str, Any]:
    return {"name": "ferrule", "snowman": "☃", "n": [1, 2, 3]}


@app.get("/empty")
async def empty() -> Response:
    return Response(b"", media_type="application/octet-stream")


@app.get("/no-content", status_code=204)
async def no_content() -> None:
    return None


@app.get("/not-modified")
async def not_modified() -> Response:
    return Response(status_code=304, headers={"etag": '"conformance"'})


@app.get("/download")
async def download(size: int, chunk: int = BLOCK_SIZE) -> StreamingResponse:
    """``size`` payload bytes as a stream of ``chunk``-byte ``more_body`` messages."""
    chunk = max(1, min(chunk, BLOCK_SIZE))

    async def produce() -> AsyncIterator[bytes]:
        for part in blocks(size, chunk):
            yield part

    return StreamingResponse(produce(), media_type="application/octet-stream", headers={"x-size": str(size)})


@app.get("/stream/gated/{token}")
async def stream_gated(token: str) -> StreamingResponse:
    """First chunk, then wait until ``POST /gate/{token}``: a server that buffers never shows chunk one."""
    gate = GATES.setdefault(token, anyio.Event())

    async def produce() -> AsyncIterator[bytes]:
        try:
            yield b"first chunk\n"
            with anyio.move_on_after(10):
                await gate.wait()
            yield b"second chunk\n"
            yield b"third chunk\n"
        finally:
            GATES.pop(token, None)

    return StreamingResponse(produce(), media_type="text/plain")


@app.get("/stream/forever/{token}")
async def stream_forever(token: str) -> StreamingResponse:
    """A chunk every 50 ms until the client leaves; the generator's cleanup is recorded."""

    async def produce() -> AsyncIterator[bytes]:
        record(token, "stream-start")
        try:
            deadline = time.monotonic() + MAX_STREAM_SECONDS
            n = 0
            while time.monotonic() < deadline:
                n += 1
                yield f"tick {n}\n".encode()
                await anyio.sleep(0.05)
            record(token, "stream-timeout")
        finally:
            record(token, "stream-cleanup")

    def on_disconnect() -> None:
        record(token, "stream-disconnect")

    return StreamingResponse(produce(), media_type="text/plain", on_disconnect=on_disconnect)


@app.post("/background/{token}")
async def background(token: str, tasks: BackgroundTasks) -> dict[str, bool]:
    async def task() -> None:
        record(token, "bg-start")
        await anyio.sleep(0.5)
        record(token, "bg-done")

    tasks.add_task(task)
    return {"queued": True}


@app.get("/sse/{token}", response_class=EventSourceResponse, sse_ping_interval=SSE_PING_INTERVAL)
async def sse(token: str, count: int = 2) -> AsyncIterator[ServerSentEvent]:
    """``count`` events, then silence (keepalive pings) until the client leaves."""
    record(token, "sse-start")
    try:
        for n in range(1, count + 1):
            yield ServerSentEvent(data={"n": n}, event="tick", id=str(n))
        await anyio.sleep(MAX_STREAM_SECONDS)
        record(token, "sse-timeout")
    finally:
        record(token, "sse-cleanup")


@app.get("/file")
async def file() -> FileResponse:
    return FileResponse(data_file(), media_type="application/octet-stream")


# -- WebSocket -------------------------------------------------------------------

WS_SUBPROTOCOLS: Final = ("conformance.v2", "conformance.v1")


@app.websocket("/ws/echo")
async def ws_echo(websocket: WebSocket, token: str = "") -> None:
    """Accept (subprotocol + a header), send the scope, then echo; ``close:CODE:REASON`` closes."""
    offered = list(websocket.scope.get("subprotocols") or [])
    chosen = next((p for p in WS_SUBPROTOCOLS if p in offered), None)
    await websocket.accept(subprotocol=chosen, headers={"x-conformance": "accepted"})
    await websocket.send_json(scope_summary(websocket.scope))
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            reason = message.get("reason")
            record(token, f"ws-disconnect:{message.get('code')}:{'<absent>' if reason is None else reason}")
            return
        text = message.get("text")
        if text is not None:
            if token:
                record(token, f"ws-recv:text:{len(text)}")
            if text.startswith("close:"):
                _, code, reason = text.split(":", 2)
                await websocket.close(int(code), reason)
                record(token, "ws-closed-by-app")
                return
            await websocket.send_text(text)
            if token:
                record(token, f"ws-sent:text:{len(text)}")
        else:
            data = message.get("bytes") or b""
            if token:
                record(token, f"ws-recv:bytes:{len(data)}")
            await websocket.send_bytes(data)
            if token:
                record(token, f"ws-sent:bytes:{len(data)}")


@app.websocket("/ws/deny")
async def ws_deny(websocket: WebSocket) -> None:
    """Refuse the handshake with an HTTP response (ASGI WebSocket Denial Response extension)."""
    await websocket.send_denial_response(
        PlainTextResponse("denied by the app", status_code=401, headers={"x-denied": "yes"})
    )


# -- the variant whose startup fails ----------------------------------------------


@asynccontextmanager
async def failing_lifespan(application: App) -> AsyncIterator[None]:
    _marker("failing-startup")
    raise RuntimeError(STARTUP_FAILURE_MESSAGE)
    yield  # pragma: no cover - unreachable, makes this a generator


failing_app = App(lifespan=failing_lifespan, openapi_url=None, docs_url=None, redoc_url=None)


@failing_app.get("/health")
async def failing_health() -> JSONResponse:
    return JSONResponse({"ok": True, "should_not_serve": True})
