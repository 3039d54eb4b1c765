"""WebSocket hostile peers: nothing after our close frame, fragment accounting, freeing closed
connections without a GC run, keepalive pings and the idle timeout (issue 18 items 4, 6, 9)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import anyio
import pytest

from ferrule.asgi_core.types import Receive, Scope, Send
from ferrule.server import http11
from ferrule.server.websocket_conn import WebSocketConnection
from ferrule.server.websocket_codec import BytesMessage, TextMessage, WebSocketProtocolError, WebSocketReader

from srv_helpers import WSClient, running, ws_frame

pytestmark = pytest.mark.anyio


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": message.get("text") or "?"})


# -- item 4: RFC 6455 §5.5.1 ---------------------------------------------------------------------


async def test_no_data_frame_after_the_servers_close() -> None:
    async with running(echo) as srv:
        ws = await WSClient.connect(srv.port)
        # A text frame and a close frame in one write: the server must echo the close and then
        # send nothing more (before the fix the echo of "hi" followed the close frame).
        await ws.send(ws_frame(0x1, b"hi") + ws_frame(0x8, (1000).to_bytes(2, "big")))
        frames = []
        while True:
            fin, opcode, payload = await ws.recv_frame()
            frames.append((opcode, payload))
            if opcode == 0x8:
                break
        assert await ws.raw.read_to_eof() == b""
    assert frames[-1] == (0x8, (1000).to_bytes(2, "big"))
    assert all(op != 0x8 for op, _ in frames[:-1])


# -- item 6: count what is held ----------------------------------------------------------------


def masked(opcode: int, payload: bytes, fin: bool) -> bytes:
    return ws_frame(opcode, payload, fin=fin)


def test_one_byte_fragments_are_held_in_one_buffer() -> None:
    reader = WebSocketReader(max_message_size=10_000)
    reader.receive_data(masked(0x2, b"a", False))
    for _ in range(999):
        reader.receive_data(masked(0x0, b"b", False))
        assert reader.next_event() is None
    # One bytearray for the message so far, not a list of 1,000 objects.
    assert not any(isinstance(v, list) for v in (getattr(reader, n) for n in reader.__slots__ if hasattr(reader, n)))
    reader.receive_data(masked(0x0, b"c", True))
    assert reader.next_event() == BytesMessage(b"a" + b"b" * 999 + b"c")


@pytest.mark.parametrize(
    ("limit", "opcode", "fragment", "count", "match"),
    [
        # 1-byte continuation frames cost 1 + 6 header bytes each: 200 of them exceed 1,000 bytes
        # although the payload is only 200 bytes.
        pytest.param(1000, 0x1, b"x", 200, "over the 1000-byte limit", id="fragment-headers-count"),
        # Empty continuation frames still cost their headers.
        pytest.param(600, 0x2, b"", 101, None, id="empty-fragments-are-not-free"),
    ],
)
def test_fragment_headers_count_toward_the_limit(
    limit: int, opcode: int, fragment: bytes, count: int, match: str | None
) -> None:
    reader = WebSocketReader(max_message_size=limit)
    reader.receive_data(masked(opcode, fragment, False))
    with pytest.raises(WebSocketProtocolError, match=match) as info:
        for _ in range(count):
            reader.receive_data(masked(0x0, fragment, False))
            reader.next_event()
    assert info.value.close_code == 1009


def test_a_whole_message_at_the_limit_still_passes() -> None:
    reader = WebSocketReader(max_message_size=100)
    reader.receive_data(masked(0x1, "é".encode() * 50, True))
    assert reader.next_event() == TextMessage("é" * 50)
    reader.receive_data(masked(0x1, b"\xc3", False) + masked(0x0, b"\xa9", True))
    assert reader.next_event() == TextMessage("é")


def test_invalid_utf8_split_across_fragments_fails_early() -> None:
    reader = WebSocketReader(max_message_size=100)
    reader.receive_data(masked(0x1, b"ok\xff", False))
    with pytest.raises(WebSocketProtocolError) as info:
        reader.next_event()
    assert info.value.close_code == 1007


async def test_1009_over_a_socket_for_a_flood_of_tiny_fragments() -> None:
    async with running(echo, ws_max_message_size=512) as srv:
        ws = await WSClient.connect(srv.port)
        await ws.send(masked(0x1, b"a", False) + b"".join(masked(0x0, b"", False) for _ in range(100)))
        assert (await ws.recv_close())[0] == 1009


@pytest.fixture
def no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def live(cls: type) -> int:
    # gc.get_objects() lists tracked objects whether or not they are reachable: with the
    # collector off, an instance kept only by a reference cycle is still counted.
    return sum(1 for o in gc.get_objects() if type(o) is cls)


@pytest.mark.asyncio_only(
    "on trio a cancelled connection's finished frames stay in reference cycles through trio's "
    "cancellation machinery until the collector runs; asyncio frees them at once"
)
async def test_closed_connections_are_freed_without_a_gc_run(no_gc: None) -> None:
    async with running(echo) as srv:
        for _ in range(3):
            ws = await WSClient.connect(srv.port)
            await ws.send_text("x")
            await ws.recv_frame()
            await ws.send_close(1000)
            await ws.recv_close()
            assert await ws.raw.read_to_eof() == b""
            await ws.raw.aclose()
        for _ in range(50):  # let the connection tasks finish their cleanup
            await anyio.lowlevel.checkpoint()
        assert live(http11.HTTP11Connection) == 0
        assert live(WebSocketConnection) == 0


# -- item 9: keepalive and idle timeout ---------------------------------------------------------


async def test_silent_peer_is_pinged_then_closed_1011_and_the_app_told() -> None:
    seen: list[object] = []
    done = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        seen.append(await receive())
        done.set()

    async with running(app, ws_ping_interval=0.05, ws_ping_timeout=0.05) as srv:
        ws = await WSClient.connect(srv.port)
        fin, opcode, _ = await ws.recv_frame()
        assert opcode == 0x9  # ping
        assert await ws.recv_close() == (1011, "keepalive ping timeout")
        with anyio.fail_after(5):
            await done.wait()
    assert seen == [{"type": "websocket.disconnect", "code": 1011, "reason": "keepalive ping timeout"}]


async def test_peer_answering_pings_stays_open() -> None:
    async with running(echo, ws_ping_interval=0.02, ws_ping_timeout=1) as srv:
        ws = await WSClient.connect(srv.port)
        for _ in range(3):
            fin, opcode, payload = await ws.recv_frame()
            assert opcode == 0x9
            await ws.send(ws_frame(0xA, payload))
        await ws.send_text("still here")
        while (frame := await ws.recv_frame())[1] == 0x9:
            await ws.send(ws_frame(0xA, frame[2]))
        assert frame == (True, 0x1, b"still here")


async def test_idle_websocket_is_closed_1001() -> None:
    async with running(echo, ws_ping_interval=None, ws_idle_timeout=0.5) as srv:  # room for a loaded machine
        ws = await WSClient.connect(srv.port)
        await ws.send_text("one")
        assert await ws.recv_frame() == (True, 0x1, b"one")
        assert await ws.recv_close() == (1001, "idle timeout")
