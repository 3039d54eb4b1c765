"""`max_body_size`: the server's own cap on request bodies, for any ASGI app.

ferrule apps have their own (`App(max_body_size=...)`, 16 MiB by default); this
one protects apps that have none. Off unless set.

Rules:
1. A `Content-Length` over the limit gets 413 and `connection: close` before
   the app is called (h11 frames the body by that length, so a declared body
   can never grow past it).
2. A chunked body is counted as the app reads it. At the chunk that crosses
   the limit: if the response has not started, the server answers 413 itself;
   either way the app's `receive()` gets `http.disconnect` from then on and
   its later `send()` calls raise `ClientDisconnected` (ASGI: the client is
   gone, as far as the app is concerned).
"""

from __future__ import annotations

from dataclasses import dataclass

from ferrule.asgi_core.types import ASGIApp, Message, Receive, Scope, Send

from .state import ClientDisconnected

__all__ = ["BodySizeLimit"]

_DISCONNECT: Message = {"type": "http.disconnect"}


async def _refuse(send: Send, limit: int) -> None:
    body = f"request body over the server's {limit}-byte limit\n".encode("ascii")
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass(slots=True, eq=False)
class _Counted:
    """The app's `receive`/`send` around the server's, counting a chunked body (rule 2)."""

    inner_receive: Receive
    inner_send: Send
    limit: int
    size: int = 0
    started: bool = False
    over: bool = False

    async def receive(self) -> Message:
        if self.over:
            return _DISCONNECT
        message = await self.inner_receive()
        if message["type"] == "http.request":
            self.size += len(message.get("body", b""))
            if self.size > self.limit:
                self.over = True
                if not self.started:
                    self.started = True
                    await _refuse(self.inner_send, self.limit)
                return _DISCONNECT
        return message

    async def send(self, message: Message) -> None:
        if self.over:
            raise ClientDisconnected("request body over max_body_size: the server answered 413")
        if message["type"] == "http.response.start":
            self.started = True
        await self.inner_send(message)


@dataclass(slots=True, eq=False)
class BodySizeLimit:
    """ASGI wrapper enforcing `limit` bytes per request body (see the module rules)."""

    app: ASGIApp
    limit: int

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.limit:
                    await _refuse(send, self.limit)
                    return
                await self.app(scope, receive, send)  # h11 holds the body to this length
                return
        counted = _Counted(receive, send, self.limit)
        await self.app(scope, counted.receive, counted.send)
