"""Driving an ASGI app in-process exactly like a server would.

HTTP exchange rules (ASGI HTTP spec 2.4):

* The request body goes out as ``http.request`` messages, one per chunk
  (64 KiB, or the caller's chunks), ``more_body=True`` on all but the last;
  an empty body is one message with ``body=b""``. Once the body is delivered,
  ``receive()`` waits until the response is complete or the client went away
  and then returns ``http.disconnect`` (every later call too).
* ``send()`` must get ``http.response.start`` and then ``http.response.body``
  messages until ``more_body`` is false. Anything else (a body before the
  start, a second start, a message after the last body, a malformed message)
  raises ``ASGIProtocolError`` in the app, and the client raises it again
  whatever ``raise_server_exceptions`` says. Body bytes for a ``HEAD`` request
  are dropped, as a server does.
* The body is handed to the client through a zero-size buffer, so the app
  runs one chunk ahead of the reader at most. When the client stops reading
  early, the app's pending and later ``send()`` calls raise
  ``ClientDisconnectedError`` (an ``OSError``, spec 2.4) and ``receive()``
  returns ``http.disconnect``.
* The app runs in its own task; its exception is stored (never raised inside
  the task group, so callers see the exception itself, not an ExceptionGroup).

Lifespan rules (ASGI lifespan spec 2.0): ``startup`` waits for
``lifespan.startup.complete``; ``...failed`` raises ``LifespanError`` with the
app's message; an app that returns without answering does not support
lifespan and is not sent ``lifespan.shutdown``; an app that raises instead
has its exception raised.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import anyio

from .request import ClientRequest
from ferrule.asgi_core.types import ASGIApp, Message, Receive, Send
from ferrule.asgi_core.url import percent_decode

__all__ = [
    "ASGIProtocolError",
    "ClientDisconnectedError",
    "HTTPExchange",
    "LifespanError",
    "LifespanManager",
    "http_scope",
]

ASGI_VERSIONS: dict[str, str] = {"version": "3.0", "spec_version": "2.4"}
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_START, _BODY, _DONE = 0, 1, 2


class ASGIProtocolError(RuntimeError):
    """The app broke the ASGI message protocol (order or shape of messages)."""


class ClientDisconnectedError(OSError):
    """``send()`` after the test client stopped reading (ASGI HTTP spec 2.4)."""


class LifespanError(RuntimeError):
    """The app reported ``lifespan.startup.failed`` or ``lifespan.shutdown.failed``."""


def http_scope(
    request: ClientRequest,
    *,
    root_path: str,
    client: tuple[str, int] | None,
    state: dict[str, Any],
) -> dict[str, Any]:
    """The ``http`` connection scope a server would build for ``request``."""
    url = request.url
    raw_path = url.path or "/"
    # ASGI: `path` and `raw_path` include `root_path` (as uvicorn>=0.26 sends them);
    # a target that already starts with it is taken as the full path.
    if root_path and not (raw_path == root_path or raw_path.startswith(root_path.rstrip("/") + "/")):
        raw_path = root_path.rstrip("/") + raw_path
    scheme = url.scheme or "http"
    return {
        "type": "http",
        "asgi": dict(ASGI_VERSIONS),
        "http_version": "1.1",
        "method": request.method,
        "scheme": scheme,
        "path": percent_decode(raw_path),
        "raw_path": raw_path.encode("ascii"),
        "query_string": url.query.encode("ascii"),
        "root_path": root_path,
        "headers": list(request.headers.raw),
        "client": client,
        "server": (url.hostname or "testserver", url.port or _DEFAULT_PORTS.get(scheme, 80)),
        "state": dict(state),
        "extensions": {},
    }


async def _call_app(
    app: ASGIApp, scope: dict[str, Any], receive: Receive, send: Send, done: tuple[anyio.Event, ...]
) -> Exception | None:
    """Run ``app`` to completion; give back its exception (the test raises it) and set ``done`` either way."""
    try:
        await app(scope, receive, send)
    except Exception as exc:  # noqa: BLE001 - handed to the test, raised there
        return exc
    finally:
        for event in done:
            event.set()
    return None


class HTTPExchange:
    """One request/response cycle between the test client and the app."""

    __slots__ = (
        "_app",
        "_scope",
        "_body",
        "_next_body",
        "_state",
        "_drop_body",
        "_client_closed",
        "_started",
        "_finished",
        "_ended",
        "_body_send",
        "_body_receive",
        "status",
        "raw_headers",
        "app_error",
        "protocol_error",
    )

    def __init__(self, app: ASGIApp, scope: dict[str, Any], body_chunks: Sequence[bytes]) -> None:
        self._app = app
        self._scope = scope
        self._body = list(body_chunks) or [b""]
        self._next_body = 0
        self._state = _START
        self._drop_body = scope["method"] == "HEAD"
        self._client_closed = False
        self._started = anyio.Event()  # the response started, or the app returned
        self._finished = anyio.Event()  # the app returned
        self._ended = anyio.Event()  # response complete or client gone: receive() -> disconnect
        self._body_send, self._body_receive = anyio.create_memory_object_stream[bytes](0)
        self.status: int | None = None
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.app_error: Exception | None = None
        self.protocol_error: ASGIProtocolError | None = None

    # --- the app's side ---

    async def receive(self) -> Message:
        if not self._ended.is_set() and self._next_body < len(self._body):
            index = self._next_body
            self._next_body += 1
            more = index + 1 < len(self._body)
            return {"type": "http.request", "body": self._body[index], "more_body": more}
        await self._ended.wait()
        return {"type": "http.disconnect"}

    def _fail(self, message: str) -> ASGIProtocolError:
        error = ASGIProtocolError(message)
        if self.protocol_error is None:
            self.protocol_error = error
        return error

    async def send(self, message: Message) -> None:
        if self._client_closed:
            raise ClientDisconnectedError("the test client closed the response stream")
        kind = message.get("type")
        if self._state == _START:
            self._start(kind, message)
        elif self._state == _BODY:
            if kind != "http.response.body":
                raise self._fail(f"expected 'http.response.body', got {kind!r}")
            body = message.get("body", b"")
            if not isinstance(body, (bytes, bytearray, memoryview)):
                raise self._fail(f"'http.response.body' body must be bytes, got {type(body).__name__}")
            if body and not self._drop_body:
                try:
                    await self._body_send.send(bytes(body))
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    raise ClientDisconnectedError("the test client closed the response stream") from None
            if not message.get("more_body", False):
                self._state = _DONE
                self._body_send.close()
                self._ended.set()
        else:
            raise self._fail(f"{kind!r} sent after the response was complete")

    def _start(self, kind: object, message: Message) -> None:
        if kind != "http.response.start":
            raise self._fail(f"expected 'http.response.start' first, got {kind!r}")
        status = message.get("status")
        if type(status) is not int or not 100 <= status <= 599:
            raise self._fail(f"'http.response.start' status must be an int in 100..599, got {status!r}")
        headers: list[tuple[bytes, bytes]] = []
        for pair in message.get("headers", ()):
            if len(pair) != 2 or not all(isinstance(x, bytes) for x in pair):
                raise self._fail(f"response headers must be (bytes, bytes) pairs, got {pair!r}")
            headers.append((bytes(pair[0]), bytes(pair[1])))
        if message.get("trailers"):
            raise self._fail("'trailers' was requested but the server did not offer the extension")
        self.status, self.raw_headers = status, headers
        self._state = _BODY
        self._started.set()

    async def run_app(self) -> None:
        """Run the app to completion, keeping its exception for the client."""
        try:
            self.app_error = await _call_app(
                self._app, self._scope, self.receive, self.send, (self._finished, self._started)
            )
        finally:
            self._body_send.close()

    # --- the client's side ---

    async def wait_started(self) -> None:
        await self._started.wait()

    async def receive_chunk(self) -> bytes | None:
        """The next body chunk, or ``None`` at the end of the body."""
        try:
            return await self._body_receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            return None

    def close(self) -> None:
        """Stop reading: an unfinished response is abandoned (``http.disconnect``)."""
        if self._state != _DONE and not self._finished.is_set():
            self._client_closed = True
        self._body_receive.close()
        self._ended.set()

    async def wait_finished(self, grace: float) -> None:
        """Wait for the app to return; after an early close, give up after ``grace`` seconds."""
        timeout = grace if self._client_closed else math.inf
        with anyio.move_on_after(timeout):
            await self._finished.wait()

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def error(self, raise_server_exceptions: bool) -> BaseException | None:
        """What the client must raise once the app has returned, if anything."""
        if self.protocol_error is not None:
            return self.protocol_error
        if not raise_server_exceptions:
            return None
        if self.app_error is not None and not isinstance(self.app_error, ClientDisconnectedError):
            return self.app_error
        if self.status is None:
            return ASGIProtocolError("the app returned without starting a response")
        if self._state != _DONE and not self._client_closed:
            return ASGIProtocolError("the app returned before the response body was complete (more_body=True)")
        return None


class LifespanManager:
    """Runs an app's lifespan protocol; ``run()`` goes in a task, the rest is awaited.

    Build it inside the event loop (``await LifespanManager.create(...)``): it
    holds anyio events.
    """

    __slots__ = (
        "_app",
        "state",
        "_phase",
        "_cancel_scope",
        "_startup_done",
        "_shutdown_requested",
        "_shutdown_done",
        "_finished",
        "_startup_reply",
        "_shutdown_reply",
        "_error",
        "supported",
    )

    def __init__(self, app: ASGIApp, state: dict[str, Any]) -> None:
        self._app = app
        self.state = state
        self._phase = "startup"
        self._cancel_scope = anyio.CancelScope()
        self._startup_done = anyio.Event()
        self._shutdown_requested = anyio.Event()
        self._shutdown_done = anyio.Event()
        self._finished = anyio.Event()
        self._startup_reply: Message | None = None
        self._shutdown_reply: Message | None = None
        self._error: Exception | None = None
        self.supported = True

    @classmethod
    async def create(cls, app: ASGIApp, state: dict[str, Any]) -> LifespanManager:
        """A manager built in the running event loop (for a blocking portal's ``call``)."""
        return cls(app, state)

    async def run(self) -> None:
        scope = {"type": "lifespan", "asgi": dict(ASGI_VERSIONS), "state": self.state}
        with self._cancel_scope:
            # The error is raised by startup()/shutdown().
            self._error = await _call_app(
                self._app, scope, self._receive, self._send, (self._finished, self._startup_done, self._shutdown_done)
            )

    async def _receive(self) -> Message:
        if self._phase == "startup":
            self._phase = "starting"
            return {"type": "lifespan.startup"}
        await self._shutdown_requested.wait()
        if self._phase != "stopping":
            self._phase = "stopping"
            return {"type": "lifespan.shutdown"}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, message: Message) -> None:
        kind = message.get("type")
        if self._phase == "starting" and kind in ("lifespan.startup.complete", "lifespan.startup.failed"):
            self._startup_reply = message
            self._phase = "started"
            self._startup_done.set()
        elif self._phase == "stopping" and kind in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
            self._shutdown_reply = message
            self._phase = "stopped"
            self._shutdown_done.set()
        else:
            raise ASGIProtocolError(f"unexpected lifespan message {kind!r} during {self._phase}")

    async def startup(self) -> None:
        """Send ``lifespan.startup`` and wait for the answer.

        Raises:
            LifespanError: the app sent ``lifespan.startup.failed``.
        """
        await self._startup_done.wait()
        reply = self._startup_reply
        if reply is None:
            if self._error is not None:
                raise self._error
            self.supported = False  # returned without answering: no lifespan support
            return
        if reply["type"] == "lifespan.startup.failed":
            self._cancel_scope.cancel()
            raise LifespanError(f"lifespan startup failed: {reply.get('message', '')}") from self._error

    async def shutdown(self, grace: float) -> None:
        """Send ``lifespan.shutdown``, wait for the answer and for the app to return.

        Raises:
            LifespanError: the app sent ``lifespan.shutdown.failed``.
        """
        if not self.supported:
            return
        self._shutdown_requested.set()
        await self._shutdown_done.wait()
        with anyio.move_on_after(grace):
            await self._finished.wait()
        self._cancel_scope.cancel()
        reply = self._shutdown_reply
        if reply is not None and reply["type"] == "lifespan.shutdown.failed":
            raise LifespanError(f"lifespan shutdown failed: {reply.get('message', '')}") from self._error
        if self._error is not None:
            raise self._error
