"""The route table printed by ``python -m ferrule routes module:app``."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from .router import Mount
from .routes import BaseRoute, describe_endpoint

__all__ = ["print_routes", "route_table"]


def route_table(app: Any, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """Rows of (methods, path, name, endpoint file:line) for every route, mounts expanded."""
    routes: list[BaseRoute] = list(getattr(app, "routes", []))
    rows: list[tuple[str, str, str, str]] = []
    for route in routes:
        if isinstance(route, Mount):
            inner = route_table(route.app, prefix + route.path)
            rows.extend(inner or [("*", prefix + route.path + "/...", route.name or "", describe_endpoint(route.app))])
            continue
        if route.kind == "websocket":
            methods = "WS"
        else:
            allowed = set(route.methods or ())
            if "GET" in allowed:
                allowed.add("HEAD")  # the router answers HEAD on every GET route (RFC 9110 §9.3.2)
            methods = ",".join(sorted(allowed)) or "*"
        endpoint = getattr(route, "endpoint", None)
        rows.append((methods, prefix + route.path, route.name or "", describe_endpoint(endpoint)))
    return rows


def print_routes(app: Any, file: TextIO | None = None) -> None:
    """Print the route table, aligned in columns."""
    out = file or sys.stdout
    rows = route_table(app)
    header = ("METHODS", "PATH", "NAME", "ENDPOINT")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        out.write(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}\n")
