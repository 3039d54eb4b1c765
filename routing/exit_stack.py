"""A request exit stack that costs nothing until something is pushed on it.

Most requests have no ``yield`` dependency, so they never need an
``AsyncExitStack``. ``LazyExitStack`` offers the methods the solver uses and
creates the real stack on the first push; ``aexit`` then behaves exactly like
``AsyncExitStack.__aexit__`` (exceptions are thrown into what was pushed, in
reverse order) or does nothing when nothing was pushed.

PERF: bench ``deps`` - di pushes exactly one async exit per request (its
``RequestExits``, which runs every teardown); while it is the only entry it is
kept and called directly, with ``AsyncExitStack``'s rules for one callback.
The real stack is made, with that entry at its bottom, only on a second push.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import sys
from contextlib import AbstractAsyncContextManager, AbstractContextManager, AsyncExitStack
from types import TracebackType
from typing import Any, TypeVar

from ferrule.di.solve import chain_exception_context

__all__ = ["LazyExitStack"]

T = TypeVar("T")


class LazyExitStack:
    """``AsyncExitStack``'s push methods, with the stack made on first use."""

    __slots__ = ("stack", "_first")

    def __init__(self) -> None:
        self.stack: AsyncExitStack | None = None
        self._first: Callable[..., Awaitable[Any]] | None = None

    @property
    def used(self) -> bool:
        """Something was pushed and not unwound yet (``aexit`` has work to do)."""
        return self.stack is not None or self._first is not None

    def _real(self) -> AsyncExitStack:
        stack = self.stack
        if stack is None:
            stack = self.stack = AsyncExitStack()
            first = self._first
            if first is not None:
                self._first = None
                stack.push_async_exit(first)
        return stack

    def enter_context(self, cm: AbstractContextManager[T]) -> T:
        return self._real().enter_context(cm)

    async def enter_async_context(self, cm: AbstractAsyncContextManager[T]) -> T:
        return await self._real().enter_async_context(cm)

    def push(self, exit: Any) -> Any:  # noqa: A002 - AsyncExitStack's name
        return self._real().push(exit)

    def push_async_exit(self, exit: Any) -> Any:  # noqa: A002 - AsyncExitStack's name
        if self.stack is None and self._first is None and callable(exit) and not hasattr(exit, "__aexit__"):
            self._first = exit
            return exit
        return self._real().push_async_exit(exit)

    def callback(self, callback: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return self._real().callback(callback, *args, **kwargs)

    def push_async_callback(self, callback: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any) -> Any:
        return self._real().push_async_callback(callback, *args, **kwargs)

    async def aexit(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        """Unwind what was pushed; True if an exception was suppressed."""
        stack = self.stack
        if stack is not None:
            return bool(await stack.__aexit__(exc_type, exc, tb))
        first = self._first
        if first is None:
            return False
        self._first = None
        frame = sys.exc_info()[1]
        try:
            suppressed = await first(exc_type, exc, tb)
        except BaseException as new:
            chain_exception_context(new, exc, frame)
            pending = new
        else:
            return exc_type is not None and bool(suppressed)
        # Raised outside the handler, as AsyncExitStack does, keeping the chain.
        context = pending.__context__
        try:
            raise pending
        finally:
            pending.__context__ = context
