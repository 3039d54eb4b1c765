"""``TestClient.websocket_connect``: drive a WebSocket app in-process, as a server would.

The app runs as a task in the client's event loop thread (the blocking
portal); the test talks to it through two unbounded memory streams. The
handshake is what servers do (ASGI WebSocket spec 2.4):

* ``websocket.connect`` is the app's first message;
* the app's ``websocket.accept`` opens the session (its subprotocol and headers
  are kept on the session);
* a ``websocket.close`` before accept is a refused handshake:
  ``websocket_connect`` raises ``WebSocketDisconnect`` with the code (a real
  server answers 403);
* ``websocket.http.response.start``/``body`` (the denial extension, which this
  client advertises) raises ``WebSocketDenialResponse`` carrying the status,
  headers and body.

Leaving the ``with`` block sends ``websocket.disconnect`` (code 1000) unless the
app closed first, waits for the app to return, and re-raises its exception
when ``raise_server_exceptions`` is true.
"""

from __future__ import annotations

import json
import math
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Literal

import anyio
from anyio.from_thread import BlockingPortal
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ferrule.asgi_core.headers import Headers
from ferrule.asgi_core.types import ASGIApp, Message
from ferrule.asgi_core.websocket import WebSocketDisconnect

__all__ = ["WebSocketDenialResponse", "WebSocketTestSession"]

_APP_DONE: Message = {"type": "ferrule.testclient.app-finished"}


class WebSocketDenialResponse(Exception):  # noqa: N818 - Starlette's name
    """The app answered the handshake with an HTTP response (denial extension)."""

    def __init__(self, status_code: int, headers: Headers, content: bytes) -> None:
        super().__init__(f"websocket handshake denied with HTTP {status_code}")
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


#: The two ends of one direction's in-memory message stream.
_Channel = tuple[MemoryObjectSendStream[Message], MemoryObjectReceiveStream[Message]]

# receive_text() or receive_bytes() got the other kind of message: what to call instead.
_WRONG_KIND: Final = {
    "text": "expected a text message, got a binary one; use receive_bytes()",
    "bytes": "expected a binary message, got a text one; use receive_text()",
}


@dataclass(eq=False)
class WebSocketTestSession:
    """One WebSocket connection to the app; use it as a context manager.

    Args:
        app: the ASGI app.
        scope: the ``websocket`` scope.
        portal_factory: the client's blocking-portal context manager factory.
        raise_server_exceptions: re-raise the app's exception when the block ends.
    """

    __test__ = False

    app: ASGIApp
    scope: dict[str, Any]
    portal_factory: Any
    raise_server_exceptions: bool
    accepted_subprotocol: str | None = field(default=None, init=False)
    extra_headers: list[tuple[bytes, bytes]] = field(default_factory=list, init=False)
    _portal_cm: AbstractContextManager[BlockingPortal] | None = field(default=None, init=False)
    _portal: BlockingPortal | None = field(default=None, init=False)
    _to_app: _Channel | None = field(default=None, init=False)
    _from_app: _Channel | None = field(default=None, init=False)
    _app_error: BaseException | None = field(default=None, init=False)
    _future: Any = field(default=None, init=False)
    _closed_by_app: bool = field(default=False, init=False)

    # -- lifecycle ------------------------------------------------------------

    def __enter__(self) -> WebSocketTestSession:
        self._portal_cm = self.portal_factory()
        self._portal = self._portal_cm.__enter__()
        try:
            self._portal.call(self._open_streams)
            self._future = self._portal.start_task_soon(self._run_app)
            self._put({"type": "websocket.connect"})
            self._handshake()
        except BaseException:
            self._shutdown()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._closed_by_app and self._app_error is None and not self._future.done():
            self._put({"type": "websocket.disconnect", "code": 1000, "reason": ""})
        self._shutdown()
        if self._app_error is not None and self.raise_server_exceptions and exc_type is None:
            raise self._app_error

    async def _open_streams(self) -> None:
        self._to_app = anyio.create_memory_object_stream[Message](math.inf)
        self._from_app = anyio.create_memory_object_stream[Message](math.inf)

    async def _run_app(self) -> None:
        assert self._to_app is not None and self._from_app is not None  # invariant: opened first
        to_app_recv = self._to_app[1]
        from_app_send = self._from_app[0]

        async def receive() -> Message:
            return await to_app_recv.receive()

        async def send(message: Message) -> None:
            await from_app_send.send(dict(message))

        try:
            await self.app(self.scope, receive, send)
        except BaseException as exc:  # reported to the test thread, then re-raised there
            self._app_error = exc
        finally:
            from_app_send.send_nowait(_APP_DONE)

    async def _close_streams(self) -> None:
        for pair in (self._to_app, self._from_app):
            if pair is not None:
                pair[0].close()
                pair[1].close()

    def _shutdown(self) -> None:
        portal, cm = self._portal, self._portal_cm
        self._portal = self._portal_cm = None
        if portal is None or cm is None:
            return
        try:
            if self._future is not None:
                try:
                    self._future.result(timeout=5)
                except TimeoutError:
                    self._future.cancel()
            portal.call(self._close_streams)
        finally:
            cm.__exit__(None, None, None)

    # -- plumbing -------------------------------------------------------------

    def _put(self, message: Message) -> None:
        assert self._portal is not None and self._to_app is not None  # invariant: inside `with`
        self._portal.call(self._to_app[0].send, message)

    def _get(self) -> Message:
        if self._portal is None or self._from_app is None:
            raise RuntimeError("the WebSocket session is closed; use it inside its `with` block")
        message = self._portal.call(self._from_app[1].receive)
        if message is _APP_DONE:
            if self._app_error is not None:
                error, self._app_error = self._app_error, None
                raise error
            raise WebSocketDisconnect(1006, "the app returned without closing the connection")
        return message

    def _handshake(self) -> None:
        message = self._get()
        kind = message["type"]
        if kind == "websocket.accept":
            self.accepted_subprotocol = message.get("subprotocol")
            self.extra_headers = list(message.get("headers") or [])
            return
        if kind == "websocket.close":
            self._closed_by_app = True
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        if kind == "websocket.http.response.start":
            status = message["status"]
            headers = Headers(raw=list(message.get("headers") or []))
            body = b""
            while True:
                part = self._get()
                if part["type"] != "websocket.http.response.body":
                    raise RuntimeError(f"expected 'websocket.http.response.body', got {part['type']!r}")
                body += part.get("body", b"")
                if not part.get("more_body", False):
                    break
            self._closed_by_app = True
            raise WebSocketDenialResponse(status, headers, body)
        raise RuntimeError(f"expected 'websocket.accept' or 'websocket.close', got {kind!r}")

    # -- the test's API ---------------------------------------------------------

    def send(self, message: Message) -> None:
        """Send a raw ASGI message to the app."""
        self._put(message)

    def send_text(self, data: str) -> None:
        self._put({"type": "websocket.receive", "text": data})

    def send_bytes(self, data: bytes) -> None:
        self._put({"type": "websocket.receive", "bytes": data})

    def send_json(self, data: Any, mode: Literal["text", "binary"] = "text") -> None:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "text":
            self.send_text(text)
        else:
            self.send_bytes(text.encode("utf-8"))

    def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close from the client side (the app receives ``websocket.disconnect``)."""
        self._put({"type": "websocket.disconnect", "code": code, "reason": reason or ""})

    def receive(self) -> Message:
        """The app's next message; a ``websocket.close`` raises ``WebSocketDisconnect``."""
        message = self._get()
        if message["type"] == "websocket.close":
            self._closed_by_app = True
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        return message

    def _receive_field(self, key: Literal["text", "bytes"]) -> Any:
        """The next message's ``key`` field; a message of the other kind is a ``TypeError``."""
        value = self.receive().get(key)
        if value is None:
            raise TypeError(_WRONG_KIND[key])
        return value

    def receive_text(self) -> str:
        return str(self._receive_field("text"))

    def receive_bytes(self) -> bytes:
        return bytes(self._receive_field("bytes"))

    def receive_json(self, mode: Literal["text", "binary"] = "text") -> Any:
        message = self.receive()
        payload = message.get("text") if mode == "text" else message.get("bytes")
        if payload is None:
            payload = message.get("bytes") if mode == "text" else message.get("text")
        if isinstance(payload, bytes):
            payload = payload.decode("utf-8")
        return json.loads(payload or "null")
