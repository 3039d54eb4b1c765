"""``Subscription``: one subscriber's bounded buffer, its overflow policy, and its iterator.

Rules:

* ``push`` (called by the hub while it fans an event out) never waits: the
  publisher and the other subscribers never depend on how fast this one reads.
* The buffer holds at most ``buffer`` events. When it is full:
  ``"drop_oldest"`` drops the oldest buffered event (counted in ``dropped``);
  ``"disconnect"`` ends the subscription: the iterator raises ``SlowConsumer``
  once the events already buffered were read. With history, a disconnected SSE
  client reconnects with ``Last-Event-ID`` and misses nothing.
* Resume: events from history (``backlog``) come first; a live event that was
  buffered meanwhile is skipped if its ``seq`` is not above the last one
  handed out, so the overlap between history and live is delivered once.
* ``close()`` ends the iteration (``StopAsyncIteration``) after nothing more;
  buffered events are discarded.

A subscription holds a deque and a few fields (no task): 10,000 idle ones cost
a few MB (test: ``test_idle_subscribers_memory``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Final, Literal

import anyio

from .event import ChannelEvent

__all__ = ["DEFAULT_BUFFER", "OverflowPolicy", "SlowConsumer", "Subscription"]

OverflowPolicy = Literal["drop_oldest", "disconnect"]
DEFAULT_BUFFER: Final = 256
"""Events buffered per subscriber before its overflow policy applies."""
_POLICIES: Final = ("drop_oldest", "disconnect")


class SlowConsumer(Exception):
    """A ``"disconnect"`` subscription whose buffer overflowed: it was ended.

    Attributes:
        channels: the subscription's channels.
        buffer: its buffer size.
        last_id: the id of the last event it handed out (resume from there), or ``None``.
    """

    def __init__(self, channels: tuple[str, ...], buffer: int, last_id: str | None) -> None:
        super().__init__(
            f"slow consumer on {', '.join(channels)}: its buffer of {buffer} events was full, so it "
            f"was disconnected (last delivered id: {last_id}); read faster, raise buffer=, "
            f"or use policy='drop_oldest'"
        )
        self.channels = channels
        self.buffer = buffer
        self.last_id = last_id


def check_buffer(buffer: int, policy: str) -> None:
    """Raises ``ValueError`` for a buffer size < 1 or an unknown policy."""
    if not isinstance(buffer, int) or buffer < 1:
        raise ValueError(f"buffer is a number of events (>= 1), got {buffer!r}")
    if policy not in _POLICIES:
        raise ValueError(f"policy must be one of {', '.join(map(repr, _POLICIES))}, got {policy!r}")


class Subscription:
    """Events of some channels for one subscriber; async-iterate it.

    Built by ``Channels.subscribe``; see the module docstring for the rules.

    Attributes:
        channels: the channel names.
        dropped: events dropped by ``"drop_oldest"`` so far.
    """

    __slots__ = ("channels", "dropped", "on_disconnect", "_buffer", "_size", "_disconnect", "_backlog",
                 "_last", "_waiter", "_ended", "__weakref__")

    def __init__(self, channels: tuple[str, ...], buffer: int, policy: OverflowPolicy) -> None:
        self.channels = channels
        self.dropped = 0
        self.on_disconnect: Callable[[SlowConsumer], None] | None = None
        """Called (synchronously, by the publisher's fan-out) when ``"disconnect"`` ends this
        subscription: a reader stuck in a send learns it here (``Room`` closes the socket)."""
        self._buffer: deque[ChannelEvent] = deque()
        self._size = buffer
        self._disconnect = policy == "disconnect"
        self._backlog: deque[ChannelEvent] | None = None
        self._last = 0
        self._waiter: anyio.Event | None = None
        self._ended: BaseException | None = None

    @property
    def last_id(self) -> str | None:
        """The id of the last event handed out (or the resume point), ``None`` before any."""
        return str(self._last) if self._last else None

    @property
    def closed(self) -> bool:
        return self._ended is not None

    def push(self, event: ChannelEvent) -> None:
        """Buffer one live event (never waits); applies the overflow policy."""
        if self._ended is not None:
            return
        buffer = self._buffer
        if len(buffer) >= self._size:
            if self._disconnect:
                error = SlowConsumer(self.channels, self._size, self.last_id)
                self._end(error)
                if self.on_disconnect is not None:
                    self.on_disconnect(error)
                return
            buffer.popleft()
            self.dropped += 1
        buffer.append(event)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            waiter.set()

    def resume(self, after: int, backlog: Iterable[ChannelEvent]) -> None:
        """Hand out ``backlog`` (history after ``after``) before the live events."""
        self._last = max(self._last, after)
        self._backlog = deque(backlog)

    def close(self) -> None:
        """End the iteration; nothing more is handed out."""
        self._buffer.clear()
        self._end(StopAsyncIteration())

    def _end(self, reason: BaseException) -> None:
        if self._ended is None:
            self._ended = reason
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            waiter.set()

    def get_nowait(self) -> ChannelEvent | None:
        """The next event if one is ready, else ``None`` (raises like ``__anext__`` once ended)."""
        backlog = self._backlog
        if backlog:
            event = backlog.popleft()
            self._last = event.seq
            return event
        buffer = self._buffer
        while buffer:
            event = buffer.popleft()
            if event.seq > self._last:
                self._last = event.seq
                return event
        ended = self._ended
        if ended is not None:
            if isinstance(ended, StopAsyncIteration):
                raise StopAsyncIteration
            raise ended
        return None

    def __aiter__(self) -> AsyncIterator[ChannelEvent]:
        return self

    async def __anext__(self) -> ChannelEvent:
        while True:
            event = self.get_nowait()
            if event is not None:
                return event
            waiter = self._waiter = anyio.Event()
            try:
                await waiter.wait()
            finally:
                self._waiter = None

    def __repr__(self) -> str:
        return f"<Subscription {', '.join(self.channels)} buffered={len(self._buffer)} last_id={self.last_id}>"
