"""Plain routes: ``BaseRoute`` (what a router needs of a route), ``Route`` and ``WebSocketRoute``.

Every route is matched by its router's radix tree, never by itself; a route
only knows how to *handle* a request the tree sent to it and how to build
its URL (``url_path_for``). ``Mount`` lives with ``Router`` (``router.py``: each
makes the other), ``APIRoute`` (the FastAPI-style pipeline) in ``api_route.py``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from ferrule.asgi_core.concurrency import run_in_threadpool
from ferrule.asgi_core.request import Request
from ferrule.asgi_core.source import source_location
from ferrule.asgi_core.types import ASGIApp, Receive, Scope, Send
from ferrule.asgi_core.websocket import WebSocket

from .starlette_match import Match, match_route
from .templates import Template

__all__ = [
    "BaseRoute",
    "NoMatchFound",
    "Route",
    "WebSocketRoute",
    "child_route_name",
    "describe_endpoint",
    "first_url_path",
    "get_route_path",
    "is_routable_path",
]


class NoMatchFound(Exception):
    """``url_path_for`` found no route with that name and those parameters."""

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        keys = ", ".join(sorted(params))
        super().__init__(f"no route named {name!r} accepts the parameters ({keys})")
        self.name = name
        self.params = params


def child_route_name(own: str | None, name: str, params: dict[str, Any]) -> str:
    """The name ``url_path_for`` looks up among the routes of a mount or host named ``own``:
    ``"own:child"`` gives ``"child"``; with ``own`` None, ``name`` itself.

    Raises:
        NoMatchFound: ``name`` is not below ``own``.
    """
    if own is None:
        return name
    if name.startswith(own + ":"):
        return name[len(own) + 1 :]
    raise NoMatchFound(name, params)


def first_url_path(routes: Iterable[BaseRoute], name: str, params: dict[str, Any]) -> str | None:
    """``url_path_for(name, **params)`` of the first of ``routes`` that has it; None if none has."""
    for route in routes:
        try:
            return route.url_path_for(name, **params)
        except NoMatchFound:
            continue
    return None


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


def is_routable_path(path: str) -> bool:
    """Whether a route path is matched by routers (callback/webhook expressions are not)."""
    return not path or path.startswith("/")


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

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Starlette's ``route.matches(scope)``: ``(Match.FULL | PARTIAL | NONE, child scope)``."""
        return match_route(self, get_route_path(scope) if "path" in scope else "", scope)

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

    def _set_endpoint(self, path: str, endpoint: Any, name: str | None, include_in_schema: bool) -> None:
        """What every endpoint route stores: its template, endpoint and name (default: the endpoint's)."""
        self.path = path
        self.template = Template.parse(path)
        self.endpoint = endpoint
        self.name = name if name is not None else getattr(endpoint, "__name__", type(endpoint).__name__)
        self.include_in_schema = include_in_schema


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
        self._set_endpoint(path, endpoint, name, include_in_schema)
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
        self._set_endpoint(path, endpoint, name, include_in_schema=False)
        if _is_request_endpoint(endpoint):
            func = endpoint

            async def app(scope: Scope, receive: Receive, send: Send) -> None:
                await func(WebSocket(scope, receive, send))

            self.app: ASGIApp = app
        else:
            self.app = endpoint

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
