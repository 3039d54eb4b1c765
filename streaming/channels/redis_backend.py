"""``RedisBackend``: channels across processes and machines, with history, on Redis.

How it works::

    publish --EVALSHA--> INCR {p}:seq ; XADD {p}:s:<channel> <seq>-0 ; PUBLISH {p}:c:<channel>
    listener task: PSUBSCRIBE {p}:c:* --> hub.deliver(event)
    history / catch-up: XRANGE {p}:s:<channel> <after+1>-0 +  (merged across channels by seq)

* One Lua script stores and publishes each event atomically: the stream entry,
  the pub/sub message and the sequence number agree, and ids grow across all
  channels (one counter), so one ``Last-Event-ID`` resumes several channels.
* Every process pattern-subscribes to all channels once (no per-channel
  SUBSCRIBE to keep in step with local subscribers); the hub drops events of
  channels nobody in the process listens to. PERF: a process receives every
  event; shard by ``prefix`` when channels have disjoint audiences.
* Faults: when the pub/sub connection fails (Redis restarted, network cut,
  no answer to a ping within ``ping_interval``), the listener logs a warning,
  waits (exponential backoff, ``backoff`` up to ``max_backoff``), reconnects,
  re-subscribes, THEN reads from the streams every event after the last one
  the hub delivered on each channel with subscribers: nothing retained is
  lost, nothing is delivered twice (the hub drops what is not newer).
  redis-py's own silent reconnect is turned off (``Retry(NoBackoff(), 0)``) so
  a reconnect can never skip that catch-up.
* Publishes go through one writer task that sends all queued ones in one
  pipeline (``redis_writer.py``); a failed send is retried with the same
  backoff for up to ``publish_timeout`` seconds, then ``publish`` raises
  ``ChannelsUnavailable``. A retried send whose first attempt did reach Redis
  stores the event twice (at least once); each copy has its own id.
* Ids never go backwards for a process, even if Redis lost its data: the
  script takes ``max(INCR, highest id this process saw + 1)`` (and the top of
  the channel's stream), so subscribers never drop new events as old ones.
* History is trimmed to about ``history`` entries per channel (``MAXLEN ~``).
* asyncio only: redis-py's client (``redis.asyncio``) runs on asyncio, not on
  trio; ``start()`` under trio raises a ``RuntimeError`` that says so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from heapq import merge
from typing import Any, Final

import anyio
from anyio.abc import TaskGroup, TaskStatus

from .backend import DEFAULT_HISTORY, Receiver
from .event import ChannelEvent
from .redis_writer import PublishWriter

__all__ = ["ChannelsUnavailable", "RedisBackend"]

logger = logging.getLogger("ferrule.channels")

# KEYS: seq key, stream key. ARGV: data, pub/sub channel, maxlen, floor.
_PUBLISH_LUA: Final = """
local seq = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[4])
if seq <= floor then
  seq = floor + 1
  redis.call('SET', KEYS[1], string.format('%d', seq))
end
local res = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], string.format('%d-0', seq), 'd', ARGV[1])
if type(res) == 'table' and res.err then
  local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
  seq = tonumber(string.match(last[1][1], '^(%d+)')) + 1
  redis.call('SET', KEYS[1], string.format('%d', seq))
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], string.format('%d-0', seq), 'd', ARGV[1])
end
redis.call('PUBLISH', ARGV[2], string.format('%d ', seq) .. ARGV[1])
return seq
"""


class ChannelsUnavailable(ConnectionError):
    """Redis could not be reached within the time allowed (``connect_timeout``/``publish_timeout``)."""


def _redis() -> Any:
    try:
        import redis.asyncio as redis_asyncio
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "RedisBackend needs the 'redis' package: pip install 'ferrule[redis]'"
        ) from None
    return redis_asyncio


class RedisBackend:
    """Redis pub/sub for live delivery and Redis Streams for history.

    Args:
        url: ``redis://host:port/db`` (anything ``redis.asyncio.from_url`` takes).
        prefix: key and pub/sub namespace, so apps can share one Redis.
        history: entries kept per channel (approximately; ``MAXLEN ~``).
        backoff, max_backoff: first and longest wait between reconnect attempts (s).
        connect_timeout: how long ``start`` tries to reach Redis before it fails.
        publish_timeout: how long ``publish`` retries before it fails.
        ping_interval: an idle pub/sub connection is pinged this often; one
            that does not answer is treated as lost.

    Guarantee: an event whose ``publish`` returned reaches every subscriber in
    every process, in order, unless the subscriber's own buffer policy drops or
    disconnects it, or the event left the retained history before a
    disconnected listener or client came back. Across a Redis restart nothing is
    lost if Redis kept its data (persistence); publishes fail while it is down.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "ferrule:channels",
        history: int = DEFAULT_HISTORY,
        backoff: float = 0.05,
        max_backoff: float = 5.0,
        connect_timeout: float = 10.0,
        publish_timeout: float = 5.0,
        ping_interval: float = 5.0,
    ) -> None:
        if history < 1:
            raise ValueError(f"history is a number of events per channel (>= 1), got {history!r}")
        if not 0 < backoff <= max_backoff:
            raise ValueError(f"need 0 < backoff <= max_backoff, got {backoff!r} and {max_backoff!r}")
        self.url = url
        self.prefix = prefix
        self.history_size = history
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.connect_timeout = connect_timeout
        self.publish_timeout = publish_timeout
        self.ping_interval = ping_interval
        self._seq_key = f"{{{prefix}}}:seq"
        self._stream_prefix = f"{{{prefix}}}:s:"
        self._channel_prefix = f"{{{prefix}}}:c:"
        self._client: Any = None
        self._listener_client: Any = None
        self._writer: PublishWriter | None = None
        self._receiver: Receiver | None = None
        self._seen = 0
        self.reconnects = 0
        """How many times the listener reconnected (for tests and metrics)."""
        self._errors: tuple[type[BaseException], ...] = (OSError,)

    def _new_client(self) -> Any:
        redis_asyncio = _redis()
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        return redis_asyncio.from_url(self.url, retry=Retry(NoBackoff(), 0))

    async def start(self, receiver: Receiver, task_group: TaskGroup) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "RedisBackend runs on asyncio only: redis-py's client (redis.asyncio) does not run "
                "on trio; serve the app on asyncio (e.g. hypercorn --worker-class asyncio) or use "
                "MemoryBackend on trio"
            ) from None
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        self._errors = (RedisConnectionError, RedisTimeoutError, OSError)
        self._client = self._new_client()
        self._listener_client = self._new_client()
        self._writer = PublishWriter(
            self._client, _PUBLISH_LUA, self._script_args, self._errors, self._unavailable,
            backoff=self.backoff, max_backoff=self.max_backoff, timeout=self.publish_timeout,
        )
        self._receiver = receiver
        try:
            with anyio.fail_after(self.connect_timeout):
                await task_group.start(self._listen)
            task_group.start_soon(self._writer.run)
        except TimeoutError:
            await self.stop()
            raise ChannelsUnavailable(
                f"could not reach Redis at {self.url!r} within {self.connect_timeout} s "
                f"(connect_timeout=); is it running?"
            ) from None

    async def stop(self) -> None:
        self._receiver = None
        for client in (self._client, self._listener_client):
            if client is not None:
                try:
                    await client.aclose()
                except self._errors:
                    pass
        self._client = self._listener_client = None

    # -- publish and history -------------------------------------------------

    async def publish(self, channel: str, raw: bytes) -> ChannelEvent:
        if self._writer is None:
            raise RuntimeError("RedisBackend.publish() before start()")
        seq = await self._writer.submit(channel, raw)
        if seq > self._seen:
            self._seen = seq
        return ChannelEvent(channel, seq, raw)

    def _script_args(self, channel: str, raw: bytes) -> tuple[list[str], list[Any]]:
        keys = [self._seq_key, self._stream_prefix + channel]
        return keys, [raw, self._channel_prefix + channel, self.history_size, self._seen]

    def _unavailable(self, channel: str, exc: BaseException) -> ChannelsUnavailable:
        error = ChannelsUnavailable(
            f"publish to {channel!r} failed: Redis at {self.url!r} unreachable for "
            f"{self.publish_timeout} s (publish_timeout=): {exc}"
        )
        error.__cause__ = exc
        return error

    async def history(self, channels: Collection[str], after: int) -> list[ChannelEvent]:
        if self._client is None:
            raise RuntimeError("RedisBackend.history() before start()")
        found: list[list[ChannelEvent]] = []
        for channel in channels:
            entries = await self._client.xrange(self._stream_prefix + channel, f"{after + 1}-0", "+")
            found.append(_entry_events(channel, entries))
        if len(found) == 1:
            return found[0]
        return list(merge(*found, key=lambda event: event.seq))

    # -- the listener task ---------------------------------------------------

    async def _listen(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        delay = self.backoff
        started = False
        pattern = self._channel_prefix + "*"
        lost: tuple[type[BaseException], ...] = (*self._errors, TimeoutError)
        while True:
            pubsub = self._listener_client.pubsub()
            try:
                await pubsub.psubscribe(pattern)
                while True:  # wait until Redis confirmed the subscription
                    message = await pubsub.get_message(timeout=self.ping_interval)
                    if message is None:
                        raise TimeoutError("no psubscribe confirmation")
                    if message["type"] == "psubscribe":
                        break
                if started:
                    await self._catch_up()
                else:
                    started = True
                    seq = await self._client.get(self._seq_key)
                    self._seen = max(self._seen, int(seq or 0))
                    task_status.started()
                delay = self.backoff
                await self._pump(pubsub)
            except lost as exc:
                if self._receiver is None:
                    return
                self.reconnects += 1
                logger.warning(
                    "channels: Redis connection lost (%s: %s); reconnecting in %.2f s",
                    type(exc).__name__, exc, delay,
                )
            except Exception:  # noqa: BLE001 - never take the app down with the listener
                if self._receiver is None:
                    return
                self.reconnects += 1
                logger.exception("channels: the Redis listener failed; reconnecting in %.2f s", delay)
            finally:
                with anyio.CancelScope(shield=True):
                    try:
                        await pubsub.aclose()
                    except Exception:  # noqa: BLE001 - the connection is already broken
                        pass
            await anyio.sleep(delay)
            delay = min(delay * 2, self.max_backoff)

    async def _pump(self, pubsub: Any) -> None:
        strip = len(self._channel_prefix)
        interval = self.ping_interval
        waiting_pong = False
        while True:
            message = await pubsub.get_message(timeout=interval)
            if message is None:
                if waiting_pong:
                    raise TimeoutError(f"no answer to a ping within {interval} s")
                waiting_pong = True
                await pubsub.ping()
                continue
            waiting_pong = False
            if message["type"] != "pmessage":
                continue
            receiver = self._receiver
            if receiver is None:
                return
            event = _message_event(message["channel"][strip:], message["data"])
            if event is None:
                logger.warning("channels: ignored a malformed message on %r: %.80r",
                               message["channel"], message["data"])
                continue
            if event.seq > self._seen:
                self._seen = event.seq
            receiver.deliver(event)

    async def _catch_up(self) -> None:
        """Deliver what the hub missed while the listener was disconnected."""
        receiver = self._receiver
        if receiver is None:
            return
        positions = dict(receiver.positions())
        if not positions:
            return
        found: list[list[ChannelEvent]] = []
        for channel, last in positions.items():
            entries = await self._client.xrange(self._stream_prefix + channel, f"{last + 1}-0", "+")
            found.append(_entry_events(channel, entries))
        for event in merge(*found, key=lambda event: event.seq):
            if event.seq > self._seen:
                self._seen = event.seq
            receiver.deliver(event)


def _message_event(channel: bytes, data: Any) -> ChannelEvent | None:
    """The event a pub/sub message carries (``b"<seq> <json>"``), ``None`` if it is not ours.

    SECURITY: anyone who can PUBLISH on the prefix can send anything; a
    malformed message is skipped, never allowed to end the listener.
    """
    if not isinstance(data, bytes):
        return None
    head, sep, raw = data.partition(b" ")
    if not sep or not head.isdigit() or len(head) > 19:
        return None
    try:
        name = channel.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return ChannelEvent(name, int(head), raw)


def _entry_events(channel: str, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> list[ChannelEvent]:
    """The events of stream entries; entries that are not ours (no ``d`` field) are skipped."""
    events = []
    for entry_id, fields in entries:
        raw = fields.get(b"d")
        head = entry_id.split(b"-", 1)[0]
        if raw is not None and head.isdigit():
            events.append(ChannelEvent(channel, int(head), raw))
    return events
