"""``App``'s route registration: each method is one call to the app's ``APIRouter``.

A base class of ``App`` (``applications.py``), kept apart so the application
module holds what is the app's own (configuration, the ASGI stack, lifespan,
OpenAPI) and this one FastAPI's route methods, documented where the router
documents them in full (``ferrule.routing.APIRouter``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from enum import Enum
from typing import Any, Literal, TypeVar

from typing_extensions import Unpack

from ferrule.asgi_core.response import JSONResponse, Response
from ferrule.asgi_core.types import ASGIApp
from ferrule.routing import APIRoute, APIRouter, BaseRoute, RouteOptions, generate_unique_id
from ferrule.routing.frontend import Fallback
from ferrule.routing.options import Default

__all__ = ["AppRoutes"]

F = TypeVar("F", bound=Callable[..., Any])


class AppRoutes:
    """FastAPI's route methods of ``App``, each delegating to ``self.router``."""

    router: APIRouter

    def add_api_route(self, path: str, endpoint: Callable[..., Any], *, methods: Collection[str] | None = None,
                      **options: Unpack[RouteOptions]) -> None:
        """Add ``endpoint`` as an API route: ``APIRouter.add_api_route`` on the app's router."""
        self.router.add_api_route(path, endpoint, methods=methods, **options)

    def api_route(self, path: str, *, methods: Collection[str] | None = None,
                  **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``methods`` on ``path`` (``APIRouter.api_route``)."""
        return self.router.api_route(path, methods=methods, **options)

    def get(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``GET`` requests to ``path`` (``APIRouter.get``)."""
        return self.router.get(path, **options)

    def put(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``PUT`` requests to ``path`` (``APIRouter.put``)."""
        return self.router.put(path, **options)

    def post(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``POST`` requests to ``path`` (``APIRouter.post``)."""
        return self.router.post(path, **options)

    def delete(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``DELETE`` requests to ``path`` (``APIRouter.delete``)."""
        return self.router.delete(path, **options)

    def options(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``OPTIONS`` requests to ``path`` (``APIRouter.options``)."""
        return self.router.options(path, **options)

    def head(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``HEAD`` requests to ``path`` (``APIRouter.head``)."""
        return self.router.head(path, **options)

    def patch(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``PATCH`` requests to ``path`` (``APIRouter.patch``)."""
        return self.router.patch(path, **options)

    def trace(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``TRACE`` requests to ``path`` (``APIRouter.trace``)."""
        return self.router.trace(path, **options)

    def websocket(self, path: str, name: str | None = None, *,
                  dependencies: Sequence[Any] | None = None) -> Callable[[F], F]:
        """Decorator: a WebSocket endpoint with parameters and dependencies (``APIRouter.websocket``)."""
        return self.router.websocket(path, name=name, dependencies=dependencies)

    def add_api_websocket_route(self, path: str, endpoint: Callable[..., Any], name: str | None = None, *,
                                dependencies: Sequence[Any] | None = None) -> None:
        """Add a WebSocket endpoint with parameters (``APIRouter.add_api_websocket_route``)."""
        self.router.add_api_websocket_route(path, endpoint, name=name, dependencies=dependencies)

    def add_route(self, path: str, endpoint: Callable[..., Any], methods: Collection[str] | None = None,
                  name: str | None = None, include_in_schema: bool = True) -> None:
        """Add a plain route whose endpoint takes the ``Request`` (``APIRouter.add_route``)."""
        self.router.add_route(path, endpoint, methods=methods, name=name, include_in_schema=include_in_schema)

    def add_websocket_route(self, path: str, endpoint: Callable[..., Any], name: str | None = None) -> None:
        """Add a plain WebSocket route whose endpoint takes the ``WebSocket``."""
        self.router.add_websocket_route(path, endpoint, name=name)

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        """Serve everything below ``path`` with the ASGI ``app`` (``APIRouter.mount``)."""
        self.router.mount(path, app, name=name)

    def host(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        """Serve requests for the host name ``host`` (a template) with ``app`` (``routing.host``)."""
        self.router.host(host, app, name=name)

    def route(self, path: str, methods: Collection[str] | None = None, name: str | None = None,
              include_in_schema: bool = True) -> Callable[[F], F]:
        """Decorator: a plain route whose endpoint takes a ``Request`` (Starlette's ``app.route``)."""
        return self.router.route(path, methods=methods, name=name, include_in_schema=include_in_schema)

    def websocket_route(self, path: str, name: str | None = None) -> Callable[[F], F]:
        """Decorator: a plain WebSocket route whose endpoint takes a ``WebSocket``."""
        return self.router.websocket_route(path, name=name)

    def frontend(self, path: str, *, directory: str | os.PathLike[str], fallback: Fallback = "auto",
                 check_dir: bool | Literal["auto"] = "auto") -> None:
        """Serve a built frontend (``npm run build`` output) below ``path``, after every route.

        Args:
            path: the URL prefix, e.g. ``"/"`` or ``"/app"``.
            directory: the build output, e.g. ``"dist"``.
            fallback: for a missing file: ``"auto"`` (``404.html`` if present, else
                ``index.html`` for browser navigation), ``"index.html"``, ``"404.html"`` or None.
            check_dir: check at declaration that the directory exists (``"auto"``: except
                when ``FERRULE_ENV``/``FASTAPI_ENV`` is ``development``).

        Raises:
            FrontendConfigError: a bad path or fallback, or a missing directory or fallback file.

        Every rule is in ``ferrule.routing.frontend``.
        """
        self.router.frontend(path, directory=directory, fallback=fallback, check_dir=check_dir)

    def include_router(self, router: APIRouter, *, prefix: str = "", tags: list[str | Enum] | None = None,
                       dependencies: Sequence[Any] | None = None,
                       default_response_class: type[Response] = Default(JSONResponse),
                       responses: dict[int | str, dict[str, Any]] | None = None,
                       callbacks: list[BaseRoute] | None = None, deprecated: bool | None = None,
                       include_in_schema: bool = True,
                       generate_unique_id_function: Callable[[APIRoute], str] = Default(generate_unique_id),
                       ) -> None:
        """Add ``router``'s routes under ``prefix``: ``APIRouter.include_router`` (same arguments)."""
        self.router.include_router(
            router, prefix=prefix, tags=tags, dependencies=dependencies,
            default_response_class=default_response_class, responses=responses, callbacks=callbacks,
            deprecated=deprecated, include_in_schema=include_in_schema,
            generate_unique_id_function=generate_unique_id_function,
        )
