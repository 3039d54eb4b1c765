"""The SSE lane's pump: a producer task and a keepalive forwarder.

How it works::

    generator --producer task--> [buffer 1] --forwarder--> send()
                                                | idle for ping_interval: ": ping"

* The producer iterates the endpoint's generator (sync ones in a worker
  thread), frames each item (``sse.py``) and puts it into a memory object
  stream with a buffer of ONE. When the buffer is full it holds the frames it
  makes next in a batch, and parks once the batch reaches ``HOLD_FRAMES``
  frames or ``HOLD_BYTES`` bytes, so a slow client holds the generator back
  (backpressure): at most one buffered frame and one bounded batch wait.
* The forwarder runs in the task that sends the response (``forward()``); it
  is the only reader. It takes the buffered frame together with the batch the
  producer holds (then wakes the producer), and sends them as ONE body message.
  Frames are only batched while the forwarder is busy sending: a frame made
  while it waits is sent at once, so batching never delays an event.
  When it finds nothing, it first yields once (a ready producer refills the
  buffer meanwhile), then waits for the producer under the idle deadline.
* Keepalives: after ``ping_interval`` seconds without a frame the forwarder
  sends ``KEEPALIVE_COMMENT``. The deadline lives on one long-lived cancel
  scope and is armed only while the forwarder waits (never during a send). The
  timer waits on an event the producer sets, never on the generator: the
  generator is never wrapped in a timeout, so a slow ``__anext__`` is never
  cancelled (a timeout there would finalize it with ``GeneratorExit`` at the
  wrong time). Frames are taken with ``receive_nowait`` only, so a deadline can
  never drop one; frames are whole events, so a ping never lands inside one.
* With ``max_keepalives=N``, an idle stream is ended when the interval elapses
  again after N consecutive pings; the generator is then cancelled and closed.
* The generator is finalized (``aclose()``/``close()``) exactly once, in the
  producer's ``finally``, whatever ends the stream.
* An exception from the generator (or from framing an item) is logged with the
  endpoint context, optionally followed by a final ``error_frame``, and ends the
  stream normally: the response has started, so it cannot become a 500.

PERF: bench scenario "sse". Each wake of a task costs a trip through the event
loop; taking every ready frame per wake (the batch), sending them in one
message, yielding with one checkpoint instead of a timed wait while the
producer keeps up, and moving one scope's deadline (instead of a new timeout
per wait) cut an event from ~95 us to a few us. Under a real server the
batch also means fewer, larger writes to the socket.

Lifetime: ``EventPump`` is an async context manager; entering it starts the
producer in a task group, leaving it stops the producer and waits for it.
``EventSourceResponse`` (``sse_response.py``) enters its pump around its
``__call__``, or earlier when a caller enters the response itself (e.g. on the
request's exit stack), so the pump lives exactly as long as the request.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, Final

import anyio
from anyio.lowlevel import checkpoint
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._source import Source, log_stream_error
from .response import SendBody
from .sse import KEEPALIVE_COMMENT

__all__ = ["DEFAULT_PING_INTERVAL", "HOLD_BYTES", "HOLD_FRAMES", "EventPump"]

DEFAULT_PING_INTERVAL: Final = 15.0
"""Seconds of silence before a keepalive comment. COMPAT(fastapi): 15 s."""

HOLD_FRAMES: Final = 256
"""Frames the producer batches while the buffer is full before it parks."""

HOLD_BYTES: Final = 16 * 1024
"""Bytes the producer batches while the buffer is full before it parks."""


def _event_boundary(tail: bytes) -> bool:
    # SPEC: WHATWG SSE: an event ends at a blank line; CRLF, LF and CR end lines.
    return not tail or tail.replace(b"\r\n", b"\n").replace(b"\r", b"\n").endswith(b"\n\n")


class EventPump:
    """Producer task + keepalive forwarder over ``source``; see the module docstring.

    Args:
        source: the generator, adapted by ``Source``.
        frame: turns one item into one complete SSE frame.
        ping_interval: idle seconds before a keepalive; ``None`` for no pings.
        max_keepalives: end an idle stream after this many consecutive pings.
        first: bytes sent before anything else (the ``retry`` frame).
        error_frame: bytes sent last when the generator raised.
        whole_frames: ``False`` when frames may be partial events (raw
            pre-framed chunks): a ping then waits for an event boundary.
        endpoint_ctx: names the endpoint in log lines.
    """

    __slots__ = (
        "_source", "_frame", "_interval", "_max_keepalives", "_first", "_error_frame",
        "_whole_frames", "_endpoint_ctx", "_tasks", "_to_forwarder", "_from_producer",
        "_producer_scope", "_ready", "_room", "_held", "_held_bytes", "_producer_done",
        "_producer_ran", "failed", "started",
    )

    def __init__(
        self,
        source: Source[Any],
        frame: Callable[[Any], bytes],
        *,
        ping_interval: float | None = DEFAULT_PING_INTERVAL,
        max_keepalives: int | None = None,
        first: bytes | None = None,
        error_frame: bytes | None = None,
        whole_frames: bool = True,
        endpoint_ctx: str | None = None,
    ) -> None:
        self._source = source
        self._frame = frame
        self._interval = math.inf if ping_interval is None else ping_interval
        self._max_keepalives = max_keepalives
        self._first = first
        self._error_frame = error_frame
        self._whole_frames = whole_frames
        self._endpoint_ctx = endpoint_ctx
        self._tasks: AsyncExitStack | None = None
        self._to_forwarder: MemoryObjectSendStream[bytes] | None = None
        self._from_producer: MemoryObjectReceiveStream[bytes] | None = None
        # made when the pump starts: a response may be built outside the event loop
        # (a sync endpoint runs in a worker thread), where anyio objects cannot be
        self._producer_scope: anyio.CancelScope | None = None
        self._ready: anyio.Event | None = None
        """Set by the producer when the forwarder waits for a frame."""
        self._room: anyio.Event | None = None
        """Set by the forwarder when it took the frame the producer holds."""
        self._held: list[bytes] | None = None
        """The frames the producer holds while the buffer is full (the batch)."""
        self._held_bytes = 0
        self._producer_done: anyio.Event | None = None
        self._producer_ran = False
        self.failed = False
        """True once the generator (or framing an item) raised."""
        self.started = False

    async def __aenter__(self) -> EventPump:
        if self.started:
            raise RuntimeError("an EventPump runs once; build a new response per request")
        self.started = True
        self._producer_scope = anyio.CancelScope()
        self._to_forwarder, self._from_producer = anyio.create_memory_object_stream[bytes](1)
        self._producer_done = anyio.Event()
        # The task group is entered through an exit stack (the public async-with
        # protocol) so that it can stay open between __aenter__ and __aexit__.
        tasks = AsyncExitStack()
        group = await tasks.enter_async_context(anyio.create_task_group())
        self._tasks = tasks
        group.start_soon(self._produce, self._to_forwarder)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        self.stop()
        tasks, self._tasks = self._tasks, None
        try:
            if tasks is not None:
                return await tasks.__aexit__(exc_type, exc, tb)
            return None
        finally:
            # A producer cancelled before its first step never closed its end.
            for stream in (self._to_forwarder, self._from_producer):
                if stream is not None:
                    stream.close()

    def stop(self) -> None:
        """Cancel the producer (which then closes the generator) and end ``forward()``."""
        if self._producer_scope is not None:
            self._producer_scope.cancel()
        if self._from_producer is not None:
            self._from_producer.close()
        self._wake_forwarder()

    async def aclose(self) -> None:
        """Stop the producer and wait until the generator was finalized."""
        self.stop()
        if not self._producer_ran:
            # Its task never took a step (and may never: a task cancelled before
            # its first step runs no code), so nobody would set _producer_done.
            await self._source.aclose()
        elif self._producer_done is not None:
            with anyio.CancelScope(shield=True):
                await self._producer_done.wait()

    def _wake_forwarder(self) -> None:
        ready = self._ready
        if ready is not None:
            self._ready = None
            ready.set()

    # The producer task.

    async def _put(self, to_forwarder: MemoryObjectSendStream[bytes], chunk: bytes) -> None:
        held = self._held
        if held is None:
            try:
                to_forwarder.send_nowait(chunk)
            except anyio.WouldBlock:
                # The buffer is full: start a batch; the forwarder takes it with
                # the buffered frame.
                self._held = [chunk]
                self._held_bytes = len(chunk)
                return
            self._wake_forwarder()
            return
        # PERF: a batch exists only while the buffer is full (the forwarder takes
        # both at once), so add to it without a send_nowait that would raise
        # WouldBlock for every frame.
        held.append(chunk)
        self._held_bytes += len(chunk)
        if len(held) < HOLD_FRAMES and self._held_bytes < HOLD_BYTES:
            return
        # Park only when the batch is full.
        room = self._room = anyio.Event()
        try:
            await room.wait()
        finally:
            self._room = None
            if self._held is held:  # cancelled while parked: the batch is dropped
                self._held = None

    async def _produce(self, to_forwarder: MemoryObjectSendStream[bytes]) -> None:
        self._producer_ran = True
        try:
            assert self._producer_scope is not None  # set by __aenter__ before the task starts
            with self._producer_scope:
                try:
                    frame = self._frame
                    put = self._put
                    async for item in self._source.iterator:
                        await put(to_forwarder, frame(item))
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    pass  # the forwarder is gone: the stream already ended
                except Exception as exc:
                    self.failed = True
                    log_stream_error(exc, "error in a server-sent events stream; the stream was ended",
                                     self._endpoint_ctx)
                    if self._error_frame is not None:
                        try:
                            await put(to_forwarder, self._error_frame)
                        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                            pass
        finally:
            to_forwarder.close()
            self._wake_forwarder()
            try:
                await self._source.aclose()
            except Exception as exc:
                log_stream_error(exc, "error while closing a server-sent events generator",
                                 self._endpoint_ctx)
            if self._producer_done is not None:
                self._producer_done.set()

    # The forwarder, run by the task that sends the response.

    def _take(self, from_producer: MemoryObjectReceiveStream[bytes]) -> bytes | None:
        """The buffered frame plus the batch the producer holds; ``None`` if none is ready.

        Raises:
            anyio.EndOfStream: the producer finished and every frame was taken.
            anyio.ClosedResourceError: the pump was stopped.
        """
        try:
            chunk = from_producer.receive_nowait()
        except anyio.WouldBlock:
            return None
        held = self._held
        if held is not None:  # the producer batches frames only while the buffer is full
            self._held = None
            if self._room is not None:
                self._room.set()
            held.insert(0, chunk)
            return b"".join(held)
        return chunk

    async def forward(self, send_body: SendBody) -> None:
        """Send the frames (and keepalives) through ``send_body`` until the stream ends.

        Returns when the generator is exhausted or failed (after its error
        frame), when ``max_keepalives`` pings went unanswered, or when the pump
        was stopped. Exceptions from ``send_body`` propagate; the producer is
        then stopped.
        """
        from_producer = self._from_producer
        if from_producer is None:
            raise RuntimeError("EventPump.forward() runs only inside 'async with pump'")
        interval = self._interval
        whole_frames = self._whole_frames
        limit = self._max_keepalives
        take = self._take
        pings = 0
        tail = b""
        try:
            if self._first is not None:
                await send_body(self._first)
            while True:
                with anyio.CancelScope() as idle:  # its deadline is armed only while waiting
                    yielded = False
                    while True:
                        chunk = take(from_producer)
                        if chunk is None:
                            if not yielded:
                                # PERF: a producer that keeps up refills the buffer during one
                                # loop turn; no timed wait is needed then.
                                yielded = True
                                await checkpoint()
                                continue
                            ready = self._ready = anyio.Event()
                            if interval != math.inf:
                                idle.deadline = anyio.current_time() + interval
                            await ready.wait()
                            idle.deadline = math.inf
                            continue
                        yielded = False
                        pings = 0
                        if not whole_frames:
                            tail = chunk[-4:] if len(chunk) >= 4 else (tail + chunk)[-4:]
                        await send_body(chunk)
                # The idle deadline passed (a new scope is made: a cancelled one stays cancelled).
                self._ready = None
                chunk = take(from_producer)
                if chunk is not None:  # a frame that came with the deadline is not idleness
                    pings = 0
                    if not whole_frames:
                        tail = chunk[-4:] if len(chunk) >= 4 else (tail + chunk)[-4:]
                    await send_body(chunk)
                    continue
                if not whole_frames and not _event_boundary(tail):
                    continue  # never split a raw event with a ping
                if limit is not None and pings >= limit:
                    return  # idle too long: end the stream
                pings += 1
                await send_body(KEEPALIVE_COMMENT)
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            pass  # the producer finished, or the pump was stopped
        finally:
            from_producer.close()
            if self._producer_scope is not None:  # an idle close must stop a stuck generator
                self._producer_scope.cancel()
