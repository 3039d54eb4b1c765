"""Router dispatch, APIRouter merging, mounts and URL building, end to end through the app."""

from __future__ import annotations

from typing import Any

import pytest

from ferrule import APIRouter, App, Depends
from ferrule.asgi_core.request import Request
from ferrule.asgi_core.response import JSONResponse, PlainTextResponse
from ferrule.responses import HTMLResponse
from ferrule.routing import Mount, NoMatchFound, Route, RouteConfigError, RouteConflictError, Router
from ferrule.testclient import TestClient


def test_static_beats_param_and_path_falls_back() -> None:
    app = App()

    @app.get("/users/me")
    def me() -> str:
        return "me"

    @app.get("/users/{user_id:int}/posts")
    def posts(user_id: int) -> str:
        return f"posts {user_id}"

    @app.get("/users/{rest:path}")
    def rest(rest: str) -> str:
        return f"rest {rest}"

    client = TestClient(app)
    assert client.get("/users/me").json() == "me"
    assert client.get("/users/7/posts").json() == "posts 7"
    assert client.get("/users/7/other").json() == "rest 7/other"
    assert client.get("/users/me/posts").json() == "rest me/posts"


def test_conflicting_routes_fail_at_decoration_naming_both() -> None:
    app = App()

    @app.get("/items/{a}")
    def first(a: str) -> str:
        return a

    with pytest.raises(RouteConflictError) as info:

        @app.get("/items/{b}")
        def second(b: str) -> str:
            return b

    message = str(info.value)
    assert "first" in message and "second" in message


def test_same_path_different_methods_is_not_a_conflict() -> None:
    app = App()

    @app.get("/things")
    def read() -> str:
        return "read"

    @app.post("/things")
    def write() -> str:
        return "write"

    client = TestClient(app)
    assert client.get("/things").json() == "read"
    assert client.post("/things").json() == "write"


def test_405_has_allow_header_and_fastapi_body() -> None:
    app = App()

    @app.get("/only-get")
    def only_get() -> str:
        return "x"

    response = TestClient(app).delete("/only-get")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD"}


def test_404_body_is_fastapis() -> None:
    response = TestClient(App()).get("/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_head_answers_get_routes_without_a_body() -> None:
    app = App()

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    response = TestClient(app).head("/hello")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len(b'{"hello":"world"}'))


@pytest.mark.parametrize(("registered", "requested", "location"), [("/items", "/items/", "/items"), ("/items/", "/items", "/items/")])
def test_redirect_slashes(registered: str, requested: str, location: str) -> None:
    app = App()
    app.get(registered)(lambda: "ok")
    client = TestClient(app, follow_redirects=False)
    response = client.get(requested + "?q=1")
    assert response.status_code == 307
    assert response.headers["location"] == f"http://testserver{location}?q=1"


def test_redirect_slashes_off_gives_404() -> None:
    app = App(redirect_slashes=False)
    app.get("/items")(lambda: "ok")
    assert TestClient(app).get("/items/").status_code == 404


def test_include_router_merges_prefix_tags_dependencies_and_responses() -> None:
    calls: list[str] = []

    def app_dep() -> None:
        calls.append("app")

    def router_dep() -> None:
        calls.append("router")

    def include_dep() -> None:
        calls.append("include")

    def route_dep() -> None:
        calls.append("route")

    router = APIRouter(prefix="/items", tags=["items"], dependencies=[Depends(router_dep)], responses={404: {"description": "router"}})

    @router.get("/{item_id}", tags=["read"], dependencies=[Depends(route_dep)], responses={418: {"description": "route"}})
    def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    app = App(dependencies=[Depends(app_dep)])
    app.include_router(router, prefix="/v1", tags=["v1"], dependencies=[Depends(include_dep)], responses={500: {"description": "include"}})
    assert TestClient(app).get("/v1/items/3").json() == {"item_id": 3}
    assert calls == ["app", "include", "router", "route"]
    route = next(r for r in app.routes if getattr(r, "path", "") == "/v1/items/{item_id}")
    assert route.tags == ["v1", "items", "read"]
    assert set(route.responses) == {404, 418, 500}


@pytest.mark.parametrize("prefix", ["items", "/items/"])
def test_bad_prefix_is_a_startup_error_saying_what_to_change(prefix: str) -> None:
    with pytest.raises(RouteConfigError, match="prefix"):
        APIRouter(prefix=prefix)
    app = App()
    with pytest.raises(RouteConfigError, match="prefix"):
        app.include_router(APIRouter(), prefix=prefix)


def test_empty_prefix_and_empty_path_is_an_error() -> None:
    router = APIRouter()
    router.get("")(lambda: "x")
    with pytest.raises(RouteConfigError, match="cannot both be empty"):
        App().include_router(router)


def test_default_response_class_precedence() -> None:
    router = APIRouter(default_response_class=HTMLResponse)

    @router.get("/page")
    def page() -> str:
        return "<p>hi</p>"

    @router.get("/explicit", response_class=PlainTextResponse)
    def explicit() -> str:
        return "plain"

    app = App()
    app.include_router(router)
    client = TestClient(app)
    assert client.get("/page").headers["content-type"].startswith("text/html")
    assert client.get("/explicit").headers["content-type"].startswith("text/plain")


def test_mount_sets_root_path_and_child_builds_urls() -> None:
    seen: dict[str, Any] = {}

    async def child(request: Request) -> JSONResponse:
        seen["root_path"] = request.scope["root_path"]
        seen["path"] = request.scope["path"]
        return JSONResponse({"url": str(request.url_for("sub:child_ep", name="x"))})

    sub = Router(routes=[Route("/hello/{name}", child, name="child_ep")])
    app = App()
    app.mount("/sub", sub, name="sub")
    response = TestClient(app).get("/sub/hello/y")
    assert response.status_code == 200
    assert seen == {"root_path": "/sub", "path": "/sub/hello/y"}
    assert response.json() == {"url": "http://testserver/sub/hello/x"}
    assert app.url_path_for("sub:child_ep", name="z") == "/sub/hello/z"


def test_mount_of_raw_asgi_app_sees_adjusted_scope() -> None:
    async def raw(scope: Any, receive: Any, send: Any) -> None:
        body = f"{scope['root_path']}|{scope['path']}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    app = App()
    app.mount("/raw", raw)
    assert TestClient(app).get("/raw/a/b").text == "/raw|/raw/a/b"
    assert TestClient(app).get("/raw").text == "/raw|/raw"


def test_url_path_for_is_convertor_aware_and_errors_are_clear() -> None:
    app = App()

    @app.get("/items/{item_id:int}", name="item")
    def item(item_id: int) -> int:
        return item_id

    assert app.url_path_for("item", item_id=5) == "/items/5"
    with pytest.raises(NoMatchFound, match="nope"):
        app.url_path_for("nope")
    with pytest.raises(Exception, match="item_id"):
        app.url_path_for("item")


def test_plain_route_and_websocket_route_share_a_path_without_conflict() -> None:
    async def page(request: Request) -> PlainTextResponse:
        return PlainTextResponse("page")

    app = App()
    app.add_route("/live", page)

    @app.websocket("/live")
    async def live(websocket: Any) -> None:
        await websocket.accept()
        await websocket.close()

    assert TestClient(app).get("/live").text == "page"


def test_routes_appended_directly_are_dispatched() -> None:
    async def page(request: Request) -> PlainTextResponse:
        return PlainTextResponse("late")

    app = App()
    TestClient(app).get("/")
    app.router.routes.append(Route("/late", page))
    assert TestClient(app).get("/late").text == "late"


def test_router_alone_without_app_answers_plain_404_405() -> None:
    async def page(request: Request) -> PlainTextResponse:
        return PlainTextResponse("x")

    router = Router(routes=[Route("/a", page, methods=["POST"])])
    client = TestClient(router)
    assert client.get("/nope").status_code == 404
    response = client.get("/a")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_routes_command_prints_methods_paths_names_and_locations(capsys: pytest.CaptureFixture[str]) -> None:
    from ferrule.cli import main

    assert main(["routes", "examples.app:app"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["METHODS", "PATH", "NAME", "ENDPOINT"]
    row = next(line for line in out if " /notes/{note_id} " in line and line.startswith("GET"))
    assert "read_note" in row and "examples/app.py:" in row
    assert any(line.startswith("WS") and "/chat" in line for line in out)


def test_nested_router_lifespans_are_merged_with_their_state() -> None:
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    events: list[str] = []

    def lifespan_of(name: str) -> Any:
        @asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[dict[str, str]]:
            events.append(f"{name} up")
            yield {name: "ready"}
            events.append(f"{name} down")

        return lifespan

    inner = APIRouter(lifespan=lifespan_of("inner"))
    outer = APIRouter(lifespan=lifespan_of("outer"))
    outer.include_router(inner)
    app = App(lifespan=lifespan_of("app"))
    app.include_router(outer)

    @app.get("/state")
    def state(request: Request) -> dict[str, str]:
        return {k: getattr(request.state, k) for k in ("app", "outer", "inner")}

    with TestClient(app) as client:
        assert client.get("/state").json() == {"app": "ready", "outer": "ready", "inner": "ready"}
    assert events == ["app up", "outer up", "inner up", "inner down", "outer down", "app down"]


def test_user_convertor_routes_and_formats() -> None:
    from ferrule.routing import register_convertor
    from ferrule.routing.convertors import convertor_from_functions

    register_convertor(
        "hexint",
        convertor_from_functions(lambda text: int(text, 16), lambda value: format(value, "x"), regex="[0-9a-f]+"),
    )
    app = App()

    @app.get("/color/{value:hexint}", name="color")
    def color(request: Request) -> int:
        return int(request.path_params["value"])

    client = TestClient(app)
    assert client.get("/color/ff").json() == 255
    assert client.get("/color/zz").status_code == 404
    assert app.url_path_for("color", value=255) == "/color/ff"


def test_a_static_route_never_shares_its_path_params_between_requests() -> None:
    # Static routes share one match object; the scope gets a fresh dict each time.
    app = App()
    seen: list[dict[str, Any]] = []

    @app.get("/static")
    def static(request: Request) -> str:
        seen.append(dict(request.path_params))
        request.path_params["leaked"] = "yes"  # an app may change its scope
        return "ok"

    client = TestClient(app)
    assert client.get("/static").status_code == 200
    assert client.get("/static").status_code == 200
    assert seen == [{}, {}]
