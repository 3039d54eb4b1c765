"""StreamingResponse: a body sent chunk by chunk from an (async) iterable.

Rules:

* ``http.response.start`` goes first; then each chunk is one
  ``http.response.body`` message with ``more_body=True``; an empty message with
  ``more_body=False`` ends the body. No ``Content-Length`` is set.
* Chunks are ``bytes``, ``str`` (encoded with ``charset``), ``bytearray`` or
  ``memoryview`` (copied: ASGI bodies are byte strings). Subclasses encode other
  items by overriding ``encode_chunk``.
* Sync iterables are iterated in a worker thread (``_source.Source``).
* ``HEAD`` and statuses without a body (1xx, 204, 304): the headers and an
  empty body are sent; the iterable is closed without being iterated.
* Disconnect: while the body streams, a second task waits on ``receive()`` for
  ``http.disconnect``; a task group ties the two, whichever ends first cancels
  the other. A ``send`` that raises ``OSError`` also means the client is gone
  (SPEC: ASGI HTTP spec 2.4, "send ... raises an OSError subclass" after a
  disconnect). Either way the stream stops quietly: nothing is raised.
* Fairness: a generator and a ``send`` that never suspend would keep the event
  loop (and the watcher) from running; the send loop yields once it held the
  loop for ``YIELD_INTERVAL`` seconds, not after every chunk.
* Batching: chunks the iterator makes without waiting go out together, in one
  body message (up to ``BATCH_BYTES`` or the end of the time slice); as soon
  as the iterator waits for anything (I/O, a sleep, a worker thread), what it
  made is sent, so batching never delays a chunk behind a wait. The iterator
  is consumed with ``async for``; a sender task does the batching
  (``batching.py``). PERF: bench ``streams``.
* The iterator is closed exactly once on every path (end, HEAD, disconnect,
  error, cancellation), then ``on_disconnect`` runs if the client left.
* Background tasks run only after the whole body was sent. After a disconnect
  or a failed stream they are skipped: the response was not delivered.
  (Starlette runs them after a disconnect seen through ``receive`` but not
  after one seen through ``send``; ferrule keeps one rule.) Cleanup that must
  always run belongs in the generator's ``finally``, a ``yield`` dependency,
  or ``on_disconnect``.
* An exception from the iterator after the start was sent cannot become a 500.
  ``on_error="raise"`` (``StreamingResponse``'s default): it propagates after
  the iterator is closed and without the final body message, so the server
  aborts the connection and the client sees a truncated body, not a complete
  one. ``on_error="end"`` (the JSON Lines and SSE lanes): it is logged on
  ``ferrule.streaming`` with ``endpoint_ctx`` and the body is ended normally.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, Final, Literal

import anyio

from ferrule.asgi_core.background import BackgroundTask
from ferrule.asgi_core.response import Response, status_has_no_body
from ferrule.asgi_core.types import Message, Receive, Scope, Send

from ._source import Source, log_stream_error
from .batching import BATCH_BYTES, Outbox

__all__ = ["BATCH_BYTES", "YIELD_INTERVAL", "OnDisconnect", "OnError", "Outcome", "SendBody", "StreamingResponse"]

OnError = Literal["raise", "end"]
Outcome = Literal["complete", "disconnected", "failed"]
OnDisconnect = Callable[[], "Awaitable[None] | None"]
SendBody = Callable[[bytes], Awaitable[None]]
"""Sends one ``http.response.body`` chunk with ``more_body=True``."""

YIELD_INTERVAL: Final = 0.002
"""Seconds a stream that never suspends may hold the event loop before it yields."""

_END_OF_BODY: Message = {"type": "http.response.body", "body": b"", "more_body": False}


class _ClientGone(Exception):
    """``send`` raised ``OSError``: the client disconnected."""


class StreamingResponse(Response):
    """A response whose body comes from an iterable, sent as it is produced.

    Args:
        content: an async iterable, or a sync iterable (iterated in a worker
            thread), of ``bytes``/``str``/``memoryview`` chunks.
        status_code: the HTTP status.
        headers: extra headers.
        media_type: the ``Content-Type`` media type (``text/*`` gets a charset).
        background: run after the whole body was sent (not after a disconnect).
        on_disconnect: called (sync, or awaited) once when the client left
            before the end, after the iterator was closed.
        on_error: ``"raise"`` or ``"end"``; see the module docstring.
        endpoint_ctx: names the endpoint in log lines, e.g.
            ``"GET /items -> app.items:stream (app/items.py:42)"``.

    Raises:
        TypeError: ``content`` is not an iterable of chunks.
        ValueError: ``on_error`` is not ``"raise"`` or ``"end"``.
    """

    on_error: OnError = "raise"

    def __init__(
        self,
        content: AsyncIterable[Any] | Iterable[Any],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        *,
        on_disconnect: OnDisconnect | None = None,
        on_error: OnError | None = None,
        endpoint_ctx: str | None = None,
    ) -> None:
        self.source: Source[Any] = Source(content)
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.on_disconnect = on_disconnect
        if on_error is not None:
            if on_error not in ("raise", "end"):
                raise ValueError(f"on_error must be 'raise' or 'end', got {on_error!r}")
            self.on_error = on_error
        self.endpoint_ctx = endpoint_ctx
        self._called = False
        self.outcome: Outcome | None = None
        """How the last call ended; ``None`` until it did."""
        self.init_headers(headers)

    @property
    def body_iterator(self) -> AsyncIterator[Any]:
        """The async iterator over the content (sync content: a thread-hopping wrapper)."""
        return self.source.iterator

    def encode_chunk(self, chunk: Any) -> bytes:
        """Turn one item of the iterable into body bytes."""
        if isinstance(chunk, bytes):
            return chunk
        if isinstance(chunk, str):
            return chunk.encode(self.charset)
        if isinstance(chunk, (bytearray, memoryview)):
            return bytes(chunk)
        raise TypeError(
            f"{type(self).__name__} chunks must be bytes, str or memoryview, "
            f"not {type(chunk).__name__}"
        )

    # Hooks for subclasses whose chunks come from somewhere else (SSE's pump).

    async def _send_chunks(self, send_body: SendBody) -> None:
        """Send every chunk of the body through ``send_body`` (the end is sent after).

        The iterator is iterated with ``async for`` in this task; a sender task
        sends what it made whenever it waits (``batching.Outbox``), so chunks
        made without waiting go out together and none is held back.
        """
        encode = self.encode_chunk
        clock = time.monotonic
        outbox = Outbox(send_body)
        failure: Exception | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(outbox.run)
            slice_end = clock() + YIELD_INTERVAL
            try:
                async for item in self.source.iterator:
                    chunk = encode(item)
                    if outbox.direct_left:  # the iterator waits between items: no batching
                        outbox.direct_left -= 1
                        await outbox.send_direct(chunk)
                    else:
                        outbox.put(chunk)
                        if outbox.size >= BATCH_BYTES:
                            await outbox.drain()
                        if outbox.error is not None:
                            break
                    # A generator and a send that never suspend would starve the watcher
                    # (and everything else). PERF: bench scenario "jsonl" (a checkpoint
                    # per line cost a third of the time): yield once per time slice.
                    if clock() >= slice_end:
                        await outbox.drain()
                        slice_end = clock() + YIELD_INTERVAL
            except Exception as exc:
                failure = exc
            outbox.close()  # what was made before the end (or a failure) is still sent
        if outbox.error is not None:
            raise outbox.error
        if failure is not None:
            raise failure

    async def _close_chunks(self) -> None:
        await self.source.aclose()

    def _chunks_failed(self) -> bool:
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._called:
            raise RuntimeError(
                f"{type(self).__name__} already sent: a streaming response can be sent once "
                "(its iterator is consumed); build a new response per request"
            )
        self._called = True
        error: Exception | None = None
        try:
            if scope.get("method") == "HEAD" or status_has_no_body(self.status_code):
                await self._send_headers_only(send)
                outcome: Outcome = "complete"
            else:
                outcome, error = await self._stream(receive, send)
        finally:
            try:
                await self._close_chunks()
            except Exception as exc:  # the generator's cleanup failed: nobody else can see it
                log_stream_error(exc, "error while closing the response stream", self.endpoint_ctx)
        if outcome == "complete" and self._chunks_failed():
            outcome = "failed"
        self.outcome = outcome
        if outcome == "disconnected":
            if error is not None:
                log_stream_error(error, "error while stopping a disconnected stream", self.endpoint_ctx)
            await self._notify_disconnect()
        elif error is not None:
            if self.on_error == "raise":
                raise error
            log_stream_error(error, "error in a streaming response; the stream was ended", self.endpoint_ctx)
        elif outcome == "complete" and self.background is not None:
            await self.background()

    async def _send_headers_only(self, send: Send) -> None:
        try:
            await send(self._start_message())
            await send(_END_OF_BODY)
        except OSError:
            pass  # SPEC: ASGI 2.4: the client is gone; nothing is left to send

    def _start_message(self) -> Message:
        return {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}

    async def _stream(self, receive: Receive, send: Send) -> tuple[Outcome, Exception | None]:
        """Send the body while watching for a disconnect; report how it ended."""
        gone = finished = False
        error: Exception | None = None

        async def checked_send(message: Message) -> None:
            try:
                await send(message)
            except OSError as exc:
                raise _ClientGone from exc

        async def send_body(body: bytes) -> None:
            try:
                await send({"type": "http.response.body", "body": body, "more_body": True})
            except OSError as exc:
                raise _ClientGone from exc

        async def watch(scope: anyio.CancelScope) -> None:
            nonlocal gone
            while True:
                try:
                    message = await receive()
                except OSError:
                    message = {"type": "http.disconnect"}
                # Other messages (request body nobody read) are dropped.
                if message["type"] == "http.disconnect":
                    gone = True
                    scope.cancel()
                    return

        async with anyio.create_task_group() as group:
            group.start_soon(watch, group.cancel_scope)
            try:
                await checked_send(self._start_message())
                await self._send_chunks(send_body)
                await checked_send(_END_OF_BODY)
                finished = True
            except _ClientGone:
                gone = True
            except Exception as exc:
                error = exc
                if self.on_error == "end" and not gone:
                    try:
                        await checked_send(_END_OF_BODY)
                    except _ClientGone:
                        gone = True
            group.cancel_scope.cancel()
        if finished:  # a disconnect seen after the last byte went out changes nothing
            return "complete", None
        if gone:
            return "disconnected", error
        return ("failed" if error is not None else "complete"), error

    async def _notify_disconnect(self) -> None:
        callback = self.on_disconnect
        if callback is None:
            return
        try:
            result = callback()
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            log_stream_error(exc, "error in on_disconnect", self.endpoint_ctx)
