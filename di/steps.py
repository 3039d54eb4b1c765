"""Plan steps: one call each, its arguments read from the request's values list.

A compiled plan is a tuple of ``Step`` in topological order plus a results
list (``values``) preallocated at compile time. Per request the list is copied
and each step reads its arguments from it by index and writes its result into
its own slot. What a step does was chosen at compile time: ``Step.run`` is one
of the ``run_*`` coroutines (here for plain calls; ``di.teardown`` for
``yield`` dependencies, ``di.app_scope`` for ``scope="app"``), so there are no
kind checks per request.

COMPAT(fastapi): arguments are passed by keyword, as FastAPI does (decorators
that wrap endpoints read ``kwargs["request"]``); only positional-only
parameters go by position.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import Any

import anyio.to_thread

from .context import SolveContext
from .markers import SecurityScopes

__all__ = ["SecurityScopesFiller", "Step", "call_args", "run_async", "run_direct", "run_sync"]


@dataclass(slots=True, eq=False)
class Step:
    """One call in a plan: what to call, where its arguments are, where its result goes.

    Attributes:
        run: the runner (``run_async``, ``run_sync``, ...).
        call: the callable.
        positional: slots of the positional-only arguments.
        keywords: ``(parameter name, slot)`` of every other argument.
        out: the slot the result goes to.
        name: the callable's name, for errors.
        function_scope: a ``yield`` dependency torn down when ``solve`` returns.
        entry: runner-specific data (the ``AppEntry`` of an app-scoped step).
    """

    run: Callable[[Step, list[Any], SolveContext], Any]
    call: Callable[..., Any]
    _: KW_ONLY
    positional: tuple[int, ...]
    keywords: tuple[tuple[str, int], ...]
    out: int
    name: str
    function_scope: bool = False
    entry: Any = None

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


def call_args(step: Step, values: list[Any]) -> Any:
    """``step.call`` called with its arguments from ``values`` (for generator functions)."""
    if step.positional:
        return step.call(*[values[i] for i in step.positional], **{n: values[i] for n, i in step.keywords})
    return step.call(**{n: values[i] for n, i in step.keywords})


def bound(step: Step, values: list[Any]) -> Callable[[], Any]:
    """``call`` with its arguments bound, for running in a worker thread."""
    return functools.partial(
        step.call,
        *[values[i] for i in step.positional],
        **{name: values[i] for name, i in step.keywords},
    )


async def run_async(step: Step, values: list[Any], ctx: SolveContext) -> None:
    if step.positional:
        values[step.out] = await step.call(
            *[values[i] for i in step.positional], **{n: values[i] for n, i in step.keywords}
        )
    else:
        values[step.out] = await step.call(**{n: values[i] for n, i in step.keywords})


async def run_sync(step: Step, values: list[Any], ctx: SolveContext) -> None:
    if step.keywords:
        values[step.out] = await anyio.to_thread.run_sync(bound(step, values), limiter=ctx.limiter)
    else:
        values[step.out] = await anyio.to_thread.run_sync(
            step.call, *[values[i] for i in step.positional], limiter=ctx.limiter
        )


async def run_direct(step: Step, values: list[Any], ctx: SolveContext) -> None:
    """Call without awaiting or a thread: generator endpoints (the body runs when iterated)."""
    values[step.out] = call_args(step, values)
