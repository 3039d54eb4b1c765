"""HTTP/1.1 connection handler (RFC 9112): h11 parses the requests, the server writes the responses.

Theory of operation:
1. One task per connection. Bytes come from a `Wire` (asyncio transport
   callbacks, or an anyio stream with one reader task; `accept.py` makes
   it) into `pending`. The
   request loop finds a complete head there, checks it strictly (rule 3),
   parses it with a fresh h11 connection, runs the app, then goes on with the
   bytes after the request: pipelined requests are answered in order.
   Chunked bodies are decoded by `chunked.ChunkedDecoder` (strict).
   PERF: the response side is written by `http_cycle` (h11's writer and its
   per-event validation were a third of a hello request, issue 19).
2. Timeouts: the first request's head must be complete `header_timeout`
   seconds after the connection opened; later requests get
   `keep_alive_timeout` of idle time, then `header_timeout` from the moment
   their first byte is seen (slowloris). Idle expiry closes silently; a
   partial head gets 408. Body reads are bounded too (`http_cycle` rule 5).
3. SECURITY: request smuggling and lenient parsing (issue 18 item 8; h11 is
   lenient, the server is strict on top of it, as httptools is): a head whose
   lines do not all end in CRLF, with obs-fold (RFC 9112 §5.2), with control
   bytes other than HTAB, or with both `Content-Length` and
   `Transfer-Encoding` (RFC 9112 §6.1) gets 400 and a closed connection.
4. Bad HTTP gets 400 (431 for an oversized head or too many header fields,
   501 for an unknown transfer coding), `connection: close` and a closed
   connection: never a traceback.
5. App errors: before the response head is written -> 500 in plain text and
   close; after -> the connection is closed (the response is cut short). An
   app that returns after the client left is not an error (issue 18 item 3).
6. After a response, an unread `Content-Length` body is drained (bounded in
   bytes and time) so the connection can serve the next request; a response
   that starts before a body it cannot drain says `connection: close`.
7. A WebSocket upgrade hands the wire to `websocket_conn`, with the bytes
   read after the head.
8. Graceful shutdown: a response in progress is told the client left
   (`receive()` gives `http.disconnect`, which streams watch); when the app
   then returns without finishing it, the body is ended with its last chunk
   so clients see a complete response. A request not yet answered finishes.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Final

import anyio
import h11

from .accesslog import escape, log_access
from .chunked import ChunkedDecoder
from .http_cycle import DRAIN_LIMIT, RequestCycle
from .http_response import encode_response, error_response
from .http_scope import build_scope
from .state import ClientDisconnected, ConnectionHandle, ServerState, server_logger
from .websocket_conn import serve_websocket
from .websocket_handshake import is_websocket_upgrade
from .wire import Wire

__all__ = ["HTTP11Connection", "encode_response", "error_response"]

#: Bytes read (and dropped) after an error response before closing, so the
#: client sees the response rather than a reset.
_LINGER_BYTES: Final = 64 * 1024
#: Seconds a connection accepted just before a graceful shutdown has to send its first request.
_SHUTDOWN_GRACE: Final = 1.0
#: Control bytes a request head must not hold (CR and LF only in CRLF pairs, HTAB allowed).
_CTL: Final = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Refused(Exception):
    """A request the server answers itself (status, message) and then closes."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True, eq=False)
class HTTP11Connection:
    """Serve one connection: HTTP/1.1 requests until close, or a WebSocket."""

    wire: Wire
    state: ServerState
    client: tuple[str, int] | None
    server: tuple[str, int | None] | None
    pending: bytearray = field(default_factory=bytearray, init=False)
    _closing: bool = field(default=False, init=False)
    _idle: bool = field(default=False, init=False)
    _delegate: ConnectionHandle | None = field(default=None, init=False)
    _cycle: RequestCycle | None = field(default=None, init=False)

    @property
    def stream(self) -> Wire:
        """The byte stream the connection owns (closed by the server; used by WebSockets)."""
        return self.wire

    @property
    def closing(self) -> bool:
        return self._closing

    # -- lifecycle -----------------------------------------------------------

    def begin_shutdown(self) -> None:
        self._closing = True
        if self._cycle is not None:
            self._cycle.on_shutdown()
        if self._delegate is not None:
            self._delegate.begin_shutdown()
        elif self._idle:
            self.wire.interrupt()

    def set_delegate(self, delegate: ConnectionHandle | None) -> None:
        """Forward shutdown to the protocol that took the socket over (WebSocket); None when it ends."""
        self._delegate = delegate
        if self._closing and delegate is not None:
            delegate.begin_shutdown()

    async def run(self) -> None:
        """Serve requests until the connection closes; never raises on bad input."""
        self.state.add_connection(self)
        try:
            await self.wire.run(self._serve)
        finally:
            self.state.remove_connection(self)
            with anyio.CancelScope(shield=True):
                await self.wire.aclose()

    # -- writing -------------------------------------------------------------

    async def write(self, data: bytes) -> None:
        """Send bytes.

        Raises:
            ClientDisconnected: the peer is gone.
        """
        await self.wire.write(data)

    async def reject(self, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
        """Answer with a plain-text error, then linger briefly so the client reads it."""
        server_logger.debug("%s %s: %s", self.client, status, escape(message))
        try:
            await self.wire.write(error_response(self.state, status, message, extra))
        except ClientDisconnected:
            return
        await self._linger()

    async def _linger(self) -> None:
        # Closing with unread bytes in the kernel buffer sends a reset, which
        # can destroy the response before the client reads it (RFC 9112 §9.6).
        wire = self.wire
        await wire.send_eof()
        deadline = wire.clock() + min(1.0, self.state.config.header_timeout)
        left = _LINGER_BYTES
        while left > 0 and not wire.eof:
            if not await wire.wait(deadline):
                return
            left -= len(wire.take())

    # -- the request loop ----------------------------------------------------

    async def _serve(self) -> None:
        first = True
        while True:
            try:
                parsed = await self._read_request(first)
                if parsed is None:
                    return
                request, headers = parsed
                cycle = self._new_cycle(request, headers)
            except _Refused as refused:
                await self.reject(refused.status, refused.message)
                return
            first = False
            if is_websocket_upgrade(headers):
                leftover = bytes(self.pending)
                self.pending.clear()
                await serve_websocket(self, request, leftover)
                return
            if not await self._run_app(request, headers, cycle) or not await self._drain_body(cycle):
                return

    async def _read_request(
        self, first: bool
    ) -> tuple[h11.Request, list[tuple[bytes, bytes]]] | None:
        config = self.state.config
        wire = self.wire
        pending = self.pending
        partial = False
        graced = False
        deadline = wire.clock() + (config.header_timeout if first else config.keep_alive_timeout)
        while True:
            if pending:
                # SPEC: RFC 9112 §2.2 - ignore empty lines before the request-line.
                while pending[:2] == b"\r\n":
                    del pending[:2]
                end = pending.find(b"\r\n\r\n")
                if end >= 0:
                    return self._parse_head(end + 4)
                if len(pending) > config.max_head_bytes:
                    raise _Refused(431, "request head too large")
                if b"\n" in pending and pending.count(b"\n") != pending.count(b"\r\n"):
                    raise _Refused(400, "bad request: a line of the request head ends in LF without CR")
                if pending and not partial:
                    partial = True
                    if not first:
                        deadline = wire.clock() + config.header_timeout
            if wire.eof and not wire.buffered:
                return None  # the client is done (or left mid-head)
            if self._closing and not partial and not wire.buffered:
                if not first or graced:
                    return None
                # A connection accepted just before the shutdown gets a moment to send its request.
                graced = True
                deadline = min(deadline, wire.clock() + min(_SHUTDOWN_GRACE, config.header_timeout))
            if not wire.buffered:
                self._idle = not partial
                got = await wire.wait(deadline)
                self._idle = False
                if not got:
                    if partial and not self._closing:
                        raise _Refused(408, "request head not received in time")
                    if self._closing and first and not partial and not graced:
                        continue
                    return None
            pending += wire.take()

    def _parse_head(self, size: int) -> tuple[h11.Request, list[tuple[bytes, bytes]]]:
        config = self.state.config
        head = bytes(self.pending[:size])
        del self.pending[:size]
        if size > config.max_head_bytes:
            raise _Refused(431, "request head too large")
        # SECURITY: rule 3 - strict where h11 is lenient.
        if head.count(b"\n") != head.count(b"\r\n") or head.count(b"\r") != head.count(b"\r\n"):
            raise _Refused(400, "bad request: CR or LF outside a CRLF line ending in the request head")
        if b"\r\n " in head or b"\r\n\t" in head:
            raise _Refused(400, "bad request: obsolete line folding in the request head")
        ctl = _CTL.search(head)
        if ctl is not None:
            raise _Refused(400, f"bad request: control byte {ctl.group()!r} in the request head")
        parser = h11.Connection(h11.SERVER, max_incomplete_event_size=config.max_head_bytes)
        parser.receive_data(head)
        try:
            event = parser.next_event()
        except h11.RemoteProtocolError as exc:
            hint = exc.error_status_hint
            if hint == 431:
                raise _Refused(431, "request head too large") from None
            raise _Refused(hint if hint in (400, 501) else 400, f"bad request: {exc}") from None
        if not isinstance(event, h11.Request):
            raise _Refused(400, "bad request: incomplete request head")
        headers = list(event.headers)
        if len(headers) > config.max_header_count:
            raise _Refused(431, "too many header fields")
        return event, headers

    def _new_cycle(self, request: h11.Request, headers: list[tuple[bytes, bytes]]) -> RequestCycle:
        length: bytes | None = None
        chunked = False
        close = False
        expect = b""
        for name, value in headers:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True  # h11 accepts only 'chunked' (else 501)
            elif name == b"connection":
                close = close or b"close" in value.lower()
            elif name == b"expect":
                expect = value.lower()
        if chunked and length is not None:
            # SECURITY: RFC 9112 §6.1 - a smuggling vector: refuse, never guess.
            raise _Refused(400, "bad request: both Content-Length and Transfer-Encoding")
        http10 = request.http_version != b"1.1"
        body_left = int(length) if length is not None else 0
        return RequestCycle(
            self,
            is_head=request.method == b"HEAD",
            http10=http10,
            keep_alive=not (http10 or close or self._closing),
            body_left=body_left,
            chunked=ChunkedDecoder(self.state.config.max_head_bytes) if chunked else None,
            expects_100=not http10 and expect == b"100-continue" and (chunked or body_left > 0),
        )

    async def _run_app(self, request: h11.Request, headers: list[tuple[bytes, bytes]], cycle: RequestCycle) -> bool:
        """Run the app for one request; True if the connection may serve another."""
        state = self.state
        config = state.config
        scope = build_scope(
            "http",
            request,
            scheme="http",
            root_path=config.root_path,
            client=self.client,
            server=self.server,
            state=state.lifespan_state,
            headers=headers,
        )
        started_at = time.perf_counter()
        failed = False
        wire = self.wire
        wire.on_close = cycle.on_peer_closed
        self._cycle = cycle
        try:
            await state.app(scope, cycle.receive, cycle.send)
        except ClientDisconnected:
            failed = True
            server_logger.debug("client %s disconnected during the response", self.client)
        except Exception:
            failed = True
            server_logger.exception(
                "exception in ASGI application (%s %s)", escape(request.method), escape(request.target)
            )
        finally:
            wire.on_close = None
            self._cycle = None
        if self._closing and cycle.started and not cycle.complete and not failed and not wire.broken:
            # A stream that stopped because the server is shutting down ends cleanly.
            try:
                await cycle.finish_body()
            except (ClientDisconnected, RuntimeError):
                pass
        cycle.finish()
        status = cycle.status
        if not cycle.complete:
            cycle.keep_alive = False
            if cycle.abort_status or cycle.peer_gone or wire.broken:
                # The request failed on the client's side: no app error (items 3 and 7).
                server_logger.debug("request from %s ended early (%s %s)", self.client,
                                    escape(request.method), escape(request.target))
            elif not failed:
                server_logger.error(
                    "ASGI application returned without %s the response (%s %s)",
                    "completing" if cycle.started else "starting",
                    escape(request.method),
                    escape(request.target),
                )
            if not cycle.head_written and not wire.broken:
                if cycle.abort_status:
                    status = cycle.abort_status
                    await self.reject(status, cycle.abort_reason)
                elif not cycle.peer_gone:
                    status = 500
                    await self.reject(500, "Internal Server Error")
        if config.access_log:
            log_access(self.client, request, status, time.perf_counter() - started_at)
        return cycle.complete and cycle.keep_alive and not wire.broken and not self._closing

    async def _drain_body(self, cycle: RequestCycle) -> bool:
        """Discard what the app left of the request body; True if the connection stays usable."""
        if cycle.body_done:
            return True
        if cycle.chunked is not None or cycle.body_left > DRAIN_LIMIT or (cycle.expects_100 and not cycle.sent_100):
            return False
        wire = self.wire
        pending = self.pending
        deadline = wire.clock() + self.state.config.header_timeout
        while True:
            n = min(len(pending), cycle.body_left)
            del pending[:n]
            cycle.body_left -= n
            if not cycle.body_left:
                return True
            if wire.eof and not wire.buffered:
                return False
            if not wire.buffered and not await wire.wait(deadline):
                return False
            pending += wire.take()
