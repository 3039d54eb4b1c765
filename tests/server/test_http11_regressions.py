"""Issue 18's server findings, over real sockets: each test failed before its fix.

Items: 1 (empty stream answered), 2 (head at start), 3 (no ERROR on a client
leaving), 5 (HEAD on a stream, Connection: close on an early 413), 7 (bad
chunked framing -> 400, never 500), 8 (smuggling and lenient heads -> 400),
9 (slow bodies reaped).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import anyio
import pytest

from ferrule import App
from ferrule.asgi_core.types import Receive, Scope, Send
from ferrule.responses import StreamingResponse

from srv_helpers import RawClient, request, running

pytestmark = pytest.mark.anyio


def _errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover - makes this an async generator


def _stream_app() -> App:
    app = App()

    @app.get("/empty")
    async def empty() -> StreamingResponse:
        return StreamingResponse(_empty(), media_type="text/plain")

    @app.get("/forever")
    async def forever() -> StreamingResponse:
        async def lines() -> AsyncIterator[bytes]:
            while True:
                yield b"tick\n"
                await anyio.sleep(0.01)

        return StreamingResponse(lines(), media_type="text/plain")

    return app


async def test_item1_empty_streaming_response_is_answered() -> None:
    async with running(_stream_app()) as srv:
        client = await RawClient.connect(srv.port)
        for _ in range(2):  # and the connection stays usable
            await client.send(b"GET /empty HTTP/1.1\r\nHost: x\r\n\r\n")
            r = await client.read_response()
            assert r.status == 200 and r.body == b""


async def test_item2_head_goes_out_before_the_first_body_chunk() -> None:
    release = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        await release.wait()
        await send({"type": "http.response.body", "body": b"data: 1\n\n"})

    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"GET /sse HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await client.read_until(b"\r\n\r\n", timeout=3)  # before any event
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"transfer-encoding: chunked" in head
        release.set()
        assert await client.read_until(b"0\r\n\r\n") == b"9\r\ndata: 1\n\n\r\n0\r\n\r\n"


async def test_item3_client_leaving_a_stream_logs_no_error(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ferrule")
    async with running(_stream_app()) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
        await client.read_until(b"tick\n")
        await client.aclose()
        with anyio.fail_after(5):
            while not any(r.name == "ferrule.access" for r in caplog.records):  # the request is over
                await anyio.sleep(0.01)
    assert _errors(caplog) == []


async def test_item5_head_on_a_stream_claims_no_zero_length() -> None:
    async with running(_stream_app()) as srv:
        r = await request(srv.port, b"HEAD /forever HTTP/1.1\r\nHost: x\r\n\r\n", head_request=True)
    assert r.status == 200 and r.header("content-length") is None


async def test_item5_early_413_says_connection_close() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-length", b"8")]})
        await send({"type": "http.response.body", "body": b"too big!"})

    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n" + b"x" * 1000)
        r = await client.read_response()
        assert r.status == 413 and r.header("connection") == "close"
        assert await client.is_closed()


async def _body_app(scope: Scope, receive: Receive, send: Send) -> None:
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return  # as most frameworks do: nothing to answer
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


@pytest.mark.parametrize(
    "framing",
    [b"zz\r\nab\r\n0\r\n\r\n", b" c\r\nhello world!\r\n0\r\n\r\n", b"1" * 21 + b"\r\nab\r\n0\r\n\r\n",
     b"3\nabc\n0\n\n"],
    ids=["zz", "space", "21-digits", "lf-only"],
)
async def test_item7_bad_chunked_framing_gets_400(framing: bytes, caplog: pytest.LogCaptureFixture) -> None:
    async with running(_body_app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + framing)
        r = await client.read_response()
        assert r.status == 400 and r.header("connection") == "close"
        assert await client.is_closed()
    assert _errors(caplog) == []


async def test_item7_body_cut_short_by_close_gets_no_500(caplog: pytest.LogCaptureFixture) -> None:
    async with running(_body_app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        await client.stream.send_eof()
        assert await client.read_to_eof() == b""  # the peer is gone: nothing to say
    assert _errors(caplog) == []


@pytest.mark.parametrize(
    "head",
    [
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding:\r\n chunked\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n",
        b"GET / HTTP/1.1\nHost: x\n\n",
        b"GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n",
    ],
    ids=["cl-and-te", "folded-te", "obs-fold", "lf-only", "one-bare-lf", "ctl", "bare-cr", "del"],
)
async def test_item8_ambiguous_or_lenient_heads_get_400(head: bytes, caplog: pytest.LogCaptureFixture) -> None:
    called: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        called.append(scope)
        await _body_app(scope, receive, send)

    smuggled = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(head + b"0\r\n\r\n" + smuggled)
        r = await client.read_response()
        assert r.status == 400 and r.header("connection") == "close"
        assert await client.is_closed()
    assert called == []
    assert _errors(caplog) == []


async def test_item9_a_stalled_body_gets_408() -> None:
    async with running(_body_app, body_timeout=0.3) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
        r = await client.read_response(timeout=3)
        assert r.status == 408 and b"body" in r.body
        assert await client.is_closed()


async def test_item9_a_trickling_body_is_reaped() -> None:
    """One byte every 50 ms never stalls 0.3 s, but averages 20 B/s < 1000 B/s."""
    async with running(_body_app, body_timeout=0.3, body_min_rate=1000) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:

                async def trickle() -> None:
                    try:
                        while True:
                            await client.stream.send(b"x")
                            await anyio.sleep(0.05)
                    except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                        pass

                tg.start_soon(trickle)
                r = await client.read_response()
                tg.cancel_scope.cancel()
        assert r.status == 408
