"""WebSockets over real sockets: handshake, echo, fragmentation, close codes, denial, errors."""

from __future__ import annotations

import anyio
import pytest

from ferrule.server import ClientDisconnected
from ferrule.asgi_core.types import ASGIApp, Message, Receive, Scope, Send

from srv_helpers import WS_ACCEPT, WSClient, request, running, ws_frame

pytestmark = pytest.mark.anyio


class Recorder:
    def __init__(self) -> None:
        self.scopes: list[Scope] = []
        self.received: list[Message] = []
        self.done = anyio.Event()
        self.errors: list[BaseException] = []


def echo_app(rec: Recorder, subprotocol: str | None = None) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        rec.scopes.append(scope)
        try:
            assert await receive() == {"type": "websocket.connect"}
            await send({"type": "websocket.accept", "subprotocol": subprotocol})
            while True:
                message = await receive()
                rec.received.append(message)
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("text") == "close-me":
                    await send({"type": "websocket.close", "code": 4000, "reason": "done"})
                    rec.received.append(await receive())
                    return
                await send({"type": "websocket.send", **{k: v for k, v in message.items() if k in ("text", "bytes")}})
        finally:
            rec.done.set()

    return app


async def test_handshake_scope_and_echo() -> None:
    rec = Recorder()
    async with running(echo_app(rec), root_path="/r") as srv:
        ws = await WSClient.connect(srv.port, "/ws/room?x=1")
        assert ws.response.status == 101
        assert ws.response.header("sec-websocket-accept") == WS_ACCEPT
        assert ws.response.header("upgrade") == "websocket"
        assert ws.response.header("sec-websocket-protocol") is None
        await ws.send_text("héllo")
        assert await ws.recv_frame() == (True, 0x1, "héllo".encode())
        await ws.send_bytes(b"\x00\xff" * 40000)  # 64-bit length form
        assert await ws.recv_frame() == (True, 0x2, b"\x00\xff" * 40000)
        await ws.send_close(1000, "bye")
        assert await ws.recv_close() == (1000, "")  # the code is echoed
        assert await ws.raw.is_closed()
        with anyio.fail_after(5):
            await rec.done.wait()
    (scope,) = rec.scopes
    assert scope["type"] == "websocket" and scope["scheme"] == "ws"
    assert scope["path"] == "/r/ws/room" and scope["query_string"] == b"x=1" and scope["root_path"] == "/r"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["subprotocols"] == [] and "websocket.http.response" in scope["extensions"]
    assert scope["client"][0] == "127.0.0.1" and scope["server"] == ("127.0.0.1", srv.port)
    assert rec.received[-1] == {"type": "websocket.disconnect", "code": 1000, "reason": "bye"}


async def test_subprotocol_negotiation() -> None:
    rec = Recorder()
    async with running(echo_app(rec, subprotocol="superchat")) as srv:
        ws = await WSClient.connect(srv.port, subprotocols="chat, superchat")
        assert ws.response.status == 101
        assert ws.response.header("sec-websocket-protocol") == "superchat"
    assert rec.scopes[0]["subprotocols"] == ["chat", "superchat"]


async def test_subprotocol_not_offered_is_an_app_error() -> None:
    rec = Recorder()
    async with running(echo_app(rec, subprotocol="other")) as srv:
        ws = await WSClient.connect(srv.port, subprotocols="chat")
        assert ws.response.status == 500


async def test_wrong_version_gets_426() -> None:
    rec = Recorder()
    async with running(echo_app(rec)) as srv:
        ws = await WSClient.connect(srv.port, version=b"8")
        assert ws.response.status == 426
        assert ws.response.header("sec-websocket-version") == "13"
        assert await ws.raw.is_closed()
    assert rec.scopes == []


async def test_bad_key_gets_400() -> None:
    rec = Recorder()
    async with running(echo_app(rec)) as srv:
        r = await request(
            srv.port,
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
    assert r.status == 400 and b"sec-websocket-key" in r.body
    assert rec.scopes == []


async def test_close_before_accept_is_403() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.close", "code": 1008})

    async with running(app) as srv:
        ws = await WSClient.connect(srv.port)
        assert ws.response.status == 403
        assert await ws.raw.is_closed()


async def test_denial_response_extension() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.http.response.start", "status": 401, "headers": [(b"x-reason", b"token")]})
        await send({"type": "websocket.http.response.body", "body": b"log in ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"first"})

    async with running(app) as srv:
        ws = await WSClient.connect(srv.port)
        assert ws.response.status == 401
        assert ws.response.header("x-reason") == "token"
        assert ws.response.body == b"log in first"


async def test_fragments_with_interleaved_ping_and_auto_pong() -> None:
    rec = Recorder()
    async with running(echo_app(rec)) as srv:
        ws = await WSClient.connect(srv.port)
        euro = "€".encode()
        await ws.send(ws_frame(0x1, b"ab" + euro[:1], fin=False))  # split inside a UTF-8 sequence
        await ws.send(ws_frame(0x9, b"are you there"))
        await ws.send(ws_frame(0x0, euro[1:], fin=False))
        await ws.send(ws_frame(0x0, b"cd"))
        assert await ws.recv_frame() == (True, 0xA, b"are you there")
        assert await ws.recv_frame() == (True, 0x1, "ab€cd".encode())
        await ws.send(ws_frame(0xA, b"unsolicited pong is ignored"))
        await ws.send_text("still here")
        assert await ws.recv_frame() == (True, 0x1, b"still here")


async def test_server_initiated_close_with_code_and_reason() -> None:
    rec = Recorder()
    async with running(echo_app(rec)) as srv:
        ws = await WSClient.connect(srv.port)
        await ws.send_text("close-me")
        assert await ws.recv_close() == (4000, "done")
        await ws.send_close(4000)
        assert await ws.raw.is_closed()
        with anyio.fail_after(5):
            await rec.done.wait()
    assert rec.received[-1] == {"type": "websocket.disconnect", "code": 4000, "reason": "done"}


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (ws_frame(0x1, b"hi", mask=None), 1002),  # unmasked client frame
        (ws_frame(0x1, b"\xc3\x28"), 1007),  # invalid UTF-8
        (ws_frame(0x2, b"x" * 2000), 1009),  # over ws_max_message_size
        (ws_frame(0x9, b"x" * 126), 1002),  # oversized control frame
        (ws_frame(0x3, b""), 1002),  # reserved opcode
        (ws_frame(0x1, b"x", rsv=4), 1002),  # RSV1 without an extension
        (ws_frame(0x8, (1006).to_bytes(2, "big")), 1002),  # invalid close code
    ],
    ids=["unmasked", "bad-utf8", "too-big", "big-control", "reserved-opcode", "rsv", "close-1006"],
)
async def test_protocol_errors_close_with_the_right_code(frame: bytes, code: int) -> None:
    rec = Recorder()
    async with running(echo_app(rec), ws_max_message_size=1000) as srv:
        ws = await WSClient.connect(srv.port)
        await ws.send(frame)
        got_code, _ = await ws.recv_close()
        assert got_code == code
        with anyio.fail_after(5):
            await rec.done.wait()
    assert rec.received[-1]["type"] == "websocket.disconnect" and rec.received[-1]["code"] == code


async def test_peer_vanishing_gives_1006_and_send_raises() -> None:
    outcome: list[object] = []
    done = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        outcome.append(await receive())
        try:
            await send({"type": "websocket.send", "text": "anyone?"})
        except OSError as exc:
            outcome.append(exc)
        done.set()

    async with running(app) as srv:
        ws = await WSClient.connect(srv.port)
        await ws.raw.aclose()
        with anyio.fail_after(5):
            await done.wait()
    assert outcome[0] == {"type": "websocket.disconnect", "code": 1006, "reason": ""}
    assert isinstance(outcome[1], ClientDisconnected)


async def test_app_error_after_accept_closes_1011() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        raise ValueError("boom")

    async with running(app) as srv:
        ws = await WSClient.connect(srv.port)
        assert await ws.recv_close() == (1011, "internal error")


async def test_app_error_before_accept_is_500() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("boom")

    async with running(app) as srv:
        ws = await WSClient.connect(srv.port)
        assert ws.response.status == 500


async def test_app_returning_after_accept_closes_1000() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "bytes": b"bye"})

    async with running(app) as srv:
        ws = await WSClient.connect(srv.port)
        assert await ws.recv_frame() == (True, 0x2, b"bye")
        assert await ws.recv_close() == (1000, "")


async def test_shutdown_closes_open_websockets_with_1001() -> None:
    rec = Recorder()
    async with running(echo_app(rec), shutdown_timeout=5) as srv:
        ws = await WSClient.connect(srv.port)
        await ws.send_text("ping")
        assert await ws.recv_frame() == (True, 0x1, b"ping")
        srv.stop.set()
        assert await ws.recv_close() == (1001, "server shutting down")
        await ws.send_close(1001)
        with anyio.fail_after(5):
            await rec.done.wait()
    assert rec.received[-1]["type"] == "websocket.disconnect" and rec.received[-1]["code"] == 1001
