"""The endpoint context of validation errors (issue 23 item 13).

FastAPI's "Handling Errors" page: ``RequestValidationError`` carries where the
failing endpoint lives, and ``str(exc)`` ends with its file, line, function and
``METHOD /path``; for a mounted sub-application the path includes the mount
prefix. FastAPI code builds these exceptions with ``endpoint_ctx`` as a dict.
"""

from __future__ import annotations

from typing import Any

import pytest

from ferrule import App, Request, WebSocket, WebSocketDisconnect
from ferrule.exceptions import RequestValidationError, ResponseValidationError, WebSocketRequestValidationError
from ferrule.responses import JSONResponse
from ferrule.testclient import TestClient
from ferrule.validation.errors import EndpointContext


def test_a_mounted_apps_prefix_is_in_the_context() -> None:
    seen: dict[str, Any] = {}
    sub = App()

    @sub.exception_handler(RequestValidationError)
    async def record(request: Request, exc: RequestValidationError) -> JSONResponse:
        seen["path"] = exc.endpoint_path
        seen["str"] = str(exc)
        seen["dict"] = exc.endpoint_ctx["path"]  # type: ignore[index]
        return JSONResponse({"seen": True}, 422)

    @sub.api_route("/items/{item_id}", methods=["GET", "POST"])
    def item(item_id: int) -> int:
        return item_id

    app = App()
    app.mount("/sub", sub)
    client = TestClient(app)
    assert client.post("/sub/items/x").status_code == 422
    assert seen["path"] == "POST /sub/items/{item_id}"
    assert seen["str"].endswith("item\n    POST /sub/items/{item_id}")
    assert seen["dict"] == "POST /sub/items/{item_id}"
    assert client.get("/sub/items/y").status_code == 422
    assert seen["path"] == "GET /sub/items/{item_id}"


def test_endpoint_ctx_given_as_a_dict() -> None:
    ctx = {"function": "read", "path": "GET /p", "file": "app.py", "line": 3}
    for cls in (RequestValidationError, ResponseValidationError):
        exc = cls([{"type": "x", "loc": ("a",), "msg": "m"}], endpoint_ctx=ctx)
        assert str(exc) == (
            "1 validation error:\n  {'type': 'x', 'loc': ('a',), 'msg': 'm'}\n\n"
            '  File "app.py", line 3, in read\n    GET /p'
        )
        assert (exc.endpoint_function, exc.endpoint_file, exc.endpoint_line) == ("read", "app.py", 3)
        assert exc.endpoint_ctx.get("file") == "app.py"  # type: ignore[union-attr]
    partial = RequestValidationError([], endpoint_ctx={"function": "f"})
    assert str(partial) == "0 validation errors:"


def test_endpoint_context_reads_like_fastapis_dict() -> None:
    ctx = EndpointContext(function="f", file="a.py", line=2, method_path="GET /x")
    assert ctx["function"] == "f" and ctx["path"] == "GET /x" and ctx.get("line") == 2
    assert ctx.get("missing", "d") == "d"
    assert EndpointContext.coerce(ctx.as_dict()) == ctx


def test_a_websocket_context_names_ws_and_the_mount_prefix() -> None:
    seen: dict[str, Any] = {}
    sub = App()

    @sub.websocket("/feed")
    async def feed(websocket: WebSocket, token: int) -> None:
        await websocket.accept()

    @sub.exception_handler(WebSocketRequestValidationError)
    async def record(websocket: WebSocket, exc: WebSocketRequestValidationError) -> None:
        seen["path"] = exc.endpoint_path
        await websocket.close(1008)

    app = App()
    app.mount("/sub", sub)
    client = TestClient(app)
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/sub/feed?token=x"):
        pass
    assert seen["path"] == "WS /sub/feed"


def test_a_timed_route_gets_the_same_context() -> None:
    seen: dict[str, Any] = {}
    sub = App(response_timeout=30)

    @sub.exception_handler(RequestValidationError)
    async def record(request: Request, exc: RequestValidationError) -> JSONResponse:
        seen["path"] = exc.endpoint_path
        return JSONResponse({}, 422)

    @sub.get("/n/{n}")
    def number(n: int) -> int:
        return n

    app = App()
    app.mount("/api", sub)
    assert TestClient(app).get("/api/n/x").status_code == 422
    assert seen["path"] == "GET /api/n/{n}"
