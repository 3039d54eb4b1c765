"""A hand-written ASGI client for driving streaming responses directly."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

import anyio
import asgi_scopes

from ferrule.asgi_core.types import Message, Scope

T = TypeVar("T")


def http_scope(method: str = "GET") -> Scope:
    """The scope of a request for ``/stream`` from an ASGI 2.4 server (a failed send raises ``OSError``)."""
    scope = asgi_scopes.http_scope("/stream", method=method)
    scope["asgi"]["spec_version"] = "2.4"
    return scope


class Client:
    """Records what the app sends; ``disconnect()`` makes ``receive`` report the client gone.

    Args:
        on_body: awaited after each body message is recorded (drives the test).
        send_raises_after: once this many body messages were recorded, ``send``
            raises ``OSError`` as an ASGI 2.4 server does for a gone client.
        disconnect_after: ``disconnect()`` once this many non-empty chunks were
            recorded (the client goes away mid-stream).
    """

    def __init__(
        self,
        on_body: Callable[[Client, bytes], Awaitable[None]] | None = None,
        send_raises_after: int | None = None,
        disconnect_after: int | None = None,
    ) -> None:
        self.messages: list[Message] = []
        self.on_body = on_body
        self.send_raises_after = send_raises_after
        self.disconnect_after = disconnect_after
        self._gone: anyio.Event | None = None
        self.receive_calls = 0

    @property
    def gone(self) -> anyio.Event:
        if self._gone is None:
            self._gone = anyio.Event()
        return self._gone

    def disconnect(self) -> None:
        self.gone.set()

    async def receive(self) -> Message:
        self.receive_calls += 1
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.body" and self.send_raises_after is not None:
            if len(self.chunks) >= self.send_raises_after:
                raise OSError("client disconnected")
        self.messages.append(message)
        if message["type"] != "http.response.body":
            return
        if self.disconnect_after is not None and len(self.chunks) == self.disconnect_after:
            self.disconnect()
        if self.on_body is not None:
            await self.on_body(self, message["body"])

    @property
    def start(self) -> Message:
        assert self.messages and self.messages[0]["type"] == "http.response.start"
        return self.messages[0]

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.start["headers"])

    @property
    def chunks(self) -> list[bytes]:
        """Non-empty body chunks, in order."""
        return [m["body"] for m in self.messages if m["type"] == "http.response.body" and m["body"]]

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def finished(self) -> bool:
        """True when the last message ends the body (``more_body`` false)."""
        last = self.messages[-1] if self.messages else None
        return (
            last is not None
            and last["type"] == "http.response.body"
            and not last.get("more_body", False)
        )


class Life:
    """Counts a stream's life: items made, runs of its ``finally``, disconnects, background runs."""

    def __init__(self) -> None:
        self.produced = 0
        self.finalized = 0
        self.cancelled_inside = 0
        self.disconnects = 0
        self.background_runs = 0
        self.threads: set[int] = set()

    def on_disconnect(self) -> None:
        self.disconnects += 1

    def background(self) -> None:
        self.background_runs += 1

    def assert_ended_by_disconnect(self) -> None:
        """The stream was finalized once and the disconnect hook ran once; the background task never ran."""
        assert (self.finalized, self.disconnects, self.background_runs) == (1, 1, 0)

    async def stream(self, items: Iterable[T]) -> AsyncIterator[T]:
        """Yield ``items`` (each counted in ``produced``); ``finalized`` counts the ``finally``."""
        try:
            for item in items:
                self.produced += 1
                yield item
        finally:
            self.finalized += 1

    async def idle_after(self, first: T) -> AsyncIterator[T]:
        """Yield ``first``, then wait forever; ``finalized`` counts the ``finally``."""
        try:
            yield first
            await anyio.sleep_forever()
        finally:
            self.finalized += 1
