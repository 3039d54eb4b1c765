"""The small app of issue 16's done-when: list query parameters, a body model,
a 422, a ``yield`` dependency, Server-Sent Events and a WebSocket, end to end.

``.ci/run`` runs this file on every Python of the matrix (3.10 to 3.13) in its
own job, after ``python -W error -c "import ferrule"`` in a fresh environment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from pydantic import BaseModel

from ferrule import App, Depends, Query, WebSocket
from ferrule.sse import EventSourceResponse, ServerSentEvent
from ferrule.testclient import TestClient


class Item(BaseModel):
    name: str
    price: float


def build() -> tuple[App, list[str]]:
    app = App()
    events: list[str] = []

    def session() -> Iterator[str]:
        events.append("open")
        try:
            yield "db"
        finally:
            events.append("close")

    @app.get("/tags")
    def tags(tag: Annotated[list[str], Query()] = [], db: str = Depends(session)) -> dict[str, object]:  # noqa: B006
        return {"tags": tag, "db": db}

    @app.post("/items")
    def create(item: Item) -> Item:
        return item

    @app.get("/events", response_class=EventSourceResponse)
    async def stream() -> AsyncIterator[ServerSentEvent]:
        for n in range(3):
            yield ServerSentEvent(data={"n": n}, event="tick")

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        text = await websocket.receive_text()
        await websocket.send_text(text.upper())
        await websocket.close()

    return app, events


def test_small_app_end_to_end() -> None:
    app, events = build()
    with TestClient(app) as client:
        response = client.get("/tags", params=[("tag", "a"), ("tag", "b")])
        assert response.json() == {"tags": ["a", "b"], "db": "db"}
        assert events == ["open", "close"]

        assert client.post("/items", json={"name": "x", "price": 2}).json() == {"name": "x", "price": 2.0}
        bad = client.post("/items", json={"name": "x", "price": "free"})
        assert bad.status_code == 422
        assert [error["loc"] for error in bad.json()["detail"]] == [["body", "price"]]

        body = client.get("/events").text
        assert body.count("event: tick") == 3
        assert 'data: {"n": 2}' in body

        with client.websocket_connect("/ws") as ws:
            ws.send_text("hi")
            assert ws.receive_text() == "HI"
