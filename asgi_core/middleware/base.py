"""``@app.middleware("http")``: middleware written as ``async def mw(request, call_next)``.

How it works: ``call_next(request)`` starts the downstream app in a task whose
``send`` writes into a zero-buffer memory stream. The first message must be
``http.response.start``; ``call_next`` returns a response whose body streams
the remaining messages, so large or endless downstream bodies are not
buffered. The task group is owned by this middleware call.

Rules:

* When the outer response has been sent, the downstream task is left to
  finish (its background tasks run, as without the middleware). A downstream
  response the middleware dropped or stopped reading cannot block it: its
  next ``send`` raises ``OSError`` (ASGI: the connection is gone).
* Exceptions reach the caller as they were raised (never wrapped in an
  ``ExceptionGroup``): a downstream failure before ``http.response.start``
  is raised by ``call_next``, one during the body by the response, and one
  after the response (a background task) after the response was sent. A
  downstream app returning in the middle of its body is a ``RuntimeError``.
  If ``dispatch`` fails, the downstream task is cancelled.
* If the middleware read the request body (or ``is_disconnected()`` read a
  body message) before ``call_next``, the downstream app gets those messages
  replayed, then the real ``receive`` (so disconnects still arrive).
* ``http.response.pathsend`` from downstream is passed on as it is (the
  server advertised it in the same scope).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream

from ..request import Request
from ..response import Response
from ..types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BaseHTTPMiddleware", "CallNext", "DispatchFunction"]

CallNext = Callable[[Request], Awaitable[Response]]
DispatchFunction = Callable[[Request, CallNext], Awaitable[Response]]

_FILE_CHUNK = 64 * 1024


class _ResponseGone(OSError):
    """The downstream app sent after its response was sent or dropped."""


class _Call:
    """One ``call_next``: the channel from the downstream task and how it ended."""

    __slots__ = ("stream", "failure", "reported")

    def __init__(self, stream: MemoryObjectReceiveStream[Message]) -> None:
        self.stream = stream
        self.failure: Exception | None = None
        # True once the failure was raised to the middleware (not to raise it twice).
        self.reported = False

    def take_failure(self) -> Exception | None:
        failure = self.failure
        if failure is None or self.reported or isinstance(failure, _ResponseGone):
            return None
        self.reported = True
        return failure


class _DownstreamResponse(Response):
    """The downstream app's response, its body streamed from the memory stream."""

    def __init__(self, status_code: int, raw_headers: list[tuple[bytes, bytes]], call: _Call) -> None:
        self.status_code = status_code
        self.background = None
        self.body = b""
        self.raw_headers = raw_headers
        self._headers = None
        self._call = call

    async def _messages(self) -> AsyncGenerator[Message, None]:
        """The body messages (or one pathsend) up to the last one."""
        stream = self._call.stream
        async with stream:
            async for message in stream:
                kind = message["type"]
                if kind == "http.response.pathsend":
                    yield message
                    return
                if kind != "http.response.body":
                    continue
                yield message
                if not message.get("more_body", False):
                    return
        # The stream ended before the last body message: the downstream app
        # failed mid-body or just returned. Either way the server must see an
        # error (and abort), not a truncated body passed off as complete.
        failure = self._call.take_failure()
        if failure is not None:
            raise failure
        raise RuntimeError("the app returned without completing the response body")

    async def body_iterator(self) -> AsyncIterator[bytes]:
        # aclosing: a pathsend returns before _messages() ends; closed here, not by the GC (trio warns).
        async with aclosing(self._messages()) as messages:
            async for message in messages:
                if message["type"] == "http.response.pathsend":
                    async with await anyio.open_file(message["path"], "rb") as file:
                        while chunk := await file.read(_FILE_CHUNK):
                            yield chunk
                    return
                chunk = message.get("body", b"")
                if chunk:
                    yield chunk

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async with aclosing(self._messages()) as messages:
            async for message in messages:
                if message["type"] == "http.response.pathsend":
                    await send(message)
                    return
                chunk = message.get("body", b"")
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def _replaying_receive(request: Request, receive: Receive) -> Receive:
    cached: bytes | None = getattr(request, "_body", None)
    if cached is not None:
        replay: list[Message] = [{"type": "http.request", "body": cached, "more_body": False}]
    elif request._pending:
        # is_disconnected() kept body messages for stream(): the downstream app needs them.
        replay = list(request._pending)
    else:
        return receive

    async def wrapped() -> Message:
        if replay:
            return replay.pop(0)
        return await receive()

    return wrapped


class BaseHTTPMiddleware:
    """Wrap ``dispatch(request, call_next)`` as ASGI middleware (http only)."""

    def __init__(self, app: ASGIApp, dispatch: DispatchFunction | None = None) -> None:
        self.app = app
        self.dispatch_func: DispatchFunction = dispatch if dispatch is not None else self.dispatch

    async def dispatch(self, request: Request, call_next: CallNext) -> Response:
        raise NotImplementedError("subclass BaseHTTPMiddleware and override dispatch(), or pass dispatch=")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive, send, max_body_size=None)
        calls: list[_Call] = []
        error: Exception | None = None
        async with anyio.create_task_group() as tg:
            try:
                response = await self.dispatch_func(request, self._make_call_next(tg, receive, calls))
                await response(scope, receive, send)
            except Exception as exc:
                # Raised below, outside the task group: anyio would wrap it in an
                # ExceptionGroup, and handlers and tests expect the exception itself.
                error = exc
                tg.cancel_scope.cancel()
            finally:
                for call in calls:
                    # A downstream app still sending now gets _ResponseGone, not a hang.
                    call.stream.close()
        if error is not None:
            raise error
        for call in calls:
            failure = call.take_failure()
            if failure is not None:
                raise failure  # e.g. a background task failed after the response

    def _make_call_next(self, tg: TaskGroup, receive: Receive, calls: list[_Call]) -> CallNext:
        app = self.app

        async def call_next(request: Request) -> Response:
            send_stream, recv_stream = anyio.create_memory_object_stream[Message](0)
            call = _Call(recv_stream)
            calls.append(call)
            downstream_receive = _replaying_receive(request, receive)

            async def downstream_send(message: Message) -> None:
                try:
                    await send_stream.send(message)
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    raise _ResponseGone("the middleware already sent or dropped this response") from None

            async def run_app() -> None:
                async with send_stream:
                    try:
                        await app(request.scope, downstream_receive, downstream_send)
                    except Exception as exc:
                        call.failure = exc

            tg.start_soon(run_app)
            try:
                message: Message | None = await recv_stream.receive()
            except anyio.EndOfStream:
                message = None
            if message is None:
                # Raised outside the except block so the failure keeps its own context.
                failure = call.take_failure()
                if failure is not None:
                    raise failure
                raise RuntimeError("the app returned without sending a response")
            if message["type"] != "http.response.start":
                raise RuntimeError(f"expected 'http.response.start' first, got {message['type']!r}")
            return _DownstreamResponse(message["status"], list(message.get("headers", [])), call)

        return call_next
