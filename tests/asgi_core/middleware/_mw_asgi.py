"""The ASGI test driver of tests/asgi_core/_asgi.py, plus small apps for middleware tests."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

_PARENT = str(Path(__file__).resolve().parent.parent)
if _PARENT not in sys.path:
    sys.path.append(_PARENT)

from _asgi import Result, http_scope, run  # noqa: E402

from ferrule.asgi_core.types import ASGIApp, Message, Receive, Scope, Send  # noqa: E402

__all__ = ["Result", "http_scope", "run", "bytes_app", "chunks_app", "Recorder"]


def bytes_app(
    body: bytes = b"hello",
    *,
    status: int = 200,
    headers: Sequence[tuple[bytes, bytes]] = ((b"content-type", b"text/plain; charset=utf-8"),),
) -> ASGIApp:
    """An app sending ``body`` in one message with a Content-Length."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raw = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    return app


def chunks_app(chunks: Sequence[bytes], *, content_type: bytes = b"text/plain") -> ASGIApp:
    """An app streaming ``chunks`` (no Content-Length)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", content_type)]})
        for index, chunk in enumerate(chunks):
            await send({"type": "http.response.body", "body": chunk, "more_body": index < len(chunks) - 1})

    return app


class Recorder:
    """An app that records the scopes it was called with and answers 200 "inner"."""

    def __init__(self) -> None:
        self.scopes: list[Scope] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scopes.append(scope)
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"inner"})


async def ws_messages(app: ASGIApp, scope: Scope) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent
