"""Graceful shutdown over real sockets: an open SSE stream ends cleanly (a complete chunked body,
not a cut connection) right away, while a slow request in flight and an open WebSocket get
their own treatment (finish / close 1001) in the same shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from ferrule import App, WebSocket
from ferrule.sse import EventSourceResponse, ServerSentEvent

from srv_helpers import RawClient, WSClient, running

pytestmark = pytest.mark.anyio


def make_app(entered: anyio.Event, release: anyio.Event) -> App:
    app = App()

    @app.get("/events", response_class=EventSourceResponse)
    async def events() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(data="first")
        await anyio.sleep_forever()
        yield ServerSentEvent(data="never")  # pragma: no cover

    @app.get("/slow")
    async def slow() -> dict[str, str]:
        entered.set()
        await release.wait()
        return {"slow": "done"}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        async for text in websocket.iter_text():
            await websocket.send_text(text)

    return app


async def test_shutdown_ends_streams_cleanly_finishes_requests_and_closes_websockets() -> None:
    entered, release = anyio.Event(), anyio.Event()
    with anyio.fail_after(10):  # far below shutdown_timeout: nothing waits for the timeout
        async with running(make_app(entered, release), shutdown_timeout=60) as srv:
            sse = await RawClient.connect(srv.port)
            await sse.send(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            head = await sse.read_until(b"\r\n\r\n")
            assert b"200 OK" in head and b"transfer-encoding: chunked" in head.lower()
            await sse.read_until(b'data: "first"')

            slow = await RawClient.connect(srv.port)
            await slow.send(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            await entered.wait()

            ws = await WSClient.connect(srv.port)
            await ws.send_text("hi")
            assert await ws.recv_frame() == (True, 0x1, b"hi")

            srv.stop.set()
            # The stream ends with the last chunk, then the connection closes.
            rest = await sse.read_to_eof()
            assert rest.endswith(b"0\r\n\r\n")
            assert await ws.recv_close() == (1001, "server shutting down")
            await ws.send_close(1001)
            release.set()
            r = await slow.read_response()
            assert r.status == 200 and r.body == b'{"slow":"done"}' and r.header("connection") == "close"
