"""Helpers for the server tests: run a server on a free port, and a tiny raw HTTP client.

The client parses responses itself (not with h11) so the tests check the
server's bytes independently of the library it is built on. Every read is
bounded by `anyio.fail_after`, so a broken server fails a test instead of
hanging it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import anyio
import anyio.abc

from ferrule.asgi_core.server import ServerConfig, serve
from ferrule.asgi_core.types import ASGIApp

READ_TIMEOUT = 5.0
#: Clients opened inside `running()`; it closes them all on exit so no test leaks a socket.
_open_clients: list[RawClient] = []


@dataclass
class Running:
    host: str
    port: int
    stop: anyio.Event
    done: anyio.Event = field(default_factory=anyio.Event)


@asynccontextmanager
async def running(app: ASGIApp, **options: Any) -> AsyncIterator[Running]:
    """Serve `app` on 127.0.0.1:<free port> for the duration of the block, then stop gracefully."""
    options.setdefault("lifespan", "off")
    config = ServerConfig(host="127.0.0.1", port=0, **options)
    stop = anyio.Event()
    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            host, port = await tg.start(partial(serve, app, config, shutdown_trigger=stop))
            server = Running(host, port, stop)
            try:
                yield server
            finally:
                while _open_clients:
                    await _open_clients.pop().aclose()
                stop.set()


@dataclass
class Response:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    http_version: str = "1.1"
    chunked: bool = False

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value
        return None


class RawClient:
    """A TCP client that writes raw bytes and parses HTTP/1.x responses by hand."""

    def __init__(self, stream: anyio.abc.SocketStream) -> None:
        self.stream = stream
        self.buf = b""

    @classmethod
    async def connect(cls, port: int) -> RawClient:
        with anyio.fail_after(READ_TIMEOUT):
            client = cls(await anyio.connect_tcp("127.0.0.1", port))
        _open_clients.append(client)
        return client

    async def send(self, data: bytes) -> None:
        with anyio.fail_after(READ_TIMEOUT):
            await self.stream.send(data)

    async def _fill(self) -> bool:
        try:
            chunk = await self.stream.receive(65536)
        except (anyio.EndOfStream, anyio.BrokenResourceError):
            return False
        self.buf += chunk
        return True

    async def read_until(self, marker: bytes, timeout: float = READ_TIMEOUT) -> bytes:
        with anyio.fail_after(timeout):
            while marker not in self.buf:
                if not await self._fill():
                    raise EOFError(f"connection closed before {marker!r}; got {self.buf!r}")
            head, _, self.buf = self.buf.partition(marker)
            return head + marker

    async def read_exact(self, n: int, timeout: float = READ_TIMEOUT) -> bytes:
        with anyio.fail_after(timeout):
            while len(self.buf) < n:
                if not await self._fill():
                    raise EOFError(f"connection closed with {len(self.buf)}/{n} bytes")
            data, self.buf = self.buf[:n], self.buf[n:]
            return data

    async def read_to_eof(self, timeout: float = READ_TIMEOUT) -> bytes:
        with anyio.fail_after(timeout):
            while await self._fill():
                pass
            data, self.buf = self.buf, b""
            return data

    async def is_closed(self, timeout: float = READ_TIMEOUT) -> bool:
        """True if the server closes the connection (EOF/reset) with no further bytes."""
        with anyio.fail_after(timeout):
            got = await self._fill()
        return not got and not self.buf

    async def read_response(self, *, head_request: bool = False, timeout: float = READ_TIMEOUT) -> Response:
        with anyio.fail_after(timeout):
            head = await self.read_until(b"\r\n\r\n")
            lines = head[:-4].decode("latin-1").split("\r\n")
            version, status, *reason = lines[0].split(" ", 2)
            headers = []
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers.append((name.strip().lower(), value.strip()))
            response = Response(int(status), reason[0] if reason else "", headers, b"", version[5:])
            if response.status < 200 or response.status in (204, 304) or head_request:
                return response
            length = response.header("content-length")
            if response.header("transfer-encoding") == "chunked":
                response.chunked = True
                body = b""
                while True:
                    size_line = await self.read_until(b"\r\n")
                    size = int(size_line.split(b";")[0], 16)
                    if size == 0:
                        await self.read_until(b"\r\n")  # no trailers expected
                        break
                    body += await self.read_exact(size)
                    await self.read_exact(2)
                response.body = body
            elif length is not None:
                response.body = await self.read_exact(int(length))
            else:
                response.body = await self.read_to_eof()
            return response

    async def aclose(self) -> None:
        await self.stream.aclose()


async def request(port: int, raw: bytes, **kwargs: Any) -> Response:
    client = await RawClient.connect(port)
    try:
        await client.send(raw)
        return await client.read_response(**kwargs)
    finally:
        await client.aclose()
