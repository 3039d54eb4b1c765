"""``WSGIMiddleware``: serve a WSGI application (Flask, Django, ...) from an ASGI app.

How it works, per HTTP request:

1. The request body is read in full (a WSGI app reads ``wsgi.input``
   synchronously, it cannot wait on ``receive``), up to ``max_body_size``
   (413 above it).
2. The WSGI app runs in a worker thread. ``start_response`` and every chunk of
   the body iterable are handed to the event loop through a bounded channel,
   so a large or slow response streams instead of piling up in memory.
3. ``start_response`` may be called again with ``exc_info`` before the first
   body byte (PEP 3333 "Error Handling"); after it, the original exception is
   re-raised. An exception from the app reaches the ASGI server (a 500)
   unless headers were already sent.

SPEC: PEP 3333. Strings in ``environ`` are "bytes as latin-1": the path is the
UTF-8 bytes of the ASGI path decoded as latin-1. ``SCRIPT_NAME`` is the ASGI
``root_path`` (a ``Mount``'s prefix), ``PATH_INFO`` the rest.
Only ``http`` scopes: a WebSocket has no WSGI equivalent (``RuntimeError``).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.streams.memory import MemoryObjectSendStream

from ..request import DEFAULT_MAX_BODY_SIZE
from ..response import PlainTextResponse
from ..types import Receive, Scope, Send

__all__ = ["WSGIMiddleware", "build_environ"]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def build_environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The PEP 3333 ``environ`` for an ASGI http ``scope`` and its whole ``body``."""
    root_path: str = scope.get("root_path", "")
    path: str = scope["path"]
    if root_path and path.startswith(root_path):
        path = path[len(root_path):]
    server = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root_path.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]) if server[1] is not None else "80",
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"] = client[0]
        environ["REMOTE_PORT"] = str(client[1])
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name == "content-type":
            key = "CONTENT_TYPE"
        elif name == "content-length":
            key = "CONTENT_LENGTH"
        else:
            key = "HTTP_" + name.upper().replace("-", "_")
        # SPEC: RFC 9110 §5.3: repeated fields join with ", " (CGI keeps one variable).
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


class WSGIMiddleware:
    """Serve the WSGI application ``app`` over ASGI (FastAPI's ``fastapi.middleware.wsgi``).

    Args:
        app: a PEP 3333 application ``app(environ, start_response) -> iterable of bytes``.
        max_body_size: the largest request body read into memory (413 above it;
            ``None``: no limit). Default 16 MiB, as for ferrule's own routes.
    """

    def __init__(self, app: WSGIApp, *, max_body_size: int | None = DEFAULT_MAX_BODY_SIZE) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise RuntimeError(
                f"WSGIMiddleware serves http requests only, got a {scope['type']!r} scope; "
                "mount the WSGI app under a path that no WebSocket route uses"
            )
        body = bytearray()
        limit = self.max_body_size
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if limit is not None and len(body) > limit:
                await PlainTextResponse("Request body too large", 413)(scope, receive, send)
                return
        environ = build_environ(scope, bytes(body))
        sender, items = anyio.create_memory_object_stream[tuple[str, Any]](max_buffer_size=16)
        failure: list[BaseException] = []
        async with anyio.create_task_group() as group:
            group.start_soon(self._run_in_thread, environ, sender, failure)
            async with items:
                started = False
                async for kind, value in items:
                    if kind == "start":
                        status, headers = value
                        await send({"type": "http.response.start", "status": status, "headers": headers})
                        started = True
                    else:
                        await send({"type": "http.response.body", "body": value, "more_body": True})
        if failure:
            raise failure[0]
        if started:
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _run_in_thread(
        self, environ: dict[str, Any], sender: MemoryObjectSendStream[tuple[str, Any]], failure: list[BaseException]
    ) -> None:
        async with sender:
            try:
                await anyio.to_thread.run_sync(self._run_wsgi, environ, sender)
            except Exception as exc:  # handed to the request task, re-raised there
                failure.append(exc)

    def _run_wsgi(self, environ: dict[str, Any], sender: MemoryObjectSendStream[tuple[str, Any]]) -> None:
        state: dict[str, Any] = {"status": None, "headers": None, "sent": False}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            if exc_info is not None and state["sent"]:
                raise exc_info[1].with_traceback(exc_info[2])
            state["status"] = int(status.split(" ", 1)[0])
            state["headers"] = [(k.strip().lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
            return write

        def flush_start() -> None:
            if not state["sent"]:
                if state["status"] is None:
                    raise RuntimeError("the WSGI app returned a body before calling start_response()")
                anyio.from_thread.run(sender.send, ("start", (state["status"], state["headers"])))
                state["sent"] = True

        def write(chunk: bytes) -> None:
            flush_start()
            if chunk:
                anyio.from_thread.run(sender.send, ("body", bytes(chunk)))

        result = self.app(environ, start_response)
        try:
            for chunk in result:
                write(chunk)
            flush_start()
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()


