"""The per-request runner: steps, how each kind of callable runs, and teardown.

A compiled plan is a tuple of ``Step`` in topological order plus a results
list (``values``) preallocated at compile time. Per request the list is copied
and each step reads its arguments from it by index and writes its result into
its own slot. What a step does was chosen at compile time: ``Step.run`` is one
of the ``run_*`` coroutines below (no kind checks per request).

``yield`` dependencies (rules):

* setup runs up to the first ``yield``; the yielded value is the result;
* the teardown is pushed on an ``AsyncExitStack``: the request's stack
  (``SolveContext.request_stack``, closed by routing after the response is
  sent) for ``scope="request"``, a stack local to ``solve`` (closed right after
  the endpoint returns) for ``scope="function"``, the app's for ``scope="app"``;
* teardown always runs (success, exception, disconnect, cancellation), in
  reverse order; an exception is thrown into the generator at its ``yield`` so
  it can catch and re-raise it. Swallowing an ``Exception`` is refused with
  ``DependencyRuntimeError`` (the caller would otherwise have no response and
  no error); yielding twice or never is refused too;
* teardown is shielded from cancellation so it completes. For async generators
  this uses one cancel scope entered on the request stack before the first of
  them is set up, whose ``shield`` is switched on during each teardown (a scope
  of our own around ``athrow`` would break LIFO order when the generator owns
  a cancel scope, e.g. a task group); sync generators
  are torn down in a worker thread with a private limiter so a full pool cannot
  deadlock teardown.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import AsyncGenerator, Callable, Generator
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol

import anyio
import anyio.to_thread
from anyio import CancelScope, CapacityLimiter

from ferrule.asgi_core.background import BackgroundTasks
from ferrule.asgi_core.response import Response

from ._scopes import new_cancel_scope, outside_cancel_scopes
from .errors import SWALLOWED_MESSAGE, DependencyRuntimeError
from .markers import SecurityScopes

if TYPE_CHECKING:
    from .app_scope import AppEntry, AppScope

__all__ = [
    "RequestExits",
    "SecurityScopesFiller",
    "SolveContext",
    "Stage",
    "StageObserver",
    "Step",
    "chain_exception_context",
    "request_exits",
]

Stage = Literal["parse", "dependencies", "endpoint", "serialize"]


class StageObserver(Protocol):
    """Receives how long each stage of a request took (``SolveContext.observer``).

    ``route`` is the endpoint's ``"METHOD /path"``; di reports ``"parse"``
    (request validation), ``"dependencies"`` and ``"endpoint"``; routing
    reports ``"serialize"``. When no observer is set nothing is timed.
    """

    def on_stage(self, route: str, stage: Stage, seconds: float) -> None: ...


class SolveContext:
    """Per-request state shared by the solver and routing.

    Args:
        request_stack: where ``scope="request"`` teardowns go; routing closes
            it after sending the response.
        observer: optional per-stage timing hook.
        limiter: the capacity limiter for sync callables run in worker
            threads; ``None`` uses anyio's default limiter.
        cleanup_scope: an already entered cancel scope that encloses
            ``request_stack`` (entered before it, exited after it closes); the
            solver switches its ``shield`` on while async teardowns run. Pass
            one if you have it: otherwise the solver enters its own on
            ``request_stack`` for requests with ``yield`` dependencies (anyio
            cancel scopes cost a few microseconds) - unless no cancel scope
            encloses the request, when nothing could cancel the teardowns
            (see ``_scopes.outside_cancel_scopes``).

    Attributes:
        response: the sub-response handed to ``Response`` parameters (created
            on first use, status ``None``); routing merges its status, headers
            and cookies into the real response.
        background: the ``BackgroundTasks`` handed to parameters (created on
            first use); routing runs them after the response.
    """

    __slots__ = (
        "request_stack",
        "response",
        "background",
        "observer",
        "limiter",
        "_fn_stack",
        "_request_cleanup",
        "_exits",
        "_shield",
        "_app_creating",
    )

    def __init__(
        self,
        request_stack: AsyncExitStack,
        *,
        observer: StageObserver | None = None,
        limiter: CapacityLimiter | None = None,
        cleanup_scope: CancelScope | None = None,
    ) -> None:
        self.request_stack = request_stack
        self.response: Response | None = None
        self.background: BackgroundTasks | None = None
        self.observer = observer
        self.limiter = limiter
        self._fn_stack: AsyncExitStack | None = None
        self._request_cleanup = cleanup_scope
        self._exits: RequestExits | None = None
        self._shield = True
        self._app_creating = False

    def get_response(self) -> Response:
        """The sub-response, created on first use."""
        response = self.response
        if response is None:
            # COMPAT(fastapi): status None means "not set by the endpoint";
            # no Content-Length: it would be copied into the real response.
            response = Response(status_code=None)
            del response.headers["content-length"]
            self.response = response
        return response

    def get_background(self) -> BackgroundTasks:
        """The request's background tasks, created on first use."""
        background = self.background
        if background is None:
            background = self.background = BackgroundTasks()
        return background


class Step:
    """One call in a plan: what to call, where its arguments are, where its result goes."""

    __slots__ = (
        "run",
        "call",
        "positional",
        "keywords",
        "out",
        "name",
        "function_scope",
        "app_scope",
        "app_entry",
    )

    def __init__(
        self,
        run: Callable[[Step, list[Any], SolveContext], Any],
        call: Callable[..., Any],
        *,
        positional: tuple[int, ...],
        keywords: tuple[tuple[str, int], ...],
        out: int,
        name: str,
        function_scope: bool = False,
        app_scope: AppScope | None = None,
        app_entry: AppEntry | None = None,
    ) -> None:
        self.run = run
        self.call = call
        self.positional = positional
        self.keywords = keywords
        self.out = out
        self.name = name
        self.function_scope = function_scope
        self.app_scope = app_scope
        self.app_entry = app_entry

    def __repr__(self) -> str:
        return f"Step({self.name}, run={self.run.__name__}, out={self.out})"


class SecurityScopesFiller:
    """Puts a fresh ``SecurityScopes`` in its slot for each request (it is mutable)."""

    __slots__ = ("slot", "scopes")

    def __init__(self, slot: int, scopes: tuple[str, ...]) -> None:
        self.slot = slot
        self.scopes = scopes

    def fill(self, values: list[Any]) -> None:
        values[self.slot] = SecurityScopes(list(self.scopes))


def _bind(step: Step, values: list[Any]) -> Callable[[], Any]:
    """``call`` with its arguments bound, for running in a worker thread."""
    return functools.partial(
        step.call,
        *[values[i] for i in step.positional],
        **{name: values[i] for name, i in step.keywords},
    )


# -- plain calls --------------------------------------------------------------


async def run_async(step: Step, values: list[Any], ctx: SolveContext) -> None:
    # COMPAT(fastapi): arguments by keyword (decorators read kwargs["request"]);
    # only positional-only parameters go by position.
    if step.positional:
        values[step.out] = await step.call(
            *[values[i] for i in step.positional], **{n: values[i] for n, i in step.keywords}
        )
    else:
        values[step.out] = await step.call(**{n: values[i] for n, i in step.keywords})


async def run_sync(step: Step, values: list[Any], ctx: SolveContext) -> None:
    if step.keywords:
        values[step.out] = await anyio.to_thread.run_sync(_bind(step, values), limiter=ctx.limiter)
    else:
        values[step.out] = await anyio.to_thread.run_sync(
            step.call, *[values[i] for i in step.positional], limiter=ctx.limiter
        )


async def run_direct(step: Step, values: list[Any], ctx: SolveContext) -> None:
    """Call without awaiting or a thread: generator endpoints (the body runs when iterated)."""
    values[step.out] = step.call(
        *[values[i] for i in step.positional], **{n: values[i] for n, i in step.keywords}
    )


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
                outcome = await anyio.to_thread.run_sync(
                    _finish_sync, self.gen, exc, limiter=CapacityLimiter(1)
                )
        except BaseException as raised:
            if exc is not None and raised is exc:
                return False
            raise
        if outcome == _AGAIN:
            raise _yielded_twice(self.name)
        if outcome == _SWALLOWED:
            assert exc is not None
            if isinstance(exc, Exception):
                raise _swallowed(self.name, exc) from exc
        return False


def _stack_for(step: Step, ctx: SolveContext) -> AsyncExitStack:
    if step.function_scope:
        stack = ctx._fn_stack
        assert stack is not None, "plan without a function stack ran a function-scoped step"
        return stack
    return ctx.request_stack


def chain_exception_context(new: BaseException, old: BaseException | None, frame: BaseException | None) -> None:
    """What ``AsyncExitStack`` does when an exit raises ``new`` while ``old`` unwinds:
    chain ``old`` at the end of ``new``'s context (``frame``: the exception being
    handled where the stack exits, which is where the walk stops)."""
    while True:
        context = new.__context__
        if context is None or context is old:
            return
        if context is frame:
            break
        new = context
    new.__context__ = old


class RequestExits:
    """The one exit callback di pushes on the request stack (shield + request teardowns).

    PERF: bench `deps` - instead of one ``AsyncExitStack`` entry per ``yield``
    dependency plus ``enter_context(CancelScope())``, one entry runs every
    request-scoped teardown in reverse order with ``AsyncExitStack``'s rules
    (each sees the exception the previous one left; a new one is chained
    with ``__context__`` and raised at the end), with the shared cancel
    scope shielding them, and then exits that scope (entered before the first
    async generator's setup, so its own cancel scopes exit before it).
    Only di pushes on the request stack while dependencies run, so ordering
    against other entries is unchanged.
    """

    __slots__ = ("scope", "owned", "unshielded", "exits")

    def __init__(self) -> None:
        self.scope: CancelScope | None = None
        self.owned = False
        self.unshielded = False
        """No cancel scope encloses the request: there is nothing to shield from."""
        self.exits: list[_AsyncGenTeardown | _SyncGenTeardown] = []

    async def __call__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        scope = self.scope
        was_shielded = False
        if scope is not None:
            was_shielded = scope.shield
            scope.shield = True
        frame = sys.exc_info()[1]
        current = exc
        raised = False
        try:
            exits = self.exits
            while exits:
                finish = exits.pop()
                try:
                    await finish(type(current) if current is not None else None, current, None)
                except BaseException as new:
                    chain_exception_context(new, current, frame)
                    current = new
                    raised = True
        finally:
            if scope is not None:
                if self.owned:
                    # Teardowns ran with ``current`` in flight; the scope is never
                    # cancelled itself, so it never swallows it.
                    scope.__exit__(type(current) if current is not None else None, current, None)
                else:
                    scope.shield = was_shielded
        if raised:
            assert current is not None
            context = current.__context__
            try:
                raise current
            finally:
                current.__context__ = context
        # A cancellation that arrived while shielded is delivered again at the
        # caller's next checkpoint (anyio cancellation is level-triggered).
        return False


def request_exits(ctx: SolveContext, *, shielded: bool) -> RequestExits:
    """The request's ``RequestExits``, pushed on the request stack on first use.

    ``shielded``: also make sure the shared cancel scope is entered (before an
    async generator's setup runs).
    """
    exits = ctx._exits
    if exits is None:
        exits = ctx._exits = RequestExits()
        ctx.request_stack.push_async_exit(exits)
    if shielded and exits.scope is None and not exits.unshielded:
        given = ctx._request_cleanup
        if given is not None:
            exits.scope = given
        elif outside_cancel_scopes():
            # PERF: bench deps - entering and leaving a scope costs ~5 us; see
            # outside_cancel_scopes for why none is needed here.
            exits.unshielded = True
        else:
            exits.scope = ctx._request_cleanup = new_cancel_scope().__enter__()
            exits.owned = True
    return exits


async def run_async_gen(step: Step, values: list[Any], ctx: SolveContext) -> None:
    # The shared cleanup scope must be entered before the setup runs: the
    # generator may enter cancel scopes of its own that its teardown exits.
    if not ctx._shield:  # app scope: no shield, the app's stack
        exits = None
        cleanup = None
    elif step.function_scope:
        exits = None
        cleanup = request_exits(ctx, shielded=True).scope
    else:
        exits = request_exits(ctx, shielded=True)
        cleanup = None  # RequestExits shields every request teardown at once
    gen = step.call(*[values[i] for i in step.positional], **{n: values[i] for n, i in step.keywords})
    try:
        value = await gen.__anext__()
    except StopAsyncIteration:
        raise _never_yielded(step.name) from None
    if exits is not None:
        exits.exits.append(_AsyncGenTeardown(gen, step.name, None))
    else:
        _stack_for(step, ctx).push_async_exit(_AsyncGenTeardown(gen, step.name, cleanup))
    values[step.out] = value


async def run_sync_gen(step: Step, values: list[Any], ctx: SolveContext) -> None:
    gen = step.call(*[values[i] for i in step.positional], **{n: values[i] for n, i in step.keywords})
    box: list[Any] = []
    try:
        await anyio.to_thread.run_sync(_first_value, gen, box, limiter=ctx.limiter)
    finally:
        # Register the teardown even if we were cancelled after the setup ran.
        if box:
            teardown = _SyncGenTeardown(gen, step.name)
            if ctx._shield and not step.function_scope:
                request_exits(ctx, shielded=False).exits.append(teardown)
            else:
                _stack_for(step, ctx).push_async_exit(teardown)
    if not box:
        raise _never_yielded(step.name)
    values[step.out] = box[0]


# -- app-scoped dependencies ----------------------------------------------------

_MISSING: Any = object()


async def run_app(step: Step, values: list[Any], ctx: SolveContext) -> None:
    scope = step.app_scope
    entry = step.app_entry
    assert scope is not None and entry is not None
    value = scope._values.get(entry.key, _MISSING)
    if value is _MISSING:
        value = await scope._obtain(entry, ctx.limiter, locked=ctx._app_creating)
    values[step.out] = value
