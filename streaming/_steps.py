"""Taking the next item of an async iterator without a trip through the event
loop when the iterator has it ready.

``await anext(it)`` cannot tell whether the step suspended. The stream loop
(``StreamingResponse._send_chunks``) starts each step by hand instead: it
calls ``__anext__()`` and sends ``None`` into the step (an async generator's
step is its own iterator, ``ASYNC_GEN_STEP``; other awaitables give theirs
with ``__await__()``). When the step completes at once, ``StopIteration``
carries the item. When it suspends, the loop sends what it batched, then
awaits ``finish(Pending(step, yielded))``, which forwards everything between
the event loop and the step exactly as ``await`` would (values sent in,
exceptions thrown in - cancellation included - and the step's result or
exception out).

A pending step that will not be finished (the send before the wait failed)
must be ``abandon``-ed: until the step ends, an async generator counts as
running and cannot be closed.

This is how a stream batches the items a generator makes without waiting and
still never holds an item back while the generator waits for something.
"""

from __future__ import annotations

import types
from collections.abc import AsyncIterator, Generator
from typing import Any

__all__ = ["ASYNC_GEN_STEP", "Pending", "abandon", "finish"]


class Pending:
    """A started step that suspended: what it yielded and how to resume it."""

    __slots__ = ("step", "yielded")

    def __init__(self, step: Any, yielded: Any) -> None:
        self.step = step
        self.yielded = yielded


async def _probe() -> AsyncIterator[None]:
    yield None


def _step_type() -> Any:
    # The awaitable is closed, never left unawaited: Python 3.13 warns
    # ("coroutine method 'asend' ... was never awaited") when one is collected.
    generator = _probe()
    step: Any = generator.__anext__()
    step.close()
    return type(step)


ASYNC_GEN_STEP: Any = _step_type()
"""The type of an async generator's ``__anext__()`` awaitable, which is its own iterator."""


@types.coroutine
def finish(pending: Pending) -> Generator[Any, Any, Any]:
    """Resume a suspended step in the awaiting task; its item (or exception)."""
    step = pending.step
    value = pending.yielded
    pending.step = pending.yielded = None
    while True:
        try:
            sent = yield value
        except GeneratorExit:
            step.close()
            raise
        except BaseException as exc:  # cancellation included: the step sees it where it waits
            try:
                value = step.throw(exc)
            except StopIteration as done:
                return done.value
        else:
            try:
                value = step.send(sent)
            except StopIteration as done:
                return done.value


async def abandon(pending: Pending) -> None:
    """End a suspended step the way closing a generator would: ``GeneratorExit``
    is thrown in where it waits, and its cleanup (``finally``, which may await)
    runs to the end in the awaiting task.

    Raises:
        Exception: the cleanup failed (not ``GeneratorExit``, which is the expected end).
    """
    step = pending.step
    pending.step = pending.yielded = None
    if step is None:
        return
    try:
        yielded = step.throw(GeneratorExit)
    except (GeneratorExit, StopIteration, StopAsyncIteration):
        return
    try:
        await finish(Pending(step, yielded))
    except (GeneratorExit, StopAsyncIteration):
        return
