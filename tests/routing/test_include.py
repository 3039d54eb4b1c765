"""``include_router``: cycles refused, later additions followed (issue 23 items 11 and 12).

From FastAPI's "Bigger Applications" page and its current behaviour: a router is
included by reference, so a path operation added to it after ``include_router``
is served and documented too; including a router into itself (or into a router
it already includes) is refused at declaration.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ferrule import APIRouter, App, Depends, WebSocket
from ferrule.routing.errors import RouteConfigError
from ferrule.testclient import TestClient


def test_a_router_cannot_include_itself() -> None:
    router = APIRouter()
    with pytest.raises(RouteConfigError, match="into itself"):
        router.include_router(router)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_an_indirect_cycle_is_refused(depth: int) -> None:
    chain = [APIRouter() for _ in range(depth + 1)]
    for parent, child in zip(chain, chain[1:]):
        parent.include_router(child)
    with pytest.raises(RouteConfigError, match="would make a cycle"):
        chain[-1].include_router(chain[0])
    with pytest.raises(AssertionError):  # FastAPI's error type
        chain[-1].include_router(chain[0])


def test_the_same_router_twice_and_diamonds_are_not_cycles() -> None:
    leaf = APIRouter()

    @leaf.get("/x")
    def x() -> str:
        return "x"

    left, right, app = APIRouter(), APIRouter(), App()
    left.include_router(leaf, prefix="/l")
    right.include_router(leaf, prefix="/r")
    app.include_router(left)
    app.include_router(right)
    app.include_router(leaf, prefix="/again")
    client = TestClient(app)
    assert [client.get(p).json() for p in ("/l/x", "/r/x", "/again/x")] == ["x", "x", "x"]


def test_routes_added_after_inclusion_are_served_and_documented() -> None:
    calls: list[str] = []
    inner = APIRouter(prefix="/inner")
    outer = APIRouter()
    outer.include_router(inner, prefix="/v1", dependencies=[Depends(lambda: calls.append("dep"))], tags=["t"])
    app = App()
    app.include_router(outer, prefix="/api")

    @inner.get("/late")
    def late() -> str:
        return "late"

    @inner.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    client = TestClient(app)
    assert client.get("/api/v1/inner/late").json() == "late"
    assert calls == ["dep"]  # the inclusion's dependencies apply to it
    operation = app.openapi()["paths"]["/api/v1/inner/late"]["get"]
    assert operation["tags"] == ["t"]
    with client.websocket_connect("/api/v1/inner/ws") as socket:
        assert socket.receive_text() == "hi"


def test_a_frontend_added_after_inclusion(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("ui")
    router = APIRouter()
    app = App()
    app.include_router(router, prefix="/ui")
    router.frontend("/", directory=tmp_path)
    assert TestClient(app).get("/ui/", headers={"accept": "text/html"}).text == "ui"


def test_a_later_conflict_is_reported_at_the_new_route() -> None:
    router = APIRouter()
    app = App()
    app.include_router(router)

    @app.get("/x")
    def first() -> str:
        return "first"

    with pytest.raises(Exception, match="first"):

        @router.get("/x")
        def second() -> str:
            return "second"
