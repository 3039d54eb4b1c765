"""``ServerErrorMiddleware``: the outermost layer, answering 500 for unhandled errors.

Rules:

* Only ``http`` scopes are guarded; others pass straight through.
* An exception before the response started is answered with a 500: the
  ``handler`` (registered for ``500``/``Exception``) if any, else plain
  ``Internal Server Error``. With ``debug=True`` a traceback page is sent
  instead (HTML when the client accepts ``text/html``, plain text otherwise;
  every piece of text is HTML-escaped), whatever the handler.
* The exception is **always re-raised** after the 500 is sent, so the server
  logs it. If the response had already started, nothing can be sent: the
  exception is re-raised at once (the server aborts the connection).
* A handler that fails itself gets the plain 500 sent, and its own exception
  (chained to the original) is raised.
* Only ``Exception`` is caught: cancellation and ``KeyboardInterrupt`` pass.
"""

from __future__ import annotations

import html
import inspect
import traceback
from dataclasses import dataclass
from typing import Any

from ..concurrency import run_in_threadpool
from ..request import Request
from ..response import HTMLResponse, PlainTextResponse, Response
from ..types import ASGIApp, Message, Receive, Scope, Send
from .exceptions import ExceptionHandler

__all__ = ["ServerErrorMiddleware"]

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>500 Internal Server Error</title>
<style>body{{font-family:sans-serif;margin:2em}}pre{{background:#f4f4f4;padding:1em;overflow:auto}}</style>
</head>
<body>
<h1>500 Internal Server Error</h1>
<h2>{title}</h2>
<p>{method} {path}</p>
<pre>{trace}</pre>
</body>
</html>
"""


@dataclass(slots=True, eq=False, repr=False)
class ServerErrorMiddleware:
    """Send a 500 for any unhandled exception, then re-raise it.

    Args:
        app: the app to guard.
        handler: ``handler(request, exc) -> Response`` (sync or async) for the 500.
        debug: send a traceback page instead (never in production).
    """

    app: ASGIApp
    handler: ExceptionHandler | None = None
    debug: bool = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sender(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sender)
        except Exception as exc:
            await self.send_error(scope, receive, send, exc, started)
            raise

    async def send_error(
        self, scope: Scope, receive: Receive, send: Send, exc: Exception, started: bool
    ) -> None:
        """Send the 500 for ``exc`` unless the response already started.

        Also used by ``ExceptionMiddleware(fallback=...)`` when the two are fused
        (an app without user middleware), so a request pays for one ``send`` wrapper.
        """
        if started:
            return
        request = Request(scope, receive)
        if self.debug:
            response = self.debug_response(request, exc)
        elif self.handler is None:
            response = self.error_response(request, exc)
        else:
            try:
                response = await self._call_handler(request, exc)
            except Exception:
                await self.error_response(request, exc)(scope, receive, send)
                raise
        await response(scope, receive, send)

    async def _call_handler(self, request: Request, exc: Exception) -> Response:
        handler: Any = self.handler
        if inspect.iscoroutinefunction(handler):
            result = await handler(request, exc)
        else:
            result = await run_in_threadpool(handler, request, exc)
        if not isinstance(result, Response):
            raise TypeError(
                f"the 500 exception handler {handler!r} returned {type(result).__name__}, "
                "not a Response; return e.g. JSONResponse(..., status_code=500)"
            )
        return result

    def error_response(self, request: Request, exc: Exception) -> Response:
        """The production answer: no detail about the error."""
        return PlainTextResponse("Internal Server Error", status_code=500)

    def debug_response(self, request: Request, exc: Exception) -> Response:
        """A traceback page for development."""
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        accept = request.headers.get("accept", "")
        if "text/html" in accept:
            page = _PAGE.format(
                title=html.escape(f"{type(exc).__name__}: {exc}"),
                method=html.escape(request.method),
                path=html.escape(request.url.path),
                trace=html.escape(trace),
            )
            return HTMLResponse(page, status_code=500)
        return PlainTextResponse(trace, status_code=500)
