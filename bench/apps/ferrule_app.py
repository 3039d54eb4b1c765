"""ferrule's apps: `bench.apps.fastapi_app` with ferrule's imports and `App`.

Porting a FastAPI app is an import change, so this module is that port, kept
line for line in step with the FastAPI one; any difference in the table is
the framework, not the app. Annotations are
evaluated eagerly (no `from __future__ import annotations`), as in most apps.
"""

from collections.abc import AsyncIterable, Callable
from typing import Annotated, Any

import ferrule
from ferrule import App, Depends, Query, UploadFile
from ferrule.responses import PlainTextResponse
from ferrule.sse import EventSourceResponse

from bench.apps.models import SETTINGS, BigItem, Item, Line, Session, Tick, get_db_session
from bench.scenarios import HELLO, JSON_DATA, OTHER_ROUTES, STREAM_ITEMS, big_items, stream_line

VERSION = ferrule.__version__


def hello() -> App:
    app = App()

    @app.get("/hello", response_class=PlainTextResponse)
    async def read_hello() -> str:
        return HELLO

    return app


def json_app() -> App:
    app = App()

    @app.get("/json")
    async def read_json() -> dict[str, Any]:
        return JSON_DATA

    return app


def _other_route(app: App, path: str, route: int) -> None:
    async def read_other(item_id: int) -> dict[str, int]:
        return {"route": route, "item_id": item_id}

    app.add_api_route(path, read_other, methods=["GET"], name=f"route_{route}")


def path_int() -> App:
    app = App()
    for i in range(OTHER_ROUTES):
        _other_route(app, f"/other{i}/{{item_id}}", i)

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    return app


def router_scale(routes: int) -> App:
    app = App()
    for i in range(routes):
        _other_route(app, f"/r{i}/items/{{item_id}}", i)
    return app


def query() -> App:
    app = App()

    @app.get("/query")
    async def search(
        q: Annotated[str, Query(max_length=50)],
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        return {"q": q, "limit": limit, "offset": offset}

    return app


def body() -> App:
    app = App()

    @app.post("/items", response_model=Item)
    async def create_item(item: Item) -> Item:
        return item

    return app


async def get_settings() -> dict[str, str]:
    return SETTINGS


async def get_user(
    db: Annotated[Session, Depends(get_db_session)],
    settings: Annotated[dict[str, str], Depends(get_settings)],
) -> str:
    return "alice" if db.is_open else "nobody"


def deps() -> App:
    app = App()

    @app.get("/deps")
    async def read_deps(
        user: Annotated[str, Depends(get_user)],
        db: Annotated[Session, Depends(get_db_session)],
        settings: Annotated[dict[str, str], Depends(get_settings)],
    ) -> dict[str, str]:
        return {"user": user, "app": settings["app"], "db": "open" if db.is_open else "closed"}

    return app


def sse() -> App:
    app = App()

    @app.get("/sse", response_class=EventSourceResponse)
    async def stream_events() -> AsyncIterable[dict[str, int]]:
        for i in range(STREAM_ITEMS):
            yield {"i": i}

    return app

def sse_model() -> App:
    app = App()

    @app.get("/sse", response_class=EventSourceResponse)
    async def stream_events() -> AsyncIterable[Tick]:
        for i in range(STREAM_ITEMS):
            yield Tick(i=i)

    return app


def sse_str() -> App:
    app = App()

    @app.get("/sse", response_class=EventSourceResponse)
    async def stream_events() -> AsyncIterable[str]:
        for i in range(STREAM_ITEMS):
            yield f'{{"i": {i}}}'

    return app


def jsonl() -> App:
    app = App()

    @app.get("/jsonl")
    async def stream_lines() -> AsyncIterable[Line]:
        for i in range(STREAM_ITEMS):
            yield Line(**stream_line(i))

    return app


def upload() -> App:
    app = App()

    @app.post("/upload")
    async def upload_file(file: UploadFile) -> dict[str, Any]:
        content = await file.read()
        return {"filename": file.filename, "size": len(content)}

    return app


def big_json() -> App:
    app = App()
    items = [BigItem(**data) for data in big_items()]

    @app.get("/big")
    async def read_big() -> list[BigItem]:
        return items

    return app


APPS: dict[str, Callable[..., Any]] = {
    "hello": hello,
    "json": json_app,
    "path_int": path_int,
    "router_scale": router_scale,
    "query": query,
    "body": body,
    "deps": deps,
    "sse": sse,
    "sse_model": sse_model,
    "sse_str": sse_str,
    "jsonl": jsonl,
    "upload": upload,
    "big_json": big_json,
}
