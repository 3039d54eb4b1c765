"""The server's max_body_size over real sockets: declared, chunked, at the limit, off by default."""

from __future__ import annotations

import anyio
import pytest

from ferrule.asgi_core.types import Message, Receive, Scope, Send
from ferrule.server import ClientDisconnected, ServerConfig, ServerConfigError

from srv_helpers import RawClient, request, running

pytestmark = pytest.mark.anyio


class Echo:
    def __init__(self) -> None:
        self.calls = 0
        self.last: Message | None = None
        self.send_error: BaseException | None = None
        self.done = anyio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls += 1
        body = b""
        try:
            while True:
                message = await receive()
                self.last = message
                if message["type"] == "http.disconnect":
                    try:
                        await send({"type": "http.response.start", "status": 200, "headers": []})
                    except ClientDisconnected as exc:
                        self.send_error = exc
                    return
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"got %d" % len(body)})
        finally:
            self.done.set()


async def test_declared_body_over_the_limit_never_reaches_the_app() -> None:
    app = Echo()
    async with running(app, max_body_size=10) as srv:
        r = await request(srv.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n" + b"x" * 11)
    assert r.status == 413 and r.header("connection") == "close"
    assert b"10-byte limit" in r.body and app.calls == 0


async def test_body_at_the_limit_passes() -> None:
    async with running(Echo(), max_body_size=10) as srv:
        r = await request(srv.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n" + b"x" * 10)
        chunked = await request(
            srv.port, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nxxxxx\r\n5\r\nxxxxx\r\n0\r\n\r\n"
        )
    assert (r.status, r.body) == (200, b"got 10")
    assert (chunked.status, chunked.body) == (200, b"got 10")


async def test_chunked_body_crossing_the_limit_gets_413_and_the_app_a_disconnect() -> None:
    app = Echo()
    async with running(app, max_body_size=10) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n8\r\nxxxxxxxx\r\n")
        await client.send(b"8\r\nxxxxxxxx\r\n")
        r = await client.read_response()
        with anyio.fail_after(5):
            await app.done.wait()
    assert r.status == 413 and r.header("connection") == "close"
    assert app.last == {"type": "http.disconnect"}
    assert isinstance(app.send_error, ClientDisconnected)


async def test_off_by_default_and_validated() -> None:
    assert ServerConfig().max_body_size is None
    with pytest.raises(ServerConfigError, match="max_body_size=-1 must be a number of bytes"):
        ServerConfig(max_body_size=-1)
    async with running(Echo()) as srv:
        r = await request(srv.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000)
    assert (r.status, r.body) == (200, b"got 100000")
