"""``include_router``: copying a router's routes into another, and keeping them in step.

ferrule flattens inclusion: every route of the included router is re-created
in the including one (with the prefix, tags, dependencies, responses and
defaults merged, FastAPI's rules), so dispatch is one tree lookup. An
``Inclusion`` remembers one ``include_router`` call, so that what is added to
the included router *afterwards* is copied too (COMPAT(fastapi): FastAPI serves
and documents routes added after ``include_router``). Inclusion cycles (a
router into itself, or into a router it already includes) are refused, as in
FastAPI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass
from enum import Enum
from typing import Any, Final, cast

from ferrule.asgi_core.response import Response

from .api_route import APIRoute, APIWebSocketRoute, RouteOptions
from .errors import RouteConfigError
from .frontend import FrontendRoute
from .options import DefaultPlaceholder
from .host import Host
from .router import Mount
from .routes import BaseRoute, Route, WebSocketRoute

__all__ = ["Inclusion", "check_no_cycle"]


def check_no_cycle(target: Any, router: Any) -> None:
    """Refuse ``target.include_router(router)`` when it would make a cycle.

    Raises:
        RouteConfigError: ``router`` is ``target``, or already includes it (at any depth).
    """
    if router is target:
        raise RouteConfigError(
            "cannot include an APIRouter into itself (router.include_router(router)); "
            "include a different router"
        )
    if _includes(router, target):
        raise RouteConfigError(
            "cannot include this APIRouter: it already includes (directly or through other "
            "routers) the router it is being included into, which would make a cycle; "
            "include a different router"
        )


def _includes(router: Any, other: Any) -> bool:
    pending = [router]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for child in _children(current):
            if child is other:
                return True
            pending.append(child)
    return False


def _children(router: Any) -> list[Any]:
    return list(getattr(router, "included_routers", ()))


#: Every option of ``api_route`` (``RouteOptions``' keys, in declaration order).
ROUTE_OPTION_KEYS: Final = tuple(RouteOptions.__annotations__)

#: Options an ``APIRouter`` also sets for its routes (the route's explicit value wins).
ROUTER_DEFAULTED: Final = ("strict_content_type", "max_body_size", "sse_ping_interval", "body_timeout", "response_timeout")


def _first_explicit(*values: Any) -> Any:
    for value in values:
        if not isinstance(value, DefaultPlaceholder):
            return value
    return values[0]


@dataclass(slots=True, eq=False)
class Inclusion:
    """One ``target.include_router(router, ...)`` call: its options, to copy routes with."""

    target: Any
    router: Any
    _: KW_ONLY
    prefix: str
    tags: list[str | Enum] | None
    dependencies: Sequence[Any] | None
    default_response_class: type[Response]
    responses: dict[int | str, dict[str, Any]] | None
    callbacks: list[BaseRoute] | None
    deprecated: bool | None
    include_in_schema: bool
    generate_unique_id_function: Callable[[APIRoute], str]

    def __post_init__(self) -> None:
        self.target.included_routers.append(self.router)

    def copy_frontend(self, frontend: FrontendRoute) -> None:
        """Add ``frontend`` to the target under the prefix, its dependencies first."""
        target = self.target
        provider = target.dependency_overrides_provider or target
        deps = [*target.dependencies, *(self.dependencies or [])]
        target.add_frontend(frontend.copy(self.prefix, deps, provider))

    def options_of(self, route: APIRoute) -> RouteOptions:
        """Every ``RouteOptions`` key of ``route`` (the list comes from the TypedDict, so a
        new option is carried over too), merged with this inclusion's settings by FastAPI's rules."""
        router = self.router
        merged: dict[str, Any] = {
            "tags": [*(self.tags or []), *route.tags],
            "dependencies": [*(self.dependencies or []), *route.dependencies],
            "responses": {**(self.responses or {}), **route.responses},
            "deprecated": route.deprecated or self.deprecated,
            "include_in_schema": route.include_in_schema and self.include_in_schema,
            "callbacks": [*(self.callbacks or []), *(route.callbacks or [])] or None,
            "response_class": _first_explicit(
                route.response_class, router.default_response_class, self.default_response_class
            ),
            "generate_unique_id_function": _first_explicit(
                route.generate_unique_id_function, router.generate_unique_id_function, self.generate_unique_id_function
            ),
        }
        for key in ROUTER_DEFAULTED:
            merged[key] = _first_explicit(getattr(route, key), getattr(router, key))
        return cast(RouteOptions, {key: merged[key] if key in merged else getattr(route, key) for key in ROUTE_OPTION_KEYS})

    def copy_route(self, route: BaseRoute) -> None:
        """Re-create ``route`` in the target with this inclusion's settings merged."""
        target, prefix, dependencies = self.target, self.prefix, self.dependencies
        if isinstance(route, APIRoute):
            if not prefix and not route.path:
                raise RouteConfigError(
                    f"prefix and path cannot both be empty (path operation: {route.name}); "
                    "give the route a path like '/' or include the router with a prefix",
                    template="",
                )
            target.add_api_route(
                prefix + route.path,
                route.endpoint,
                methods=route.methods,
                route_class_override=type(route),
                **self.options_of(route),
            )
        elif isinstance(route, APIWebSocketRoute):
            target.add_api_websocket_route(
                prefix + route.path,
                route.endpoint,
                name=route.name,
                dependencies=[*(dependencies or []), *route.dependencies],
            )
        elif isinstance(route, WebSocketRoute):
            target.add_websocket_route(prefix + route.path, route.endpoint, name=route.name)
        elif isinstance(route, Route):
            target.add_route(
                prefix + route.path,
                route.endpoint,
                methods=route.methods,
                name=route.name,
                include_in_schema=route.include_in_schema,
            )
        elif isinstance(route, Mount):
            target.append_route(Mount(prefix + route.path, app=route.app, name=route.name))
        elif isinstance(route, Host):
            target.append_route(Host(route.host, app=route.app, name=route.name))
        else:
            raise TypeError(f"cannot include a route of type {type(route).__name__}")
