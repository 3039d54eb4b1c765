"""``SolveContext``: what one request's solving shares with routing.

One per request (never shared between requests): where request-scoped
teardowns go, the sub-response and background tasks handed to parameters,
the worker-thread limiter, the timing hook, and the scope that shields
teardowns from cancellation (see ``di.teardown``).
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

from anyio import CancelScope, CapacityLimiter

from ferrule.asgi_core.background import BackgroundTasks
from ferrule.asgi_core.response import Response

from ._anyio_adapter import outside_cancel_scopes

__all__ = ["ExitStackLike", "SolveContext", "Stage", "StageObserver"]

Stage = Literal["parse", "dependencies", "endpoint", "serialize"]


class StageObserver(Protocol):
    """Receives how long each stage of a request took (``SolveContext.observer``).

    ``route`` is the endpoint's ``"METHOD /path"``; di reports ``"parse"``
    (request validation), ``"dependencies"`` and ``"endpoint"``; routing
    reports ``"serialize"``. When no observer is set nothing is timed.
    """

    def on_stage(self, route: str, stage: Stage, seconds: float) -> None: ...


class ExitStackLike(Protocol):
    """What di pushes teardowns onto: ``di.TeardownStack`` or ``contextlib.AsyncExitStack``."""

    def push_async_exit(self, exit: Any) -> Any: ...  # noqa: A002 - AsyncExitStack's name

    def push(self, exit: Any) -> Any: ...  # noqa: A002 - AsyncExitStack's name


class SolveContext:
    """Per-request state shared by the solver and routing.

    Args:
        request_stack: where ``scope="request"`` teardowns go; routing unwinds
            it after sending the response (a ``TeardownStack``, or any
            ``AsyncExitStack``).
        observer: optional per-stage timing hook.
        limiter: the capacity limiter for sync callables run in worker
            threads; ``None`` uses anyio's default limiter.
        cleanup_scope: an already entered cancel scope that encloses
            ``request_stack`` (entered before it, exited after it unwinds); the
            solver switches its ``shield`` on while async teardowns run. Pass
            one if you have it; otherwise the solver enters its own on
            ``request_stack`` for requests with async ``yield`` dependencies,
            unless nothing could cancel the request (``_anyio_adapter``).

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
        "function_stack",
        "shield",
        "app_creating",
        "_cleanup",
        "_cleanup_decided",
    )

    def __init__(
        self,
        request_stack: ExitStackLike,
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
        #: where ``scope="function"`` teardowns go while ``solve`` runs.
        self.function_stack: ExitStackLike | None = None
        #: shield async teardowns from cancellation (False when creating app-scoped values).
        self.shield = True
        #: ``AppScope`` is creating values and holds its lock.
        self.app_creating = False
        self._cleanup = cleanup_scope
        self._cleanup_decided = cleanup_scope is not None

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

    def cleanup_scope(self) -> CancelScope | None:
        """The scope that shields async teardowns, entered on the request stack on first use.

        Called before an async generator's setup runs (the generator may enter
        cancel scopes of its own that its teardown exits, so ours must enclose
        them); ``None`` when nothing could cancel the request.
        """
        if self._cleanup_decided:
            return self._cleanup
        self._cleanup_decided = True
        if not self.shield or outside_cancel_scopes():
            return None
        scope = self._cleanup = CancelScope()
        scope.__enter__()
        # Never cancelled itself, so its exit never swallows what unwinds.
        self.request_stack.push(scope.__exit__)
        return scope
