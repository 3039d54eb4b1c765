"""``@app.middleware("http")``: middleware written as ``async def mw(request, call_next)``.

How it works: ``call_next(request)`` starts the downstream app in a task whose
``send`` writes into a zero-buffer memory stream. The first message must be
``http.response.start``; ``call_next`` returns a response whose body streams
the remaining messages, so large or endless downstream bodies are not
buffered. The task group is owned by this middleware call: when the outer
response is done (or fails) the downstream task is finished or cancelled.

If the middleware read the request body before ``call_next``, the downstream
app gets the same bytes replayed, then the real ``receive`` (so disconnects
still arrive).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream

from ..request import Request
from ..response import Response
from ..types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BaseHTTPMiddleware", "CallNext", "DispatchFunction"]

CallNext = Callable[[Request], Awaitable[Response]]
DispatchFunction = Callable[[Request, CallNext], Awaitable[Response]]


class _DownstreamResponse(Response):
    """The downstream app's response, its body streamed from the memory stream."""

    def __init__(self, status_code: int, raw_headers: list[tuple[bytes, bytes]],
                 stream: MemoryObjectReceiveStream[Message], failure: list[BaseException]) -> None:
        self.status_code = status_code
        self.background = None
        self.body = b""
        self.raw_headers = raw_headers
        self._headers = None
        self._stream = stream
        self._failure = failure

    async def body_iterator(self) -> AsyncIterator[bytes]:
        async with self._stream:
            async for message in self._stream:
                if message["type"] != "http.response.body":
                    continue
                chunk = message.get("body", b"")
                if chunk:
                    yield chunk
                if not message.get("more_body", False):
                    break
        if self._failure:
            # The downstream app failed mid-body: let the server see the error.
            raise self._failure[0]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async for chunk in self.body_iterator():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def _replaying_receive(request: Request, receive: Receive) -> Receive:
    body = request._body
    if body is None:
        return receive
    replayed = False

    async def wrapped() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
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
        async with anyio.create_task_group() as tg:
            call_next = self._make_call_next(tg, scope, receive)
            response = await self.dispatch_func(request, call_next)
            await response(scope, receive, send)
            tg.cancel_scope.cancel()

    def _make_call_next(self, tg: TaskGroup, scope: Scope, receive: Receive) -> CallNext:
        app = self.app

        async def call_next(request: Request) -> Response:
            send_stream, recv_stream = anyio.create_memory_object_stream[Message](0)
            failure: list[BaseException] = []
            downstream_receive = _replaying_receive(request, receive)

            async def run_app() -> None:
                async with send_stream:
                    try:
                        await app(request.scope, downstream_receive, send_stream.send)
                    except Exception as exc:
                        failure.append(exc)

            tg.start_soon(run_app)
            try:
                message = await recv_stream.receive()
            except anyio.EndOfStream:
                if failure:
                    raise failure[0] from None
                raise RuntimeError("the app returned without sending a response") from None
            if message["type"] != "http.response.start":
                raise RuntimeError(f"expected 'http.response.start' first, got {message['type']!r}")
            return _DownstreamResponse(
                message["status"], list(message.get("headers", [])), recv_stream, failure
            )

        return call_next
