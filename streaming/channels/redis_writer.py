"""``PublishWriter``: the Redis backend's publishes, sent in pipelines by one task.

Rules:

* ``submit`` queues one publish and waits for its result; it never talks to
  Redis itself. The writer task sends everything queued in ONE pipeline (one
  round trip), so concurrent publishers share round trips and the order of
  ``submit`` calls is the order of the ids. PERF: bench ``fanout`` (redis):
  on a loaded machine a round trip costs 1-5 ms; one per publish capped a
  publisher at a few hundred events/s.
* Each entry runs the publish script by its SHA (``EVALSHA``); a Redis that
  lost its script cache (a restart) answers ``NOSCRIPT``: the script is loaded
  again and those entries are sent again (they did not run).
* A lost connection: the batch is sent again after a backoff, until the
  oldest entry waited ``timeout`` seconds; then every entry of the batch fails
  with ``ChannelsUnavailable``. An entry whose first try did reach Redis is
  then stored twice (at least once; each copy has its own id).
* Stopping the writer fails what is still queued.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import anyio

__all__ = ["PublishWriter"]


@dataclass(slots=True, eq=False)
class _Entry:
    """One queued publish; ``done`` is set once ``seq`` or ``error`` holds its result."""

    channel: str
    raw: bytes
    queued_at: float
    done: anyio.Event = field(default_factory=anyio.Event)
    seq: int = 0
    error: BaseException | None = None


@dataclass(slots=True, eq=False, repr=False)
class PublishWriter:
    """Sends queued publishes in pipelines; see the module docstring.

    Args:
        client: a ``redis.asyncio`` client.
        script: the publish script's Lua source.
        build_args: entry (channel, raw) -> (keys, args) of the script.
        errors: the exception types that mean "connection lost".
        unavailable: builds the error raised to publishers when Redis stays unreachable.
        backoff, max_backoff, timeout: retry timing (seconds).
    """

    client: Any
    script: str
    build_args: Callable[[str, bytes], tuple[list[str], list[Any]]]
    errors: tuple[type[BaseException], ...]
    unavailable: Callable[[str, BaseException], BaseException]
    _: KW_ONLY
    backoff: float
    max_backoff: float
    timeout: float
    _sha: str | None = field(default=None, init=False)
    _queue: list[_Entry] = field(default_factory=list, init=False)
    _wake: anyio.Event = field(default_factory=anyio.Event, init=False)
    _stopped: bool = field(default=False, init=False)

    async def submit(self, channel: str, raw: bytes) -> int:
        """Publish through the writer; returns the event's ``seq``."""
        if self._stopped:
            raise RuntimeError("RedisBackend.publish() after stop()")
        entry = _Entry(channel, raw, anyio.current_time())
        self._queue.append(entry)
        self._wake.set()
        await entry.done.wait()
        if entry.error is not None:
            raise entry.error
        return entry.seq

    async def run(self) -> None:
        """The writer task: runs until cancelled; fails what is left then."""
        try:
            while True:
                await self._wake.wait()
                self._wake = anyio.Event()
                while self._queue:
                    batch, self._queue = self._queue, []
                    await self._send(batch)
        finally:
            self._stopped = True
            left, self._queue = self._queue, []
            for entry in left:
                entry.error = RuntimeError("the channels backend stopped before this publish was sent")
                entry.done.set()

    async def _send(self, batch: list[_Entry]) -> None:
        from redis.exceptions import NoScriptError, ResponseError

        delay = self.backoff
        todo = batch
        while todo:
            try:
                if self._sha is None:
                    self._sha = await self.client.script_load(self.script)
                pipe = self.client.pipeline(transaction=False)
                for entry in todo:
                    keys, args = self.build_args(entry.channel, entry.raw)
                    pipe.evalsha(self._sha, len(keys), *keys, *args)
                results = await pipe.execute(raise_on_error=False)
            except self.errors as exc:
                if anyio.current_time() + delay > todo[0].queued_at + self.timeout:
                    for entry in todo:
                        entry.error = self.unavailable(entry.channel, exc)
                        entry.done.set()
                    return
                await anyio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
                continue
            again: list[_Entry] = []
            for entry, result in zip(todo, results):
                if isinstance(result, NoScriptError):
                    again.append(entry)
                    continue
                if isinstance(result, ResponseError):
                    entry.error = result
                elif isinstance(result, BaseException):
                    entry.error = result
                else:
                    entry.seq = int(result)
                entry.done.set()
            if again:
                self._sha = None  # Redis lost its script cache (a restart): load it again
            todo = again
