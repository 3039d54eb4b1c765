"""A minimal RFC 6455 WebSocket client for the suite (blocking, every read bounded).

Written here rather than borrowed from ferrule's server codec, so ferrule's
server is checked by framing code it does not share. It does what the checks
need and no more:

* the opening handshake over h11 (RFC 6455 §4.1), checking
  ``Sec-WebSocket-Accept`` (§4.2.2 step 5.4); a non-101 answer is returned as
  a ``Denied`` response with its body (ASGI WebSocket Denial Response);
* masked client frames (§5.3: a client MUST mask every frame);
* reading unmasked server frames (§5.1: a server MUST NOT mask), reassembling
  fragments (§5.4), answering pings (§5.5.2), and the close handshake with
  code and reason (§5.5.1, §7.4).
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
import time
from dataclasses import dataclass
from typing import Final

from .httpclient import HTTPClientError, HTTPConnection, Response

__all__ = ["WebSocketClient", "Denied", "Message", "Closed", "WSProtocolError", "connect"]

GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # SPEC: RFC 6455 §1.3
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class WSProtocolError(Exception):
    """The server broke RFC 6455 (or the connection failed mid-frame)."""


@dataclass
class Denied:
    """The server answered the handshake with a plain HTTP response."""

    response: Response


@dataclass
class Message:
    kind: str  # "text" or "bytes"
    data: str | bytes


@dataclass
class Closed:
    code: int | None
    reason: str


def _mask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big") if n else b""


def encode_client_frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    """One masked frame (RFC 6455 §5.2)."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head.append(0x80 | n)
    elif n < 1 << 16:
        head.append(0x80 | 126)
        head += struct.pack("!H", n)
    else:
        head.append(0x80 | 127)
        head += struct.pack("!Q", n)
    key = os.urandom(4)
    return bytes(head) + key + _mask(payload, key)


class WebSocketClient:
    """An open WebSocket connection (after a 101 handshake)."""

    def __init__(self, sock: socket.socket, buffered: bytes, response: Response, timeout: float) -> None:
        self.sock = sock
        self.buffer = bytearray(buffered)
        self.response = response
        self.timeout = timeout
        self.close_sent = False
        self.closed: Closed | None = None

    @property
    def subprotocol(self) -> str | None:
        return self.response.header("sec-websocket-protocol")

    # -- raw frames -----------------------------------------------------------

    def _read_exact(self, n: int, deadline: float, timeout: float) -> bytes:
        while len(self.buffer) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WSProtocolError(f"no frame within {timeout} s")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise WSProtocolError(f"no frame within {timeout} s") from None
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                raise WSProtocolError("the connection closed without a close frame")
            self.buffer += chunk
        out = bytes(self.buffer[:n])
        del self.buffer[:n]
        return out

    def read_frame(self, timeout: float | None = None) -> tuple[bool, int, bytes]:
        timeout = timeout or self.timeout
        deadline = time.monotonic() + timeout
        b0, b1 = self._read_exact(2, deadline, timeout)
        if b0 & 0x70:
            raise WSProtocolError(f"reserved bits set without an extension: {b0:#04x}")
        if b1 & 0x80:
            raise WSProtocolError("the server masked a frame (RFC 6455 §5.1 forbids it)")
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._read_exact(2, deadline, timeout))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._read_exact(8, deadline, timeout))
        return bool(b0 & 0x80), b0 & 0x0F, self._read_exact(n, deadline, timeout)

    def send_frame(self, opcode: int, payload: bytes) -> None:
        self.sock.sendall(encode_client_frame(opcode, payload))

    # -- messages ---------------------------------------------------------------

    def send_text(self, text: str) -> None:
        self.send_frame(OP_TEXT, text.encode("utf-8"))

    def send_bytes(self, data: bytes) -> None:
        self.send_frame(OP_BINARY, data)

    def send_close(self, code: int = 1000, reason: str = "") -> None:
        self.close_sent = True
        self.send_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode("utf-8"))

    def receive(self, timeout: float | None = None) -> Message | Closed:
        """The next whole message, or ``Closed`` (after answering the server's close)."""
        kind: int | None = None
        parts: list[bytes] = []
        while True:
            fin, opcode, payload = self.read_frame(timeout)
            if opcode == OP_PING:
                self.send_frame(OP_PONG, payload)
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                if len(payload) == 1:
                    raise WSProtocolError("a close payload of one byte (RFC 6455 §5.5.1)")
                code = struct.unpack("!H", payload[:2])[0] if payload else None
                reason = payload[2:].decode("utf-8")
                if not self.close_sent:
                    self.send_close(code if code is not None else 1000)
                self.closed = Closed(code, reason)
                return self.closed
            if opcode in (OP_TEXT, OP_BINARY):
                if kind is not None:
                    raise WSProtocolError("a new data frame inside a fragmented message")
                kind = opcode
            elif opcode == OP_CONT:
                if kind is None:
                    raise WSProtocolError("a continuation frame with no message to continue")
            else:
                raise WSProtocolError(f"unknown opcode {opcode:#x}")
            parts.append(payload)
            if fin:
                data = b"".join(parts)
                if kind == OP_TEXT:
                    return Message("text", data.decode("utf-8"))
                return Message("bytes", data)

    def wait_closed(self, timeout: float | None = None) -> Closed:
        """After our close frame: read until the server's close frame."""
        while True:
            event = self.receive(timeout)
            if isinstance(event, Closed):
                return event

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def connect(
    host: str,
    port: int,
    target: str,
    *,
    subprotocols: list[str] | None = None,
    headers: list[tuple[str, str]] | None = None,
    timeout: float = 10.0,
) -> WebSocketClient | Denied:
    """Open a WebSocket (RFC 6455 §4.1); a non-101 answer comes back as ``Denied``."""
    key = base64.b64encode(os.urandom(16)).decode()
    request_headers: list[tuple[str, str]] = [
        ("upgrade", "websocket"),
        ("connection", "Upgrade"),
        ("sec-websocket-key", key),
        ("sec-websocket-version", "13"),
    ]
    if subprotocols:
        request_headers.append(("sec-websocket-protocol", ", ".join(subprotocols)))
    request_headers += headers or []
    conn = HTTPConnection(host, port, timeout=timeout)
    try:
        conn.send_request("GET", target, headers=request_headers)
        response = conn.read_head()
        if response.status != 101:
            response.body = b"".join(conn.iter_body(response))
            conn.close()
            return Denied(response)
        expected = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        if response.header("sec-websocket-accept") != expected:
            raise WSProtocolError(f"bad Sec-WebSocket-Accept {response.header('sec-websocket-accept')!r}")
        buffered, _closed = conn.h11.trailing_data
    except (HTTPClientError, WSProtocolError):
        conn.close()
        raise
    return WebSocketClient(conn.sock, buffered, response, timeout)
