"""WebSocket opening handshake, server side (RFC 6455 §4.2).

Rules:
1. `is_websocket_upgrade()` only says whether the client asked for WebSocket
   (`Upgrade: websocket` among the tokens); everything else stays plain HTTP.
2. `validate_handshake()` checks a request that did ask: GET, HTTP/1.1,
   `Connection: upgrade`, a `Sec-WebSocket-Key` that is base64 of 16 bytes
   (else 400), `Sec-WebSocket-Version: 13` (else 426 with the version we
   speak, §4.4). It returns the key and the offered subprotocols, or raises
   `HandshakeError` carrying the status and headers of the refusal.
3. `accept_response()` builds the 101 response bytes; the subprotocol the app
   picked must be one the client offered (§4.2.2 /subprotocol/).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from typing import Final

__all__ = [
    "HandshakeError",
    "accept_key",
    "accept_response",
    "header_tokens",
    "is_websocket_upgrade",
    "validate_handshake",
]

_GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # SPEC: RFC 6455 §1.3
SUPPORTED_VERSION: Final = b"13"


class HandshakeError(Exception):
    """The upgrade request cannot be accepted; answer with `status` and close."""

    def __init__(self, status: int, message: str, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.headers = list(headers)


def header_tokens(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> list[bytes]:
    """Lower-cased, stripped comma-separated tokens of every `name` header (name lower-case)."""
    tokens: list[bytes] = []
    for key, value in headers:
        if key.lower() == name:
            tokens.extend(t.strip().lower() for t in value.split(b",") if t.strip())
    return tokens


def is_websocket_upgrade(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether the request asks to switch to WebSocket."""
    return b"websocket" in header_tokens(headers, b"upgrade")


def accept_key(key: bytes) -> bytes:
    """The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key` (§4.2.2 step 5.4)."""
    return base64.b64encode(hashlib.sha1(key + _GUID).digest())  # noqa: S324 - the RFC mandates SHA-1


def validate_handshake(
    method: bytes, http_version: bytes, headers: Sequence[tuple[bytes, bytes]]
) -> tuple[bytes, list[str]]:
    """Check an upgrade request; return (Sec-WebSocket-Key, offered subprotocols).

    Raises:
        HandshakeError: 400 for a malformed request, 426 for a version other than 13.
    """
    if method != b"GET":
        raise HandshakeError(400, "websocket upgrade must use GET")
    if http_version != b"1.1":
        raise HandshakeError(400, "websocket upgrade needs HTTP/1.1")
    if b"upgrade" not in header_tokens(headers, b"connection"):
        raise HandshakeError(400, "websocket upgrade without 'connection: upgrade'")
    versions = [v.strip() for k, v in headers if k.lower() == b"sec-websocket-version"]
    if versions != [SUPPORTED_VERSION]:
        # SPEC: RFC 6455 §4.4 - answer 426 listing the versions we support.
        raise HandshakeError(
            426,
            "unsupported websocket version",
            [(b"sec-websocket-version", SUPPORTED_VERSION), (b"connection", b"close")],
        )
    keys = [v.strip() for k, v in headers if k.lower() == b"sec-websocket-key"]
    if len(keys) != 1:
        raise HandshakeError(400, "websocket upgrade needs exactly one sec-websocket-key")
    try:
        decoded = base64.b64decode(keys[0], validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != 16:
        raise HandshakeError(400, "sec-websocket-key is not base64 of 16 bytes")
    offered = [
        t.decode("latin-1")
        for k, v in headers
        if k.lower() == b"sec-websocket-protocol"
        for t in (p.strip() for p in v.split(b","))
        if t
    ]
    return keys[0], offered


def accept_response(
    key: bytes,
    offered: Sequence[str],
    subprotocol: str | None,
    extra_headers: Iterable[tuple[bytes, bytes]] = (),
) -> bytes:
    """Bytes of the `101 Switching Protocols` answer.

    Raises:
        ValueError: the app picked a subprotocol the client did not offer, or
            sent a header that would break the handshake.
    """
    lines = [
        b"HTTP/1.1 101 Switching Protocols",
        b"upgrade: websocket",
        b"connection: Upgrade",
        b"sec-websocket-accept: " + accept_key(key),
    ]
    if subprotocol is not None:
        if subprotocol not in offered:
            raise ValueError(
                f"websocket.accept chose subprotocol {subprotocol!r} but the client offered "
                f"{list(offered)!r}: pick one of the scope's 'subprotocols' or None"
            )
        lines.append(b"sec-websocket-protocol: " + subprotocol.encode("latin-1"))
    reserved = {b"upgrade", b"connection", b"sec-websocket-accept", b"sec-websocket-protocol"}
    for name, value in extra_headers:
        lname = name.lower()
        if lname in reserved:
            continue  # SPEC: §4.2.2 - the handshake headers are the server's to set
        if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name or b":" in name:
            raise ValueError(f"invalid header in websocket.accept: {name[:40]!r}")
        lines.append(lname + b": " + value)
    return b"\r\n".join(lines) + b"\r\n\r\n"
