"""Turning exceptions into responses: handlers by exception class and by status code.

Lookup order: for an ``HTTPException``, a handler registered for its status
code wins; then the exception's MRO is walked, most derived class first.
Exceptions nobody handles propagate (to ``ServerErrorMiddleware``, which
answers 500). If the response had already started, a handled exception cannot
become a response any more: it is re-raised.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, Union

from ..concurrency import run_in_threadpool
from ..exceptions import ClientDisconnect, HTTPException, WebSocketException
from ..request import Request
from ..response import JSONResponse, Response, status_has_no_body
from ..types import ASGIApp, Message, Receive, Scope, Send
from ..websocket import WebSocket

__all__ = [
    "ErrorFallback",
    "ExceptionHandler",
    "ExceptionMiddleware",
    "http_exception_handler",
    "websocket_exception_handler",
]

_logger = logging.getLogger("ferrule.errors")

ExceptionHandler = Callable[[Any, Any], Union[Awaitable[Any], Any]]


class ErrorFallback(Protocol):
    """What answers an exception no handler took (``ServerErrorMiddleware``)."""

    async def send_error(self, scope: Scope, receive: Receive, send: Send, exc: Exception, started: bool) -> None: ...


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """FastAPI's default: ``{"detail": exc.detail}`` with the exception's status and headers."""
    assert isinstance(exc, HTTPException)  # invariant: registered for HTTPException only
    headers = exc.headers
    if status_has_no_body(exc.status_code):
        return Response(status_code=exc.status_code, headers=headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def websocket_exception_handler(websocket: WebSocket, exc: Exception) -> None:
    """Close the socket with the exception's code and reason."""
    assert isinstance(exc, WebSocketException)  # invariant: registered for WebSocketException only
    await websocket.close(code=exc.code, reason=exc.reason)


class ExceptionMiddleware:
    """Run the app; hand exceptions to the registered handlers."""

    def __init__(
        self,
        app: ASGIApp,
        handlers: Mapping[Any, ExceptionHandler] | None = None,
        fallback: ErrorFallback | None = None,
    ) -> None:
        self.app = app
        # PERF: with no middleware in between, the app fuses the 500 layer into
        # this one (`fallback`), saving a layer and a send wrapper per request.
        self.fallback = fallback
        self._status_handlers: dict[int, ExceptionHandler] = {}
        self._class_handlers: dict[type[BaseException], ExceptionHandler] = {
            HTTPException: http_exception_handler,
            WebSocketException: websocket_exception_handler,
        }
        for key, handler in (handlers or {}).items():
            self.add_exception_handler(key, handler)

    def add_exception_handler(self, key: int | type[BaseException], handler: ExceptionHandler) -> None:
        if isinstance(key, int):
            self._status_handlers[key] = handler
        elif isinstance(key, type) and issubclass(key, BaseException):
            self._class_handlers[key] = handler
        else:
            raise TypeError(
                f"exception handler key must be an exception class or a status code, got {key!r}"
            )

    def lookup(self, exc: BaseException) -> ExceptionHandler | None:
        if self._status_handlers and isinstance(exc, HTTPException):
            handler = self._status_handlers.get(exc.status_code)
            if handler is not None:
                return handler
        for cls in type(exc).__mro__:
            handler = self._class_handlers.get(cls)
            if handler is not None:
                return handler
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        started = False

        async def sender(message: Message) -> None:
            nonlocal started
            if not started and (
                message["type"] == "http.response.start"
                or message["type"] == "websocket.accept"
                or message["type"] == "websocket.http.response.start"
            ):
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sender)
        except ClientDisconnect:
            # The client left while its body was being read: there is nobody to
            # answer, and a traceback per vanished client would be log spam.
            _logger.debug("client disconnected before the request body was read: %s", scope.get("path"))
            return
        except Exception as exc:
            handler = self.lookup(exc)
            if handler is None:
                if self.fallback is not None and kind == "http":
                    await self.fallback.send_error(scope, receive, send, exc, started)
                raise
            if started:
                if kind == "websocket" and isinstance(exc, WebSocketException):
                    await WebSocket(scope, receive, send).close(exc.code, exc.reason)
                    return
                raise RuntimeError(
                    f"{type(exc).__name__} was raised after the response started; "
                    "it can no longer become a response"
                ) from exc
            try:
                await self._run_handler(handler, exc, scope, receive, send, sender)
            except Exception as handler_exc:
                # A failing handler is an unhandled error like any other.
                if self.fallback is not None and kind == "http":
                    await self.fallback.send_error(scope, receive, send, handler_exc, started)
                raise

    async def _run_handler(
        self, handler: ExceptionHandler, exc: Exception, scope: Scope, receive: Receive, send: Send, sender: Send
    ) -> None:
        kind = scope["type"]
        conn: Any = Request(scope, receive, send) if kind == "http" else WebSocket(scope, receive, send)
        if kind == "websocket":
            conn.client_state = conn.client_state.CONNECTED
        if inspect.iscoroutinefunction(handler):
            response = await handler(conn, exc)
        else:
            response = await run_in_threadpool(handler, conn, exc)
        if response is not None and kind == "http":
            await response(scope, receive, sender)
        elif response is not None and kind == "websocket":
            await conn.send_denial_response(response)
