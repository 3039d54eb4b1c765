"""``Router`` (dispatch over a radix tree) and ``Mount`` (a sub-app or router under a prefix).

Registration with FastAPI's decorators (``APIRouter``) is in ``api_router.py``.

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
import logging
from typing import Any, Final, Literal
from urllib.parse import quote

from ferrule.asgi_core.exceptions import HTTPException
from ferrule.asgi_core.response import PlainTextResponse, RedirectResponse
from ferrule.asgi_core.types import ASGIApp, Receive, Scope, Send
from ferrule.asgi_core.url import URL
from ferrule.asgi_core.websocket import WebSocket

from .errors import RouteConfigError, RouteConflictError
from .frontend import FrontendRoute, best_frontend
from .host import Host, request_host
from .lifespan import Lifespan, as_lifespan, handle_lifespan, legacy_lifespan, merge_lifespans
from .raw_path import InvalidRequestPath, route_segments
from .routes import (
    BaseRoute,
    NoMatchFound,
    Route,
    WebSocketRoute,
    child_route_name,
    first_url_path,
    get_route_path,
    is_routable_path,
)
from .templates import Template
from .tree import MethodNotAllowed, RouteTree, TreeMatch

__all__ = ["Mount", "RouteConflicts", "Router"]

_WS = "WEBSOCKET"
# SPEC: RFC 3986 §3.3 - pchar without "%" (so "/" and "%" in a segment are escaped)
_SEGMENT_SAFE: Final = "!$&'()*+,;=:@-._~"

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
        self.lifespan_context: Lifespan | None = as_lifespan(lifespan)
        self._tree: RouteTree[BaseRoute] = RouteTree()
        self._tree_count = 0
        #: ``frontend()`` declarations: tried only after every route missed.
        self.frontends: list[FrontendRoute] = []
        #: ``Host`` routes: tried before the path routes (see ``routing.host``).
        self.hosts: list[Host] = []
        #: Where this router was included (``include.Inclusion``): later routes are copied there too.
        self.included_in: list[Any] = []
        #: The routers included into this one (to refuse inclusion cycles).
        self.included_routers: list[Router] = []
        for route in routes or ():
            self.append_route(route)

    # -- building -------------------------------------------------------

    def append_route(self, route: BaseRoute) -> None:
        """Add ``route``; a conflict with an existing route raises ``RouteConflictError``."""
        if self._tree_count != len(self.routes):
            self._rebuild()
        # An empty path is only a placeholder until include_router adds a prefix;
        # a callback/webhook URL expression is only documented.
        if route.kind == "host":
            self.hosts.append(route)  # type: ignore[arg-type]
        elif route.is_prefix or is_routable_path(route.path):
            self._add_to_tree(self._tree, route)
        self.routes.append(route)
        self._tree_count = len(self.routes)
        for inclusion in self.included_in:
            inclusion.copy_route(route)

    def _rebuild(self) -> RouteTree[BaseRoute]:
        tree: RouteTree[BaseRoute] = RouteTree()
        self.hosts = [route for route in self.routes if isinstance(route, Host)]
        for route in self.routes:
            if route.kind == "host" or (not route.is_prefix and not is_routable_path(route.path)):
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
        """Add a plain route: ``endpoint(request)`` returns a ``Response``; no parameters are injected.

        Args:
            path: the path template.
            endpoint: a function (sync or async) taking the ``Request``; any other
                callable (an endpoint class) is served as an ASGI app.
            methods: the HTTP methods it answers (a function: default ``GET``; an
                ASGI app: any); ``GET`` brings ``HEAD``.
            name: the route name for ``url_path_for`` (default: the endpoint's name).
            include_in_schema: list it in OpenAPI (plain routes have no operation details).
        """
        self.append_route(Route(path, endpoint, methods=methods, name=name, include_in_schema=include_in_schema))

    def add_websocket_route(self, path: str, endpoint: Callable[..., Any], name: str | None = None) -> None:
        """Add a plain WebSocket route: ``endpoint(websocket)``, no parameters injected."""
        self.append_route(WebSocketRoute(path, endpoint, name=name))

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        """Serve every request below ``path`` with the ASGI ``app`` (static files, a sub-application).

        The mounted app sees ``path`` moved from the scope's ``path`` into its ``root_path``.

        Args:
            path: the prefix, e.g. ``"/static"``.
            app: any ASGI app (``StaticFiles``, another ``App``...).
            name: for ``url_path_for(name, path=...)``.
        """
        self.append_route(Mount(path, app=app, name=name))

    def host(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        """Serve requests for the host name ``host`` (a template) with ``app``: see ``routing.host``."""
        self.append_route(Host(host, app=app, name=name))

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        """Legacy: run ``func`` (sync or async) at ``"startup"`` or ``"shutdown"``; prefer ``lifespan``."""
        if event_type == "startup":
            self.on_startup.append(func)
        elif event_type == "shutdown":
            self.on_shutdown.append(func)
        else:
            raise ValueError(f"unknown event type {event_type!r}: use 'startup' or 'shutdown'")

    def url_path_for(self, name: str, /, **path_params: Any) -> str:
        """The path of the route called ``name`` with ``path_params`` filled in."""
        path = first_url_path(self.routes, name, path_params)
        if path is None:
            raise NoMatchFound(name, path_params)
        return path

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
                scope = dict(scope)
                scope["router"] = self
            await handle_lifespan(scope.get("app"), self.effective_lifespan(), scope, receive, send)
            return
        if "router" not in scope:
            # SPEC: ASGI 3.0 "Applications": the server's scope is copied before it is
            # changed; below this point the scope is the app's own (``App`` copies it
            # and sets "router" itself, so an app pays for one copy).
            scope = dict(scope)
            scope["router"] = self
        tree = self._tree
        if self._tree_count != len(self.routes):
            tree = self._rebuild()
        if self.hosts and await self._dispatch_host(scope, receive, send):
            return
        path = get_route_path(scope) if scope.get("root_path") else scope["path"]
        raw = scope.get("raw_path")
        segments = None
        # An escape: route on the segments as sent (routing.raw_path). PERF: `0x25 in raw`
        # (an int) costs ~10 ns, `b"%" in raw` ~150 ns (it sets up a substring search).
        if type(raw) is bytes and 0x25 in raw:
            try:
                segments = route_segments(raw, path)
            except InvalidRequestPath as exc:
                await self._bad_path(scope, receive, send, str(exc))
                return
        found = tree.match(path, method, segments)
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
            await self._not_found(scope, receive, send, tree, path, method, segments)
            return
        allow = ", ".join(m for m in found.allow if m != _WS)
        if "app" in scope:
            raise HTTPException(405, headers={"Allow": allow})
        await PlainTextResponse("Method Not Allowed", 405, headers={"Allow": allow})(scope, receive, send)

    async def _dispatch_host(self, scope: Scope, receive: Receive, send: Send) -> bool:
        host = request_host(scope)
        if host is None:
            return False
        for route in self.hosts:
            params = route.match(host)
            if params is not None:
                scope["path_params"] = {**scope.get("path_params", {}), **params}
                await route.handle(scope, receive, send)
                return True
        return False

    async def _bad_path(self, scope: Scope, receive: Receive, send: Send, reason: str) -> None:
        """400 for a request path that cannot be decoded (``routing.raw_path``)."""
        if scope["type"] == "websocket":
            await WebSocket(scope, receive, send).close(1008, reason[:120])
            return
        if "app" in scope:
            raise HTTPException(400, detail=reason)
        await PlainTextResponse(reason, 400)(scope, receive, send)

    async def _not_found(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        tree: RouteTree[BaseRoute],
        path: str,
        method: str,
        segments: list[str] | None = None,
    ) -> None:
        if scope["type"] == "http" and self.redirect_slashes and path != "/":
            other = path[:-1] if path.endswith("/") else path + "/"
            if segments is not None:
                segments = segments[:-1] if segments[-1] == "" else [*segments, ""]
            if tree.match(other, method, segments) is not None:
                if segments is not None:  # keep an encoded "/" encoded in the new location
                    other = "/".join(quote(segment, safe=_SEGMENT_SAFE) for segment in segments)
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


class Mount(BaseRoute):
    """Serve a sub-app or a list of routes under a path prefix.

    The child sees ``root_path`` extended by the matched prefix and the full
    ``path`` (ASGI spec: ``root_path`` is the part of the path the child
    does not route on), so it can build correct URLs.
    """

    is_prefix = True
    kind = "mount"

    def __init__(
        self,
        path: str,
        app: ASGIApp | None = None,
        routes: Sequence[BaseRoute] | None = None,
        name: str | None = None,
    ) -> None:
        if (app is None) == (routes is None):
            raise RouteConfigError(
                f"Mount({path!r}) needs exactly one of 'app' or 'routes'", template=path
            )
        self.path = path.rstrip("/")
        self.template = Template.parse(path, prefix=True)
        if routes is not None:
            app = Router(routes=list(routes))
        assert app is not None  # invariant: checked above
        self.app = app
        self.name = name
        self.include_in_schema = False

    @property
    def routes(self) -> list[BaseRoute]:
        return list(getattr(self.app, "routes", []))

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def child_scope(self, scope: Scope, remainder: str, params: dict[str, Any]) -> None:
        """Adjust ``scope`` in place for the child app (called by the router)."""
        route_path = get_route_path(scope)
        matched = route_path[: len(route_path) - len(remainder)] if remainder else route_path
        root_path = scope.get("root_path", "")
        scope["app_root_path"] = scope.get("app_root_path", root_path)
        scope["root_path"] = root_path + matched
        if params:
            scope["path_params"] = {**scope.get("path_params", {}), **params}

    def url_path_for(self, name: str, /, **params: Any) -> str:
        if self.name is not None and name == self.name and "path" in params:
            rest = str(params.pop("path"))
            base = self.template.format(**params)
            return base.rstrip("/") + "/" + rest.lstrip("/")
        child_name = child_route_name(self.name, name, params)
        own = {k: params.pop(k) for k in list(params) if k in self.template.param_names}
        if self.template.param_names and not own:
            raise NoMatchFound(name, params)
        base = self.template.format(**own)
        path = first_url_path(self.routes, child_name, params)
        if path is None:
            raise NoMatchFound(name, params)
        return base + path
