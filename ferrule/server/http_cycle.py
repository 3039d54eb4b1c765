"""One HTTP request/response cycle: the ASGI `receive` and `send` of one request.

Rules:
1. `receive()` hands the body out as it arrives (at most 64 KiB per message);
   the last message has `more_body: False`. A `Content-Length` body is cut
   from the connection's buffer directly; a chunked one is decoded strictly
   by `chunked.ChunkedDecoder`. A `100 Continue` goes out on the first
   `receive()` if the client waits for it and no response has started.
2. Bad chunked framing makes `receive()` return `http.disconnect` and the
   cycle remembers 400; a body that stops arriving (rule 5) remembers 408.
   The server answers with that status if the app returns without starting a
   response -- never 500, never an ERROR log (issue 18 item 7). A peer that
   closes mid-body gets nothing.
3. Once the body is read, `receive()` blocks until the response is complete
   or the peer closes, then returns `http.disconnect` (ASGI HTTP spec 2.4);
   during a graceful shutdown it returns at once for a started response, so
   streams end (`on_shutdown`, then the connection's `finish_body`).
4. `http.response.start` is checked at once (status, header syntax, framing
   headers) so the app's `send()` gets the error. Its head goes out with the
   first body message -- one write, and a `content-length` for a response
   sent as one message -- or, for a response without a `content-length` of
   its own (a stream), as soon as the app's task yields without sending the
   body (`wire.call_soon`): a streaming client sees the status at once
   (issue 18 item 2), on every wire (asyncio, trio, TLS).
5. SECURITY: the body must keep coming: a wait for body bytes lasts at most
   `body_timeout` s, and after the first `body_timeout` s the body must have
   averaged `body_min_rate` bytes/s, so slow bodies cannot hold the
   connection cap (issue 18 item 9).
6. Framing of the response (RFC 9112 §6): the app's `content-length` is
   enforced both ways; without one, a single body message gets one; a stream
   is chunked (HTTP/1.1) or close-delimited (HTTP/1.0). HEAD, 204 and 304
   carry no body bytes; a HEAD answer gets a length only from a non-empty body.
7. The cycle is complete only after its last bytes were handed to the wire,
   so a disconnect watcher in the app cannot cancel the final write
   (issue 18 item 1). A failed write raises `ClientDisconnected`; a message
   out of order raises RuntimeError: both are the app's errors.
"""

from __future__ import annotations

from typing import Final, Protocol

import anyio

from ferrule.asgi_core.types import Message

from .chunked import ChunkedDecoder, ChunkedError
from .http_response import CONTINUE_100, LAST_CHUNK, check_headers, chunk, encode_head
from .state import ClientDisconnected, ServerState
from .wire import Wire

__all__ = ["RequestCycle", "CycleHost", "DRAIN_LIMIT"]

_MAX_RECEIVE_CHUNK: Final = 64 * 1024
#: Unread request body the server will discard to keep a connection alive.
DRAIN_LIMIT: Final = 1024 * 1024
_NO_BODY_STATUSES: Final = frozenset({204, 304})

# Response framing.
_LENGTH: Final = 0
_CHUNKED: Final = 1
_CLOSE: Final = 2
_NONE: Final = 3


class CycleHost(Protocol):
    """What a cycle needs from its connection."""

    wire: Wire
    state: ServerState
    #: Bytes read from the wire and not yet consumed (the next head follows the body).
    pending: bytearray

    @property
    def closing(self) -> bool: ...


class RequestCycle:
    """The ASGI channel of one request; created per request by HTTP11Connection."""

    __slots__ = (
        "host",
        "wire",
        "is_head",
        "http10",
        "keep_alive",
        "body_left",
        "chunked",
        "body_done",
        "expects_100",
        "sent_100",
        "status",
        "started",
        "head_written",
        "complete",
        "peer_gone",
        "abort_status",
        "abort_reason",
        "_head",
        "_framing",
        "_out_left",
        "_wake",
        "_t0",
        "_received",
    )

    def __init__(
        self,
        host: CycleHost,
        *,
        is_head: bool,
        http10: bool,
        keep_alive: bool,
        body_left: int,
        chunked: ChunkedDecoder | None,
        expects_100: bool,
    ) -> None:
        self.host = host
        self.wire = host.wire
        self.is_head = is_head
        self.http10 = http10
        self.keep_alive = keep_alive
        #: Content-Length bytes still to read (0 for a chunked body: see `chunked`).
        self.body_left = body_left
        #: The decoder of a chunked body, else None.
        self.chunked = chunked
        self.body_done = False
        self.expects_100 = expects_100
        self.sent_100 = False
        self.status = 0
        self.started = False
        self.head_written = False
        self.complete = False
        self.peer_gone = False
        self.abort_status = 0
        self.abort_reason = ""
        self._head: tuple[int, list[tuple[bytes, bytes]], bool] | None = None
        self._framing = _LENGTH
        self._out_left = 0
        self._wake: anyio.Event | None = None
        self._t0 = 0.0
        self._received = 0

    def on_peer_closed(self) -> None:
        """Called by the wire when the peer closes or the connection breaks."""
        self.peer_gone = True
        self.keep_alive = False
        if self._wake is not None:
            self._wake.set()

    def on_shutdown(self) -> None:
        """The server is stopping: a response in progress (a stream) is told to end.

        Its `receive()` returns `http.disconnect`, which streams (SSE, JSON Lines)
        watch; the connection then finishes the body cleanly (`finish_body`).
        A request whose response has not started is left to finish.
        """
        if self.started and not self.complete:
            self.keep_alive = False
            if self._wake is not None:
                self._wake.set()

    async def finish_body(self) -> None:
        """End a started response with an empty last message (a stream cut short by shutdown)."""
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})

    def finish(self) -> None:
        """The app returned: a head still held back is never written (the server answers instead)."""
        self._head = None

    # -- receive -----------------------------------------------------------

    async def receive(self) -> Message:
        if self.peer_gone or self.complete or self.abort_status:
            return {"type": "http.disconnect"}
        if not self.body_done:
            return await self._read_body()
        if self.started and self.host.state.shutting_down:
            return {"type": "http.disconnect"}
        if self._wake is None:
            self._wake = anyio.Event()
        await self._wake.wait()
        return {"type": "http.disconnect"}

    def _stop(self, status: int, reason: str) -> Message:
        self.abort_status = status
        self.abort_reason = reason
        self.keep_alive = False
        if self._wake is not None:
            self._wake.set()
        return {"type": "http.disconnect"}

    def _lost(self) -> Message:
        self.on_peer_closed()
        return {"type": "http.disconnect"}

    async def _fill(self) -> bool:
        """Move more bytes from the wire into the host's buffer; False when none will come."""
        wire = self.wire
        if not wire.buffered:
            if wire.eof:
                return False
            config = self.host.state.config
            now = wire.clock()
            if not self._t0:
                self._t0 = now
            # SECURITY: rule 5 - an idle limit per wait and an average-rate floor.
            deadline = min(now, self._t0 + self._received / config.body_min_rate) + config.body_timeout
            if not await wire.wait(deadline) and not wire.buffered and not wire.eof:
                self._stop(408, "request body not received in time")
                return False
        data = wire.take()
        if not data:
            return False
        self._received += len(data)
        self.host.pending += data
        return True

    async def _read_body(self) -> Message:
        if self.expects_100 and not self.sent_100 and not self.started:
            self.sent_100 = True
            await self.wire.write(CONTINUE_100)
        if self.chunked is not None:
            return await self._read_chunked(self.chunked)
        pending = self.host.pending
        while not pending and self.body_left:
            if not await self._fill():
                return self._lost() if not self.abort_status else {"type": "http.disconnect"}
        n = min(len(pending), self.body_left, _MAX_RECEIVE_CHUNK)
        data = bytes(pending[:n])
        del pending[:n]
        self.body_left -= n
        if not self.body_left:
            self.body_done = True
        return {"type": "http.request", "body": data, "more_body": not self.body_done}

    async def _read_chunked(self, decoder: ChunkedDecoder) -> Message:
        pending = self.host.pending
        while True:
            try:
                pieces, done = decoder.decode(pending)
            except ChunkedError as exc:
                return self._stop(400, f"bad request: {exc}")
            if done:
                self.body_done = True
                return {"type": "http.request", "body": b"".join(pieces), "more_body": False}
            if pieces:
                return {"type": "http.request", "body": b"".join(pieces), "more_body": True}
            if not await self._fill():
                return {"type": "http.disconnect"} if self.abort_status else self._lost()

    # -- send --------------------------------------------------------------

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind != "http.response.body":
            if kind == "http.response.start" and not self.started:
                self._start(message)
                return
            if self.started:
                raise RuntimeError(f"expected 'http.response.body', got {kind!r}")
            raise RuntimeError(f"expected 'http.response.start', got {kind!r}")
        if not self.started:
            raise RuntimeError(f"expected 'http.response.start', got {kind!r}")
        if self.complete:
            raise RuntimeError("'http.response.body' sent after the response was complete")
        body = message.get("body", b"")
        if type(body) is not bytes:
            body = bytes(body)
        more_body = bool(message.get("more_body", False))
        head = b""
        if self._head is not None:
            head = self._head_bytes(None if more_body else body)
        out = head + self._frame(body, more_body) if head else self._frame(body, more_body)
        if head:
            self._head = None
            self.head_written = True
        await self.wire.write(out)
        if not more_body:
            self.complete = True
            if self._wake is not None:
                self._wake.set()

    def _start(self, message: Message) -> None:
        status = message["status"]
        if type(status) is not int or not 200 <= status <= 599:
            raise RuntimeError(f"invalid status {status!r} in 'http.response.start'")
        headers = [(bytes(k).lower(), bytes(v)) for k, v in message.get("headers", ())]
        try:
            check_headers(headers)
        except ValueError as exc:
            self.keep_alive = False
            raise RuntimeError(f"invalid response from the app: {exc}") from None
        length = transfer = None
        names = set()
        for name, value in headers:
            names.add(name)
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                transfer = value
            elif name == b"connection" and b"close" in value.lower():
                self.keep_alive = False
        if length is not None and (transfer is not None or not length.isdigit()):
            raise RuntimeError(f"invalid response from the app: content-length {length[:20]!r} with "
                               f"transfer-encoding {transfer!r}" if transfer else
                               f"invalid response from the app: content-length {length[:20]!r}")
        if transfer is not None and (transfer.strip().lower() != b"chunked" or self.http10):
            raise RuntimeError(f"invalid response from the app: transfer-encoding {transfer[:20]!r}"
                               " (only 'chunked', and not to an HTTP/1.0 client)")
        headers.extend(h for h in self.host.state.default_headers() if h[0] not in names)
        if status in _NO_BODY_STATUSES or self.is_head:
            self._framing = _NONE
        elif length is not None:
            self._framing = _LENGTH
            self._out_left = int(length)
        elif transfer is not None:
            self._framing = _CHUNKED
        self._head = (status, headers, length is not None or transfer is not None)
        self.status = status
        self.started = True
        # Rule 4: let a streaming client see the head as soon as the app yields. PERF: a response
        # that declared its content-length is a whole body, not a stream: no callback (issue 19).
        if length is None or self._framing != _LENGTH:
            self.wire.call_soon(self._flush_head)

    def _flush_head(self) -> None:
        if self._head is None or self.complete:
            return
        data = self._head_bytes(None)
        self._head = None
        self.head_written = True
        try:
            self.wire.write_nowait(data)
        except ClientDisconnected:
            pass

    def _can_drain(self) -> bool:
        if self.body_done or (self.chunked is None and not self.body_left):
            return True
        if self.chunked is not None or self.body_left > DRAIN_LIMIT:
            return False
        # SPEC: RFC 9110 §10.1.1 - a client waiting for 100 may never send the body.
        return not (self.expects_100 and not self.sent_100)

    def _head_bytes(self, single: bytes | None) -> bytes:
        """The held-back head; `single` is the whole body when it came as one message."""
        assert self._head is not None  # internal: only called while a head is held back
        status, headers, framed = self._head
        extra: list[tuple[bytes, bytes]] = []
        if not framed:
            if self._framing == _NONE:
                if self.is_head and single:  # the GET body's length, when the app computed it
                    extra.append((b"content-length", str(len(single)).encode("ascii")))
            elif single is not None:
                self._out_left = len(single)
                extra.append((b"content-length", str(len(single)).encode("ascii")))
            elif self.http10:
                self._framing = _CLOSE
                self.keep_alive = False
            else:
                self._framing = _CHUNKED
                extra.append((b"transfer-encoding", b"chunked"))
        if self.keep_alive and (self.http10 or self.host.closing or not self._can_drain()):
            self.keep_alive = False
        if not self.keep_alive and (b"connection", b"close") not in headers:
            extra.append((b"connection", b"close"))
        return encode_head(status, headers + extra if extra else headers)

    def _frame(self, body: bytes, more_body: bool) -> bytes:
        framing = self._framing
        if framing == _LENGTH:
            if len(body) > self._out_left:
                self.keep_alive = False
                raise RuntimeError("invalid response from the app: body longer than its content-length")
            self._out_left -= len(body)
            if not more_body and self._out_left:
                self.keep_alive = False
                raise RuntimeError("invalid response from the app: body shorter than its content-length")
            return body
        if framing == _CHUNKED:
            data = chunk(body) if body else b""
            return data + LAST_CHUNK if not more_body else data
        if framing == _CLOSE:
            return body
        if body and not self.is_head:
            self.keep_alive = False
            raise RuntimeError(f"invalid response from the app: a {self.status} response has no body")
        return b""
