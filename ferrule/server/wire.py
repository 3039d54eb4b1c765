"""The byte pipe under one connection: buffered reads with deadlines, writes, a peer-close hook.

Two implementations share one interface (`Wire`):
- `AsyncioWire`, the `asyncio.Protocol` of each connection the loop's own
  server accepts (`accept.py`) when the server runs on asyncio over plain
  TCP or a Unix socket: bytes arrive by callback, writes go straight to the
  transport, and a read waits on one future. PERF: no reader task, no cancel
  scope and no lock per read or write (issue 19: the stream loop they replace
  cost about half of a hello request).
- `StreamWire`, any anyio `ByteStream` (trio, TLS): one reader task feeds the
  same buffer; waits use anyio events and cancel scopes.

Rules:
1. Incoming bytes are buffered, at most `budget` bytes; past that, reading
   pauses until the connection takes them, so memory stays bounded under fast
   uploads and pipelining. Reading continues while an app runs: that is how
   a peer's close is seen at once (`on_close`, called once).
2. `take()` returns and clears the buffer; `wait(deadline)` returns True once
   bytes or EOF are buffered, False at the deadline or when `interrupt()` is
   called during the wait.
3. `write()` raises `ClientDisconnected` once the peer is gone; it waits only
   while the kernel's send buffer and the transport's are full (backpressure).
   `call_soon(callback)` runs `callback` once the current task yields, and
   `write_nowait()` may be called from it: `AsyncioWire` writes to the
   transport at once; `StreamWire` queues the bytes for a writer task, and its
   next `write()` sends whatever is still queued first, so bytes go out in
   the order they were given (`http_cycle` rule 4 flushes a held head this way).
4. `receive()`/`send()`/`send_eof()`/`aclose()` make a wire an anyio-style
   byte stream for the WebSocket protocol, which takes over after an upgrade.
5. PERF: an `AsyncioWire` keeps one timer for its deadlines and moves it
   lazily: a wait with a later deadline than the armed timer leaves it armed,
   and when it fires before the current deadline it re-arms itself for that
   deadline. A keep-alive connection thus schedules about one timer per
   timeout period instead of a `call_at` + `cancel` per request (issue 19:
   ~2.5 us of a ~100 us request on uvloop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Final

import anyio
import anyio.abc

from .state import ClientDisconnected

__all__ = ["Wire", "AsyncioWire", "StreamWire", "BUFFER_BUDGET"]

#: Bytes a wire may buffer ahead of the request loop (pipelined data, body bytes).
BUFFER_BUDGET: Final = 256 * 1024
_READ_SIZE: Final = 64 * 1024
#: A deadline timer that fires this close to the deadline counts as on time (loop clocks tick in ms).
_TIMER_SLACK: Final = 0.001
#: asyncio transport write buffer above which `write()` waits (then resumes below a quarter).
_WRITE_HIGH_WATER: Final = 64 * 1024


def take_from(buf: bytearray, limit: int) -> bytes:
    """Remove and return up to `limit` bytes from the front of `buf` (all of it if `limit` < 0)."""
    if 0 <= limit < len(buf):
        data = bytes(buf[:limit])
        del buf[:limit]
    else:
        data = bytes(buf)
        buf.clear()
    return data


class Wire:
    """Interface of a connection's byte pipe (see the module rules)."""

    __slots__ = ("eof", "broken", "on_close", "_buf", "_budget", "_interrupted")

    def __init__(self, budget: int) -> None:
        self.eof = False
        self.broken = False
        self.on_close: Callable[[], None] | None = None
        self._buf = bytearray()
        self._budget = budget
        self._interrupted = False

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def _closed_by_peer(self) -> None:
        if not self.eof:
            self.eof = True
            callback = self.on_close
            if callback is not None:
                callback()

    def take(self, limit: int = -1) -> bytes:
        raise NotImplementedError

    def clock(self) -> float:
        raise NotImplementedError

    async def wait(self, deadline: float | None) -> bool:
        raise NotImplementedError

    def interrupt(self) -> None:
        raise NotImplementedError

    def call_soon(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the current task yields (rule 3)."""
        raise NotImplementedError

    def write_nowait(self, data: bytes) -> bool:
        """Write (or queue, rule 3) without waiting; False: the peer is slow, wait in `write()` next."""
        raise NotImplementedError

    async def write(self, data: bytes) -> None:
        raise NotImplementedError

    async def send_eof(self) -> None:
        raise NotImplementedError

    async def aclose(self) -> None:
        raise NotImplementedError

    async def run(self, main: Callable[[], Awaitable[None]]) -> None:
        """Run the connection's `main` with whatever the wire needs beside it."""
        await main()

    # -- anyio-style byte stream, for the WebSocket protocol -------------------

    async def receive(self, max_bytes: int = _READ_SIZE) -> bytes:
        while not self._buf and not self.eof:
            await self.wait(None)
        data = self.take(max_bytes)
        if not data:
            raise anyio.EndOfStream
        return data

    async def send(self, data: bytes) -> None:
        try:
            await self.write(data)
        except ClientDisconnected:
            raise anyio.BrokenResourceError from None


class AsyncioWire(asyncio.Protocol, Wire):
    """A wire that is the asyncio transport's protocol (rule: callbacks, no reader task).

    `on_made` is called once from `connection_made`, when the transport is there.
    """

    __slots__ = ("_transport", "_loop", "_waiter", "_paused", "_drain", "_on_made", "_deadline", "_timer",
                 "_timer_at")

    def __init__(self, budget: int, on_made: Callable[[AsyncioWire], None]) -> None:
        Wire.__init__(self, budget)
        self._transport: Any = None
        self._loop = asyncio.get_running_loop()
        self._waiter: asyncio.Future[bool] | None = None
        self._paused = False
        self._drain: asyncio.Future[None] | None = None
        self._on_made: Callable[[AsyncioWire], None] | None = on_made
        #: The deadline of the wait in progress (None: none, or no deadline).
        self._deadline: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0

    @property
    def transport(self) -> asyncio.BaseTransport:
        return self._transport  # type: ignore[no-any-return]

    # -- asyncio.Protocol callbacks --------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        transport.set_write_buffer_limits(high=_WRITE_HIGH_WATER)  # type: ignore[attr-defined]
        on_made, self._on_made = self._on_made, None
        if on_made is not None:
            on_made(self)

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if len(self._buf) >= self._budget and not self._paused and not self.eof:
            self._paused = True
            self._transport.pause_reading()
        self._wake(True)

    def eof_received(self) -> bool:
        self._closed_by_peer()
        self._wake(True)
        return True  # keep the write side open: a half-closed client still gets its response

    def connection_lost(self, exc: Exception | None) -> None:
        self.broken = True
        self._closed_by_peer()
        self._wake(True)
        self._disarm()
        drain, self._drain = self._drain, None
        if drain is not None and not drain.done():
            drain.set_result(None)

    def pause_writing(self) -> None:
        if self._drain is None:
            self._drain = self._loop.create_future()

    def resume_writing(self) -> None:
        drain, self._drain = self._drain, None
        if drain is not None and not drain.done():
            drain.set_result(None)

    # -- the Wire interface ----------------------------------------------------

    def _wake(self, value: bool) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(value)

    def take(self, limit: int = -1) -> bytes:
        data = take_from(self._buf, limit)
        buf = self._buf
        if self._paused and len(buf) < self._budget and not self.eof:
            self._paused = False
            self._transport.resume_reading()
        return data

    def clock(self) -> float:
        return self._loop.time()

    async def wait(self, deadline: float | None) -> bool:
        if self._buf or self.eof:
            return True
        self._interrupted = False
        waiter: asyncio.Future[bool] = self._loop.create_future()
        self._waiter = waiter
        if deadline is not None:
            self._deadline = deadline
            # PERF: rule 5 - an armed timer due no later than this deadline is kept.
            if self._timer is None or self._timer_at > deadline:
                self._arm(deadline)
        try:
            got: bool = await waiter
            return got
        finally:
            self._deadline = None
            if self._waiter is waiter:
                self._waiter = None

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self._loop.call_at(when, self._on_timer)

    def _disarm(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _on_timer(self) -> None:
        self._timer = None
        deadline = self._deadline
        if deadline is None or self._waiter is None:
            return  # no wait in progress: the next wait arms a timer again
        if deadline <= self._loop.time() + _TIMER_SLACK:
            self._wake(False)
        else:
            self._arm(deadline)

    def interrupt(self) -> None:
        self._interrupted = True
        self._wake(False)

    def call_soon(self, callback: Callable[[], None]) -> None:
        self._loop.call_soon(callback)

    def write_nowait(self, data: bytes) -> bool:
        if self.broken or self._transport.is_closing():
            self.broken = True
            raise ClientDisconnected("client disconnected")
        self._transport.write(data)
        return self._drain is None

    async def write(self, data: bytes) -> None:
        if not self.write_nowait(data):
            drain = self._drain
            if drain is not None:
                await asyncio.shield(drain)
            if self.broken:
                raise ClientDisconnected("client disconnected")

    async def send_eof(self) -> None:
        if not self._transport.is_closing() and self._transport.can_write_eof():
            self._transport.write_eof()

    async def aclose(self) -> None:
        self._disarm()
        if not self._transport.is_closing():
            self._transport.close()
        self.broken = True


class StreamWire(Wire):
    """A wire over an anyio byte stream, read by one task (trio, TLS)."""

    __slots__ = ("_stream", "_data", "_room", "_write_lock", "_queued", "_tasks")

    def __init__(self, stream: anyio.abc.ByteStream, budget: int) -> None:
        Wire.__init__(self, budget)
        self._stream = stream
        self._data = anyio.Event()
        self._room = anyio.Event()
        self._write_lock = anyio.Lock()
        self._queued = bytearray()
        self._tasks: anyio.abc.TaskGroup | None = None

    async def run(self, main: Callable[[], Awaitable[None]]) -> None:
        async with anyio.create_task_group() as tg:
            self._tasks = tg
            tg.start_soon(self._reader)
            try:
                await main()
            finally:
                tg.cancel_scope.cancel()

    def call_soon(self, callback: Callable[[], None]) -> None:
        async def soon() -> None:
            callback()

        self._task_group().start_soon(soon)

    def write_nowait(self, data: bytes) -> bool:
        if self.broken:
            raise ClientDisconnected("client disconnected")
        self._queued += data
        self._task_group().start_soon(self._send_queued)
        return True

    def _task_group(self) -> anyio.abc.TaskGroup:
        if self._tasks is None:
            raise RuntimeError("StreamWire.run() is not running")  # internal: cycles run inside run()
        return self._tasks

    async def _send_queued(self) -> None:
        try:
            await self.write(b"")
        except ClientDisconnected:
            pass  # the connection sees it at its next write or read

    async def _reader(self) -> None:
        while not self.eof:
            if len(self._buf) >= self._budget:
                self._room = anyio.Event()
                await self._room.wait()
                continue
            try:
                data = await self._stream.receive(_READ_SIZE)
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                data = b""
            if data:
                self._buf += data
            else:
                self._closed_by_peer()
            self._data.set()

    def take(self, limit: int = -1) -> bytes:
        data = take_from(self._buf, limit)
        self._room.set()
        return data

    def clock(self) -> float:
        return anyio.current_time()

    async def wait(self, deadline: float | None) -> bool:
        if self._buf or self.eof:
            return True
        self._interrupted = False
        event = self._data = anyio.Event()
        with anyio.CancelScope(deadline=deadline if deadline is not None else float("inf")):
            await event.wait()
        return bool(self._buf or self.eof) and not self._interrupted

    def interrupt(self) -> None:
        self._interrupted = True
        self._data.set()

    async def write(self, data: bytes) -> None:
        if self.broken:
            raise ClientDisconnected("client disconnected")
        async with self._write_lock:
            if self._queued:
                data = bytes(self._queued) + data
                self._queued.clear()
            if not data:
                return
            try:
                await self._stream.send(data)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                self.broken = True
                self._closed_by_peer()
                raise ClientDisconnected("client disconnected") from None

    async def send_eof(self) -> None:
        try:
            await self._stream.send_eof()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, NotImplementedError, OSError):
            pass

    async def aclose(self) -> None:
        self.broken = True
        await self._stream.aclose()
