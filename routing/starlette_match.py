"""Starlette's ``route.matches(scope)`` and ``Match``, for code written against Starlette.

Rate limiters, tracing middleware and auth helpers (slowapi's middleware, for
one) walk ``app.routes`` and ask each route ``route.matches(scope)`` to find the
endpoint a request will reach. ferrule dispatches through one radix tree per
router instead; this module answers the same question for one route:

* ``Match.FULL``: the path and the method match (the child scope has
  ``endpoint`` and ``path_params``);
* ``Match.PARTIAL``: the path matches but not the method (Starlette's "405" case);
* ``Match.NONE``: no match, or a scope type the route does not serve.

COMPAT(starlette): built for compatibility, not for dispatch: the one-route tree
is made on the first call and kept on the route, and a call costs one tree match.
"""

from __future__ import annotations

from enum import IntEnum
from collections.abc import Mapping
from typing import Any

from ._tree_match import MethodNotAllowed, TreeMatch
from .tree import RouteTree

__all__ = ["Match", "match_route"]

_WS = "WEBSOCKET"


class Match(IntEnum):
    """How well a route matches a scope (Starlette's ``starlette.routing.Match``)."""

    NONE = 0
    PARTIAL = 1
    FULL = 2


def _single_route_tree(route: Any) -> RouteTree[Any]:
    tree: RouteTree[Any] | None = route.__dict__.get("_starlette_match_tree")
    if tree is None:
        tree = RouteTree()
        methods = {_WS} if route.kind == "websocket" else route.methods
        template = route.template.source if not route.is_prefix else route.path or "/"
        tree.add(template, methods, route, owner=route.owner(), prefix=route.is_prefix)
        route.__dict__["_starlette_match_tree"] = tree
    return tree


def match_route(route: Any, route_path: str, scope: Mapping[str, Any]) -> tuple[Match, dict[str, Any]]:
    """``route.matches(scope)``: the ``Match`` and the scope changes a dispatch would make."""
    kind = scope.get("type")
    if kind == "http":
        method = scope["method"]
    elif kind == "websocket":
        method = _WS
    else:
        return Match.NONE, {}
    if not route.is_prefix and (kind == "websocket") != (route.kind == "websocket"):
        return Match.NONE, {}
    found = _single_route_tree(route).match(route_path, method)
    if isinstance(found, TreeMatch):
        params = {**scope.get("path_params", {}), **found.params}
        return Match.FULL, {"endpoint": getattr(route, "endpoint", None), "path_params": params}
    if isinstance(found, MethodNotAllowed):
        return Match.PARTIAL, {"endpoint": getattr(route, "endpoint", None), "path_params": {}}
    return Match.NONE, {}
