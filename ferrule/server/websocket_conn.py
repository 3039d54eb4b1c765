"""The server side of the ASGI WebSocket protocol over RFC 6455.

State machine (the app drives it with `send`, the peer with frames):

    CONNECTING --websocket.accept--------------------> OPEN
    CONNECTING --websocket.close---------------------> CLOSED   (HTTP 403)
    CONNECTING --websocket.http.response.start-------> RESPONDING --body, more_body=False--> CLOSED
    OPEN       --websocket.close / peer close / error-> CLOSED

Rules:
1. The first `receive()` returns `websocket.connect`; frames are read only
   after the accept, by one reader task that feeds the sans-IO codec.
2. Pings are answered with pongs by the server; pongs are dropped.
3. A peer close frame is echoed (same code, RFC 6455 §5.5.1) and delivered
   as `websocket.disconnect`; a protocol error closes with the codec's code
   (1002/1007/1009); a vanished peer gives 1006.
4. After `websocket.close` from the app, `receive()` returns the disconnect
   at once and the server waits `ws_close_timeout` for the peer's close frame.
5. `send()` on a closed connection raises `ClientDisconnected` (an OSError,
   ASGI spec 2.4). An app error before the accept gives HTTP 500, after it
   close code 1011.
6. SPEC: RFC 6455 §5.5.1 - nothing is written after our close frame: every
   write checks "close sent" under one lock, so an echo racing the peer's
   close (a text frame and a close in one read) is refused with
   `ClientDisconnected` instead of following the close on the wire.
7. Keepalive (SECURITY: a dead or idle peer cannot hold a connection slot):
   every `ws_ping_interval` seconds without a byte from the peer the server
   pings; no byte within `ws_ping_timeout` closes with 1011 and the app gets
   `websocket.disconnect`. No data message either way for `ws_idle_timeout`
   closes with 1001. Both on by default (20 s / 20 s, 600 s).
"""

from __future__ import annotations

from typing import Final

import math

import anyio
import anyio.abc
import h11

from ferrule.asgi_core.types import Message

from .http_response import encode_response
from .http_scope import build_scope
from .state import ClientDisconnected, UpgradedConnection, server_logger
from .websocket_codec import (
    BytesMessage,
    CloseReceived,
    Opcode,
    Ping,
    TextMessage,
    WebSocketProtocolError,
    WebSocketReader,
    encode_close,
    encode_frame,
    is_valid_close_code,
)
from .websocket_handshake import HandshakeError, accept_response, validate_handshake

__all__ = ["WebSocketConnection", "serve_websocket"]

_READ_SIZE: Final = 64 * 1024
_INBOX_SIZE: Final = 16

_CONNECTING, _OPEN, _RESPONDING, _CLOSED = "connecting", "open", "responding", "closed"


async def serve_websocket(conn: UpgradedConnection, request: h11.Request, leftover: bytes) -> None:
    """Validate the upgrade request, then run the app's WebSocket session."""
    headers = list(request.headers)
    try:
        key, offered = validate_handshake(request.method, request.http_version, headers)
    except HandshakeError as exc:
        await conn.reject(exc.status, str(exc), exc.headers)
        return
    if any(k == b"transfer-encoding" or (k == b"content-length" and v.strip() != b"0") for k, v in headers):
        await conn.reject(400, "websocket upgrade request with a body")
        return
    ws = WebSocketConnection(conn, request, key, offered, leftover)
    conn.set_delegate(ws)
    try:
        await ws.run()
    finally:
        conn.set_delegate(None)  # break the conn <-> ws cycle: freed without a GC run


class WebSocketConnection:
    """One WebSocket session between the peer and the ASGI app."""

    def __init__(
        self, conn: UpgradedConnection, request: h11.Request, key: bytes, offered: list[str], leftover: bytes
    ) -> None:
        config = conn.state.config
        self._conn = conn
        self._request = request
        self._key = key
        self._offered = offered
        self._codec = WebSocketReader(max_message_size=config.ws_max_message_size)
        self._codec.receive_data(leftover)
        self._inbox_send, self._inbox_recv = anyio.create_memory_object_stream[Message](_INBOX_SIZE)
        self._state = _CONNECTING
        self._connect_delivered = False
        self._close_sent = False
        self._app_closed = False
        self._disconnect: Message | None = None
        self._reader_done = anyio.Event()
        self._reader_scope = anyio.CancelScope()
        self._send_lock = anyio.Lock()
        self._last_heard = 0.0  # when the peer last sent any byte
        self._last_message = 0.0  # when a data message last went either way
        self._heard = anyio.Event()
        self._finished = anyio.Event()
        self._tg: anyio.abc.TaskGroup | None = None
        self._response: tuple[int, list[tuple[bytes, bytes]]] | None = None
        self._response_body: list[bytes] = []

    # -- lifecycle -------------------------------------------------------------

    def begin_shutdown(self) -> None:
        # SPEC: RFC 6455 §7.4.1 - 1001: the endpoint is going away (server shutdown).
        if self._state == _OPEN and not self._close_sent and self._tg is not None:
            self._tg.start_soon(self._send_close_quietly, 1001, "server shutting down")

    async def run(self) -> None:
        conn = self._conn
        config = conn.state.config
        scope = build_scope(
            "websocket",
            self._request,
            scheme="ws",
            root_path=config.root_path,
            client=conn.client,
            server=conn.server,
            state=conn.state.lifespan_state,
        )
        scope["subprotocols"] = list(self._offered)
        scope["extensions"] = {"websocket.http.response": {}}
        try:
            async with anyio.create_task_group() as tg:
                self._tg = tg
                try:
                    await self._run_app(scope)
                    if self._state == _OPEN:
                        await self._send_close_quietly(1000, "")
                    if self._close_sent and not self._reader_done.is_set():
                        with anyio.move_on_after(config.ws_close_timeout):
                            await self._reader_done.wait()
                finally:
                    # The helper tasks end on their own (no task-group cancel): a task ended
                    # by cancellation leaves a traceback cycle holding this connection until
                    # a GC run (issue 18 item 6).
                    self._finished.set()
                    self._heard.set()
                    self._reader_scope.cancel()
        finally:
            self._tg = None
            self._inbox_send.close()
            self._inbox_recv.close()

    async def _run_app(self, scope: Message) -> None:
        target = self._request.target
        try:
            await self._conn.state.app(scope, self.receive, self.send)
        except ClientDisconnected:
            server_logger.debug("websocket client %s went away", self._conn.client)
        except Exception:
            server_logger.exception("exception in ASGI application (websocket %r)", target[:80])
            if self._state in (_CONNECTING, _RESPONDING):
                self._state = _CLOSED
                await self._conn.reject(500, "Internal Server Error")
            elif self._state == _OPEN:
                await self._send_close_quietly(1011, "internal error")
        else:
            if self._state in (_CONNECTING, _RESPONDING):
                server_logger.error(
                    "ASGI application returned without accepting or closing the websocket (%r)", target[:80]
                )
                self._state = _CLOSED
                await self._conn.reject(500, "Internal Server Error")

    # -- receive ---------------------------------------------------------------

    async def receive(self) -> Message:
        if not self._connect_delivered:
            self._connect_delivered = True
            return {"type": "websocket.connect"}
        if self._app_closed or self._state in (_CLOSED, _RESPONDING):
            return self._disconnect or {"type": "websocket.disconnect", "code": 1006, "reason": ""}
        if self._state == _CONNECTING:
            raise RuntimeError("receive() before websocket.accept: accept or close the connection first")
        try:
            return await self._inbox_recv.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            return self._disconnect or {"type": "websocket.disconnect", "code": 1006, "reason": ""}

    def _deliver_disconnect(self, code: int, reason: str = "") -> None:
        if self._disconnect is None:
            self._disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}
        self._state = _CLOSED
        self._inbox_send.close()

    # -- the frame reader -------------------------------------------------------

    async def _read_frames(self) -> None:
        try:
            with self._reader_scope:
                await self._read_loop()
        finally:
            self._reader_done.set()

    async def _read_loop(self) -> None:
        stream = self._conn.stream
        while True:
            try:
                event = self._codec.next_event()
            except WebSocketProtocolError as exc:
                server_logger.debug("websocket protocol error from %s: %s", self._conn.client, exc)
                await self._send_close_quietly(exc.close_code, str(exc))
                self._deliver_disconnect(exc.close_code, str(exc))
                return
            if event is None:
                try:
                    data = await stream.receive(_READ_SIZE)
                except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                    # SPEC: RFC 6455 §7.1.5 - closed without a close frame: 1006.
                    self._deliver_disconnect(1006)
                    return
                self._last_heard = anyio.current_time()
                self._heard.set()
                self._codec.receive_data(data)
            elif isinstance(event, (TextMessage, BytesMessage)):
                if self._app_closed:
                    continue  # the app said goodbye; drop data until the peer's close
                self._last_message = anyio.current_time()
                key = "text" if isinstance(event, TextMessage) else "bytes"
                try:
                    await self._inbox_send.send({"type": "websocket.receive", key: event.data})
                except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                    continue
            elif isinstance(event, Ping):
                try:
                    await self._write_frame(encode_frame(Opcode.PONG, event.payload))
                except ClientDisconnected:
                    pass
            elif isinstance(event, CloseReceived):
                if not self._close_sent:
                    await self._send_close_quietly(event.code if event.code != 1005 else None, "")
                self._deliver_disconnect(event.code, event.reason)
                return
            # Pong: unsolicited or answering nothing we sent; ignore (§5.5.3).

    # -- send ------------------------------------------------------------------

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if self._state == _CONNECTING:
            await self._send_connecting(kind, message)
        elif self._state == _RESPONDING:
            await self._send_response_body(kind, message)
        elif self._state == _OPEN and not self._app_closed:
            await self._send_open(kind, message)
        else:
            raise ClientDisconnected(f"{kind!r} on a closed websocket")

    async def _send_connecting(self, kind: str, message: Message) -> None:
        if kind == "websocket.accept":
            try:
                raw = accept_response(
                    self._key, self._offered, message.get("subprotocol"), message.get("headers", ())
                )
            except ValueError as exc:
                raise RuntimeError(str(exc)) from None
            await self._conn.write(raw)
            self._state = _OPEN
            assert self._tg is not None  # set by run() before the app starts
            self._last_heard = self._last_message = anyio.current_time()
            self._tg.start_soon(self._read_frames)
            config = self._conn.state.config
            if config.ws_ping_interval is not None or config.ws_idle_timeout is not None:
                self._tg.start_soon(self._keepalive)
        elif kind == "websocket.close":
            # ASGI: a close before the accept denies the handshake with 403.
            self._state = _CLOSED
            self._app_closed = True
            self._disconnect = {"type": "websocket.disconnect", "code": message.get("code") or 1000, "reason": ""}
            await self._conn.reject(403, "Forbidden")
        elif kind == "websocket.http.response.start":
            status = message["status"]
            if not isinstance(status, int) or not 100 <= status <= 599 or status == 101:
                raise RuntimeError(f"invalid status {status!r} in 'websocket.http.response.start'")
            self._response = (status, [(bytes(k).lower(), bytes(v)) for k, v in message.get("headers", ())])
            self._state = _RESPONDING
        else:
            raise RuntimeError(f"expected 'websocket.accept', 'websocket.close' or a denial response, got {kind!r}")

    async def _send_response_body(self, kind: str, message: Message) -> None:
        if kind != "websocket.http.response.body":
            raise RuntimeError(f"expected 'websocket.http.response.body', got {kind!r}")
        self._response_body.append(bytes(message.get("body", b"")))
        if message.get("more_body", False):
            return
        assert self._response is not None  # set with the state change to _RESPONDING
        status, headers = self._response
        body = b"".join(self._response_body)
        self._state = _CLOSED
        self._app_closed = True
        drop = {b"content-length", b"transfer-encoding", b"connection"}
        kept = [(k, v) for k, v in headers if k not in drop]
        names = {k for k, _ in kept}
        kept.append((b"connection", b"close"))
        kept.extend(h for h in self._conn.state.default_headers() if h[0] not in names)
        try:
            raw = encode_response(status, kept, body)
        except ValueError as exc:
            raise RuntimeError(f"{exc} in 'websocket.http.response.start'") from None
        await self._conn.write(raw)

    async def _send_open(self, kind: str, message: Message) -> None:
        if kind == "websocket.send":
            text, data = message.get("text"), message.get("bytes")
            if (text is None) == (data is None):
                raise RuntimeError("websocket.send needs exactly one of 'text' and 'bytes'")
            if data is not None:
                frame = encode_frame(Opcode.BINARY, bytes(data))
            else:
                frame = encode_frame(Opcode.TEXT, str(text).encode("utf-8"))
            self._last_message = anyio.current_time()
            await self._write_frame(frame)
        elif kind == "websocket.close":
            code = message.get("code") or 1000
            if not is_valid_close_code(code):
                raise RuntimeError(f"invalid close code {code!r} in 'websocket.close'")
            reason = message.get("reason") or ""
            self._app_closed = True
            self._disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}
            self._inbox_recv.close()  # unblocks a reader waiting on a full inbox
            await self._send_close(code, reason)
        else:
            raise RuntimeError(f"expected 'websocket.send' or 'websocket.close', got {kind!r}")

    async def _write_frame(self, frame: bytes) -> None:
        """Write a data or control frame unless our close frame went out (rule 6)."""
        async with self._send_lock:
            if self._close_sent:
                raise ClientDisconnected("websocket closed: no frame may follow the close frame")
            await self._conn.write(frame)

    async def _send_close(self, code: int | None, reason: str) -> None:
        async with self._send_lock:
            if self._close_sent:
                return
            self._close_sent = True
            await self._conn.write(encode_close(code, reason))

    # -- keepalive ---------------------------------------------------------------

    async def _keepalive(self) -> None:
        config = self._conn.state.config
        interval = config.ws_ping_interval if config.ws_ping_interval is not None else math.inf
        idle = config.ws_idle_timeout if config.ws_idle_timeout is not None else math.inf
        while self._state == _OPEN and not self._close_sent:
            idle_at = self._last_message + idle
            ping_at = self._last_heard + interval
            with anyio.move_on_after(max(0.0, min(idle_at, ping_at) - anyio.current_time())):
                await self._finished.wait()
            if self._finished.is_set() or self._state != _OPEN or self._close_sent:
                return
            now = anyio.current_time()
            if now >= self._last_message + idle:
                server_logger.debug("websocket %s idle for %ss, closing", self._conn.client, idle)
                await self._send_close_quietly(1001, "idle timeout")
                self._deliver_disconnect(1001, "idle timeout")
                return
            if now >= self._last_heard + interval:
                self._heard = anyio.Event()
                try:
                    await self._write_frame(encode_frame(Opcode.PING, b"ferrule"))
                except ClientDisconnected:
                    return
                with anyio.move_on_after(config.ws_ping_timeout):
                    await self._heard.wait()
                if self._finished.is_set():
                    return
                if not self._heard.is_set():
                    server_logger.debug("websocket %s: no answer to a ping, closing", self._conn.client)
                    await self._send_close_quietly(1011, "keepalive ping timeout")
                    self._deliver_disconnect(1011, "keepalive ping timeout")
                    self._reader_scope.cancel()
                    return

    async def _send_close_quietly(self, code: int | None, reason: str) -> None:
        try:
            await self._send_close(code, reason)
        except ClientDisconnected:
            pass
