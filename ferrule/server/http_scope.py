"""The ASGI scope of a request the server received (HTTP and WebSocket alike)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import h11

from ferrule.asgi_core.types import Scope

from .state import ASGI_VERSION

__all__ = ["build_scope", "split_target"]


def split_target(target: bytes) -> tuple[bytes, bytes]:
    """Split a request-target into (raw path, query string) (RFC 9112 §3.2)."""
    if not target.startswith(b"/") and target != b"*":
        # absolute-form (a proxy request): keep only path and query
        parts = urlsplit(target)
        raw_path, query = parts.path or b"/", parts.query
        return raw_path, query
    raw_path, _, query = target.partition(b"?")
    return raw_path, query


def build_scope(
    kind: str,
    request: h11.Request,
    *,
    scheme: str,
    root_path: str,
    client: tuple[str, int] | None,
    server: tuple[str, int | None] | None,
    state: dict[str, Any] | None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> Scope:
    """The ASGI `http` or `websocket` scope for an h11 request (`headers`: its headers as a list, if made)."""
    raw_path, query = split_target(request.target)
    path = (unquote_to_bytes(raw_path) if b"%" in raw_path else raw_path).decode("utf-8", "replace")
    scope: Scope = {
        "type": kind,
        "asgi": dict(ASGI_VERSION),
        "http_version": request.http_version.decode("ascii"),
        "scheme": scheme,
        # COMPAT(uvicorn): path and raw_path include root_path.
        "path": root_path + path,
        "raw_path": root_path.encode("utf-8") + raw_path,
        "query_string": query,
        "root_path": root_path,
        "headers": list(request.headers) if headers is None else headers,
        "client": client,
        "server": server,
    }
    if kind == "http":
        scope["method"] = request.method.decode("ascii")
    if state is not None:
        scope["state"] = dict(state)
    return scope
