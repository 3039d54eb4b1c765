"""A small HTTP/1.1 load generator: raw sockets, keep-alive, N connections, one thread.

Rules:
- bounded load: a fixed number of requests spread over `connections`
  keep-alive connections, each with one request in flight (no pipelining),
  stopped early by a time cap; 127.0.0.1 only.
- each response is parsed (Content-Length or chunked, RFC 9112 §6-7) just
  enough to know where it ends and its status; a response with the wrong
  status counts as an error, and the first one's body is kept for the
  scenario's check, so a broken server cannot look fast.
- a connection the server closes (`Connection: close` or EOF) is reopened.
- the latency of a request runs from its first byte sent to its last byte read.
"""

from __future__ import annotations

import selectors
import socket
import time
from dataclasses import dataclass, field
from typing import Final

__all__ = ["LoadResult", "ResponseReader", "run_load", "build_request"]

READ_SIZE: Final = 256 * 1024


class ProtocolError(Exception):
    """The server's bytes are not an HTTP/1.1 response we can frame."""


def build_request(method: str, target: str, host: str, headers: tuple[tuple[str, str], ...], body: bytes) -> bytes:
    """The request bytes, sent unchanged on every request."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "User-Agent: ferrule-bench", "Accept: */*"]
    lines += [f"{k}: {v}" for k, v in headers]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class ResponseReader:
    """Incremental response framing: `feed()` returns True once a whole response is in."""

    def __init__(self, keep_body: bool = False) -> None:
        self.buf = bytearray()
        self.keep_body = keep_body
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = bytearray()
        self.close = False
        self._head_done = False
        self._length: int | None = None
        self._chunked = False
        self._pos = 0  # parse position in buf (after the head)

    def next_response(self) -> None:
        """Forget the finished response, keeping bytes that follow it."""
        del self.buf[: self._pos]
        self._reset()

    def feed(self, data: bytes) -> bool:
        self.buf += data
        if not self._head_done and not self._parse_head():
            return False
        if self._chunked:
            return self._parse_chunks()
        assert self._length is not None
        if len(self.buf) - self._pos < self._length:
            return False
        if self.keep_body:
            self.body += self.buf[self._pos : self._pos + self._length]
        self._pos += self._length
        return True

    def _parse_head(self) -> bool:
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ProtocolError(f"bad status line {lines[0][:80]!r}")
        self.status = int(parts[1])
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.close = "close" in self.headers.get("connection", "").lower()
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            self._chunked = True
        elif "content-length" in self.headers:
            self._length = int(self.headers["content-length"])
        elif self.status in (204, 304) or 100 <= self.status < 200:
            self._length = 0
        else:
            raise ProtocolError("response without content-length or chunked framing")
        self._head_done = True
        self._pos = end + 4
        return True

    def _parse_chunks(self) -> bool:
        buf = self.buf
        while True:
            line_end = buf.find(b"\r\n", self._pos)
            if line_end < 0:
                return False
            size = int(bytes(buf[self._pos : line_end]).split(b";")[0], 16)
            if size == 0:
                # SPEC: RFC 9112 §7.1.2 - trailer section, then CRLF; ferrule's peers send none.
                trailer_end = buf.find(b"\r\n", line_end + 2)
                if trailer_end < 0:
                    return False
                self._pos = trailer_end + 2
                return True
            data_start = line_end + 2
            if len(buf) < data_start + size + 2:
                return False
            if self.keep_body:
                self.body += buf[data_start : data_start + size]
            self._pos = data_start + size + 2


@dataclass
class LoadResult:
    """What one load run saw. Latencies are in seconds."""

    completed: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_status: int = 0
    first_headers: dict[str, str] = field(default_factory=dict)
    first_body: bytes = b""
    error_message: str = ""

    @property
    def rps(self) -> float:
        return self.completed / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class _Conn:
    __slots__ = ("sock", "reader", "out", "started")

    def __init__(self, sock: socket.socket, keep_body: bool) -> None:
        self.sock = sock
        self.reader = ResponseReader(keep_body)
        self.out = memoryview(b"")
        self.started = 0.0


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    return sock


def run_load(
    port: int, request: bytes, expected_status: int, *, connections: int, requests: int, time_cap: float
) -> LoadResult:
    """Send `requests` requests over `connections` keep-alive connections (stop at `time_cap` s)."""
    result = LoadResult()
    sel = selectors.DefaultSelector()
    issued = 0
    first_kept = False
    clock = time.perf_counter

    def start(conn: _Conn) -> None:
        nonlocal issued
        issued += 1
        conn.out = memoryview(request)
        conn.started = clock()
        sel.modify(conn.sock, selectors.EVENT_WRITE, conn)

    begin = clock()
    deadline = begin + time_cap
    for i in range(min(connections, requests)):
        conn = _Conn(_connect(port), keep_body=(i == 0))
        sel.register(conn.sock, selectors.EVENT_READ, conn)
        start(conn)
    in_flight = len(sel.get_map())
    try:
        while in_flight:
            if clock() > deadline + 10:
                result.error_message = "responses still pending 10 s after the time cap"
                break
            for key, events in sel.select(timeout=1.0):
                conn = key.data
                if events & selectors.EVENT_WRITE:
                    sent = conn.sock.send(conn.out)
                    conn.out = conn.out[sent:]
                    if not conn.out:
                        sel.modify(conn.sock, selectors.EVENT_READ, conn)
                    continue
                data = conn.sock.recv(READ_SIZE)
                if not data:
                    raise ProtocolError("server closed the connection mid-response")
                if not conn.reader.feed(data):
                    continue
                now = clock()
                reader = conn.reader
                result.latencies.append(now - conn.started)
                result.completed += 1
                if reader.status != expected_status:
                    result.errors += 1
                if reader.keep_body and not first_kept:
                    first_kept = True
                    result.first_status, result.first_headers = reader.status, dict(reader.headers)
                    result.first_body = bytes(reader.body)
                    reader.keep_body = False
                close = reader.close
                reader.next_response()
                if issued >= requests or now > deadline:
                    sel.unregister(conn.sock)
                    conn.sock.close()
                    in_flight -= 1
                    continue
                if close:  # the server ends keep-alive: reconnect
                    sel.unregister(conn.sock)
                    conn.sock.close()
                    conn.sock = _connect(port)
                    conn.reader = ResponseReader()
                    sel.register(conn.sock, selectors.EVENT_READ, conn)
                start(conn)
    except (OSError, ProtocolError, ValueError) as exc:
        result.error_message = f"{type(exc).__name__}: {exc}"
    finally:
        result.elapsed = clock() - begin
        for key in list(sel.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        sel.close()
    return result
