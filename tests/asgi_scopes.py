"""Hand-made ASGI scopes for tests that build a ``Request``, a validator or a plan without a server."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def http_scope(
    path: str = "/",
    *,
    method: str = "GET",
    query: bytes = b"",
    headers: Iterable[tuple[bytes, bytes]] = (),
    path_params: dict[str, Any] | None = None,
    kind: str = "http",
) -> dict[str, Any]:
    """An ASGI 3 ``http`` (or ``kind``) scope for ``path`` as a server would send it, with routing's ``path_params``."""
    return {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": list(headers),
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1234),
        "path_params": path_params or {},
    }
