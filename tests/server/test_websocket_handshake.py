"""The opening handshake helpers (RFC 6455 §4.2), without sockets."""

from __future__ import annotations

import pytest

from ferrule.server.websocket_handshake import (
    HandshakeError,
    accept_key,
    accept_response,
    is_websocket_upgrade,
    validate_handshake,
)

KEY = b"dGhlIHNhbXBsZSBub25jZQ=="
GOOD = [
    (b"host", b"x"),
    (b"upgrade", b"WebSocket"),
    (b"connection", b"keep-alive, Upgrade"),
    (b"sec-websocket-key", KEY),
    (b"sec-websocket-version", b"13"),
    (b"sec-websocket-protocol", b"chat, v2.chat"),
    (b"sec-websocket-protocol", b"other"),
]


def test_accept_key_matches_the_rfc_example() -> None:
    assert accept_key(KEY) == b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 §1.3


def test_valid_handshake_returns_key_and_offered_subprotocols() -> None:
    assert is_websocket_upgrade(GOOD)
    assert not is_websocket_upgrade([(b"upgrade", b"h2c")])
    assert validate_handshake(b"GET", b"1.1", GOOD) == (KEY, ["chat", "v2.chat", "other"])


def replace(name: bytes, value: bytes | None) -> list[tuple[bytes, bytes]]:
    headers = [(k, v) for k, v in GOOD if k != name]
    return headers + ([(name, value)] if value is not None else [])


@pytest.mark.parametrize(
    ("method", "version", "headers", "status", "match"),
    [
        (b"POST", b"1.1", GOOD, 400, "must use GET"),
        (b"GET", b"1.0", GOOD, 400, "needs HTTP/1.1"),
        (b"GET", b"1.1", replace(b"connection", b"keep-alive"), 400, "connection: upgrade"),
        (b"GET", b"1.1", replace(b"sec-websocket-version", b"8"), 426, "unsupported websocket version"),
        (b"GET", b"1.1", replace(b"sec-websocket-version", None), 426, "unsupported websocket version"),
        (b"GET", b"1.1", replace(b"sec-websocket-key", None), 400, "exactly one sec-websocket-key"),
        (b"GET", b"1.1", replace(b"sec-websocket-key", b"c2hvcnQ="), 400, "base64 of 16 bytes"),
        (b"GET", b"1.1", replace(b"sec-websocket-key", b"not base64!!"), 400, "base64 of 16 bytes"),
    ],
)
def test_invalid_handshakes(
    method: bytes, version: bytes, headers: list[tuple[bytes, bytes]], status: int, match: str
) -> None:
    with pytest.raises(HandshakeError, match=match) as info:
        validate_handshake(method, version, headers)
    assert info.value.status == status
    if status == 426:
        assert (b"sec-websocket-version", b"13") in info.value.headers


def test_accept_response_sets_protocol_and_keeps_handshake_headers_ours() -> None:
    raw = accept_response(KEY, ["chat"], "chat", [(b"X-Extra", b"1"), (b"Sec-WebSocket-Accept", b"forged")])
    assert raw.startswith(b"HTTP/1.1 101 Switching Protocols\r\n") and raw.endswith(b"\r\n\r\n")
    assert b"sec-websocket-protocol: chat\r\n" in raw and b"x-extra: 1\r\n" in raw
    assert b"forged" not in raw and raw.count(b"sec-websocket-accept") == 1


def test_accept_response_rejects_unoffered_subprotocol_and_header_injection() -> None:
    with pytest.raises(ValueError, match="client offered"):
        accept_response(KEY, ["chat"], "superchat")
    with pytest.raises(ValueError, match="invalid header"):
        accept_response(KEY, [], None, [(b"x-bad", b"a\r\nset-cookie: evil")])
