"""The server's scope dict is never changed (ASGI 3.0 "Applications": copy before mutating).

Issue 18 item 11: the app used to add ``app``, ``router``, ``route``, ``endpoint`` and
``path_params`` to the dict the server passed in. Each test hands over a scope, runs a
whole exchange, and compares the dict with a copy taken before.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from ferrule import App, Request, WebSocket
from ferrule.responses import PlainTextResponse
from ferrule.routing import APIRouter
from ferrule.routing.router import Mount, Router
from ferrule.routing.routes import Route

Message = dict[str, Any]


def http_scope(path: str, root_path: str = "") -> Message:
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": root_path + path, "raw_path": (root_path + path).encode(),
        "query_string": b"", "root_path": root_path, "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {},
    }  # fmt: skip


def ws_scope(path: str) -> Message:
    scope = {**http_scope(path), "type": "websocket", "scheme": "ws", "subprotocols": []}
    del scope["method"]
    return scope


async def exchange(app: Any, scope: Message, incoming: list[Message]) -> list[Message]:
    sent: list[Message] = []
    queue = iter(incoming)

    async def receive() -> Message:
        return next(queue)

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def run_unchanged(app: Any, scope: Message, incoming: list[Message]) -> list[Message]:
    before = copy.deepcopy(scope)
    state = scope.get("state")
    sent = anyio.run(exchange, app, scope, incoming)
    if state is not None:  # lifespan state is shared on purpose: same dict, contents may change
        assert scope["state"] is state
        before["state"] = scope["state"]
    assert scope == before, sorted(set(scope) ^ set(before))
    return sent


def make_app() -> App:
    @asynccontextmanager
    async def lifespan(app: App) -> AsyncIterator[dict[str, Any]]:
        yield {"ready": True}

    app = App(lifespan=lifespan)

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    @app.websocket("/ws/{name}")
    async def ws(websocket: WebSocket, name: str) -> None:
        await websocket.accept()
        await websocket.send_text(name)
        await websocket.close()

    sub = APIRouter()

    @sub.get("/leaf/{x}")
    def leaf(x: str) -> dict[str, str]:
        return {"x": x}

    inner = App()
    inner.include_router(sub)
    app.mount("/sub/{tenant}", inner)

    async def raw_child(scope: Message, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app.mount("/raw", raw_child)
    return app


HTTP_ONE = [{"type": "http.request", "body": b"", "more_body": False}]


@pytest.mark.parametrize(
    ("path", "root_path", "status"),
    [
        ("/items/3", "", 200),
        ("/items/3", "/api", 200),
        ("/items/x", "", 422),
        ("/nowhere", "", 404),
        ("/items/3/", "", 307),
        ("/sub/acme/leaf/1", "", 200),
        ("/sub/acme/leaf/1", "/api", 200),
        ("/raw/deep/er", "", 204),
        ("/s/a%2Fb", "", 404),
    ],
)
def test_http(path: str, root_path: str, status: int) -> None:
    sent = run_unchanged(make_app(), http_scope(path, root_path), HTTP_ONE)
    assert sent[0]["status"] == status


def test_websocket() -> None:
    incoming = [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1000}]
    sent = run_unchanged(make_app(), ws_scope("/ws/bob"), incoming)
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.close"]


def test_lifespan() -> None:
    scope: Message = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = run_unchanged(make_app(), scope, incoming)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert scope["state"] == {"ready": True}


def test_router_without_an_app() -> None:
    async def endpoint(request: Request) -> PlainTextResponse:
        return PlainTextResponse(str(request.path_params))

    router = Router(routes=[Route("/a/{x}", endpoint), Mount("/m", routes=[Route("/b/{y}", endpoint)])])
    for path, status in (("/a/1", 200), ("/m/b/2", 200), ("/nope", 404)):
        assert run_unchanged(router, http_scope(path), HTTP_ONE)[0]["status"] == status
    lifespan: Message = {"type": "lifespan", "asgi": {"version": "3.0"}}
    run_unchanged(router, lifespan, [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
