"""Running blocking code without blocking the event loop."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import ParamSpec, TypeVar

import anyio.to_thread

__all__ = ["iterate_in_threadpool", "run_in_threadpool"]

P = ParamSpec("P")
T = TypeVar("T")


async def run_in_threadpool(
    func: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """Call ``func(*args, **kwargs)`` in anyio's worker thread pool."""
    if kwargs:
        return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))
    return await anyio.to_thread.run_sync(func, *args)


class _StopIterationSentinel(Exception):
    pass


def _next_or_stop(iterator: Iterator[T]) -> T:
    # StopIteration cannot cross a thread boundary into a coroutine cleanly.
    try:
        return next(iterator)
    except StopIteration:
        raise _StopIterationSentinel from None


async def iterate_in_threadpool(iterable: Iterable[T]) -> AsyncIterator[T]:
    """Iterate a blocking iterable, each ``next()`` in a worker thread."""
    iterator = iter(iterable)
    while True:
        try:
            yield await anyio.to_thread.run_sync(_next_or_stop, iterator)
        except _StopIterationSentinel:
            break
