"""``Channels``: publish and subscribe, one hub per app (per process), over one backend.

Rules:

* Lifetime: ``async with Channels(...)`` (or ``start()``/``stop()`` in ONE
  task: the app's lifespan) starts the backend in a task group the hub owns.
  The natural owner is an app-scoped dependency, created by the lifespan::

      async def get_channels() -> AsyncIterator[Channels]:
          async with Channels(RedisBackend(url)) as channels:
              yield channels

      ChannelsDep = Annotated[Channels, Depends(get_channels, scope="app")]

* ``publish(channel, data)`` encodes ``data`` as JSON once and hands it to the
  backend; it never waits for a subscriber.
* ``subscribe(channels, last_id=...)`` registers the subscription BEFORE it
  reads history, so nothing published meanwhile is lost; the overlap is
  handed out once (``Subscription`` skips what is not newer).
* Fan-out (``deliver``) pushes to each local subscriber's bounded buffer and
  never waits (``subscription.py`` has the overflow policies). Per channel
  the hub remembers the last ``seq`` it delivered and drops anything not
  newer: a backend may re-deliver after a reconnect.
* When the hub stops, every subscription ends (``StopAsyncIteration``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from types import TracebackType
from typing import Any

import anyio

from ferrule.streaming._encode import jsonable_json

from .backend import ChannelBackend, MemoryBackend
from .event import ChannelEvent, check_channel, parse_event_id
from .subscription import DEFAULT_BUFFER, OverflowPolicy, Subscription, check_buffer

__all__ = ["Channels", "ChannelsNotStarted"]


class ChannelsNotStarted(RuntimeError):
    """``publish``/``subscribe`` before ``start()`` or after ``stop()``."""


class Channels:
    """A publish/subscribe hub over ``backend`` (in-memory by default).

    Args:
        backend: where events are stored and how they reach other processes;
            ``None`` is a ``MemoryBackend()`` (one process).
        buffer: default events buffered per subscriber.
        policy: default overflow policy, ``"drop_oldest"`` or ``"disconnect"``.

    Raises:
        ValueError: ``buffer`` < 1 or an unknown ``policy``.
    """

    def __init__(
        self,
        backend: ChannelBackend | None = None,
        *,
        buffer: int = DEFAULT_BUFFER,
        policy: OverflowPolicy = "drop_oldest",
    ) -> None:
        check_buffer(buffer, policy)
        self.backend: ChannelBackend = MemoryBackend() if backend is None else backend
        self.buffer = buffer
        self.policy: OverflowPolicy = policy
        self._subscribers: dict[str, dict[Subscription, None]] = {}
        self._delivered: dict[str, int] = {}
        self._seen = 0
        """The highest ``seq`` delivered on any channel: a new channel's starting position."""
        self._tasks: AsyncExitStack | None = None
        self._group_scope: anyio.CancelScope | None = None
        self._started = False

    # -- lifetime --------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self._started

    async def start(self) -> None:
        """Start the backend (call ``stop()`` from the same task)."""
        if self._started:
            raise RuntimeError("Channels.start(): already started")
        tasks = AsyncExitStack()
        group = await tasks.enter_async_context(anyio.create_task_group())
        try:
            await self.backend.start(self, group)
        except BaseException:
            group.cancel_scope.cancel()
            await tasks.aclose()
            raise
        self._tasks = tasks
        self._group_scope = group.cancel_scope
        self._started = True

    async def stop(self) -> None:
        """End every subscription, stop the backend and its tasks."""
        if not self._started:
            return
        self._started = False
        for subscribers in list(self._subscribers.values()):
            for subscription in list(subscribers):
                subscription.close()
        self._subscribers.clear()
        self._delivered.clear()
        self._seen = 0
        tasks, self._tasks = self._tasks, None
        try:
            with anyio.CancelScope(shield=True):
                await self.backend.stop()
        finally:
            if tasks is not None:
                # the backend's tasks are done with: cancel them, then leave the group
                if self._group_scope is not None:
                    self._group_scope.cancel()
                    self._group_scope = None
                await tasks.aclose()

    async def __aenter__(self) -> Channels:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def _check_started(self, what: str) -> None:
        if not self._started:
            raise ChannelsNotStarted(
                f"Channels.{what}() before start(): enter 'async with Channels(...)' in the app's "
                f"lifespan or in an app-scoped dependency (Depends(..., scope='app'))"
            )

    # -- publish ---------------------------------------------------------------

    async def publish(self, channel: str, data: Any) -> str:
        """Publish ``data`` (anything JSON-able: dicts, models, strings...) on ``channel``.

        Returns:
            the event's id.

        Raises:
            ChannelsNotStarted: the hub is not running.
            TypeError, ValueError: a bad channel name.
            pydantic_core.PydanticSerializationError: ``data`` has no JSON form.
        """
        self._check_started("publish")
        event = await self.backend.publish(check_channel(channel), jsonable_json(data))
        if event.seq > self._seen:
            # a subscriber that joins after this returned must not get it (in flight from Redis)
            self._seen = event.seq
        return event.id

    # -- subscribe -------------------------------------------------------------

    @asynccontextmanager
    async def subscribe(
        self,
        channels: str | Iterable[str],
        *,
        last_id: str | int | None = None,
        buffer: int | None = None,
        policy: OverflowPolicy | None = None,
    ) -> AsyncIterator[Subscription]:
        """Subscribe to ``channels`` for the ``async with`` block; async-iterate the result.

        Args:
            channels: one name or several.
            last_id: resume after this event id (e.g. the ``Last-Event-ID``
                header): the retained events after it come first, then live ones.
            buffer, policy: override the hub's defaults for this subscriber.

        Raises:
            ChannelsNotStarted: the hub is not running.
            ValueError: no channel, a bad name, buffer or policy.
        """
        self._check_started("subscribe")
        names = (channels,) if isinstance(channels, str) else tuple(dict.fromkeys(channels))
        if not names:
            raise ValueError("subscribe() needs at least one channel name")
        for name in names:
            check_channel(name)
        size = self.buffer if buffer is None else buffer
        chosen: OverflowPolicy = self.policy if policy is None else policy
        check_buffer(size, chosen)
        subscription = Subscription(names, size, chosen)
        for name in names:
            subscribers = self._subscribers.get(name)
            if subscribers is None:
                subscribers = self._subscribers[name] = {}
                self._delivered[name] = self._seen
            subscribers[subscription] = None
        try:
            after = _as_seq(last_id)
            if after is not None:
                subscription.resume(after, await self.backend.history(names, after))
            yield subscription
        finally:
            subscription.close()
            for name in names:
                subscribers = self._subscribers.get(name)
                if subscribers is not None:
                    subscribers.pop(subscription, None)
                    if not subscribers:
                        del self._subscribers[name]
                        self._delivered.pop(name, None)

    def subscriber_count(self, channel: str) -> int:
        """Subscribers of ``channel`` in this process."""
        return len(self._subscribers.get(channel, ()))

    # -- the backend's side (Receiver) ----------------------------------------

    def deliver(self, event: ChannelEvent) -> None:
        """Fan ``event`` out to the local subscribers of its channel (never waits)."""
        channel = event.channel
        seq = event.seq
        if seq > self._seen:
            self._seen = seq
        subscribers = self._subscribers.get(channel)
        if not subscribers:
            return
        if seq <= self._delivered[channel]:
            return  # re-delivered after a reconnect
        self._delivered[channel] = seq
        for subscription in subscribers:
            subscription.push(event)

    def positions(self) -> Mapping[str, int]:
        """Channel -> last ``seq`` delivered, for channels with local subscribers."""
        return dict(self._delivered)


def _as_seq(last_id: str | int | None) -> int | None:
    if last_id is None or isinstance(last_id, int):
        return last_id
    return parse_event_id(last_id)

