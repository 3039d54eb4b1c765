"""A request exit stack that costs nothing until something is pushed on it.

Most requests have no ``yield`` dependency, so they never need an
``AsyncExitStack``. ``LazyExitStack`` offers the methods the solver uses and
creates the real stack on the first push; ``aexit`` then behaves exactly like
``AsyncExitStack.__aexit__`` (exceptions are thrown into what was pushed, in
reverse order) or does nothing when nothing was pushed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager, AsyncExitStack
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["LazyExitStack"]

T = TypeVar("T")


class LazyExitStack:
    """``AsyncExitStack``'s push methods, with the stack made on first use."""

    __slots__ = ("stack",)

    def __init__(self) -> None:
        self.stack: AsyncExitStack | None = None

    def _real(self) -> AsyncExitStack:
        stack = self.stack
        if stack is None:
            stack = self.stack = AsyncExitStack()
        return stack

    def enter_context(self, cm: AbstractContextManager[T]) -> T:
        return self._real().enter_context(cm)

    async def enter_async_context(self, cm: AbstractAsyncContextManager[T]) -> T:
        return await self._real().enter_async_context(cm)

    def push(self, exit: Any) -> Any:  # noqa: A002 - AsyncExitStack's name
        return self._real().push(exit)

    def push_async_exit(self, exit: Any) -> Any:  # noqa: A002 - AsyncExitStack's name
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
        if stack is None:
            return False
        return bool(await stack.__aexit__(exc_type, exc, tb))
