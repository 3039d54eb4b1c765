"""``APIRouter``: FastAPI's route registration (decorators, ``include_router``) on a ``Router``.

Router-level settings are merged into each route's options when it is added
(FastAPI's rules: tags, dependencies and callbacks concatenate router-first,
responses merge with the route's winning, an explicit per-route value beats a
router default). ``include_router`` re-adds every route of another router
through ``add_api_route``, so the same merge applies once more.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from enum import Enum
from typing import Any, Literal, TypeVar

from anyio import CapacityLimiter
from typing_extensions import Unpack

from ferrule.asgi_core.exceptions import warn_deprecated
from ferrule.asgi_core.request import DEFAULT_MAX_BODY_SIZE
from ferrule.asgi_core.response import JSONResponse, Response
from ferrule.asgi_core.types import ASGIApp
from ferrule.di import AppScope, DependencyOverrides, StageObserver

from .api_route import APIRoute, APIWebSocketRoute, RouteOptions, generate_unique_id
from .errors import RouteConfigError
from .frontend import Fallback, FrontendRoute, PathLike, declare_frontend, join_frontend_paths
from .handler import RouteProvider
from .include import ROUTER_DEFAULTED, Inclusion, check_no_cycle
from .lifespan import Lifespan, merge_lifespans
from .options import Default, DefaultPlaceholder
from .router import RouteConflicts, Router
from .routes import BaseRoute

__all__ = ["APIRouter"]

F = TypeVar("F", bound=Callable[..., Any])


class APIRouter(Router):
    """FastAPI's ``APIRouter``: decorators for API routes and ``include_router``.

    Router-level settings apply to every route added to it; per-route values
    win where FastAPI says they do (tags, dependencies and callbacks are
    concatenated router-first; responses are merged with the route's winning).

    Args:
        prefix: prepended to the path of every route added here (``"/items"``;
            it starts with ``/`` and does not end with one).
        tags: OpenAPI tags put before each route's own.
        dependencies: run before each route's own dependencies; their values are discarded.
        default_response_class: the response class of routes that do not name one.
        responses: extra OpenAPI responses for every route (a route's entry for
            the same status wins).
        callbacks: OpenAPI callbacks added to every route.
        routes: routes to start with.
        redirect_slashes: answer ``/x/`` with a redirect to ``/x`` (and back)
            when only the other one is routed.
        default: the ASGI app for requests no route matches (default: 404).
        dependency_overrides_provider: the object whose ``dependency_overrides``,
            app-scoped dependencies and thread limiter the routes use (the app;
            set by ``include_router``).
        route_class: the ``APIRoute`` subclass the decorators create.
        on_startup: legacy startup handlers (prefer ``lifespan``).
        on_shutdown: legacy shutdown handlers (prefer ``lifespan``).
        lifespan: ``lifespan(app)`` async context manager; it runs inside the
            lifespan of the app this router is included in.
        deprecated: mark every route deprecated in OpenAPI.
        include_in_schema: ``False`` leaves every route out of OpenAPI.
        generate_unique_id_function: computes each route's OpenAPI operation id.
        strict_content_type: (ferrule) decode a body as JSON only when its
            ``Content-Type`` says JSON (default ``True``).
        max_body_size: (ferrule) request body limit in bytes, 413 above it
            (default 16 MiB; ``None``: no limit).
        sse_ping_interval: (ferrule) seconds of silence before an SSE keepalive comment.
        body_timeout: (ferrule) seconds to receive the request body, 408 after
            (``None``: no limit).
        response_timeout: (ferrule) seconds to solve dependencies and run the
            endpoint, 503 after (``None``: no limit).
        route_conflicts: (ferrule) ``"error"`` (default): two routes that can
            match the same request are a startup error; ``"warn"``: logged, the
            first registered answers (FastAPI's behaviour).
    """

    def __init__(
        self,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        dependencies: Sequence[Any] | None = None,
        default_response_class: type[Response] = Default(JSONResponse),
        responses: dict[int | str, dict[str, Any]] | None = None,
        callbacks: list[BaseRoute] | None = None,
        routes: Sequence[BaseRoute] | None = None,
        redirect_slashes: bool = True,
        default: ASGIApp | None = None,
        dependency_overrides_provider: RouteProvider | None = None,
        route_class: type[APIRoute] = APIRoute,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] = Default(generate_unique_id),
        strict_content_type: bool = Default(True),
        max_body_size: int | None = Default(DEFAULT_MAX_BODY_SIZE),
        sse_ping_interval: float = Default(15.0),
        body_timeout: float | None = Default(None),
        response_timeout: float | None = Default(None),
        route_conflicts: RouteConflicts = "error",
    ) -> None:
        super().__init__(
            routes=routes,
            redirect_slashes=redirect_slashes,
            default=default,
            on_startup=on_startup,
            on_shutdown=on_shutdown,
            lifespan=lifespan,
            route_conflicts=route_conflicts,
        )
        if prefix:
            _check_prefix(prefix)
        self.prefix = prefix
        self.tags: list[str | Enum] = list(tags or [])
        self.dependencies = list(dependencies or [])
        self.default_response_class = default_response_class
        self.responses = dict(responses or {})
        self.callbacks = list(callbacks or [])
        self.dependency_overrides_provider = dependency_overrides_provider
        # A router not (yet) inside an app is its own provider: routes compile
        # and run standalone, with app-scoped dependencies living in the router.
        # include_router re-creates every route with the including app's provider.
        self.dependency_overrides: DependencyOverrides | None = None
        self.app_scope: AppScope | None = AppScope()
        self.stage_observer: StageObserver | None = None
        self.thread_limiter: CapacityLimiter | None = None
        # Nothing is answered here: exceptions propagate to whoever serves the router.
        self.exception_handlers: Mapping[Any, Any] = {}
        self.route_class = route_class
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        self.generate_unique_id_function = generate_unique_id_function
        self.strict_content_type = strict_content_type
        self.max_body_size = max_body_size
        self.sse_ping_interval = sse_ping_interval
        self.body_timeout = body_timeout
        self.response_timeout = response_timeout

    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Collection[str] | None = None,
        route_class_override: type[APIRoute] | None = None,
        **options: Unpack[RouteOptions],
    ) -> APIRoute:
        """Add ``endpoint`` as an API route; the router's settings are merged into its options.

        Args:
            path: the path template below the router's ``prefix``: ``/items/{item_id}``,
                ``{item_id:int}`` for a convertor, ``{rest:path}`` to match slashes too.
            endpoint: the function called with the validated parameters.
            methods: the HTTP methods it answers (default ``["GET"]``).
            route_class_override: an ``APIRoute`` subclass for this route only.
            **options: ``RouteOptions``: ``response_model``, ``status_code``,
                ``tags``, ``dependencies``, ``summary``, ``description``,
                ``responses``, ``response_class``, ``name`` and the rest.

        Returns:
            The route, already added.

        Raises:
            RouteConflictError: another route matches the same requests (unless
                ``route_conflicts="warn"``).
        """
        opts: dict[str, Any] = dict(options)
        opts["tags"] = [*self.tags, *(options.get("tags") or [])]
        opts["dependencies"] = [*self.dependencies, *(options.get("dependencies") or [])]
        opts["callbacks"] = [*self.callbacks, *(options.get("callbacks") or [])] or None
        opts["responses"] = {**self.responses, **(options.get("responses") or {})}
        opts["deprecated"] = options.get("deprecated") or self.deprecated
        opts["include_in_schema"] = options.get("include_in_schema", True) and self.include_in_schema
        for key, router_value in (
            ("response_class", self.default_response_class),
            ("generate_unique_id_function", self.generate_unique_id_function),
            *((key, getattr(self, key)) for key in ROUTER_DEFAULTED),
        ):
            given = options.get(key, DefaultPlaceholder(None))
            opts[key] = given if not isinstance(given, DefaultPlaceholder) else _pick_default(router_value, given)
        route_class = route_class_override or self.route_class
        route = route_class(
            self.prefix + path,
            endpoint,
            methods=methods,
            dependency_overrides_provider=self.dependency_overrides_provider or self,
            **opts,
        )
        self.append_route(route)
        return route

    def api_route(
        self, path: str, *, methods: Collection[str] | None = None, **options: Unpack[RouteOptions]
    ) -> Callable[[F], F]:
        """Decorator form of ``add_api_route``: the function answers ``methods`` on ``path``.

        Args:
            path: the path template (see ``add_api_route``).
            methods: the HTTP methods (default ``["GET"]``).
            **options: ``RouteOptions`` (FastAPI's names): ``response_model``,
                ``status_code``, ``tags``, ``dependencies``, ``summary``,
                ``description``, ``response_description``, ``responses``,
                ``deprecated``, ``operation_id``, the ``response_model_*``
                filters, ``include_in_schema``, ``response_class``, ``name``,
                ``callbacks``, ``openapi_extra``, ``generate_unique_id_function``,
                and ferrule's ``strict_content_type``, ``max_body_size``,
                ``sse_ping_interval``, ``body_timeout``, ``response_timeout``.
        """

        def decorator(func: F) -> F:
            self.add_api_route(path, func, methods=methods, **options)
            return func

        return decorator

    def get(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``GET`` requests to ``path``; ``options`` as for ``api_route``.

        A read: send data in the path, query or headers, not a body.
        """
        return self.api_route(path, methods=["GET"], **options)

    def put(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``PUT`` requests to ``path``; ``options`` as for ``api_route``."""
        return self.api_route(path, methods=["PUT"], **options)

    def post(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``POST`` requests to ``path``; ``options`` as for ``api_route``."""
        return self.api_route(path, methods=["POST"], **options)

    def delete(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``DELETE`` requests to ``path``; ``options`` as for ``api_route``."""
        return self.api_route(path, methods=["DELETE"], **options)

    def options(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``OPTIONS`` requests to ``path``; ``options`` as for ``api_route``.

        With ``CORSMiddleware`` installed, a CORS preflight is answered there, never here.
        """
        return self.api_route(path, methods=["OPTIONS"], **options)

    def head(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``HEAD`` requests to ``path``; ``options`` as for ``api_route``.

        The response's headers are sent, its body is not (``Content-Length`` still gives its size).
        """
        return self.api_route(path, methods=["HEAD"], **options)

    def patch(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``PATCH`` requests to ``path``; ``options`` as for ``api_route``.

        A partial update: a body model with optional fields is the usual shape.
        """
        return self.api_route(path, methods=["PATCH"], **options)

    def trace(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        """Decorator: the function answers ``TRACE`` requests to ``path``; ``options`` as for ``api_route``."""
        return self.api_route(path, methods=["TRACE"], **options)

    def add_api_websocket_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        name: str | None = None,
        *,
        dependencies: Sequence[Any] | None = None,
    ) -> APIWebSocketRoute:
        """Add ``endpoint`` as a WebSocket route with FastAPI's parameters and dependencies.

        Args:
            path: the path template below the router's ``prefix``.
            endpoint: called with a ``WebSocket`` and its validated parameters.
            name: the route name for ``url_path_for`` (default: the endpoint's name).
            dependencies: run before the endpoint, after the router's own.
        """
        route = APIWebSocketRoute(
            self.prefix + path,
            endpoint,
            name=name,
            dependencies=[*self.dependencies, *(dependencies or [])],
            dependency_overrides_provider=self.dependency_overrides_provider or self,
        )
        self.append_route(route)
        return route

    def websocket(
        self, path: str, name: str | None = None, *, dependencies: Sequence[Any] | None = None
    ) -> Callable[[F], F]:
        """Decorator form of ``add_api_websocket_route`` (same arguments)."""

        def decorator(func: F) -> F:
            self.add_api_websocket_route(path, func, name=name, dependencies=dependencies)
            return func

        return decorator

    def route(
        self, path: str, methods: Collection[str] | None = None, name: str | None = None,
        include_in_schema: bool = True,
    ) -> Callable[[F], F]:
        """Decorator: a plain route whose endpoint takes a ``Request`` (FastAPI's ``router.route``)."""

        def decorator(func: F) -> F:
            self.add_route(path, func, methods=methods, name=name, include_in_schema=include_in_schema)
            return func

        return decorator

    def websocket_route(self, path: str, name: str | None = None) -> Callable[[F], F]:
        """Decorator: a plain WebSocket route whose endpoint takes a ``WebSocket``."""

        def decorator(func: F) -> F:
            self.add_websocket_route(path, func, name=name)
            return func

        return decorator

    def on_event(self, event_type: str) -> Callable[[F], F]:
        """Legacy ``@router.on_event("startup")``; prefer ``lifespan=``.

        Warns ``DeprecationWarning`` when called, as FastAPI does; the handlers run
        when the app including this router starts or stops.
        """
        warn_deprecated(
            "on_event is deprecated, use lifespan event handlers instead: "
            "APIRouter(lifespan=...) with an async context manager (FastAPI docs: Lifespan Events)",
            DeprecationWarning,
        )

        def decorator(func: F) -> F:
            self.add_event_handler(event_type, func)
            return func

        return decorator

    def frontend(self, path: str, *, directory: PathLike, fallback: Fallback = "auto",
                 check_dir: bool | Literal["auto"] = "auto") -> None:
        """Serve a built frontend (``dist/``) below ``path``, after every route: see ``routing.frontend``."""
        files = declare_frontend(path, directory, fallback, check_dir)
        provider = self.dependency_overrides_provider or self
        self.add_frontend(FrontendRoute(join_frontend_paths(self.prefix, path), files,
                                        dependencies=self.dependencies, dependency_overrides_provider=provider))

    def add_frontend(self, frontend: FrontendRoute) -> None:
        """Add a frontend (and to the routers this one was included in)."""
        self.frontends.append(frontend)
        for inclusion in self.included_in:
            inclusion.copy_frontend(frontend)

    def include_router(
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        dependencies: Sequence[Any] | None = None,
        default_response_class: type[Response] = Default(JSONResponse),
        responses: dict[int | str, dict[str, Any]] | None = None,
        callbacks: list[BaseRoute] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] = Default(generate_unique_id),
    ) -> None:
        """Add ``router``'s routes to this one under ``prefix``, merging settings.

        Routes added to ``router`` later are added here too, and its lifespan
        and startup/shutdown handlers run with this router's.

        Args:
            router: the ``APIRouter`` to include (an inclusion cycle is refused).
            prefix: put before the included routes' paths (after ``router``'s own prefix).
            tags: OpenAPI tags put before each included route's tags.
            dependencies: run before each included route's dependencies.
            default_response_class: the response class of included routes that
                name none, unless ``router`` sets one.
            responses: extra OpenAPI responses for the included routes.
            callbacks: OpenAPI callbacks added to the included routes.
            deprecated: mark the included routes deprecated in OpenAPI.
            include_in_schema: ``False`` leaves the included routes out of OpenAPI.
            generate_unique_id_function: the operation id function of included
                routes that do not set one.
        """
        if prefix:
            _check_prefix(prefix)
        if not isinstance(router, Router):
            raise TypeError(f"include_router() needs an APIRouter, got {type(router).__name__}")
        check_no_cycle(self, router)
        inclusion = Inclusion(self, router, prefix=prefix, tags=tags, dependencies=dependencies,
                              default_response_class=default_response_class, responses=responses,
                              callbacks=callbacks, deprecated=deprecated, include_in_schema=include_in_schema,
                              generate_unique_id_function=generate_unique_id_function)
        for route in router.routes:
            inclusion.copy_route(route)
        for frontend in router.frontends:
            inclusion.copy_frontend(frontend)
        # COMPAT(fastapi): what is added to `router` later reaches this router too.
        router.included_in.append(inclusion)
        self.on_startup.extend(router.on_startup)
        self.on_shutdown.extend(router.on_shutdown)
        self.lifespan_context = merge_lifespans(self.lifespan_context, router.lifespan_context)


def _pick_default(router_value: Any, given: Any) -> Any:
    # The router's value (explicit or its own default) replaces the route's default.
    if isinstance(given, DefaultPlaceholder) and given.value is None:
        return router_value
    return router_value if not isinstance(router_value, DefaultPlaceholder) else given


def _check_prefix(prefix: str) -> None:
    if not prefix.startswith("/"):
        raise RouteConfigError(
            f"invalid router prefix {prefix!r}: a path prefix must start with '/' (e.g. {'/' + prefix!r})",
            template=prefix,
        )
    if prefix.endswith("/"):
        raise RouteConfigError(
            f"invalid router prefix {prefix!r}: a path prefix must not end with '/' "
            f"(use {prefix.rstrip('/')!r})",
            template=prefix,
        )


