"""Plain routes: ``Route`` (request -> response), ``WebSocketRoute`` and ``Mount``.

Every route is matched by its router's radix tree, never by itself; a route
only knows how to *handle* a request the tree sent to it and how to build
its URL (``url_path_for``). ``APIRoute`` (the FastAPI-style pipeline) lives in
``api_route.py``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection, Sequence
from typing import Any

from ferrule.asgi_core.concurrency import run_in_threadpool
from ferrule.asgi_core.request import Request
from ferrule.asgi_core.source import source_location
from ferrule.asgi_core.types import ASGIApp, Receive, Scope, Send
from ferrule.asgi_core.websocket import WebSocket

from .errors import RouteConfigError
from .templates import Template

__all__ = ["BaseRoute", "Mount", "NoMatchFound", "Route", "WebSocketRoute", "describe_endpoint", "get_route_path"]


class NoMatchFound(Exception):
    """``url_path_for`` found no route with that name and those parameters."""

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        keys = ", ".join(sorted(params))
        super().__init__(f"no route named {name!r} accepts the parameters ({keys})")
        self.name = name
        self.params = params


def describe_endpoint(endpoint: Any) -> str:
    """``module:qualname (file:line)`` for error messages and the route table."""
    target = endpoint
    while isinstance(target, functools.partial):
        target = target.func
    module = getattr(target, "__module__", None) or "?"
    name = getattr(target, "__qualname__", None) or type(target).__qualname__
    file, line = source_location(target)
    if file is None:
        return f"{module}:{name}"
    return f"{module}:{name} ({file}:{line})"


def get_route_path(scope: Scope) -> str:
    """The path to route on: ``path`` without the ``root_path`` a mount or proxy added."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path) and (
        len(path) == len(root_path) or path[len(root_path)] == "/"
    ):
        return path[len(root_path):]
    return path


def _is_request_endpoint(endpoint: Any) -> bool:
    target = endpoint
    while isinstance(target, functools.partial):
        target = target.func
    return inspect.isfunction(target) or inspect.ismethod(target)


class BaseRoute:
    """What a router needs of a route.

    Attributes:
        path: the template as written.
        template: the parsed template.
        name: the name ``url_path_for`` finds it by.
        methods: the methods it answers (``None``: any; mounts and websockets).
        include_in_schema: listed in OpenAPI.
        is_prefix: a mount (matches the prefix and everything below it).
    """

    path: str
    template: Template
    name: str | None
    methods: set[str] | None = None
    include_in_schema: bool = True
    is_prefix: bool = False
    kind: str = "http"
    endpoint: Any = None

    @property
    def path_format(self) -> str:
        return self.template.path_format

    def owner(self) -> str:
        """How errors and the route table describe this route."""
        methods = ",".join(sorted(self.methods)) if self.methods else ("WS" if self.kind == "websocket" else "*")
        return f"{methods} {self.path} -> {describe_endpoint(getattr(self, 'endpoint', self))}"

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError

    def url_path_for(self, name: str, /, **params: Any) -> str:
        if name != self.name:
            raise NoMatchFound(name, params)
        return self.template.format(**params)


class Route(BaseRoute):
    """A route whose endpoint takes a ``Request`` and returns a ``Response``, or is an ASGI app."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Collection[str] | None = None,
        name: str | None = None,
        include_in_schema: bool = True,
    ) -> None:
        self.path = path
        self.template = Template.parse(path)
        self.endpoint = endpoint
        self.name = name if name is not None else getattr(endpoint, "__name__", type(endpoint).__name__)
        self.include_in_schema = include_in_schema
        if _is_request_endpoint(endpoint):
            self.methods = {m.upper() for m in methods} if methods else {"GET"}
            self.app: ASGIApp = _request_response(endpoint)
        else:
            self.methods = {m.upper() for m in methods} if methods else None
            self.app = endpoint
        if self.methods is not None and "GET" in self.methods:
            self.methods.add("HEAD")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _request_response(func: Callable[..., Any]) -> ASGIApp:
    is_async = inspect.iscoroutinefunction(func)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        response = await func(request) if is_async else await run_in_threadpool(func, request)
        await response(scope, receive, send)

    return app


class WebSocketRoute(BaseRoute):
    """A WebSocket route whose endpoint takes a ``WebSocket`` (or is an ASGI app)."""

    kind = "websocket"

    def __init__(self, path: str, endpoint: Callable[..., Any], *, name: str | None = None) -> None:
        self.path = path
        self.template = Template.parse(path)
        self.endpoint = endpoint
        self.name = name if name is not None else getattr(endpoint, "__name__", type(endpoint).__name__)
        self.include_in_schema = False
        if _is_request_endpoint(endpoint):
            func = endpoint

            async def app(scope: Scope, receive: Receive, send: Send) -> None:
                await func(WebSocket(scope, receive, send))

            self.app: ASGIApp = app
        else:
            self.app = endpoint

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


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
            from .router import Router

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
        if self.name is None:
            child_name = name
        elif name.startswith(self.name + ":"):
            child_name = name[len(self.name) + 1:]
        else:
            raise NoMatchFound(name, params)
        own = {k: params.pop(k) for k in list(params) if k in self.template.param_names}
        if self.template.param_names and not own:
            raise NoMatchFound(name, params)
        base = self.template.format(**own)
        for route in self.routes:
            try:
                return base + route.url_path_for(child_name, **params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, params)
