"""The backend protocol behind ``Channels``, and the in-memory backend.

A backend does three things: store-and-publish an event (``publish``), answer
"the events of these channels after seq X" (``history``), and hand every event
published anywhere to this process's hub (``Receiver.deliver``). Fan-out to
the local subscribers, their buffers and the slow-consumer policy are the
hub's job (``hub.py``), the same for every backend.

Rules for a backend:

* ``seq`` grows across ALL channels (one sequence per backend), so events of
  several channels merge into one order and one id resumes them all.
* ``deliver`` is called from the backend's own task (or from ``publish``), in
  ``seq`` order per channel; calling it twice for one event is allowed (the
  hub drops an event whose ``seq`` is not above the last one it delivered on
  that channel), so a backend may re-read after a reconnect without care.
* After a reconnect, a backend re-delivers from history what its receiver
  missed: ``Receiver.positions()`` says, per channel with local subscribers,
  the last ``seq`` delivered.
* ``start`` gets a task group that lives as long as the hub: a backend that
  needs a listening task starts it there.

The in-memory backend: one process, no dependency. Delivery is synchronous
inside ``publish``; history is the last ``history`` events of each channel.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping
from heapq import merge
from typing import Protocol

from anyio.abc import TaskGroup

from .event import ChannelEvent

__all__ = ["ChannelBackend", "MemoryBackend", "Receiver", "DEFAULT_HISTORY"]

DEFAULT_HISTORY = 1000
"""Events kept per channel for resume (``history=`` on a backend)."""


class Receiver(Protocol):
    """What a backend hands events to: the hub of one process."""

    def deliver(self, event: ChannelEvent) -> None:
        """Fan ``event`` out to this process's subscribers of its channel."""

    def positions(self) -> Mapping[str, int]:
        """Channel -> last ``seq`` delivered, for every channel with local subscribers."""


class ChannelBackend(Protocol):
    """The storage and transport of ``Channels``; see the module docstring."""

    async def start(self, receiver: Receiver, task_group: TaskGroup) -> None:
        """Connect, then deliver every event published from now on to ``receiver``."""

    async def stop(self) -> None:
        """Stop delivering and release connections (the task group is cancelled after)."""

    async def publish(self, channel: str, raw: bytes) -> ChannelEvent:
        """Store the event in history and deliver it to every process; returns it."""

    async def history(self, channels: Collection[str], after: int) -> list[ChannelEvent]:
        """The retained events of ``channels`` with ``seq > after``, in ``seq`` order."""


class MemoryBackend:
    """One process, no dependency: delivery inside ``publish``, history in memory.

    Args:
        history: events kept per channel for ``Last-Event-ID`` resume
            (``0`` keeps none).

    Guarantee: every subscriber of this process gets every event published
    while it is subscribed, in order, unless its own buffer policy drops or
    disconnects it; resume works within the last ``history`` events of each
    channel. Nothing crosses processes and nothing survives a restart.
    """

    def __init__(self, *, history: int = DEFAULT_HISTORY) -> None:
        if history < 0:
            raise ValueError(f"history is a number of events per channel (>= 0), got {history!r}")
        self._history_size = history
        self._seq = 0
        self._logs: dict[str, deque[ChannelEvent]] = {}
        self._receiver: Receiver | None = None

    async def start(self, receiver: Receiver, task_group: TaskGroup) -> None:
        self._receiver = receiver

    async def stop(self) -> None:
        self._receiver = None

    async def publish(self, channel: str, raw: bytes) -> ChannelEvent:
        self._seq += 1
        event = ChannelEvent(channel, self._seq, raw)
        if self._history_size:
            log = self._logs.get(channel)
            if log is None:
                log = self._logs[channel] = deque(maxlen=self._history_size)
            log.append(event)
        if self._receiver is not None:
            self._receiver.deliver(event)
        return event

    async def history(self, channels: Collection[str], after: int) -> list[ChannelEvent]:
        found: list[list[ChannelEvent]] = []
        for channel in channels:
            log = self._logs.get(channel)
            if log:
                found.append([event for event in log if event.seq > after])
        if len(found) == 1:
            return found[0]
        return list(merge(*found, key=lambda event: event.seq))
