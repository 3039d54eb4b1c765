"""TeardownStack (di's one exit stack, the request stack in routing) unwinds
exactly like contextlib.AsyncExitStack: every mix of exits that pass, suppress
or raise, sync and async, with and without an exception in flight."""

from __future__ import annotations

import itertools
from contextlib import AsyncExitStack, asynccontextmanager
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest

from ferrule.di import TeardownStack

# What an exit callback does with the exception it is handed.
BEHAVIOURS = ("pass", "suppress", "raise")
# How the block the stack encloses ends.
ENDINGS = ("ok", "error")


class Boom(Exception):
    pass


class Block(Exception):
    pass


def _exit(log: list[str], name: str, behaviour: str) -> Any:
    async def exit_(exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        log.append(f"{name}:{exc_type.__name__ if exc_type else None}")
        await anyio.lowlevel.checkpoint()
        if behaviour == "raise":
            raise Boom(name)
        return behaviour == "suppress"

    return exit_


def _chain(exc: BaseException | None) -> list[str]:
    names = []
    while exc is not None:
        names.append(f"{type(exc).__name__}({exc})")
        exc = exc.__context__
    return names


async def _unwind(stack: Any, behaviours: tuple[str, ...], ending: str, extra_cm: bool) -> tuple[Any, ...]:
    log: list[str] = []

    @asynccontextmanager
    async def cm() -> AsyncIterator[None]:
        log.append("cm:enter")
        try:
            yield
        finally:
            log.append("cm:exit")

    for index, behaviour in enumerate(behaviours):
        stack.push_async_exit(_exit(log, f"e{index}", behaviour))
        if extra_cm and index == 0:
            await stack.enter_async_context(cm())
    aexit = stack.aexit if isinstance(stack, TeardownStack) else stack.__aexit__
    try:
        try:
            if ending == "error":
                raise Block("body")
        except Block as exc:
            result = await aexit(Block, exc, exc.__traceback__)
        else:
            result = await aexit(None, None, None)
    except BaseException as raised:
        return log, "raised", _chain(raised)
    return log, "returned", bool(result)


CASES = [
    (behaviours, ending, extra_cm)
    for count in (0, 1, 2)
    for behaviours in itertools.product(BEHAVIOURS, repeat=count)
    for ending in ENDINGS
    for extra_cm in ((False, True) if count else (False,))
]


@pytest.mark.parametrize(("behaviours", "ending", "extra_cm"), CASES)
def test_teardown_stack_unwinds_like_async_exit_stack(behaviours: tuple[str, ...], ending: str, extra_cm: bool) -> None:
    async def both() -> tuple[Any, Any]:
        expected = await _unwind(AsyncExitStack(), behaviours, ending, extra_cm)
        got = await _unwind(TeardownStack(), behaviours, ending, extra_cm)
        return expected, got

    expected, got = anyio.run(both)
    assert got == expected


def test_sync_exits_callbacks_and_context_managers_interleave_in_lifo_order() -> None:
    from contextlib import contextmanager

    async def main(stack: Any) -> list[str]:
        log: list[str] = []

        @contextmanager
        def sync_cm() -> Any:
            log.append("sync:enter")
            yield
            log.append("sync:exit")

        stack.push_async_exit(_exit(log, "first", "pass"))
        stack.callback(log.append, "callback")
        stack.enter_context(sync_cm())
        stack.push(lambda *exc: log.append("push") or False)

        async def later(name: str) -> None:
            log.append(name)

        stack.push_async_callback(later, "async-callback")
        async with stack:
            log.append("body")
        return log

    expected = anyio.run(main, AsyncExitStack())
    assert anyio.run(main, TeardownStack()) == expected
    assert expected == ["sync:enter", "body", "async-callback", "push", "sync:exit", "callback", "first:None"]


def test_an_unused_stack_has_nothing_to_unwind() -> None:
    stack = TeardownStack()
    assert anyio.run(stack.aexit, None, None, None) is False
    assert not stack.used


def test_push_takes_the_types_exit_method_as_asyncexitstack_does() -> None:
    # A callable object whose type has __aexit__/__exit__: the method is pushed,
    # not the object; an __aexit__ set on the instance only is not a method.
    class Both:
        def __init__(self, log: list[str], name: str) -> None:
            self.log, self.name = log, name

        def __call__(self, *exc: Any) -> bool:
            self.log.append(f"{self.name}:call")
            return False

        async def __aexit__(self, *exc: Any) -> bool:
            self.log.append(f"{self.name}:aexit")
            return False

        def __exit__(self, *exc: Any) -> bool:
            self.log.append(f"{self.name}:exit")
            return False

    class InstanceOnly:
        def __init__(self, log: list[str]) -> None:
            self.log = log
            self.__aexit__ = self._never

        async def _never(self, *exc: Any) -> bool:
            self.log.append("instance:aexit")
            return False

        async def __call__(self, *exc: Any) -> bool:
            self.log.append("instance:call")
            return False

    async def main(stack: Any) -> list[str]:
        log: list[str] = []
        stack.push_async_exit(Both(log, "async"))
        stack.push(Both(log, "sync"))
        stack.push_async_exit(InstanceOnly(log))
        async with stack:
            pass
        return log

    expected = anyio.run(main, AsyncExitStack())
    assert anyio.run(main, TeardownStack()) == expected
    assert expected == ["instance:call", "sync:exit", "async:aexit"]
