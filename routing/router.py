"""``Router`` (dispatch over a radix tree) and ``APIRouter`` (FastAPI's decorators).

Dispatch per request: one ``RouteTree.match`` on the route path (the path
minus ``root_path``), then

* a match: ``path_params`` into the scope, the route handles it (a ``Mount``
  first adjusts ``root_path`` for its child);
* a path match without the method: 405 with ``Allow`` (raised as
  ``HTTPException`` inside an app so exception handlers see it);
* no match: if ``redirect_slashes`` and the path with its trailing slash
  toggled matches, a 307 redirect there; else 404.

Routes are inserted into the tree when added, so a conflict is an error at
the ``@router.get(...)`` line, not at the first request. With
``route_conflicts="warn"`` (opt-in, for apps ported from FastAPI that shadow a
route by accident) a conflict is logged on the ``ferrule.routing`` logger
naming both declarations, and the route registered first keeps the clashing
methods, as in FastAPI; the later route still gets the methods nobody else has. Code that appends to
``router.routes`` directly is noticed (the count differs) and the tree is
rebuilt before the next request.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from enum import Enum
import logging
from typing import Any, Literal, TypeVar

from typing_extensions import Unpack

from ferrule.asgi_core.exceptions import HTTPException
from ferrule.asgi_core.request import DEFAULT_MAX_BODY_SIZE
from ferrule.asgi_core.response import JSONResponse, PlainTextResponse, RedirectResponse, Response
from ferrule.asgi_core.types import ASGIApp, Receive, Scope, Send
from ferrule.asgi_core.url import URL
from ferrule.asgi_core.websocket import WebSocket
from ferrule.di import AppScope

from .api_route import APIRoute, APIWebSocketRoute, is_routable_path
from .errors import RouteConfigError, RouteConflictError
from .frontend import Fallback, FrontendRoute, PathLike, best_frontend, declare_frontend, join_frontend_paths
from .lifespan import Lifespan, handle_lifespan, legacy_lifespan, merge_lifespans
from .options import Default, DefaultPlaceholder, RouteOptions, generate_unique_id
from .routes import BaseRoute, Mount, NoMatchFound, Route, WebSocketRoute, get_route_path
from .tree import MethodNotAllowed, RouteTree, TreeMatch

__all__ = ["APIRouter", "Router"]

F = TypeVar("F", bound=Callable[..., Any])

_WS = "WEBSOCKET"

_log = logging.getLogger("ferrule.routing")

RouteConflicts = Literal["error", "warn"]


def _tree_methods(route: BaseRoute) -> set[str] | None:
    if route.kind == "websocket":
        return {_WS}
    return route.methods


class Router:
    """A list of routes dispatched through a radix tree.

    Args:
        routes: initial routes.
        redirect_slashes: redirect ``/x/`` to ``/x`` (and back) when only the other exists.
        default: ASGI app for unmatched requests (default: 404).
        lifespan: ``lifespan(app)`` async context manager factory.
        on_startup: legacy startup handlers.
        on_shutdown: legacy shutdown handlers.
        route_conflicts: ``"error"`` (default): a conflict raises ``RouteConflictError``;
            ``"warn"``: it is logged and the route registered first wins (FastAPI's behaviour).
    """

    def __init__(
        self,
        routes: Sequence[BaseRoute] | None = None,
        redirect_slashes: bool = True,
        default: ASGIApp | None = None,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan | None = None,
        route_conflicts: RouteConflicts = "error",
    ) -> None:
        if route_conflicts not in ("error", "warn"):
            raise ValueError(f"route_conflicts must be 'error' or 'warn', not {route_conflicts!r}")
        self.route_conflicts: RouteConflicts = route_conflicts
        self.routes: list[BaseRoute] = []
        self.redirect_slashes = redirect_slashes
        self.default = default
        self.on_startup = list(on_startup or [])
        self.on_shutdown = list(on_shutdown or [])
        self.lifespan_context: Lifespan | None = lifespan
        self._tree: RouteTree[BaseRoute] = RouteTree()
        self._tree_count = 0
        #: ``frontend()`` declarations: tried only after every route missed.
        self.frontends: list[FrontendRoute] = []
        for route in routes or ():
            self.append_route(route)

    # -- building -------------------------------------------------------

    def append_route(self, route: BaseRoute) -> None:
        """Add ``route``; a conflict with an existing route raises ``RouteConflictError``."""
        if self._tree_count != len(self.routes):
            self._rebuild()
        if not route.is_prefix and not is_routable_path(route.path):
            # An empty path is only a placeholder until include_router adds a prefix;
            # a callback/webhook URL expression is only documented.
            self.routes.append(route)
            self._tree_count = len(self.routes)
            return
        self._add_to_tree(self._tree, route)
        self.routes.append(route)
        self._tree_count = len(self.routes)

    def _rebuild(self) -> RouteTree[BaseRoute]:
        tree: RouteTree[BaseRoute] = RouteTree()
        for route in self.routes:
            if not route.is_prefix and not is_routable_path(route.path):
                continue
            self._add_to_tree(tree, route)
        self._tree = tree
        self._tree_count = len(self.routes)
        return tree

    def _add_to_tree(self, tree: RouteTree[BaseRoute], route: BaseRoute) -> None:
        template = route.template.source if not route.is_prefix else route.path or "/"
        methods = _tree_methods(route)
        while True:
            try:
                tree.add(template, methods, route, owner=route.owner(), prefix=route.is_prefix)
                return
            except RouteConflictError as exc:
                if self.route_conflicts != "warn":
                    raise
                # COMPAT(fastapi): the route registered first answers the shared methods.
                said = "every method" if exc.methods is None else ", ".join(exc.methods)
                _log.warning(
                    "route conflict (route_conflicts='warn'): %s is declared by %s and by %s; "
                    "the first one answers it, the second is shadowed there",
                    f"{said} {exc.example_path}", exc.existing_owner, exc.new_owner,
                )
                if methods is None or exc.methods is None:
                    return
                shadowed = set(exc.methods) | ({"HEAD"} if "GET" in exc.methods else set())
                methods = methods - shadowed
                if not methods:
                    return

    def add_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        methods: Collection[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        self.append_route(Route(path, endpoint, methods=methods, name=name, include_in_schema=include_in_schema))

    def add_websocket_route(self, path: str, endpoint: Callable[..., Any], name: str | None = None) -> None:
        self.append_route(WebSocketRoute(path, endpoint, name=name))

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        self.append_route(Mount(path, app=app, name=name))

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        if event_type == "startup":
            self.on_startup.append(func)
        elif event_type == "shutdown":
            self.on_shutdown.append(func)
        else:
            raise ValueError(f"unknown event type {event_type!r}: use 'startup' or 'shutdown'")

    def url_path_for(self, name: str, /, **path_params: Any) -> str:
        """The path of the route called ``name`` with ``path_params`` filled in."""
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)

    def effective_lifespan(self) -> Lifespan | None:
        """The lifespan including legacy startup/shutdown handlers."""
        lifespan = self.lifespan_context
        if self.on_startup or self.on_shutdown:
            lifespan = merge_lifespans(legacy_lifespan(self.on_startup, self.on_shutdown), lifespan)
        return lifespan

    # -- dispatch ---------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            method = scope["method"]
        elif kind == "websocket":
            method = _WS
        else:
            if kind != "lifespan":
                # SPEC: ASGI 3.0 "Applications": reject a protocol you do not speak with an
                # exception, or the server may think it is supported (and wait on it).
                raise RuntimeError(f"unsupported ASGI scope type {kind!r}: ferrule serves http, websocket and lifespan")
            if "router" not in scope:
                scope["router"] = self
            await handle_lifespan(scope.get("app"), self.effective_lifespan(), scope, receive, send)
            return
        if "router" not in scope:
            scope["router"] = self
        tree = self._tree
        if self._tree_count != len(self.routes):
            tree = self._rebuild()
        path = get_route_path(scope) if scope.get("root_path") else scope["path"]
        found = tree.match(path, method)
        if type(found) is TreeMatch:
            route = found.handler
            if route.is_prefix:
                assert isinstance(route, Mount)  # invariant: only mounts are prefix routes
                route.child_scope(scope, found.remainder or "", found.params)
            else:
                existing = scope.get("path_params")
                params = found.params
                # A static route's match (and its empty params) is shared: never store it.
                scope["path_params"] = {**existing, **params} if existing else (params or {})
                scope["route"] = route
                scope["endpoint"] = route.endpoint
            await route.handle(scope, receive, send)
            return
        if found is None or kind != "http" or not isinstance(found, MethodNotAllowed) or found.allow == (_WS,):
            await self._not_found(scope, receive, send, tree, path, method)
            return
        allow = ", ".join(m for m in found.allow if m != _WS)
        if "app" in scope:
            raise HTTPException(405, headers={"Allow": allow})
        await PlainTextResponse("Method Not Allowed", 405, headers={"Allow": allow})(scope, receive, send)

    async def _not_found(
        self, scope: Scope, receive: Receive, send: Send, tree: RouteTree[BaseRoute], path: str, method: str
    ) -> None:
        if scope["type"] == "http" and self.redirect_slashes and path != "/":
            other = path[:-1] if path.endswith("/") else path + "/"
            if tree.match(other, method) is not None:
                url = URL(scope=scope)
                root = scope.get("root_path", "")
                new_path = root + other if url.path.startswith(root) else other
                await RedirectResponse(str(url.replace(path=new_path)))(scope, receive, send)
                return
        if self.frontends and scope["type"] == "http":
            frontend = best_frontend(self.frontends, path)
            if frontend is not None:
                await frontend.handle(scope, receive, send)
                return
        if self.default is not None:
            await self.default(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await WebSocket(scope, receive, send).close(1000)
            return
        if "app" in scope:
            raise HTTPException(404)
        await PlainTextResponse("Not Found", 404)(scope, receive, send)


class APIRouter(Router):
    """FastAPI's ``APIRouter``: decorators for API routes and ``include_router``.

    Router-level settings apply to every route added to it; per-route values
    win where FastAPI says they do (tags, dependencies and callbacks are
    concatenated router-first; responses are merged with the route's winning).
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
        dependency_overrides_provider: Any = None,
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
        self.dependency_overrides: Any = None
        self.app_scope = AppScope()
        self.stage_observer: Any = None
        self.thread_limiter: Any = None
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
        """Add an API route; router settings are merged into the route's options."""
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
            ("strict_content_type", self.strict_content_type),
            ("max_body_size", self.max_body_size),
            ("sse_ping_interval", self.sse_ping_interval),
            ("body_timeout", self.body_timeout),
            ("response_timeout", self.response_timeout),
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
        """Decorator form of ``add_api_route``."""

        def decorator(func: F) -> F:
            self.add_api_route(path, func, methods=methods, **options)
            return func

        return decorator

    def get(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["GET"], **options)

    def put(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["PUT"], **options)

    def post(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["POST"], **options)

    def delete(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["DELETE"], **options)

    def options(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["OPTIONS"], **options)

    def head(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["HEAD"], **options)

    def patch(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["PATCH"], **options)

    def trace(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
        return self.api_route(path, methods=["TRACE"], **options)

    def add_api_websocket_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        name: str | None = None,
        *,
        dependencies: Sequence[Any] | None = None,
    ) -> APIWebSocketRoute:
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
        """Decorator: a WebSocket endpoint with dependencies and parameters."""

        def decorator(func: F) -> F:
            self.add_api_websocket_route(path, func, name=name, dependencies=dependencies)
            return func

        return decorator

    def frontend(self, path: str, *, directory: PathLike, fallback: Fallback = "auto",
                 check_dir: bool | Literal["auto"] = "auto") -> None:
        """Serve a built frontend (``dist/``) below ``path``, after every route: see ``routing.frontend``."""
        files = declare_frontend(path, directory, fallback, check_dir)
        provider = self.dependency_overrides_provider or self
        self.frontends.append(FrontendRoute(join_frontend_paths(self.prefix, path), files,
                                            dependencies=self.dependencies, dependency_overrides_provider=provider))

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
        """Copy ``router``'s routes into this one under ``prefix``, merging settings."""
        if prefix:
            _check_prefix(prefix)
        if not isinstance(router, Router):
            raise TypeError(f"include_router() needs an APIRouter, got {type(router).__name__}")
        for route in router.routes:
            if isinstance(route, APIRoute):
                if not prefix and not route.path:
                    raise RouteConfigError(
                        f"prefix and path cannot both be empty (path operation: {route.name}); "
                        "give the route a path like '/' or include the router with a prefix",
                        template="",
                    )
                self.add_api_route(
                    prefix + route.path,
                    route.endpoint,
                    methods=route.methods,
                    response_model=route.response_model,
                    status_code=route.status_code,
                    tags=[*(tags or []), *route.tags],
                    dependencies=[*(dependencies or []), *route.dependencies],
                    summary=route.summary,
                    description=route.description,
                    response_description=route.response_description,
                    responses={**(responses or {}), **route.responses},
                    deprecated=route.deprecated or deprecated,
                    operation_id=route.operation_id,
                    response_model_include=route.response_model_include,
                    response_model_exclude=route.response_model_exclude,
                    response_model_by_alias=route.response_model_by_alias,
                    response_model_exclude_unset=route.response_model_exclude_unset,
                    response_model_exclude_defaults=route.response_model_exclude_defaults,
                    response_model_exclude_none=route.response_model_exclude_none,
                    include_in_schema=route.include_in_schema and include_in_schema,
                    response_class=_first_explicit(
                        route.response_class, router.default_response_class, default_response_class
                    ),
                    name=route.name,
                    callbacks=[*(callbacks or []), *(route.callbacks or [])] or None,
                    openapi_extra=route.openapi_extra,
                    generate_unique_id_function=_first_explicit(
                        route.generate_unique_id_function,
                        router.generate_unique_id_function,
                        generate_unique_id_function,
                    ),
                    strict_content_type=_first_explicit(route.strict_content_type, router.strict_content_type),
                    max_body_size=_first_explicit(route.max_body_size, router.max_body_size),
                    sse_ping_interval=_first_explicit(route.sse_ping_interval, router.sse_ping_interval),
                    body_timeout=_first_explicit(route.body_timeout, router.body_timeout),
                    response_timeout=_first_explicit(route.response_timeout, router.response_timeout),
                    route_class_override=type(route),
                )
            elif isinstance(route, APIWebSocketRoute):
                self.add_api_websocket_route(
                    prefix + route.path,
                    route.endpoint,
                    name=route.name,
                    dependencies=[*(dependencies or []), *route.dependencies],
                )
            elif isinstance(route, WebSocketRoute):
                self.add_websocket_route(prefix + route.path, route.endpoint, name=route.name)
            elif isinstance(route, Route):
                self.add_route(
                    prefix + route.path,
                    route.endpoint,
                    methods=route.methods,
                    name=route.name,
                    include_in_schema=route.include_in_schema,
                )
            elif isinstance(route, Mount):
                self.append_route(Mount(prefix + route.path, app=route.app, name=route.name))
            else:
                raise TypeError(f"cannot include a route of type {type(route).__name__}")
        provider = self.dependency_overrides_provider or self
        deps = [*self.dependencies, *(dependencies or [])]
        self.frontends.extend(frontend.copy(prefix, deps, provider) for frontend in router.frontends)
        self.on_startup.extend(router.on_startup)
        self.on_shutdown.extend(router.on_shutdown)
        self.lifespan_context = merge_lifespans(self.lifespan_context, router.lifespan_context)


def _first_explicit(*values: Any) -> Any:
    for value in values:
        if not isinstance(value, DefaultPlaceholder):
            return value
    return values[0]


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


