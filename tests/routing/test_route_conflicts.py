"""``route_conflicts``: an error by default, opt-in FastAPI behaviour ("warn": first registered wins)."""

from __future__ import annotations

import logging

import pytest

from ferrule import APIRouter, App
from ferrule.routing import RouteConflictError
from ferrule.testclient import TestClient


def _two_authorize_routers() -> tuple[APIRouter, APIRouter]:
    # The shape of fastapi-users' test fixture: two routers both declare GET /authorize.
    first, second = APIRouter(), APIRouter()

    @first.get("/authorize")
    def authorize_first() -> str:
        return "first"

    @second.get("/authorize")
    def authorize_second() -> str:
        return "second"

    @second.post("/authorize")
    def authorize_post() -> str:
        return "second-post"

    return first, second


def test_conflict_is_an_error_by_default() -> None:
    app = App()
    first, second = _two_authorize_routers()
    app.include_router(first)
    with pytest.raises(RouteConflictError, match="authorize_first.*|authorize_second"):
        app.include_router(second)


def test_warn_keeps_the_first_route_and_logs_both(caplog: pytest.LogCaptureFixture) -> None:
    app = App(route_conflicts="warn")
    first, second = _two_authorize_routers()
    with caplog.at_level(logging.WARNING, logger="ferrule.routing"):
        app.include_router(first)
        app.include_router(second)
    [record] = [r for r in caplog.records if r.name == "ferrule.routing"]
    message = record.getMessage()
    assert "authorize_first" in message and "authorize_second" in message
    assert "GET /authorize" in message
    client = TestClient(app)
    assert client.get("/authorize").json() == "first"
    assert client.head("/authorize").status_code == 200
    # The methods only the later route declares still reach it.
    assert client.post("/authorize").json() == "second-post"
    # Both stay in the route list (as in FastAPI), so the OpenAPI document is built from both.
    assert [r.name for r in app.routes if getattr(r, "path", "") == "/authorize"] == [
        "authorize_first", "authorize_second", "authorize_post",
    ]


def test_warn_on_a_route_with_every_shared_method_skips_it(caplog: pytest.LogCaptureFixture) -> None:
    app = App(route_conflicts="warn")

    @app.api_route("/x/{a}", methods=["GET", "PUT"])
    def one(a: str) -> str:
        return "one"

    with caplog.at_level(logging.WARNING, logger="ferrule.routing"):
        @app.api_route("/x/{b}", methods=["PUT", "GET"])
        def two(b: str) -> str:
            return "two"

    assert len([r for r in caplog.records if r.name == "ferrule.routing"]) == 1
    client = TestClient(app)
    assert client.get("/x/1").json() == "one"
    assert client.put("/x/1").json() == "one"


def test_warn_survives_a_tree_rebuild() -> None:
    # Code that appends to router.routes directly makes the router rebuild its tree;
    # the rebuild must apply the same policy (and keep the same winner).
    app = App(route_conflicts="warn")

    @app.get("/a")
    def a1() -> int:
        return 1

    @app.get("/a")
    def a2() -> int:
        return 2

    from ferrule.routing import APIRoute

    def extra() -> int:
        return 3

    app.router.routes.append(APIRoute("/b", extra, methods=["GET"], dependency_overrides_provider=app))
    client = TestClient(app)
    assert client.get("/a").json() == 1
    assert client.get("/b").json() == 3


def test_apirouter_accepts_the_policy_and_rejects_unknown_values() -> None:
    router = APIRouter(route_conflicts="warn")

    @router.get("/same")
    def s1() -> int:
        return 1

    @router.get("/same")
    def s2() -> int:
        return 2

    with pytest.raises(ValueError, match="route_conflicts must be 'error' or 'warn'"):
        App(route_conflicts="ignore")  # type: ignore[arg-type]
