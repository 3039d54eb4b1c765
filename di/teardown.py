"""Teardown: ``TeardownStack`` (the one exit stack), and ``yield`` dependencies.

``TeardownStack`` is ferrule's only implementation of ``AsyncExitStack``'s
rules; routing uses it as the request's stack, di for ``scope="function"``
teardowns and for the app's ``scope="app"`` ones. Rules (as
``contextlib.AsyncExitStack``):

* exits run last pushed first; each sees the exception the previous one left
  (``None`` once one suppressed it by returning true);
* an exit that raises replaces the exception in flight; the one it replaced
  becomes the end of its ``__context__`` chain, and every exit still runs;
  the last one raised is raised at the end;
* ``aexit`` returns True only when an exception came in and was suppressed.

PERF: bench ``deps`` - nothing is allocated until the first push, and an exit
is one list entry (``AsyncExitStack`` wraps each in a closure and copies the
exception details around): a request with no ``yield`` dependency unwinds
nothing, one with three pays three calls.

``yield`` dependencies (rules):

* setup runs up to the first ``yield``; the yielded value is the result;
* the teardown is pushed on the request's stack (``SolveContext.request_stack``,
  unwound by routing after the response is sent) for ``scope="request"``, on
  ``SolveContext.function_stack`` (unwound when ``solve`` returns) for
  ``scope="function"``, on the app's for ``scope="app"``;
* teardown always runs (success, exception, disconnect, cancellation), in
  reverse order; an exception is thrown into the generator at its ``yield`` so
  it can catch and re-raise it. Swallowing an ``Exception`` is refused with
  FastAPI's ``FastAPIError`` and wording (``DependencyRuntimeError``);
  yielding twice or never is refused too;
* teardown is shielded from cancellation so it completes. An async generator's
  teardown switches on the ``shield`` of one scope per request
  (``SolveContext.cleanup_scope``), entered on the request stack before the
  first async generator is set up (a scope of our own around ``athrow`` would
  break LIFO order when the generator owns a cancel scope, e.g. a task group).
  Sync generators are torn down in a worker thread under their own shielded
  scope, with a private limiter so a full pool cannot deadlock teardown.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from types import TracebackType
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CancelScope, CapacityLimiter

from .context import ExitStackLike, SolveContext
from .errors import SWALLOWED_MESSAGE, DependencyRuntimeError
from .steps import Step, call_args

__all__ = ["TeardownStack", "run_async_gen", "run_sync_gen"]

T = TypeVar("T")
_Exit = Callable[[type[BaseException] | None, BaseException | None, TracebackType | None], Any]


class TeardownStack:
    """``AsyncExitStack``'s push methods and unwinding rules (module docstring)."""

    __slots__ = ("_exits",)

    def __init__(self) -> None:
        # (is_async, exit callback with __exit__'s signature)
        self._exits: list[tuple[bool, _Exit]] | None = None

    @property
    def used(self) -> bool:
        """Something was pushed and not unwound yet (``aexit`` has work to do)."""
        return bool(self._exits)

    def _push(self, is_async: bool, exit: _Exit) -> None:  # noqa: A002
        exits = self._exits
        if exits is None:
            self._exits = [(is_async, exit)]
        else:
            exits.append((is_async, exit))

    def _push_exit(self, is_async: bool, exit: Any, name: str) -> Any:  # noqa: A002
        # PERF: a plain callback (what the dependency steps push) is told apart
        # by a lookup on the object, which misses cheaply; a miss on its type
        # builds an AttributeError (about 1,500 instructions, once per request
        # with a yield dependency). The type's method wins, as in AsyncExitStack.
        if callable(exit) and not hasattr(exit, name):
            self._push(is_async, exit)
        else:
            method = getattr(type(exit), name, None)
            self._push(is_async, exit if method is None else method.__get__(exit))
        return exit

    def push_async_exit(self, exit: Any) -> Any:  # noqa: A002 - AsyncExitStack's name
        """Push an ``__aexit__``-like coroutine function, or an object's ``__aexit__``."""
        return self._push_exit(True, exit, "__aexit__")

    def push(self, exit: Any) -> Any:  # noqa: A002 - AsyncExitStack's name
        """Push an ``__exit__``-like function, or an object's ``__exit__``."""
        return self._push_exit(False, exit, "__exit__")

    def callback(self, callback: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        """Push ``callback(*args, **kwargs)`` (never suppresses)."""

        def exit_(exc_type: Any, exc: Any, tb: Any) -> None:
            callback(*args, **kwargs)

        self._push(False, exit_)
        return callback

    def push_async_callback(
        self, callback: Callable[..., Awaitable[Any]], /, *args: Any, **kwargs: Any
    ) -> Callable[..., Awaitable[Any]]:
        """Push ``await callback(*args, **kwargs)`` (never suppresses)."""

        async def exit_(exc_type: Any, exc: Any, tb: Any) -> None:
            await callback(*args, **kwargs)

        self._push(True, exit_)
        return callback

    def enter_context(self, cm: AbstractContextManager[T]) -> T:
        """Enter ``cm`` and push its exit."""
        cls = type(cm)
        value = cls.__enter__(cm)
        self._push(False, cls.__exit__.__get__(cm))
        return value

    async def enter_async_context(self, cm: AbstractAsyncContextManager[T]) -> T:
        """Enter ``cm`` and push its exit."""
        cls = type(cm)
        value = await cls.__aenter__(cm)
        self._push(True, cls.__aexit__.__get__(cm))
        return value

    async def aexit(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        """Unwind what was pushed, with ``exc`` in flight; True if it was suppressed."""
        exits = self._exits
        if not exits:
            return False
        received = exc is not None
        frame = sys.exc_info()[1]  # the exception being handled where we unwind
        current = exc
        suppressed = pending = False
        while exits:
            is_async, exit_ = exits.pop()
            try:
                if current is None:
                    result = (await exit_(None, None, None)) if is_async else exit_(None, None, None)
                else:
                    details = (type(current), current, current.__traceback__ if current is not exc else tb)
                    result = (await exit_(*details)) if is_async else exit_(*details)
                if result:
                    suppressed, pending, current = True, False, None
            except BaseException as new:
                _chain_context(new, current, frame)
                pending, current = True, new
        if pending:
            assert current is not None
            # Raised outside the handler, keeping the chain (as AsyncExitStack does).
            context = current.__context__
            try:
                raise current
            finally:
                current.__context__ = context
        return received and suppressed

    async def aclose(self) -> None:
        """Unwind with no exception in flight."""
        await self.aexit(None, None, None)

    async def __aenter__(self) -> TeardownStack:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        return await self.aexit(exc_type, exc, tb)


def _chain_context(new: BaseException, old: BaseException | None, frame: BaseException | None) -> None:
    """Put ``old`` at the end of ``new``'s ``__context__`` chain (stopping at ``frame``)."""
    while True:
        context = new.__context__
        if context is None or context is old:
            return
        if context is frame:
            break
        new = context
    new.__context__ = old


# -- yield dependencies ---------------------------------------------------------


def _swallowed(name: str, exc: BaseException) -> DependencyRuntimeError:
    # COMPAT(fastapi): FastAPI's class (a FastAPIError) and wording for this
    # mistake; then which dependency did it and what it swallowed.
    return DependencyRuntimeError(
        f"{SWALLOWED_MESSAGE} (dependency {name!r} caught {type(exc).__name__}: {exc} "
        "and did not re-raise it: add a bare `raise` in its except block, or raise "
        "another exception such as HTTPException)",
        dependency=name,
    )


def _yielded_twice(name: str) -> DependencyRuntimeError:
    return DependencyRuntimeError(
        f"dependency {name!r} yielded more than once; a dependency with yield must "
        "yield exactly one value, put the cleanup after that single yield",
        dependency=name,
    )


def _never_yielded(name: str) -> DependencyRuntimeError:
    return DependencyRuntimeError(
        f"dependency {name!r} returned without yielding a value; a dependency with "
        "yield must yield exactly once",
        dependency=name,
    )


class _AsyncGenTeardown:
    """Exit callback finishing an async generator dependency."""

    __slots__ = ("gen", "name", "cleanup")

    def __init__(self, gen: AsyncGenerator[Any, None], name: str, cleanup: CancelScope | None) -> None:
        self.gen = gen
        self.name = name
        self.cleanup = cleanup

    async def __call__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        cleanup = self.cleanup
        was_shielded = False
        if cleanup is not None:
            was_shielded = cleanup.shield
            cleanup.shield = True
        try:
            if exc is None:
                try:
                    await self.gen.__anext__()
                except StopAsyncIteration:
                    pass
                else:
                    await self.gen.aclose()
                    raise _yielded_twice(self.name)
            else:
                try:
                    await self.gen.athrow(exc)
                except StopAsyncIteration:
                    if isinstance(exc, Exception):
                        raise _swallowed(self.name, exc) from exc
                    return False  # never hide cancellation or KeyboardInterrupt
                except BaseException as raised:
                    if raised is exc:
                        return False  # re-raised: let the original propagate unchanged
                    raise
                else:
                    await self.gen.aclose()
                    raise _yielded_twice(self.name)
        finally:
            if cleanup is not None:
                cleanup.shield = was_shielded
        # A cancellation that arrived while shielded is delivered again at the
        # caller's next checkpoint (anyio cancellation is level-triggered).
        return False


def _first_value(gen: Generator[Any, None, None], box: list[Any]) -> None:
    # Runs in a worker thread; StopIteration cannot cross into a coroutine.
    try:
        box.append(next(gen))
    except StopIteration:
        pass


_FINISHED, _SWALLOWED, _AGAIN = 0, 1, 2


def _finish_sync(gen: Generator[Any, None, None], exc: BaseException | None) -> int:
    # Runs in a worker thread. Exceptions raised by the generator propagate.
    try:
        if exc is None:
            next(gen)
        else:
            gen.throw(exc)
    except StopIteration:
        return _FINISHED if exc is None else _SWALLOWED
    gen.close()
    return _AGAIN


class _SyncGenTeardown:
    """Exit callback finishing a sync generator dependency in a worker thread."""

    __slots__ = ("gen", "name")

    def __init__(self, gen: Generator[Any, None, None], name: str) -> None:
        self.gen = gen
        self.name = name

    async def __call__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        try:
            with CancelScope(shield=True):
                # A private limiter: teardown must not wait for a pool its own
                # dependency may be exhausting (FastAPI does the same).
                outcome = await anyio.to_thread.run_sync(_finish_sync, self.gen, exc, limiter=CapacityLimiter(1))
        except BaseException as raised:
            if exc is not None and raised is exc:
                return False
            raise
        if outcome == _AGAIN:
            raise _yielded_twice(self.name)
        if outcome == _SWALLOWED and isinstance(exc, Exception):
            raise _swallowed(self.name, exc) from exc
        return False


def _stack_for(step: Step, ctx: SolveContext) -> ExitStackLike:
    if step.function_scope:
        stack = ctx.function_stack
        assert stack is not None, "plan without a function stack ran a function-scoped step"
        return stack
    return ctx.request_stack


async def run_async_gen(step: Step, values: list[Any], ctx: SolveContext) -> None:
    # Before the setup: the generator may enter cancel scopes of its own that
    # its teardown exits, so the shielding scope must enclose them.
    cleanup = ctx.cleanup_scope()
    gen = call_args(step, values)
    try:
        value = await gen.__anext__()
    except StopAsyncIteration:
        raise _never_yielded(step.name) from None
    _stack_for(step, ctx).push_async_exit(_AsyncGenTeardown(gen, step.name, cleanup))
    values[step.out] = value


async def run_sync_gen(step: Step, values: list[Any], ctx: SolveContext) -> None:
    gen = call_args(step, values)
    box: list[Any] = []
    try:
        await anyio.to_thread.run_sync(_first_value, gen, box, limiter=ctx.limiter)
    finally:
        # Register the teardown even if we were cancelled after the setup ran.
        if box:
            _stack_for(step, ctx).push_async_exit(_SyncGenTeardown(gen, step.name))
    if not box:
        raise _never_yielded(step.name)
    values[step.out] = box[0]
