"""The endpoint's iterable, adapted to async iteration and closed exactly once.

Rules:

* An async iterable is iterated as is; a sync iterable is iterated in a worker
  thread, one ``next()`` per thread hop, so a blocking generator never blocks
  the event loop.
* ``aclose()`` finalizes the iterator once, whatever path ends the stream
  (exhaustion, disconnect, error, cancellation): a second call does nothing.
  Async iterators are closed with their ``aclose()``; sync ones with their
  ``close()``, in a worker thread, because a generator's ``finally`` may block.
* The close runs shielded from cancellation: a cancelled request still
  finalizes its generator.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Final, Generic, TypeVar

import anyio

from ferrule.asgi_core.concurrency import iterate_in_threadpool, run_in_threadpool

__all__ = ["Source", "log_stream_error", "logger"]

T = TypeVar("T")

logger: Final = logging.getLogger("ferrule.streaming")


def log_stream_error(exc: BaseException, what: str, endpoint_ctx: str | None) -> None:
    """Log ``exc`` (with its traceback) raised while ``what``, naming the endpoint."""
    where = f" [{endpoint_ctx}]" if endpoint_ctx else ""
    logger.error("%s%s: %s: %s", what, where, type(exc).__name__, exc, exc_info=exc)


class Source(Generic[T]):
    """One iteration over ``content`` (async, or sync in a worker thread).

    Args:
        content: an async iterable, or a sync iterable (not ``str``/``bytes``).

    Raises:
        TypeError: ``content`` is not iterable, or is ``str``/``bytes`` (which
            would be sent one character or one integer at a time).
    """

    __slots__ = ("iterator", "_sync", "_closed")

    def __init__(self, content: AsyncIterable[T] | Iterable[T]) -> None:
        if isinstance(content, (str, bytes, bytearray, memoryview)):
            raise TypeError(
                f"streaming content must be an iterable of chunks, not {type(content).__name__}; "
                "wrap it in a list or send it with Response"
            )
        self._closed = False
        self._sync: Iterator[T] | None
        if isinstance(content, AsyncIterable):
            self.iterator: AsyncIterator[T] = content.__aiter__()
            self._sync = None
        elif isinstance(content, Iterable):
            self._sync = iter(content)
            self.iterator = iterate_in_threadpool(self._sync)
        else:
            raise TypeError(
                f"streaming content must be an iterable or an async iterable, "
                f"not {type(content).__name__}"
            )

    @property
    def closed(self) -> bool:
        """True once ``aclose()`` was called."""
        return self._closed

    async def aclose(self) -> None:
        """Finalize the iterator (once; shielded from cancellation)."""
        if self._closed:
            return
        self._closed = True
        with anyio.CancelScope(shield=True):
            aclose: Any = getattr(self.iterator, "aclose", None)
            if aclose is not None:
                await aclose()
            sync = self._sync
            if sync is None:
                return
            close: Any = getattr(sync, "close", None)
            if close is None:
                return
            if inspect.isgenerator(sync):
                state = inspect.getgeneratorstate(sync)
                # PERF: a generator that ended, or never started, runs no code when
                # closed, so it needs no thread hop.
                if state == inspect.GEN_CLOSED:
                    return
                if state == inspect.GEN_CREATED:
                    sync.close()
                    return
            await run_in_threadpool(close)
