"""BackgroundTask / BackgroundTasks: async inline, sync in a worker thread, in order."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ferrule.asgi_core.background import BackgroundTask, BackgroundTasks

pytestmark = pytest.mark.anyio


async def test_async_function_runs_in_the_event_loop_thread_with_its_arguments() -> None:
    calls: list[Any] = []

    async def record(a: int, *, b: str) -> None:
        calls.append((a, b, threading.get_ident()))

    task = BackgroundTask(record, 1, b="two")
    assert task.is_async
    await task()
    assert calls == [(1, "two", threading.get_ident())]


async def test_sync_function_runs_in_a_worker_thread() -> None:
    calls: list[Any] = []

    def record(a: int, b: int = 0) -> None:
        calls.append((a, b, threading.get_ident()))

    task = BackgroundTask(record, 1, b=2)
    assert not task.is_async
    await task()
    assert calls[0][:2] == (1, 2)
    assert calls[0][2] != threading.get_ident()


async def test_callable_objects_are_classified_by_their_call_method() -> None:
    calls: list[str] = []

    class AsyncCallable:
        async def __call__(self, name: str) -> None:
            calls.append(f"async {name} {threading.get_ident() == main}")

    class SyncCallable:
        def __call__(self, name: str) -> None:
            calls.append(f"sync {name} {threading.get_ident() == main}")

    main = threading.get_ident()
    async_task, sync_task = BackgroundTask(AsyncCallable(), "a"), BackgroundTask(SyncCallable(), "s")
    assert (async_task.is_async, sync_task.is_async) == (True, False)
    await async_task()
    await sync_task()
    assert calls == ["async a True", "sync s False"]


async def test_background_tasks_run_in_order_and_stop_at_the_first_failure() -> None:
    order: list[str] = []

    async def first() -> None:
        order.append("first")

    def second() -> None:
        order.append("second")

    def failing() -> None:
        raise ValueError("task failed")

    tasks = BackgroundTasks([BackgroundTask(first)])
    tasks.add_task(second)
    tasks.add_task(failing)
    tasks.add_task(first)
    assert len(tasks.tasks) == 4
    with pytest.raises(ValueError, match="task failed"):
        await tasks()
    assert order == ["first", "second"]


async def test_empty_background_tasks_do_nothing() -> None:
    tasks = BackgroundTasks()
    assert tasks.tasks == []
    await tasks()
    nested = BackgroundTasks([tasks])
    await nested()
    assert nested.tasks == [tasks]
