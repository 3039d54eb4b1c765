"""``App``: FastAPI's application object, built on ferrule's router.

The ASGI stack, built on the first call (``add_middleware`` after that is an
error)::

    ServerErrorMiddleware   500 for anything unhandled (traceback page in debug)
      user middleware       add_middleware()'s, the last added outermost, then middleware=[...]
        ExceptionMiddleware HTTPException, validation errors, your handlers
          APIRouter         radix-tree dispatch to the routes

The route methods (``get``, ``post``, ``include_router``, ``mount``...) are
``AppRoutes``'s (``app_routes.py``), each one call to ``app.router``.

Lifespan: the app's ``lifespan`` (or legacy ``on_startup``/``on_shutdown``),
then included routers' lifespans, then app-scoped dependencies are created;
shutdown runs in reverse. Its state reaches ``scope["state"]`` and so
``request.state``.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from anyio import CapacityLimiter

from ferrule.asgi_core.exceptions import HTTPException, warn_deprecated
from ferrule.asgi_core.middleware import Middleware
from ferrule.asgi_core.middleware.base import BaseHTTPMiddleware
from ferrule.asgi_core.middleware.errors import ServerErrorMiddleware
from ferrule.asgi_core.middleware.exceptions import ExceptionHandler, ExceptionMiddleware
from ferrule.asgi_core.request import DEFAULT_MAX_BODY_SIZE
from ferrule.asgi_core.response import JSONResponse, Response
from ferrule.asgi_core.state import State
from ferrule.asgi_core.types import ASGIApp, Receive, Scope, Send
from ferrule.di import AppScope, DependencyOverrides, StageObserver
from ferrule.routing import APIRoute, APIRouter, BaseRoute, Lifespan, generate_unique_id
from ferrule.routing.options import Default
from ferrule.routing.router import RouteConflicts
from ferrule.app_routes import AppRoutes
from ferrule.validation.errors import (
    RequestValidationError,
    WebSocketRequestValidationError,
    request_validation_exception_handler,
)

__all__ = ["App", "AppType", "FastAPI"]

AppType = TypeVar("AppType", bound="App")

F = TypeVar("F", bound=Callable[..., Any])


class App(AppRoutes):
    """A ferrule application: FastAPI's constructor and methods.

    An ASGI app; the routes live on its ``APIRouter`` (``app.router``), which
    every route method here delegates to.

    Args:
        debug: a 500 answers with the traceback page instead of a plain text.
        routes: routes to start with (prefer the decorators and ``include_router``).
        title: OpenAPI ``info.title``.
        summary: OpenAPI ``info.summary``.
        description: OpenAPI ``info.description`` (Markdown).
        version: OpenAPI ``info.version``: your API's version.
        openapi_url: where the OpenAPI document is served; ``None`` serves no
            document and no docs pages.
        openapi_tags: metadata of the tags (``name``, ``description``, ``externalDocs``).
        servers: OpenAPI ``servers`` (``url``, ``description``).
        dependencies: run before every route's own dependencies; values discarded.
        default_response_class: the response class of routes that name none.
        redirect_slashes: answer ``/x/`` with a redirect to ``/x`` (and back)
            when only the other one is routed.
        docs_url: where Swagger UI is served; ``None`` disables it.
        redoc_url: where ReDoc is served; ``None`` disables it.
        swagger_ui_oauth2_redirect_url: the OAuth2 redirect page Swagger UI uses.
        swagger_ui_init_oauth: settings passed to Swagger UI's ``initOAuth``.
        middleware: ``Middleware(cls, ...)`` entries, the first one outermost.
        exception_handlers: exception class or status code -> handler
            ``(request, exc) -> Response`` (see ``exception_handler``).
        on_startup: legacy startup handlers (prefer ``lifespan``).
        on_shutdown: legacy shutdown handlers (prefer ``lifespan``).
        lifespan: ``lifespan(app)``, an async context manager: code before its
            ``yield`` runs at startup, after it at shutdown; a yielded mapping
            becomes ``request.state``.
        terms_of_service: OpenAPI ``info.termsOfService`` (a URL).
        contact: OpenAPI ``info.contact`` (``name``, ``url``, ``email``).
        license_info: OpenAPI ``info.license`` (``name``, ``identifier`` or ``url``).
        openapi_prefix: the old name of ``root_path``.
        root_path: deprecated (warns): set the root path on the server instead.
        root_path_in_servers: add the request's ``root_path`` to OpenAPI ``servers``.
        responses: extra OpenAPI responses for every route.
        callbacks: OpenAPI callbacks added to every route.
        webhooks: an ``APIRouter`` whose routes are documented as OpenAPI webhooks.
        deprecated: mark every route deprecated in OpenAPI.
        include_in_schema: ``False`` leaves every route out of OpenAPI.
        swagger_ui_parameters: Swagger UI configuration (``{"syntaxHighlight": False}``).
        generate_unique_id_function: computes each route's operation id.
        separate_input_output_schemas: a model whose input and output schemas
            differ gets two schemas (``-Input`` / ``-Output``); ``False``: one.
        openapi_external_docs: OpenAPI ``externalDocs`` (``url``, ``description``).
        strict_content_type: (ferrule) decode a body as JSON only when its
            ``Content-Type`` says JSON (default ``True``).
        max_body_size: (ferrule) request body limit in bytes, 413 above it
            (default 16 MiB; ``None``: no limit).
        sse_ping_interval: (ferrule) seconds of silence before an SSE keepalive comment (15).
        body_timeout: (ferrule) seconds to receive the request body, 408 after
            (``None``, the default: no limit; see ``ferrule.routing.timeouts``).
        response_timeout: (ferrule) seconds to solve dependencies and run the
            endpoint, 503 after (``None``, the default: no limit).
        stage_observer: (ferrule) per-stage timing hook, ``on_stage(route, stage, seconds)``.
        max_worker_threads: (ferrule) threads for sync endpoints and
            dependencies (default: anyio's limit of 40).
        openapi_nullable_as_30: (ferrule) write OpenAPI 3.0's ``nullable`` for
            old code generators.
        route_conflicts: (ferrule) ``"error"`` (default): two routes that can
            match the same request are a startup error; ``"warn"``: logged, the
            first registered answers (FastAPI's behaviour).
        **extra: kept in ``app.extra``.
    """

    def __init__(
        self,
        *,
        debug: bool = False,
        routes: list[BaseRoute] | None = None,
        title: str = "FastAPI",
        summary: str | None = None,
        description: str = "",
        version: str = "0.1.0",
        openapi_url: str | None = "/openapi.json",
        openapi_tags: list[dict[str, Any]] | None = None,
        servers: list[dict[str, Any]] | None = None,
        dependencies: Sequence[Any] | None = None,
        default_response_class: type[Response] = Default(JSONResponse),
        redirect_slashes: bool = True,
        docs_url: str | None = "/docs",
        redoc_url: str | None = "/redoc",
        swagger_ui_oauth2_redirect_url: str | None = "/docs/oauth2-redirect",
        swagger_ui_init_oauth: dict[str, Any] | None = None,
        middleware: Sequence[Middleware] | None = None,
        exception_handlers: Mapping[Any, ExceptionHandler] | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan | None = None,
        terms_of_service: str | None = None,
        contact: dict[str, Any] | None = None,
        license_info: dict[str, Any] | None = None,
        openapi_prefix: str = "",
        root_path: str = "",
        root_path_in_servers: bool = True,
        responses: dict[int | str, dict[str, Any]] | None = None,
        callbacks: list[BaseRoute] | None = None,
        webhooks: APIRouter | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        swagger_ui_parameters: dict[str, Any] | None = None,
        generate_unique_id_function: Callable[[APIRoute], str] = Default(generate_unique_id),
        separate_input_output_schemas: bool = True,
        openapi_external_docs: dict[str, Any] | None = None,
        strict_content_type: bool = Default(True),
        max_body_size: int | None = Default(DEFAULT_MAX_BODY_SIZE),
        sse_ping_interval: float = Default(15.0),
        body_timeout: float | None = Default(None),
        response_timeout: float | None = Default(None),
        stage_observer: StageObserver | None = None,
        max_worker_threads: int | None = None,
        openapi_nullable_as_30: bool = False,
        route_conflicts: RouteConflicts = "error",
        **extra: Any,
    ) -> None:
        self.debug = debug
        self.title = title
        self.summary = summary
        self.description = description
        self.version = version
        self.openapi_url = openapi_url
        self.openapi_tags = openapi_tags
        self.servers = list(servers or [])
        self.docs_url = docs_url
        self.redoc_url = redoc_url
        self.swagger_ui_oauth2_redirect_url = swagger_ui_oauth2_redirect_url
        self.swagger_ui_init_oauth = swagger_ui_init_oauth
        self.swagger_ui_parameters = swagger_ui_parameters
        self.terms_of_service = terms_of_service
        self.contact = contact
        self.license_info = license_info
        if root_path:
            # COMPAT(fastapi): FastAPI deprecates the parameter (the server sets root_path).
            warn_deprecated(
                "The `root_path` parameter is deprecated. Configure the server's root path "
                "instead, for example with `ferrule run --root-path /api/v1` (or your ASGI "
                "server's option)."
            )
        self.root_path = root_path or openapi_prefix
        self.root_path_in_servers = root_path_in_servers
        self.webhooks = webhooks or APIRouter()
        self.separate_input_output_schemas = separate_input_output_schemas
        self.openapi_external_docs = openapi_external_docs
        self.openapi_nullable_as_30 = openapi_nullable_as_30
        self.openapi_version = "3.1.0"
        self.openapi_schema: dict[str, Any] | None = None
        self._openapi_route_count = 0
        self.extra = extra
        self.stage_observer = stage_observer
        self.max_worker_threads = max_worker_threads
        self._thread_limiter: CapacityLimiter | None = None
        self.state = State()
        self._dependency_overrides = DependencyOverrides()
        self.app_scope = AppScope()
        self.router: APIRouter = APIRouter(
            routes=routes,
            redirect_slashes=redirect_slashes,
            dependency_overrides_provider=self,
            on_startup=on_startup,
            on_shutdown=on_shutdown,
            lifespan=lifespan,
            default_response_class=default_response_class,
            dependencies=dependencies,
            callbacks=callbacks,
            deprecated=deprecated,
            include_in_schema=include_in_schema,
            responses=responses,
            generate_unique_id_function=generate_unique_id_function,
            strict_content_type=strict_content_type,
            max_body_size=max_body_size,
            sse_ping_interval=sse_ping_interval,
            body_timeout=body_timeout,
            response_timeout=response_timeout,
            route_conflicts=route_conflicts,
        )
        self.exception_handlers: dict[Any, ExceptionHandler] = {
            HTTPException: _default_http_handler(),
            RequestValidationError: request_validation_exception_handler,
            WebSocketRequestValidationError: _websocket_validation_handler(),
        }
        self.exception_handlers.update(exception_handlers or {})
        self.user_middleware: list[Middleware] = list(middleware or [])
        self.middleware_stack: ASGIApp | None = None
        self.setup()

    @property
    def dependency_overrides(self) -> DependencyOverrides:
        """``app.dependency_overrides[original] = replacement``, for tests."""
        return self._dependency_overrides

    @dependency_overrides.setter
    def dependency_overrides(self, value: Mapping[Any, Any] | None) -> None:
        # Compiled plans hold this exact object; replacing it would go unseen.
        self._dependency_overrides.clear()
        # COMPAT(fastapi): `app.dependency_overrides = None` means no overrides.
        if value is not None:
            self._dependency_overrides.update(value)

    # -- OpenAPI and docs -----------------------------------------------------

    def setup(self) -> None:
        """Add the OpenAPI, Swagger UI and ReDoc routes (FastAPI's ``setup``)."""
        from ferrule.openapi.routes import install_docs_routes

        install_docs_routes(self)

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI document, built on first use and cached."""
        # COMPAT(fastapi): routes added after the first call are picked up.
        if self.openapi_schema is None or self._openapi_route_count != len(self.routes):
            from ferrule.openapi.utils import get_openapi_for_app

            self.openapi_schema = get_openapi_for_app(self)
            self._openapi_route_count = len(self.routes)
        return self.openapi_schema

    # -- ASGI -----------------------------------------------------------------

    @property
    def thread_limiter(self) -> CapacityLimiter | None:
        """The limiter for sync endpoints/dependencies (``max_worker_threads``), made on first use."""
        if self.max_worker_threads is None:
            return None
        if self._thread_limiter is None:
            self._thread_limiter = CapacityLimiter(self.max_worker_threads)
        return self._thread_limiter

    @property
    def routes(self) -> list[BaseRoute]:
        """The routes of the app's router, in the order they were added."""
        return self.router.routes

    def build_middleware_stack(self) -> ASGIApp:
        """Build the ASGI stack (see the module docstring); called once, on the first request."""
        error_handler = None
        handlers: dict[Any, ExceptionHandler] = {}
        for key, handler in self.exception_handlers.items():
            if key in (500, Exception):
                error_handler = handler
            else:
                handlers[key] = handler
        exceptions = ExceptionMiddleware(self.router, handlers=handlers)
        app: ASGIApp = exceptions
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        server_errors = ServerErrorMiddleware(app, handler=error_handler, debug=self.debug)
        if app is not exceptions:
            return server_errors
        # PERF: nothing in between, so the 500 layer answers from inside the
        # exception layer (its `fallback`): one layer and one send wrapper less
        # per request (interleaved in-process A/B: hello 5.08 -> 4.64 us, deps
        # 17.0 -> 16.7 us).
        exceptions.fallback = server_errors
        return exceptions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # SPEC: ASGI 3.0 "Applications": copy the server's scope before changing it. One
        # copy per request, here; "router" is set too so the router does not copy again.
        # PERF: dict() then two stores measured ~50 ns under {**scope, ...}.
        scope = dict(scope)
        scope["app"] = self
        scope["router"] = self.router
        if self.root_path:
            scope["root_path"] = self.root_path
        if self.middleware_stack is None:
            self.router.lifespan_context = self._merged_lifespan(self.router.lifespan_context)
            self.middleware_stack = self.build_middleware_stack()
        await self.middleware_stack(scope, receive, send)

    def _merged_lifespan(self, inner: Lifespan | None) -> Lifespan:
        app_scope = self.app_scope

        @asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[Mapping[str, Any] | None]:
            if inner is None:
                await app_scope.start()
                try:
                    yield None
                finally:
                    await app_scope.aclose()
                return
            async with inner(app) as state:
                await app_scope.start()
                try:
                    yield state
                finally:
                    await app_scope.aclose()

        return lifespan

    # -- configuration --------------------------------------------------------

    def add_middleware(self, middleware_class: Any, *args: Any, **kwargs: Any) -> None:
        """Wrap the app in ``middleware_class(app, *args, **kwargs)``; the last one added is outermost.

        Raises:
            RuntimeError: the app has already served a request (the stack is built).
        """
        if self.middleware_stack is not None:
            raise RuntimeError("cannot add middleware after the application has started")
        self.user_middleware.insert(0, Middleware(middleware_class, *args, **kwargs))

    def middleware(self, middleware_type: str) -> Callable[[F], F]:
        """Decorator: ``@app.middleware("http") async def mw(request, call_next)``."""
        if middleware_type != "http":
            raise ValueError(f"unknown middleware type {middleware_type!r}: only 'http' is supported")

        def decorator(func: F) -> F:
            self.add_middleware(BaseHTTPMiddleware, dispatch=func)
            return func

        return decorator

    def add_exception_handler(self, exc_class_or_status_code: int | type[BaseException], handler: ExceptionHandler) -> None:
        """Answer ``exc_class_or_status_code`` with ``handler``: see ``exception_handler``."""
        self.exception_handlers[exc_class_or_status_code] = handler

    def exception_handler(self, exc_class_or_status_code: int | type[BaseException]) -> Callable[[F], F]:
        """Decorator: ``handler(request, exc)`` (sync or async) returns the response for an error.

        Args:
            exc_class_or_status_code: an exception class (its subclasses too, the
                nearest handler wins) or the status code of an ``HTTPException``.
                ``Exception`` or ``500`` replaces the last-resort 500 answer.
        """
        def decorator(func: F) -> F:
            self.add_exception_handler(exc_class_or_status_code, func)
            return func

        return decorator

    def on_event(self, event_type: str) -> Callable[[F], F]:
        """Legacy ``@app.on_event("startup")``; prefer ``lifespan=``.

        Warns ``DeprecationWarning`` when called, as FastAPI does.
        """
        warnings.warn(
            "on_event is deprecated, use lifespan event handlers instead: "
            "App(lifespan=...) with an async context manager (FastAPI docs: Lifespan Events)",
            DeprecationWarning,
            stacklevel=2,
        )

        def decorator(func: F) -> F:
            self.router.add_event_handler(event_type, func)
            return func

        return decorator

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        """Legacy: run ``func`` (sync or async) at ``"startup"`` or ``"shutdown"``; prefer ``lifespan``."""
        self.router.add_event_handler(event_type, func)

    def url_path_for(self, name: str, /, **path_params: Any) -> str:
        """The path of the route named ``name``, its template filled with ``path_params``.

        Raises:
            NoMatchFound: no route has that name and those parameters.
        """
        return self.router.url_path_for(name, **path_params)


def _websocket_validation_handler() -> ExceptionHandler:
    from ferrule.exception_handlers import websocket_request_validation_exception_handler

    return websocket_request_validation_exception_handler


def _default_http_handler() -> ExceptionHandler:
    from ferrule.asgi_core.middleware.exceptions import http_exception_handler

    return http_exception_handler


FastAPI = App
"""``App`` under FastAPI's name, so porting can be a module-name change (``fastapi`` -> ``ferrule``)."""
