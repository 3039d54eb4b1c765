"""Taking the next item of an async iterator without a trip through the event
loop when the iterator has it ready.

``await anext(it)`` cannot tell whether the step suspended. ``next_item``
starts the step by hand: when it completes at once, the item is returned with
``ready=True``; when it suspends, the caller gets a ``Pending`` step, does what
must happen before waiting (the stream sends what it batched), and awaits
``finish(pending)``, which forwards everything between the event loop and the
step exactly as ``await`` would (values sent in, exceptions thrown in -
cancellation included - and the step's result or exception out).

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

__all__ = ["Pending", "abandon", "finish", "next_item"]


class Pending:
    """A started step that suspended: what it yielded and how to resume it."""

    __slots__ = ("step", "yielded")

    def __init__(self, step: Any, yielded: Any) -> None:
        self.step = step
        self.yielded = yielded


def next_item(iterator: AsyncIterator[Any]) -> tuple[bool, Any]:
    """Start ``iterator``'s next step.

    Returns:
        ``(True, item)`` when the step completed without suspending, else
        ``(False, Pending)`` to ``await finish(...)``.

    Raises:
        StopAsyncIteration: the iterator is exhausted.
        Exception: whatever the step raised before suspending.
    """
    step: Any = iterator.__anext__()
    if type(step) is not _ASEND:  # an async generator's step is its own iterator
        step = step.__await__()
    try:
        yielded = step.send(None)
    except StopIteration as done:
        return True, done.value
    return False, Pending(step, yielded)


async def _probe() -> AsyncIterator[None]:
    yield None


_ASEND: Any = type(_probe().__anext__())


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
