"""Helpers for the server tests: run a server on a free port, and a tiny raw HTTP client.

The client parses responses itself (not with h11) so the tests check the
server's bytes independently of the library it is built on. Every read is
bounded by `anyio.fail_after`, so a broken server fails a test instead of
hanging it.
"""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import anyio
import anyio.abc

from ferrule.server import ServerConfig, serve
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

    async def stop_during(self, raw_request: bytes) -> None:
        """Send `raw_request`, shut down once the server is stuck in it, and check its connection closes."""
        stuck = await RawClient.connect(self.port)
        await stuck.send(raw_request)
        await anyio.wait_all_tasks_blocked()
        self.stop.set()
        assert await stuck.is_closed()


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


WS_KEY = b"dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3's example key
WS_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def ws_frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bytes | None = b"\x37\xfa\x21\x3d", rsv: int = 0) -> bytes:
    """A client frame, encoded by hand (RFC 6455 §5.2); mask=None sends it unmasked."""
    head = bytearray([(0x80 if fin else 0) | (rsv << 4) | opcode])
    bit = 0x80 if mask is not None else 0
    n = len(payload)
    if n < 126:
        head.append(bit | n)
    elif n < 65536:
        head.append(bit | 126)
        head += n.to_bytes(2, "big")
    else:
        head.append(bit | 127)
        head += n.to_bytes(8, "big")
    if mask is None:
        return bytes(head) + payload
    return bytes(head) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class WSClient:
    """A minimal WebSocket client for tests."""

    def __init__(self, raw: RawClient, response: Response) -> None:
        self.raw = raw
        self.response = response

    @classmethod
    async def connect(
        cls, port: int, path: str = "/ws", *, subprotocols: str | None = None, version: bytes = b"13",
        extra: bytes = b"",
    ) -> WSClient:
        raw = await RawClient.connect(port)
        head = (
            b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: " + WS_KEY + b"\r\nSec-WebSocket-Version: " + version + b"\r\n" + extra
        )
        if subprotocols is not None:
            head += b"Sec-WebSocket-Protocol: " + subprotocols.encode() + b"\r\n"
        await raw.send(head + b"\r\n")
        response = await raw.read_response(head_request=True)
        if response.status != 101:
            length = response.header("content-length")
            response.body = await raw.read_exact(int(length)) if length else b""
        return cls(raw, response)

    async def send(self, data: bytes) -> None:
        await self.raw.send(data)

    async def send_text(self, text: str) -> None:
        await self.raw.send(ws_frame(0x1, text.encode()))

    async def send_bytes(self, data: bytes) -> None:
        await self.raw.send(ws_frame(0x2, data))

    async def send_close(self, code: int | None = 1000, reason: str = "") -> None:
        payload = b"" if code is None else code.to_bytes(2, "big") + reason.encode()
        await self.raw.send(ws_frame(0x8, payload))

    async def recv_frame(self, timeout: float = READ_TIMEOUT) -> tuple[bool, int, bytes]:
        """(fin, opcode, payload) of the next server frame; server frames must be unmasked."""
        with anyio.fail_after(timeout):
            b0, b1 = await self.raw.read_exact(2)
            assert not b1 & 0x80, "server frames must not be masked"
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(await self.raw.read_exact(2), "big")
            elif n == 127:
                n = int.from_bytes(await self.raw.read_exact(8), "big")
            return bool(b0 & 0x80), b0 & 0x0F, await self.raw.read_exact(n)

    async def recv_close(self, timeout: float = READ_TIMEOUT) -> tuple[int | None, str]:
        """Skip data frames until the close frame; return its (code, reason)."""
        while True:
            _, opcode, payload = await self.recv_frame(timeout)
            if opcode == 0x8:
                if not payload:
                    return None, ""
                return int.from_bytes(payload[:2], "big"), payload[2:].decode()


class ServerProcess:
    """`python -m ferrule run ...` in a subprocess, its stderr read line by line in a thread."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ferrule", *args], cwd=cwd, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 20) -> re.Match[str]:
        regex = re.compile(pattern)
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r}; got {self.seen!r}") from None
            self.seen.append(line)
            if match := regex.search(line):
                return match

    def port(self) -> int:
        return int(self.wait_for(r"listening on http://127\.0\.0\.1:(\d+)").group(1))

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stderr is not None:
                self.proc.stderr.close()


def get(port: int, path: str = "/") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()
