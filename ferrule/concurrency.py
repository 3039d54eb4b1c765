"""Threadpool helpers (FastAPI's ``fastapi.concurrency``).

* ``run_in_threadpool(func, *args, **kwargs)``: call blocking code in a worker thread.
* ``iterate_in_threadpool(iterable)``: iterate a blocking iterable, each step in a thread.
* ``contextmanager_in_threadpool(cm)``: use a blocking context manager from async code;
  its ``__exit__`` runs in a thread too and can suppress the exception as usual.
* ``run_until_first_complete((func, kwargs), ...)``: run coroutine functions together
  and cancel the others when the first returns (Starlette's helper, kept for FastAPI
  code that imports it).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from ferrule.asgi_core.concurrency import iterate_in_threadpool as iterate_in_threadpool
from ferrule.asgi_core.concurrency import run_in_threadpool as run_in_threadpool

__all__ = ["contextmanager_in_threadpool", "iterate_in_threadpool", "run_in_threadpool", "run_until_first_complete"]

T = TypeVar("T")


@asynccontextmanager
async def contextmanager_in_threadpool(cm: AbstractContextManager[T]) -> AsyncGenerator[T, None]:
    """Enter and exit the blocking context manager ``cm`` in worker threads."""
    # COMPAT(fastapi): the exit runs with its own limiter of one thread, so a full
    # default pool (every thread blocked on something this exit would release)
    # cannot deadlock it -- the reason FastAPI gives for the same choice.
    exit_limiter = anyio.CapacityLimiter(1)
    value = await anyio.to_thread.run_sync(cm.__enter__)
    try:
        yield value
    except Exception as exc:
        suppressed = await anyio.to_thread.run_sync(
            cm.__exit__, type(exc), exc, exc.__traceback__, limiter=exit_limiter
        )
        if not suppressed:
            raise
    else:
        await anyio.to_thread.run_sync(cm.__exit__, None, None, None, limiter=exit_limiter)


async def run_until_first_complete(*calls: tuple[Callable[..., Awaitable[Any]], dict[str, Any]]) -> None:
    """Run ``func(**kwargs)`` for each pair at once; when one returns, cancel the rest."""
    async with anyio.create_task_group() as group:

        async def run(func: Callable[..., Awaitable[Any]], kwargs: dict[str, Any]) -> None:
            await func(**kwargs)
            group.cancel_scope.cancel()

        for func, kwargs in calls:
            group.start_soon(run, func, kwargs)
