"""The WebSocket connection class: state machine, typed receive/send, iteration, denial."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from _asgi import http_scope

from ferrule.asgi_core.headers import HeaderValueError
from ferrule.asgi_core.response import PlainTextResponse
from ferrule.asgi_core.types import Message, Scope
from ferrule.asgi_core.websocket import WebSocket, WebSocketDisconnect, WebSocketState, WebSocketStateError

pytestmark = pytest.mark.anyio


def ws_scope(extensions: dict[str, Any] | None = None) -> Scope:
    scope = http_scope("/ws", scope_type="websocket", extensions=extensions)
    scope["scheme"] = "ws"
    return scope


class Peer:
    """The server side: hands out ``incoming`` (after a connect), records what the app sends."""

    def __init__(self, incoming: Sequence[Message] = (), *, connect: bool = True, send_error: bool = False) -> None:
        self.incoming: list[Message] = ([{"type": "websocket.connect"}] if connect else []) + list(incoming)
        self.sent: list[Message] = []
        self.send_error = send_error

    async def receive(self) -> Message:
        if not self.incoming:
            return {"type": "websocket.disconnect", "code": 1006}
        return self.incoming.pop(0)

    async def send(self, message: Message) -> None:
        if self.send_error and message["type"] == "websocket.send":
            raise ConnectionResetError("peer gone")
        self.sent.append(message)

    def websocket(self, scope: Scope | None = None) -> WebSocket:
        return WebSocket(scope or ws_scope(), self.receive, self.send)


def text(data: str) -> Message:
    return {"type": "websocket.receive", "text": data}


def binary(data: bytes) -> Message:
    return {"type": "websocket.receive", "bytes": data}


# --- construction and accept -------------------------------------------------------------


def test_only_websocket_scopes() -> None:
    peer = Peer()
    with pytest.raises(ValueError, match="WebSocket needs a 'websocket' scope, got 'http'"):
        WebSocket(http_scope(), peer.receive, peer.send)
    websocket = peer.websocket()
    assert (websocket.client_state, websocket.application_state) == (WebSocketState.CONNECTING,) * 2
    assert websocket.url.path == "/ws"


async def test_accept_reads_the_connect_then_sends_accept_with_subprotocol_and_headers() -> None:
    peer = Peer()
    websocket = peer.websocket()
    await websocket.accept(subprotocol="chat", headers={"X-Server": "ferrule"})
    assert peer.sent == [
        {"type": "websocket.accept", "subprotocol": "chat", "headers": [(b"x-server", b"ferrule")]}
    ]
    assert (websocket.client_state, websocket.application_state) == (WebSocketState.CONNECTED,) * 2


async def test_accept_after_an_explicit_receive_does_not_read_again() -> None:
    peer = Peer([text("hi")])
    websocket = peer.websocket()
    assert await websocket.receive() == {"type": "websocket.connect"}
    await websocket.accept(headers=[(b"x-a", b"1")])
    assert peer.sent[0]["headers"] == [(b"x-a", b"1")]
    assert await websocket.receive_text() == "hi"


async def test_accept_headers_are_validated_before_anything_is_sent() -> None:
    peer = Peer()
    with pytest.raises(HeaderValueError):
        await peer.websocket().accept(headers={"x-bad": "a\r\nb"})
    assert peer.sent == []


async def test_accepting_twice_is_a_state_error() -> None:
    peer = Peer()
    websocket = peer.websocket()
    await websocket.accept()
    with pytest.raises(WebSocketStateError, match="cannot send 'websocket.accept' on an accepted connection"):
        await websocket.accept()


async def test_first_message_must_be_connect() -> None:
    peer = Peer([text("early")], connect=False)
    with pytest.raises(WebSocketStateError, match="expected 'websocket.connect' as the first message"):
        await peer.websocket().accept()


async def test_unexpected_message_type_after_connect_is_a_state_error() -> None:
    peer = Peer([{"type": "websocket.connect"}])
    websocket = peer.websocket()
    await websocket.accept()
    with pytest.raises(WebSocketStateError, match="expected 'websocket.receive' or 'websocket.disconnect'"):
        await websocket.receive()


# --- receiving -------------------------------------------------------------------------


async def test_typed_receives_need_accept_first() -> None:
    websocket = Peer([text("x")]).websocket()
    for call in (websocket.receive_text, websocket.receive_bytes, websocket.receive_json):
        with pytest.raises(WebSocketStateError, match="not connected \\(state CONNECTING\\); call accept\\(\\) first"):
            await call()


async def test_receive_text_bytes_and_mismatches() -> None:
    peer = Peer([text("hé"), binary(b"\x00\x01"), binary(b"b"), text("t")])
    websocket = peer.websocket()
    await websocket.accept()
    assert await websocket.receive_text() == "hé"
    assert await websocket.receive_bytes() == b"\x00\x01"
    with pytest.raises(WebSocketStateError, match="expected a text message, got a binary one"):
        await websocket.receive_text()
    with pytest.raises(WebSocketStateError, match="expected a binary message, got a text one"):
        await websocket.receive_bytes()


async def test_receive_json_in_text_and_binary_modes() -> None:
    peer = Peer([text('{"a": 1}'), binary(b'[1, "\xc3\xa9"]'), binary(b'{"b": null}')])
    websocket = peer.websocket()
    await websocket.accept()
    assert await websocket.receive_json() == {"a": 1}
    assert await websocket.receive_json() == [1, "é"]  # text mode falls back to bytes
    assert await websocket.receive_json(mode="binary") == {"b": None}
    with pytest.raises(ValueError, match='mode must be "text" or "binary"'):
        await websocket.receive_json(mode="xml")  # type: ignore[arg-type]


async def test_disconnect_while_receiving_raises_with_code_and_reason_then_reads_are_errors() -> None:
    peer = Peer([{"type": "websocket.disconnect", "code": 4001, "reason": "bye"}])
    websocket = peer.websocket()
    await websocket.accept()
    with pytest.raises(WebSocketDisconnect) as info:
        await websocket.receive_text()
    assert (info.value.code, info.value.reason) == (4001, "bye")
    assert repr(info.value) == "WebSocketDisconnect(code=4001, reason='bye')"
    assert websocket.client_state is WebSocketState.DISCONNECTED
    with pytest.raises(WebSocketStateError, match="the client has disconnected"):
        await websocket.receive()


async def test_disconnect_without_code_defaults_to_1000() -> None:
    peer = Peer([{"type": "websocket.disconnect"}])
    websocket = peer.websocket()
    await websocket.accept()
    with pytest.raises(WebSocketDisconnect) as info:
        await websocket.receive_bytes()
    assert (info.value.code, info.value.reason) == (1000, "")


@pytest.mark.parametrize(
    ("method", "incoming", "expected"),
    [
        ("iter_text", [text("a"), text("b")], ["a", "b"]),
        ("iter_bytes", [binary(b"a"), binary(b"")], [b"a", b""]),
        ("iter_json", [text("1"), text('{"k": [true]}')], [1, {"k": [True]}]),
    ],
)
async def test_iterators_stop_quietly_at_the_disconnect(method: str, incoming: list[Message], expected: list[Any]) -> None:
    websocket = Peer(incoming).websocket()
    await websocket.accept()
    assert [item async for item in getattr(websocket, method)()] == expected
    assert websocket.client_state is WebSocketState.DISCONNECTED


# --- sending ------------------------------------------------------------------------------


async def test_send_before_accept_is_a_state_error() -> None:
    peer = Peer()
    with pytest.raises(WebSocketStateError, match="before the connection is accepted; call accept\\(\\) first"):
        await peer.websocket().send_text("x")
    assert peer.sent == []


async def test_send_text_bytes_and_json() -> None:
    peer = Peer()
    websocket = peer.websocket()
    await websocket.accept()
    await websocket.send_text("t")
    await websocket.send_bytes(b"b")
    await websocket.send_json({"name": "Zoë", "n": [1, 2]})
    await websocket.send_json([None], mode="binary")
    assert peer.sent[1:] == [
        {"type": "websocket.send", "text": "t"},
        {"type": "websocket.send", "bytes": b"b"},
        {"type": "websocket.send", "text": '{"name":"Zoë","n":[1,2]}'},
        {"type": "websocket.send", "bytes": b"[null]"},
    ]
    with pytest.raises(ValueError, match='mode must be "text" or "binary"'):
        await websocket.send_json({}, mode="yaml")  # type: ignore[arg-type]


async def test_wrong_message_types_on_an_accepted_connection() -> None:
    websocket = Peer().websocket()
    await websocket.accept()
    with pytest.raises(WebSocketStateError, match="cannot send 'websocket.http.response.start' on an accepted"):
        await websocket.send({"type": "websocket.http.response.start", "status": 403, "headers": []})


async def test_close_then_every_send_is_a_state_error() -> None:
    peer = Peer()
    websocket = peer.websocket()
    await websocket.accept()
    await websocket.close(code=4000, reason="done")
    assert peer.sent[-1] == {"type": "websocket.close", "code": 4000, "reason": "done"}
    assert websocket.application_state is WebSocketState.DISCONNECTED
    with pytest.raises(WebSocketStateError, match="cannot send 'websocket.send': the connection is closed"):
        await websocket.send_text("late")


async def test_close_before_accept_denies_the_handshake() -> None:
    peer = Peer()
    websocket = peer.websocket()
    await websocket.close()
    assert peer.sent == [{"type": "websocket.close", "code": 1000, "reason": ""}]
    assert websocket.application_state is WebSocketState.DISCONNECTED


async def test_send_on_a_gone_peer_is_a_1006_disconnect() -> None:
    peer = Peer(send_error=True)
    websocket = peer.websocket()
    await websocket.accept()
    with pytest.raises(WebSocketDisconnect) as info:
        await websocket.send_text("x")
    assert info.value.code == 1006
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert websocket.application_state is WebSocketState.DISCONNECTED


# --- denial responses ------------------------------------------------------------------------


async def test_denial_response_uses_the_extension_when_the_server_has_it() -> None:
    peer = Peer()
    websocket = peer.websocket(ws_scope(extensions={"websocket.http.response": {}}))
    await websocket.send_denial_response(PlainTextResponse("go away", status_code=403))
    assert [m["type"] for m in peer.sent] == ["websocket.http.response.start", "websocket.http.response.body"]
    assert peer.sent[0]["status"] == 403
    assert peer.sent[1]["body"] == b"go away"
    assert websocket.application_state is WebSocketState.DISCONNECTED


async def test_denial_response_body_can_stream_and_only_body_messages_are_allowed() -> None:
    peer = Peer()
    websocket = peer.websocket(ws_scope(extensions={"websocket.http.response": {}}))
    await websocket.send({"type": "websocket.http.response.start", "status": 401, "headers": []})
    await websocket.send({"type": "websocket.http.response.body", "body": b"a", "more_body": True})
    states = [websocket.application_state]
    with pytest.raises(WebSocketStateError, match="while sending a denial response"):
        await websocket.send_text("x")
    await websocket.send({"type": "websocket.http.response.body", "body": b"b"})
    states.append(websocket.application_state)
    assert states == [WebSocketState.RESPONSE, WebSocketState.DISCONNECTED]


async def test_denial_response_without_the_extension_closes_with_1008() -> None:
    peer = Peer()
    websocket = peer.websocket()
    await websocket.send_denial_response(PlainTextResponse("no", status_code=403))
    assert peer.sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]


@pytest.mark.parametrize(
    ("asgi", "expected"),
    [({"version": "3.0", "spec_version": "2.0"}, None), ({"version": "3.0"}, None),
     ({"version": "3.0", "spec_version": "2.1"}, []), ({"version": "3.0", "spec_version": "2.4"}, [])],
)
def test_accept_sends_headers_only_to_servers_with_spec_2_1(
    asgi: dict[str, str], expected: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 18 item 11: a spec 2.0 server must not get the 2.1 `headers` key.

    Headers the app asked for are dropped with a log line there, not turned
    into a failed handshake (the conformance suite's app accepts with headers
    under daphne, which declares 2.0).
    """
    import anyio

    from ferrule.asgi_core.websocket import WebSocket as _WS

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def main() -> None:
        ws = _WS({"type": "websocket", "asgi": asgi, "path": "/", "headers": []}, receive, send)
        await ws.accept()
        if expected is None:
            ws2 = _WS({"type": "websocket", "asgi": asgi, "path": "/", "headers": []}, receive, send)
            await ws2.accept(headers=[(b"x-a", b"1")])

    with caplog.at_level("WARNING", logger="ferrule.asgi_core.websocket"):
        anyio.run(main)
    assert sent[0]["type"] == "websocket.accept"
    assert sent[0].get("headers") == expected and ("headers" in sent[0]) == (expected is not None)
    if expected is None:
        assert sent[1] == {"type": "websocket.accept", "subprotocol": None}
        assert "1 header(s) not sent" in caplog.text
