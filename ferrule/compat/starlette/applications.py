"""``starlette.applications`` in drop-in mode: ``Starlette``, a plain ASGI app of routes.

``Starlette`` is ``ferrule.App`` without the OpenAPI and docs routes: routes
(``Route``, ``Mount``, ``WebSocketRoute``), middleware, exception handlers and
lifespan work as in Starlette. It is a subclass of ``App`` (in Starlette the
relation is the other way round: ``FastAPI`` subclasses ``Starlette``), so
``isinstance(app, Starlette)`` is False for an ``App``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ferrule.applications import App
from ferrule.asgi_core.middleware import Middleware
from ferrule.routing import BaseRoute
from ferrule.routing.lifespan import Lifespan

__all__ = ["Starlette"]


class Starlette(App):
    """Starlette's application class, on ferrule's router (no OpenAPI, no docs pages)."""

    def __init__(
        self,
        debug: bool = False,
        routes: Sequence[BaseRoute] | None = None,
        middleware: Sequence[Middleware] | None = None,
        exception_handlers: Mapping[Any, Callable[..., Any]] | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan | None = None,
    ) -> None:
        super().__init__(
            debug=debug,
            routes=list(routes or []),
            middleware=middleware,
            exception_handlers=exception_handlers,
            on_startup=on_startup,
            on_shutdown=on_shutdown,
            lifespan=lifespan,
            openapi_url=None,
            docs_url=None,
            redoc_url=None,
        )
