"""The ASGI lifespan protocol, and merging the lifespans of included routers.

A lifespan is ``lifespan(app) -> async context manager`` whose value, if not
``None``, is a mapping merged into ``scope["state"]``; each request then starts
with a shallow copy of that state (``request.state``). Startup failure is
reported with ``lifespan.startup.failed`` and the exception's message, so the
server can stop with it; shutdown failure likewise.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import Any

from ferrule.asgi_core.exceptions import warn_deprecated
from ferrule.asgi_core.types import Receive, Scope, Send

__all__ = ["Lifespan", "as_lifespan", "handle_lifespan", "legacy_lifespan", "merge_lifespans"]

Lifespan = Callable[[Any], AbstractAsyncContextManager[Mapping[str, Any] | None]]


def legacy_lifespan(
    on_startup: Sequence[Callable[[], Any]], on_shutdown: Sequence[Callable[[], Any]]
) -> Lifespan:
    """A lifespan running ``on_startup`` / ``on_shutdown`` handlers (sync or async)."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        for handler in on_startup:
            result = handler()
            if inspect.isawaitable(result):
                await result
        yield None
        for handler in on_shutdown:
            result = handler()
            if inspect.isawaitable(result):
                await result

    return lifespan


def as_lifespan(lifespan: Any) -> Lifespan | None:
    """``lifespan`` as a context manager factory; a plain (async) generator function is
    accepted and wrapped, with Starlette's deprecation warning (COMPAT: Starlette
    wraps them too and warns; write ``@asynccontextmanager`` instead)."""
    if inspect.isasyncgenfunction(lifespan):
        warn_deprecated(
            "async generator function lifespans are deprecated, "
            "use an @contextlib.asynccontextmanager function instead"
        )
        result: Lifespan = asynccontextmanager(lifespan)
        return result
    if inspect.isgeneratorfunction(lifespan):
        warn_deprecated(
            "generator function lifespans are deprecated, "
            "use an @contextlib.asynccontextmanager function instead"
        )
        sync_cm = contextmanager(lifespan)

        @asynccontextmanager
        async def wrapped(app: Any) -> AsyncIterator[Any]:
            with sync_cm(app) as state:
                yield state

        return wrapped
    return lifespan  # type: ignore[no-any-return]


def merge_lifespans(outer: Lifespan | None, inner: Lifespan | None) -> Lifespan | None:
    """One lifespan that enters ``outer`` then ``inner`` and combines their state."""
    if outer is None:
        return inner
    if inner is None:
        return outer

    @asynccontextmanager
    async def merged(app: Any) -> AsyncIterator[Mapping[str, Any] | None]:
        async with outer(app) as outer_state, inner(app) as inner_state:
            if outer_state is None and inner_state is None:
                yield None
            else:
                # COMPAT(fastapi): on a key both set, the outer (including) one wins:
                # an app's lifespan state over an included router's.
                yield {**(inner_state or {}), **(outer_state or {})}

    return merged


async def handle_lifespan(
    app: Any, lifespan: Lifespan | None, scope: Scope, receive: Receive, send: Send
) -> None:
    """Speak the lifespan protocol around ``lifespan(app)``."""
    started = False
    message = await receive()
    if message["type"] != "lifespan.startup":
        return
    try:
        if lifespan is None:
            await send({"type": "lifespan.startup.complete"})
            started = True
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        async with lifespan(app) as state:
            if state is not None:
                if "state" not in scope:
                    raise RuntimeError(
                        "the lifespan returned state but the server does not support "
                        "'state' in the lifespan scope; upgrade the server or return None"
                    )
                scope["state"].update(state)
            await send({"type": "lifespan.startup.complete"})
            started = True
            await receive()
    except BaseException as exc:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if started:
            await send({"type": "lifespan.shutdown.failed", "message": text})
        else:
            await send({"type": "lifespan.startup.failed", "message": text})
        # The server logs the message and the traceback, and stops.
        raise
    await send({"type": "lifespan.shutdown.complete"})
