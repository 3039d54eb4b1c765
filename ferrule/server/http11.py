"""HTTP/1.1 connection handler on top of h11 (RFC 9112).

Theory of operation:
1. One reader task owns the read side of the socket. It reads only when a
   consumer asked for bytes (h11 said NEED_DATA) or while it watches for a
   disconnect during an app call whose request body is fully read. Every byte
   read goes into h11's buffer, so pipelined requests wait there and are
   answered strictly in order, one cycle at a time.
2. Timeouts: the first request's head must be complete `header_timeout`
   seconds after the connection opened; later requests get
   `keep_alive_timeout` of idle time, then `header_timeout` from the moment
   their first byte is seen (slowloris). Idle expiry closes silently; a
   partial head gets 408.
3. Bad HTTP gets 400 (431 for an oversized head or too many header fields),
   `connection: close` and a closed connection: never a traceback.
4. App errors: before the response head is written -> 500 in plain text and
   close; after -> the connection is closed (the response is cut short).
5. After a response, an unread request body is drained (bounded in bytes
   and time) so the connection can serve the next request; else it closes.
6. A WebSocket upgrade hands the socket to `websocket_conn` once the reader
   task is stopped; bytes h11 buffered after the head go along.
7. Graceful shutdown: a response in progress is told the client left
   (`receive()` gives `http.disconnect`, which streams watch); when the app
   then returns without finishing it, the body is ended with its last chunk
   so clients see a complete response. A request not yet answered finishes.
"""

from __future__ import annotations

import http
import time
from typing import Final

import anyio
import anyio.abc
import h11

from .accesslog import escape, log_access
from .http_cycle import RequestCycle, build_scope
from .state import ClientDisconnected, ConnectionHandle, ServerState, server_logger
from .websocket_handshake import is_websocket_upgrade

__all__ = ["HTTP11Connection"]

_READ_SIZE: Final = 64 * 1024
#: Bytes the reader may buffer while watching for a disconnect (pipelined data).
_WATCH_BUDGET: Final = 256 * 1024
#: Unread request body the server will discard to keep a connection alive.
_DRAIN_LIMIT: Final = 1024 * 1024
#: Bytes read (and dropped) after an error response before closing, so the
#: client sees the response rather than a reset.
_LINGER_BYTES: Final = 64 * 1024


def encode_response(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """Raw bytes of a complete response with a content-length (used outside h11's cycle).

    Raises:
        ValueError: a header name or value would break the framing.
    """
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    lines = [f"HTTP/1.1 {status} {phrase}".encode("ascii")]
    for name, value in [*headers, (b"content-length", str(len(body)).encode("ascii"))]:
        # SECURITY: no CR/LF/NUL, no ':' in names - a header must not split the head (RFC 9110 §5.5).
        if not name or any(c in name for c in b"\r\n\0: ") or any(c in value for c in b"\r\n\0"):
            raise ValueError(f"invalid response header {name[:40]!r}")
        lines.append(name + b": " + value)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def error_response(
    state: ServerState, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None
) -> bytes:
    """Raw bytes of a small plain-text response that closes the connection."""
    body = (escape(message[:200]) + "\n").encode("ascii")
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"connection", b"close"),
        *(extra or []),
        *state.default_headers(),
    ]
    return encode_response(status, headers, body)


class HTTP11Connection:
    """Serve one TCP connection: HTTP/1.1 requests until close, or a WebSocket."""

    __slots__ = (
        "stream",
        "state",
        "client",
        "server",
        "h11",
        "eof",
        "_broken",
        "_want",
        "_data",
        "_parked",
        "_watching",
        "_watch_budget",
        "_write_lock",
        "_cycle",
        "_idle_scope",
        "_reader_scope",
        "_reader_done",
        "_closing",
        "_delegate",
    )

    def __init__(
        self,
        stream: anyio.abc.ByteStream,
        state: ServerState,
        client: tuple[str, int] | None,
        server: tuple[str, int | None] | None,
    ) -> None:
        self.stream = stream
        _pause_eager_reading(stream)
        self.state = state
        self.client = client
        self.server = server
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=state.config.max_head_bytes)
        self.eof = False
        self._broken = False
        self._want = anyio.Event()
        self._data = anyio.Event()
        self._parked = False  # the reader task waits on _want (not inside receive())
        self._watching = False
        self._watch_budget = 0
        self._write_lock = anyio.Lock()
        self._cycle: RequestCycle | None = None
        self._idle_scope: anyio.CancelScope | None = None
        self._reader_scope = anyio.CancelScope()
        self._reader_done = anyio.Event()
        self._closing = False
        self._delegate: ConnectionHandle | None = None

    # -- lifecycle -----------------------------------------------------------

    def begin_shutdown(self) -> None:
        self._closing = True
        if self._cycle is not None:
            self._cycle.on_shutdown()
        if self._delegate is not None:
            self._delegate.begin_shutdown()
        elif self._idle_scope is not None:
            self._idle_scope.cancel()

    def set_delegate(self, delegate: ConnectionHandle | None) -> None:
        """Forward shutdown to the protocol that took the socket over (WebSocket); None when it ends."""
        self._delegate = delegate
        if self._closing and delegate is not None:
            delegate.begin_shutdown()

    async def run(self) -> None:
        """Serve requests until the connection closes; never raises on bad input."""
        self.state.add_connection(self)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._reader)
                try:
                    await self._serve()
                finally:
                    self._reader_scope.cancel()
        finally:
            self.state.remove_connection(self)
            with anyio.CancelScope(shield=True):
                await self.stream.aclose()

    # -- reading -------------------------------------------------------------

    async def _reader(self) -> None:
        try:
            with self._reader_scope:
                await self._read_loop()
        finally:
            self._reader_done.set()

    async def _read_loop(self) -> None:
        while True:
            self._parked = True
            try:
                await self._want.wait()
            finally:
                self._parked = False
            try:
                data = await self.stream.receive(_READ_SIZE)
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                data = b""
            if self._watching:
                self._watch_budget -= len(data)
                if self._watch_budget <= 0:
                    self._watching = False
            if not self._watching:
                self._want = anyio.Event()
            self._feed(data)
            if self.eof:
                return

    def _feed(self, data: bytes) -> None:
        """Hand bytes read from the socket (b"" at EOF) to h11 and wake the waiters."""
        self.h11.receive_data(data)
        if not data:
            self.eof = True
            if self._cycle is not None:
                self._cycle.on_peer_closed()
        event, self._data = self._data, anyio.Event()
        event.set()

    async def _read_inline(self) -> None:
        """Read in the calling task while the reader is parked (between requests).

        PERF: the keep-alive wait for the next request is the one read every
        request makes; doing it here saves two task switches (reader wakes,
        then wakes the request loop). Only ``_read_request`` calls this: no app
        runs then, so nothing can un-park the reader during the read.
        """
        try:
            data = await self.stream.receive(_READ_SIZE)
        except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
            data = b""
        self._feed(data)

    async def wait_for_data(self) -> None:
        """Wait until the reader has fed more bytes (or EOF) into h11."""
        if self.eof:
            return
        event = self._data
        self._want.set()
        await event.wait()

    def watch_for_disconnect(self, on: bool) -> None:
        """Keep reading (bounded) so a peer close is seen while the app runs."""
        if on:
            self._watching = True
            self._watch_budget = _WATCH_BUDGET
            self._want.set()
        else:
            self._watching = False
            if self._want.is_set():
                self._want = anyio.Event()

    # -- writing -------------------------------------------------------------

    async def write(self, data: bytes) -> None:
        """Send bytes; a failed write marks the connection broken.

        Raises:
            ClientDisconnected: the peer is gone.
        """
        if self._broken:
            raise ClientDisconnected("client disconnected")
        if not data:
            return
        async with self._write_lock:
            try:
                await self.stream.send(data)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                self._broken = True
                if self._cycle is not None:
                    self._cycle.on_peer_closed()
                raise ClientDisconnected("client disconnected") from None

    async def reject(self, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
        """Answer with a plain-text error, then linger briefly so the client reads it."""
        server_logger.debug("%s %s: %s", self.client, status, escape(message))
        try:
            await self.write(error_response(self.state, status, message, extra))
        except ClientDisconnected:
            return
        await self._linger()

    async def _linger(self) -> None:
        # Closing with unread bytes in the kernel buffer sends a reset, which
        # can destroy the response before the client reads it (RFC 9112 §9.6).
        try:
            await self.stream.send_eof()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, NotImplementedError, OSError):
            return
        if self._reader_done.is_set():  # the socket was handed over (WebSocket)
            with anyio.move_on_after(min(1.0, self.state.config.header_timeout)):
                left = _LINGER_BYTES
                while left > 0:
                    try:
                        left -= len(await self.stream.receive(_READ_SIZE))
                    except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                        return
            return
        self._watching = True
        self._watch_budget = _LINGER_BYTES
        self._want.set()
        with anyio.move_on_after(min(1.0, self.state.config.header_timeout)):
            while not self.eof and self._watching:
                await self.wait_for_data()

    # -- the request loop ----------------------------------------------------

    async def _serve(self) -> None:
        first = True
        while True:
            request = await self._read_request(first)
            if request is None:
                return
            first = False
            if len(request.headers) > self.state.config.max_header_count:
                await self.reject(431, "too many header fields")
                return
            # h11 bounds only an *incomplete* head; a whole one that arrived in a
            # single read is measured here (approximately: separators counted).
            head_size = len(request.method) + len(request.target) + 12 + sum(
                len(k) + len(v) + 4 for k, v in request.headers
            )
            if head_size > self.state.config.max_head_bytes:
                await self.reject(431, "request head too large")
                return
            if is_websocket_upgrade(request.headers):
                await self._upgrade(request)
                return
            # h11 forgets the 100-continue wait once a response is sent; remember it.
            expects_100 = self.h11.client_is_waiting_for_100_continue
            cycle = await self._run_app(request)
            if cycle is None or not await self._prepare_next(expects_100 and not cycle.sent_100):
                return

    async def _read_request(self, first: bool) -> h11.Request | None:
        config = self.state.config
        deadline = anyio.current_time() + (config.header_timeout if first else config.keep_alive_timeout)
        partial = False
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                status = exc.error_status_hint
                if status == 431:
                    await self.reject(431, "request head too large")
                else:
                    await self.reject(400, f"bad request: {exc}")
                return None
            if isinstance(event, h11.Request):
                return event
            if event is not h11.NEED_DATA or self.eof:
                return None  # ConnectionClosed: the client is done
            if not partial and self.h11.trailing_data[0]:
                partial = True
                if not first:
                    deadline = anyio.current_time() + config.header_timeout
            if self._closing and not partial:
                return None
            with anyio.CancelScope(deadline=deadline) as scope:
                if not partial:
                    self._idle_scope = scope
                if self._parked and not self._want.is_set():
                    await self._read_inline()
                else:
                    await self.wait_for_data()
            self._idle_scope = None
            if scope.cancelled_caught:
                if partial:
                    await self.reject(408, "request head not received in time")
                return None

    async def _run_app(self, request: h11.Request) -> RequestCycle | None:
        """Run the app for one request; return its cycle if the connection may be reused."""
        config = self.state.config
        cycle = RequestCycle(self, request.method, keep_alive=not self._closing)
        self._cycle = cycle
        scope = build_scope(
            "http",
            request,
            scheme="http",
            root_path=config.root_path,
            client=self.client,
            server=self.server,
            state=self.state.lifespan_state,
        )
        started_at = time.perf_counter()
        failed = False
        try:
            await self.state.app(scope, cycle.receive, cycle.send)
        except ClientDisconnected:
            failed = True
            server_logger.debug("client %s disconnected during the response", self.client)
        except Exception:
            failed = True
            server_logger.exception(
                "exception in ASGI application (%s %s)", escape(request.method), escape(request.target)
            )
        finally:
            self.watch_for_disconnect(False)
            self._cycle = None
        if self._closing and cycle.started and not cycle.complete and not failed and not self._broken:
            # A stream that stopped because the server is shutting down ends cleanly.
            try:
                await cycle.finish_body()
            except (ClientDisconnected, RuntimeError):
                pass
        if not cycle.complete and not failed:
            server_logger.error(
                "ASGI application returned without %s the response (%s %s)",
                "completing" if cycle.started else "starting",
                escape(request.method),
                escape(request.target),
            )
        status = cycle.status
        if not cycle.complete and not cycle.head_written and not self._broken:
            status = 500
            await self.reject(500, "Internal Server Error")
            cycle.keep_alive = False
        if config.access_log:
            log_access(
                self.client,
                request.method,
                request.target,
                request.http_version.decode("ascii"),
                status,
                time.perf_counter() - started_at,
            )
        reusable = cycle.complete and cycle.keep_alive and not self._broken and not self._closing
        return cycle if reusable else None

    async def _prepare_next(self, body_withheld: bool) -> bool:
        h = self.h11
        if h.our_state is not h11.DONE:
            return False
        if h.their_state is h11.SEND_BODY:
            # SPEC: RFC 9110 §10.1.1 - a client waiting for 100 may never send the body: close.
            if body_withheld or not await self._drain_body():
                return False
        if h.their_state is not h11.DONE:
            return False
        h.start_next_cycle()
        return True

    async def _drain_body(self) -> bool:
        drained = 0
        with anyio.move_on_after(self.state.config.header_timeout):
            while True:
                try:
                    event = self.h11.next_event()
                except h11.RemoteProtocolError:
                    return False
                if isinstance(event, h11.EndOfMessage):
                    return True
                if isinstance(event, h11.Data):
                    drained += len(event.data)
                    if drained > _DRAIN_LIMIT:
                        return False
                elif event is h11.NEED_DATA and not self.eof:
                    await self.wait_for_data()
                else:
                    return False
        return False

    async def _upgrade(self, request: h11.Request) -> None:
        from .websocket_conn import serve_websocket  # a WebSocket is the rare path

        self._reader_scope.cancel()
        await self._reader_done.wait()
        leftover = bytes(self.h11.trailing_data[0])
        await serve_websocket(self, request, leftover)


def _pause_eager_reading(stream: anyio.abc.ByteStream) -> None:
    """Make the socket pull-based from the first byte (memory stays flat under fast uploads).

    anyio's asyncio socket stream starts with its transport reading, and only
    pauses it after a ``receive()`` found its queue empty. A client that sends
    faster than the app reads keeps that queue non-empty forever, so the whole
    upload piles up in memory (found by the conformance suite's 50 MiB upload).
    Pausing at accept means the transport only reads while ``receive()`` waits.
    The attribute is private to anyio; without it (another backend) nothing changes.
    """
    transport = getattr(stream, "_transport", None)
    pause = getattr(transport, "pause_reading", None)
    if pause is not None and not transport.is_closing():  # type: ignore[union-attr]
        pause()
