"""One HTTP request/response cycle: the ASGI scope, `receive` and `send`.

Rules:
1. `receive()` hands the body out as h11 parses it (several Data events are
   merged up to 64 KiB); the last chunk has `more_body: False`. A
   `100 Continue` goes out on the first `receive()` if the client waits for it.
2. Once the body is read, `receive()` blocks until the response is complete or
   the peer closes, then returns `http.disconnect` (ASGI HTTP spec 2.4).
3. `send()` holds `http.response.start` back until the first body message so
   that a single-message response gets a `content-length` instead of chunked
   framing. A HEAD response sends no body bytes.
4. A failed write raises `ClientDisconnected` (an OSError); a message out of
   order raises RuntimeError: both are the app's errors, handled by the caller.
"""

from __future__ import annotations

import http
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes, urlsplit

import anyio
import h11

from ferrule.asgi_core.types import Message, Scope

from .state import ASGI_VERSION

if TYPE_CHECKING:
    from .http11 import HTTP11Connection

__all__ = ["RequestCycle", "build_scope", "split_target"]

_MAX_RECEIVE_CHUNK = 64 * 1024
_NO_BODY_STATUSES = frozenset({204, 304})


def split_target(target: bytes) -> tuple[bytes, bytes]:
    """Split a request-target into (raw path, query string) (RFC 9112 §3.2)."""
    if not target.startswith(b"/") and target != b"*":
        # absolute-form (a proxy request): keep only path and query
        parts = urlsplit(target)
        raw_path, query = parts.path or b"/", parts.query
        return raw_path, query
    raw_path, _, query = target.partition(b"?")
    return raw_path, query


def build_scope(
    kind: str,
    request: h11.Request,
    *,
    scheme: str,
    root_path: str,
    client: tuple[str, int] | None,
    server: tuple[str, int | None] | None,
    state: dict[str, Any] | None,
) -> Scope:
    """The ASGI `http` or `websocket` scope for an h11 request."""
    raw_path, query = split_target(request.target)
    path = unquote_to_bytes(raw_path).decode("utf-8", "replace")
    scope: Scope = {
        "type": kind,
        "asgi": dict(ASGI_VERSION),
        "http_version": request.http_version.decode("ascii"),
        "scheme": scheme,
        # COMPAT(uvicorn): path and raw_path include root_path.
        "path": root_path + path,
        "raw_path": root_path.encode("utf-8") + raw_path,
        "query_string": query,
        "root_path": root_path,
        "headers": list(request.headers),
        "client": client,
        "server": server,
    }
    if kind == "http":
        scope["method"] = request.method.decode("ascii")
    if state is not None:
        scope["state"] = dict(state)
    return scope


class RequestCycle:
    """The ASGI channel of one request; created per request by HTTP11Connection."""

    __slots__ = (
        "conn",
        "method",
        "keep_alive",
        "status",
        "body_done",
        "started",
        "head_written",
        "complete",
        "peer_gone",
        "_pending",
        "_wake",
        "sent_100",
    )

    def __init__(self, conn: HTTP11Connection, method: bytes, keep_alive: bool) -> None:
        self.conn = conn
        self.method = method
        self.keep_alive = keep_alive
        self.status = 0
        self.body_done = False
        self.started = False
        self.head_written = False
        self.complete = False
        self.peer_gone = False
        self._pending: tuple[int, list[tuple[bytes, bytes]], bytes] | None = None
        self._wake = anyio.Event()
        self.sent_100 = False

    def on_peer_closed(self) -> None:
        """Called by the connection's reader when the peer closes."""
        self.peer_gone = True
        self._wake.set()

    def on_shutdown(self) -> None:
        """The server is stopping: a response in progress (a stream) is told to end.

        Its `receive()` returns `http.disconnect`, which streams (SSE, JSON Lines)
        watch; the connection then finishes the body cleanly (`finish_body`).
        A request whose response has not started is left to finish.
        """
        if self.started and not self.complete:
            self.keep_alive = False
            self._wake.set()

    async def finish_body(self) -> None:
        """End a started response with an empty last chunk (a stream cut short by shutdown)."""
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})

    # -- receive -----------------------------------------------------------

    async def receive(self) -> Message:
        if self.peer_gone or self.complete:
            return {"type": "http.disconnect"}
        if not self.body_done:
            return await self._read_body()
        if self.started and self.conn.state.shutting_down:
            return {"type": "http.disconnect"}
        await self._wake.wait()
        return {"type": "http.disconnect"}

    async def _read_body(self) -> Message:
        conn = self.conn
        h = conn.h11
        if h.client_is_waiting_for_100_continue and not self.sent_100 and not self.started:
            self.sent_100 = True
            await conn.write(h.send(h11.InformationalResponse(status_code=100, headers=[])))
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                event = h.next_event()
            except h11.RemoteProtocolError:
                # Bad chunked framing or EOF mid-body: the request is lost.
                self.keep_alive = False
                self.on_peer_closed()
                return {"type": "http.disconnect"}
            if event is h11.NEED_DATA:
                if chunks:
                    return {"type": "http.request", "body": b"".join(chunks), "more_body": True}
                if conn.eof:
                    self.on_peer_closed()
                    return {"type": "http.disconnect"}
                await conn.wait_for_data()
                continue
            if isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
                size += len(event.data)
                if size >= _MAX_RECEIVE_CHUNK:
                    return {"type": "http.request", "body": b"".join(chunks), "more_body": True}
                continue
            if isinstance(event, h11.EndOfMessage):
                self.body_done = True
                conn.watch_for_disconnect(True)
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            # ConnectionClosed (or anything unexpected): the client is gone.
            self.keep_alive = False
            self.on_peer_closed()
            return {"type": "http.disconnect"}

    # -- send --------------------------------------------------------------

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if not self.started:
            if kind != "http.response.start":
                raise RuntimeError(f"expected 'http.response.start', got {kind!r}")
            self._start(message)
            return
        if kind != "http.response.body":
            raise RuntimeError(f"expected 'http.response.body', got {kind!r}")
        if self.complete:
            raise RuntimeError("'http.response.body' sent after the response was complete")
        body = bytes(message.get("body", b""))
        more_body = bool(message.get("more_body", False))
        out: list[bytes] = []
        h = self.conn.h11
        try:
            if self._pending is not None:
                status, headers, reason = self._pending
                self._pending = None
                if not more_body and status not in _NO_BODY_STATUSES:
                    names = {k for k, _ in headers}
                    if b"content-length" not in names and b"transfer-encoding" not in names:
                        headers.append((b"content-length", str(len(body)).encode("ascii")))
                out.append(h.send(h11.Response(status_code=status, headers=headers, reason=reason)))
                self.head_written = True
            if body and self.method != b"HEAD":
                out.append(h.send(h11.Data(data=body)))
            if not more_body:
                out.append(h.send(h11.EndOfMessage()))
        except h11.LocalProtocolError as exc:
            self.keep_alive = False
            raise RuntimeError(f"invalid response from the app: {exc}") from None
        if not more_body:
            self.complete = True
        await self.conn.write(b"".join(out))
        if self.complete:
            self._wake.set()

    def _start(self, message: Message) -> None:
        status = message["status"]
        if not isinstance(status, int) or not 200 <= status <= 599:
            raise RuntimeError(f"invalid status {status!r} in 'http.response.start'")
        headers = [(bytes(k).lower(), bytes(v)) for k, v in message.get("headers", ())]
        names = {k for k, _ in headers}
        extra = [h for h in self.conn.state.default_headers() if h[0] not in names]
        if self.conn.state.shutting_down:
            self.keep_alive = False
        if not self.keep_alive and b"connection" not in names:
            extra.append((b"connection", b"close"))
        try:
            reason = http.HTTPStatus(status).phrase.encode("ascii")
        except ValueError:
            reason = b""
        self._pending = (status, headers + extra, reason)
        self.status = status
        self.started = True
