"""The app side of an ASGI WebSocket connection (ASGI WebSocket spec 2.4).

State machine (each side tracked separately, as the spec describes):

    client: CONNECTING --websocket.connect--> CONNECTED --websocket.disconnect--> DISCONNECTED
    app:    CONNECTING --accept--> CONNECTED --close--> DISCONNECTED
            CONNECTING --close / http.response (denial)--> DISCONNECTED / RESPONSE

Calls that make no sense in the current state raise ``WebSocketStateError``
(a ``RuntimeError``) saying which state the connection is in and what to call
instead. A ``websocket.disconnect`` received while the app reads raises
``WebSocketDisconnect`` carrying the close code and reason.
"""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, Literal, TypeVar

from .headers import check_header
from .request import HTTPConnection
from .types import Message, Receive, Scope, Send

_logger = logging.getLogger(__name__)

__all__ = ["WebSocket", "WebSocketDisconnect", "WebSocketState", "WebSocketStateError"]

T = TypeVar("T")


class WebSocketState(enum.Enum):
    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2
    RESPONSE = 3


class WebSocketDisconnect(Exception):
    """The client closed the connection (or it was lost: code 1006)."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""
        super().__init__(code, self.reason)

    def __repr__(self) -> str:
        return f"WebSocketDisconnect(code={self.code!r}, reason={self.reason!r})"


class WebSocketStateError(RuntimeError):
    """A WebSocket method was called in a state where it cannot work."""


def _spec_version(scope: Scope) -> tuple[int, ...]:
    """The server's ASGI spec version (ASGI: "2.0" when absent)."""
    raw = scope.get("asgi", {}).get("spec_version", "2.0")
    try:
        return tuple(int(part) for part in str(raw).split("."))
    except ValueError:
        return (2, 0)


class WebSocket(HTTPConnection):
    """A WebSocket connection, handed to websocket endpoints."""

    __slots__ = ("_receive", "_send", "client_state", "application_state")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            raise ValueError(f"WebSocket needs a 'websocket' scope, got {scope['type']!r}")
        super().__init__(scope)
        self._receive = receive
        self._send = send
        self.client_state = WebSocketState.CONNECTING
        self.application_state = WebSocketState.CONNECTING

    async def receive(self) -> Message:
        """Receive the next raw ASGI message, checking the client state."""
        state = self.client_state
        if state is WebSocketState.CONNECTING:
            message = await self._receive()
            kind = message["type"]
            if kind != "websocket.connect":
                raise WebSocketStateError(
                    f"expected 'websocket.connect' as the first message, got {kind!r}"
                )
            self.client_state = WebSocketState.CONNECTED
            return message
        if state is WebSocketState.CONNECTED:
            message = await self._receive()
            kind = message["type"]
            if kind == "websocket.disconnect":
                self.client_state = WebSocketState.DISCONNECTED
            elif kind != "websocket.receive":
                raise WebSocketStateError(
                    f"expected 'websocket.receive' or 'websocket.disconnect', got {kind!r}"
                )
            return message
        raise WebSocketStateError(
            "cannot receive: the client has disconnected; stop reading after WebSocketDisconnect"
        )

    async def send(self, message: Message) -> None:
        """Send a raw ASGI message, checking the application state."""
        state = self.application_state
        kind = message["type"]
        if state is WebSocketState.CONNECTING:
            if kind == "websocket.accept":
                self.application_state = WebSocketState.CONNECTED
            elif kind == "websocket.close":
                self.application_state = WebSocketState.DISCONNECTED
            elif kind == "websocket.http.response.start":
                self.application_state = WebSocketState.RESPONSE
            else:
                raise WebSocketStateError(
                    f"cannot send {kind!r} before the connection is accepted; call accept() first"
                )
            await self._send(message)
            return
        if state is WebSocketState.CONNECTED:
            if kind == "websocket.close":
                self.application_state = WebSocketState.DISCONNECTED
            elif kind != "websocket.send":
                raise WebSocketStateError(f"cannot send {kind!r} on an accepted connection")
            try:
                await self._send(message)
            except OSError:
                # SPEC: ASGI 2.4 - send raises OSError once the peer is gone.
                self.application_state = WebSocketState.DISCONNECTED
                raise WebSocketDisconnect(code=1006) from None
            return
        if state is WebSocketState.RESPONSE:
            if kind != "websocket.http.response.body":
                raise WebSocketStateError(f"cannot send {kind!r} while sending a denial response")
            if not message.get("more_body", False):
                self.application_state = WebSocketState.DISCONNECTED
            await self._send(message)
            return
        raise WebSocketStateError(f"cannot send {kind!r}: the connection is closed")

    async def accept(
        self,
        subprotocol: str | None = None,
        headers: Iterable[tuple[bytes, bytes]] | Mapping[str, str] | None = None,
    ) -> None:
        """Accept the connection, optionally choosing a subprotocol and adding headers."""
        raw: list[tuple[bytes, bytes]] = []
        if headers is not None:
            pairs = headers.items() if isinstance(headers, Mapping) else headers
            raw = [check_header(k, v) for k, v in pairs]
        if self.client_state is WebSocketState.CONNECTING:
            await self.receive()
        message: Message = {"type": "websocket.accept", "subprotocol": subprotocol}
        # SPEC: ASGI 2.1 added `headers` to websocket.accept; a server declaring
        # an older spec_version gets no such key (issue 18 item 11). The headers
        # are dropped with a warning in the log rather than failing the
        # handshake: the app still works under such a server (daphne), as it
        # does under Starlette-based frameworks there.
        if _spec_version(self.scope) >= (2, 1):
            message["headers"] = raw
        elif raw:
            _logger.warning(
                "websocket.accept: the server declares ASGI spec_version %r, which has no accept headers "
                "(added in 2.1); %d header(s) not sent",
                self.scope.get("asgi", {}).get("spec_version", "2.0"), len(raw),
            )
        await self.send(message)

    def _raise_on_disconnect(self, message: Message) -> None:
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))

    def _check_accepted(self) -> None:
        if self.application_state is not WebSocketState.CONNECTED:
            raise WebSocketStateError(
                f"the WebSocket is not connected (state {self.application_state.name}); "
                "call accept() first"
            )

    async def _receive_message(self) -> Message:
        """The next ``websocket.receive`` message of an accepted connection."""
        self._check_accepted()
        message = await self.receive()
        self._raise_on_disconnect(message)
        return message

    async def receive_text(self) -> str:
        """The next message, which must be a text one.

        Raises:
            WebSocketDisconnect: the client went away.
            WebSocketStateError: it was a binary message, or the connection is not accepted.
        """
        text = (await self._receive_message()).get("text")
        if text is None:
            raise WebSocketStateError("expected a text message, got a binary one; use receive_bytes()")
        return str(text)

    async def receive_bytes(self) -> bytes:
        """The next message, which must be a binary one (raises like ``receive_text``)."""
        data = (await self._receive_message()).get("bytes")
        if data is None:
            raise WebSocketStateError("expected a binary message, got a text one; use receive_text()")
        return bytes(data)

    async def receive_json(self, mode: Literal["text", "binary"] = "text") -> Any:
        """The next message decoded as JSON: its text (``mode="text"``, a binary
        message is read as UTF-8) or its bytes as UTF-8 (``mode="binary"``)."""
        if mode not in ("text", "binary"):
            raise ValueError('mode must be "text" or "binary"')
        message = await self._receive_message()
        if mode == "text":
            payload = message.get("text")
            if payload is None:
                payload = (message.get("bytes") or b"").decode("utf-8")
        else:
            payload = (message.get("bytes") or b"").decode("utf-8")
        return json.loads(payload)

    def iter_text(self) -> AsyncIterator[str]:
        """``async for text in websocket.iter_text()``: text messages until the client disconnects."""
        return _until_disconnect(self.receive_text)

    def iter_bytes(self) -> AsyncIterator[bytes]:
        """``async for data in websocket.iter_bytes()``: binary messages until the client disconnects."""
        return _until_disconnect(self.receive_bytes)

    def iter_json(self) -> AsyncIterator[Any]:
        """``async for value in websocket.iter_json()``: JSON text messages until the client disconnects."""
        return _until_disconnect(self.receive_json)

    async def send_text(self, data: str) -> None:
        """Send a text message."""
        await self.send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary message."""
        await self.send({"type": "websocket.send", "bytes": data})

    async def send_json(self, data: Any, mode: Literal["text", "binary"] = "text") -> None:
        """Send ``data`` as compact JSON, in a text message or (``mode="binary"``) as UTF-8 bytes."""
        if mode not in ("text", "binary"):
            raise ValueError('mode must be "text" or "binary"')
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "text":
            await self.send({"type": "websocket.send", "text": text})
        else:
            await self.send({"type": "websocket.send", "bytes": text.encode("utf-8")})

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Close the connection (before accept: deny it, which servers answer with 403)."""
        await self.send({"type": "websocket.close", "code": code, "reason": reason or ""})

    async def send_denial_response(self, response: Any) -> None:
        """Answer the handshake with an HTTP response instead of accepting.

        Uses the ``websocket.http.response`` extension when the server has it;
        otherwise closes, which servers turn into a 403.
        """
        if "websocket.http.response" in self.scope.get("extensions", {}):
            await response(self.scope, self._receive, self._send_denial)
        else:
            await self.close(1008)

    async def _send_denial(self, message: Message) -> None:
        kind = message["type"]
        if kind.startswith("http."):
            message = {**message, "type": "websocket." + kind}
        await self.send(message)


async def _until_disconnect(receive_one: Callable[[], Awaitable[T]]) -> AsyncIterator[T]:
    """Yield what ``receive_one`` returns until the client disconnects."""
    try:
        while True:
            yield await receive_one()
    except WebSocketDisconnect:
        pass
