"""Starlette-level routing FastAPI apps use (issue 23 item 3).

From FastAPI's docs ("Sub Applications - Mounts", "Lifespan Events" and its
"Alternative Events (deprecated)" section) and Starlette's routing docs
(``Host`` routes, ``route``/``websocket_route`` decorators, lifespan state):
virtual hosts, plain Request/WebSocket routes by decorator, ``router.on_event``,
a lifespan written as a plain (async) generator function, and the rule that an
app's lifespan state wins over an included router's for the same key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from ferrule import APIRouter, App, Request, WebSocket
from ferrule.exceptions import FastAPIDeprecationWarning
from ferrule.responses import PlainTextResponse
from ferrule.routing.errors import RouteConfigError
from ferrule.routing.host import Host, request_host
from ferrule.testclient import TestClient

# -- Host ----------------------------------------------------------------------------


def _site(label: str) -> App:
    site = App(openapi_url=None)

    @site.get("/")
    def home(request: Request) -> dict[str, Any]:
        return {"site": label, "params": request.path_params}

    @site.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, Any]:
        return {"site": label, "item": item_id}

    return site


def test_virtual_hosts_route_by_host_name() -> None:
    app = App()
    app.host("api.example.com", _site("api"), name="api")
    app.host("{tenant}.example.com", _site("tenant"), name="tenant")

    @app.get("/")
    def root() -> str:
        return "main"

    client = TestClient(app)
    assert client.get("/", headers={"host": "api.example.com"}).json() == {"site": "api", "params": {}}
    assert client.get("/items/3", headers={"host": "API.Example.com:8443"}).json() == {"site": "api", "item": 3}
    tenant = client.get("/", headers={"host": "acme.example.com"}).json()
    assert tenant == {"site": "tenant", "params": {"tenant": "acme"}}
    # No dot inside a str parameter; other hosts fall through to the path routes.
    assert client.get("/", headers={"host": "a.b.example.com"}).json() == "main"
    assert client.get("/", headers={"host": "other.org"}).json() == "main"
    assert app.url_path_for("api:item", item_id=5) == "/items/5"
    assert app.url_path_for("tenant:item", tenant="acme", item_id=6) == "/items/6"


def test_host_routes_in_the_routes_list_with_convertors() -> None:
    shard = _site("shard")
    app = App(routes=[Host("db{n:int}.internal", shard)])
    client = TestClient(app)
    assert client.get("/", headers={"host": "db7.internal"}).json()["params"] == {"n": 7}
    assert client.get("/", headers={"host": "dbx.internal"}).status_code == 404


def test_host_declaration_errors() -> None:
    with pytest.raises(RouteConfigError, match="unknown convertor 'nope'"):
        Host("{x:nope}.example.com", _site("x"))
    with pytest.raises(RouteConfigError, match="repeats the parameter 'x'"):
        Host("{x}.{x}.com", _site("x"))
    with pytest.raises(RouteConfigError, match="needs a host name"):
        Host("", _site("x"))


def test_request_host_parsing() -> None:
    def scope(*headers: tuple[bytes, bytes]) -> dict[str, Any]:
        return {"headers": list(headers)}

    assert request_host(scope((b"host", b"Example.COM:80"))) == "example.com"
    assert request_host(scope((b"host", b"[::1]:8000"))) == "[::1]"
    assert request_host(scope()) is None


def test_an_included_routers_host_route_is_kept() -> None:
    router = APIRouter()
    router.host("api.example.com", _site("api"))
    app = App()
    app.include_router(router)
    assert TestClient(app).get("/", headers={"host": "api.example.com"}).json()["site"] == "api"


# -- route / websocket_route decorators ------------------------------------------------


def test_route_and_websocket_route_decorators() -> None:
    app = App()
    # COMPAT(fastapi): a router's own prefix is not applied to plain routes (FastAPI
    # passes them to Starlette's add_route); include_router's prefix is.
    router = APIRouter(prefix="/ignored")

    @app.route("/plain", methods=["GET", "POST"])
    async def plain(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"{request.method} plain")

    @router.route("/sync", name="sync_route", include_in_schema=False)
    def sync(request: Request) -> PlainTextResponse:
        return PlainTextResponse("sync")

    @app.websocket_route("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("app ws")
        await websocket.close()

    @router.websocket_route("/ws2", name="router_ws")
    async def router_ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("router ws")
        await websocket.close()

    app.include_router(router, prefix="/r")
    client = TestClient(app)
    assert client.get("/plain").text == "GET plain"
    assert client.post("/plain").text == "POST plain"
    assert client.get("/r/sync").text == "sync"
    assert client.put("/r/sync").status_code == 405
    assert client.get("/ignored/sync").status_code == 404
    assert app.url_path_for("sync_route") == "/r/sync"
    with client.websocket_connect("/ws") as socket:
        assert socket.receive_text() == "app ws"
    with client.websocket_connect("/r/ws2") as socket:
        assert socket.receive_text() == "router ws"
    assert "/plain" not in app.openapi()["paths"]  # plain routes are not operations


# -- router.on_event -------------------------------------------------------------------


def test_router_on_event_warns_and_runs_with_the_app() -> None:
    events: list[str] = []
    router = APIRouter()
    with pytest.warns(DeprecationWarning, match="on_event is deprecated") as record:

        @router.on_event("startup")
        async def start() -> None:
            events.append("router up")

        @router.on_event("shutdown")
        def stop() -> None:
            events.append("router down")

    assert record[0].filename == __file__
    app = App()
    app.include_router(router)
    with TestClient(app):
        assert events == ["router up"]
    assert events == ["router up", "router down"]


# -- lifespans -----------------------------------------------------------------------


def test_async_generator_function_lifespan_is_wrapped_with_a_warning() -> None:
    events: list[str] = []

    async def lifespan(app: App) -> AsyncIterator[dict[str, str]]:
        events.append("up")
        yield {"db": "connected"}
        events.append("down")

    with pytest.warns(FastAPIDeprecationWarning, match="async generator function lifespans are deprecated"):
        app = App(lifespan=lifespan)

    @app.get("/")
    def read(request: Request) -> str:
        return str(request.state.db)

    with TestClient(app) as client:
        assert client.get("/").json() == "connected"
    assert events == ["up", "down"]


def test_generator_function_lifespan_is_wrapped_with_a_warning() -> None:
    events: list[str] = []

    def lifespan(app: App) -> Iterator[None]:
        events.append("up")
        yield
        events.append("down")

    router = APIRouter()
    with pytest.warns(FastAPIDeprecationWarning, match="generator function lifespans are deprecated"):
        router = APIRouter(lifespan=lifespan)
    app = App()
    app.include_router(router)
    with TestClient(app):
        assert events == ["up"]
    assert events == ["up", "down"]


def test_the_apps_lifespan_state_wins_over_a_routers() -> None:
    @asynccontextmanager
    async def app_lifespan(app: App) -> AsyncIterator[dict[str, str]]:
        yield {"shared": "app", "app_only": "a"}

    @asynccontextmanager
    async def router_lifespan(app: App) -> AsyncIterator[dict[str, str]]:
        yield {"shared": "router", "router_only": "r"}

    router = APIRouter(lifespan=router_lifespan)
    app = App(lifespan=app_lifespan)
    app.include_router(router)

    @app.get("/")
    def read(request: Request) -> dict[str, str]:
        return {k: getattr(request.state, k) for k in ("shared", "app_only", "router_only")}

    with TestClient(app) as client:
        assert client.get("/").json() == {"shared": "app", "app_only": "a", "router_only": "r"}
