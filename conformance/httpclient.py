"""The suite's HTTP/1.1 client: blocking sockets framed by h11, every read bounded.

Deliberately small and independent of ferrule's server code, so ferrule's own
server is checked by a client that shares none of its framing. Besides plain
requests it can:

* send a body in many separate writes (``pause`` between them) or with
  ``Transfer-Encoding: chunked`` (h11 frames each ``Data`` as one chunk);
* hand out the response body as it arrives (``iter_body``), so a check can see
  the first chunk of a stream before the last one exists, or drop the
  connection halfway;
* collect bytes a server sent past the end of a response (``stray_bytes``):
  a body after a HEAD, 204 or 304 response shows up there;
* speak HTTP/1.0 in raw bytes (``raw_http10``), which h11 cannot as a client.
"""

from __future__ import annotations

import re
import select
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Final

import h11

__all__ = ["HTTPConnection", "Response", "HTTPClientError", "raw_http10", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT: Final = 10.0
_RECV: Final = 256 * 1024

Headers = list[tuple[bytes, bytes]]


class HTTPClientError(Exception):
    """The server's bytes could not be read as an HTTP response (or never came)."""


@dataclass
class Response:
    status: int
    reason: bytes
    http_version: bytes
    headers: Headers
    body: bytes = b""
    trailers: Headers = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The first value of ``name`` (case-insensitive), decoded as latin-1."""
        key = name.lower().encode()
        for k, v in self.headers:
            if k == key:
                return v.decode("latin-1")
        return None

    def header_all(self, name: str) -> list[str]:
        key = name.lower().encode()
        return [v.decode("latin-1") for k, v in self.headers if k == key]

    def json(self) -> object:
        import json

        return json.loads(self.body)


class HTTPConnection:
    """One keep-alive client connection to ``host:port``."""

    def __init__(self, host: str, port: int, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.h11 = h11.Connection(our_role=h11.CLIENT)
        self.closed = False

    # -- lifecycle ---------------------------------------------------------

    @property
    def local_address(self) -> tuple[str, int]:
        host, port = self.sock.getsockname()[:2]
        return str(host), int(port)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def abort(self) -> None:
        """Close at once with a TCP reset (SO_LINGER 0): the peer cannot miss it."""
        if not self.closed:
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
            self.close()

    def __enter__(self) -> HTTPConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sending -----------------------------------------------------------

    def _write(self, event: h11.Event) -> None:
        data = self.h11.send(event)
        if data:
            self.sock.sendall(data)

    def send_request(
        self,
        method: str,
        target: str | bytes,
        *,
        headers: Iterable[tuple[str | bytes, str | bytes]] = (),
        body: bytes | Iterable[bytes] | None = None,
        chunked: bool = False,
        pause: float = 0.0,
    ) -> None:
        """Send a request; an iterable body goes out one write per item (``pause`` s apart)."""
        raw: Headers = [(_b(k), _b(v)) for k, v in headers]
        names = {k.lower() for k, _ in raw}
        if b"host" not in names:
            raw.insert(0, (b"host", f"{self.host}:{self.port}".encode()))
        if chunked:
            raw.append((b"transfer-encoding", b"chunked"))
        elif body is not None and b"content-length" not in names:
            if not isinstance(body, (bytes, bytearray)):
                raise ValueError("an iterable body needs chunked=True or a content-length header")
            raw.append((b"content-length", str(len(body)).encode()))
        self._write(h11.Request(method=method, target=_b(target), headers=raw))
        if body is not None:
            parts = [bytes(body)] if isinstance(body, (bytes, bytearray)) else body
            for i, part in enumerate(parts):
                if i and pause:
                    time.sleep(pause)
                if part:
                    self._write(h11.Data(data=part))
        self._write(h11.EndOfMessage())

    # -- receiving ---------------------------------------------------------

    def _next_event(self, deadline: float) -> h11.Event:
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise HTTPClientError(f"malformed response from the server: {exc}") from None
            if event is not h11.NEED_DATA:
                return event  # type: ignore[return-value]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise HTTPClientError(f"no complete response within {self.timeout} s")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(_RECV)
            except socket.timeout:
                raise HTTPClientError(f"no complete response within {self.timeout} s") from None
            except ConnectionResetError:
                data = b""
            self.h11.receive_data(data)

    def read_head(self, timeout: float | None = None) -> Response:
        """Read up to the final response head (1xx responses are skipped)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            event = self._next_event(deadline)
            if isinstance(event, h11.InformationalResponse):
                if event.status_code == 101:
                    return Response(event.status_code, event.reason, event.http_version, list(event.headers))
                continue
            if isinstance(event, h11.Response):
                return Response(event.status_code, event.reason, event.http_version, list(event.headers))
            if isinstance(event, h11.ConnectionClosed):
                raise HTTPClientError("the server closed the connection without a response")
            raise HTTPClientError(f"unexpected {type(event).__name__} before the response head")

    def iter_body(self, response: Response, timeout: float | None = None) -> Iterator[bytes]:
        """Yield body chunks as they arrive; trailers land in ``response.trailers``."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            event = self._next_event(deadline)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                response.trailers = list(event.headers)
                return
            elif isinstance(event, h11.ConnectionClosed):
                raise HTTPClientError("the connection closed before the end of the body")
            else:
                raise HTTPClientError(f"unexpected {type(event).__name__} in the body")

    def read_response(self, timeout: float | None = None, *, keep_body: bool = True) -> Response:
        response = self.read_head(timeout)
        parts = []
        size = 0
        for chunk in self.iter_body(response, timeout):
            size += len(chunk)
            if keep_body:
                parts.append(chunk)
        response.body = b"".join(parts)
        return response

    def request(self, method: str, target: str | bytes, **kwargs: object) -> Response:
        """Send a request and read its whole response (then ready the connection for the next)."""
        timeout = kwargs.pop("timeout", None)
        self.send_request(method, target, **kwargs)  # type: ignore[arg-type]
        response = self.read_response(timeout)  # type: ignore[arg-type]
        self.next_cycle()
        return response

    def next_cycle(self) -> bool:
        """Prepare the next request on this connection; False if the server closes it."""
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
            return True
        return False

    def stray_bytes(self, wait: float = 0.3) -> bytes:
        """Bytes the server sent after the end of the response, waiting up to ``wait`` s."""
        data, _closed = self.h11.trailing_data
        out = bytearray(data)
        deadline = time.monotonic() + wait
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            ready, _, _ = select.select([self.sock], [], [], remaining)
            if not ready:
                break
            try:
                chunk = self.sock.recv(_RECV)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        return bytes(out)


def _b(value: str | bytes) -> bytes:
    return value.encode("latin-1") if isinstance(value, str) else value


def raw_http10(host: str, port: int, target: str, *, timeout: float = DEFAULT_TIMEOUT) -> tuple[bytes, bytes]:
    """Send an HTTP/1.0 GET and read until the server closes: (head, body)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(f"GET {target} HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode())
        data = bytearray()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(_RECV)
            except socket.timeout:
                break
            if not chunk:
                break
            data += chunk
            head, sep, body = bytes(data).partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head) if sep else None
            if length and len(body) >= int(length.group(1)):
                break
    head, sep, body = bytes(data).partition(b"\r\n\r\n")
    if not sep:
        raise HTTPClientError(f"no HTTP/1.0 response head: {bytes(data[:80])!r}")
    return head, body
