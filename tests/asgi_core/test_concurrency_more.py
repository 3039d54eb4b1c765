"""run_in_threadpool and iterate_in_threadpool."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import anyio
import pytest

from ferrule.asgi_core.concurrency import iterate_in_threadpool, run_in_threadpool

pytestmark = pytest.mark.anyio


def _where(*args: object, **kwargs: object) -> tuple[tuple[object, ...], dict[str, object], int]:
    return args, kwargs, threading.get_ident()


async def test_run_in_threadpool_passes_args_and_kwargs_in_a_worker_thread() -> None:
    args, kwargs, ident = await run_in_threadpool(_where, 1, 2)
    assert (args, kwargs) == ((1, 2), {})
    assert ident != threading.get_ident()
    args, kwargs, _ = await run_in_threadpool(_where, 1, key="v")
    assert (args, kwargs) == ((1,), {"key": "v"})


async def test_run_in_threadpool_propagates_exceptions() -> None:
    def fail() -> None:
        raise KeyError("lost")

    with pytest.raises(KeyError, match="lost"):
        await run_in_threadpool(fail)


async def test_iterate_in_threadpool_yields_in_order_each_step_in_a_worker() -> None:
    threads: list[int] = []

    def produce() -> Iterator[int]:
        for value in range(3):
            threads.append(threading.get_ident())
            yield value
        threads.append(threading.get_ident())

    assert [value async for value in iterate_in_threadpool(produce())] == [0, 1, 2]
    assert len(threads) == 4
    assert threading.get_ident() not in threads
    empty: list[int] = []
    assert [value async for value in iterate_in_threadpool(empty)] == []


async def test_iterate_in_threadpool_propagates_the_iterators_error() -> None:
    def produce() -> Iterator[str]:
        yield "first"
        raise OSError("disk gone")

    seen: list[str] = []
    with pytest.raises(OSError, match="disk gone"):
        async for value in iterate_in_threadpool(produce()):
            seen.append(value)
    assert seen == ["first"]
