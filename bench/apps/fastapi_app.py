"""FastAPI's apps, as FastAPI's documentation writes them.

`bench.apps.ferrule_app` is the same code with ferrule's imports and `App`;
keep the two in step (a change here is a change there). Annotations are
evaluated eagerly (no `from __future__ import annotations`), as in most apps.
"""

from collections.abc import AsyncIterable, Callable
from typing import Annotated, Any

import fastapi
from fastapi import Depends, FastAPI, Query, UploadFile
from fastapi.responses import PlainTextResponse
from fastapi.sse import EventSourceResponse

from bench.apps.models import SETTINGS, BigItem, Item, Line, Session, Tick, get_db_session
from bench.scenarios import HELLO, JSON_DATA, OTHER_ROUTES, STREAM_ITEMS, big_items, stream_line

VERSION = fastapi.__version__


def hello() -> FastAPI:
    app = FastAPI()

    @app.get("/hello", response_class=PlainTextResponse)
    async def read_hello() -> str:
        return HELLO

    return app


def json_app() -> FastAPI:
    app = FastAPI()

    @app.get("/json")
    async def read_json() -> dict[str, Any]:
        return JSON_DATA

    return app


def _other_route(app: FastAPI, path: str, route: int) -> None:
    async def read_other(item_id: int) -> dict[str, int]:
        return {"route": route, "item_id": item_id}

    app.add_api_route(path, read_other, methods=["GET"], name=f"route_{route}")


def path_int() -> FastAPI:
    app = FastAPI()
    for i in range(OTHER_ROUTES):
        _other_route(app, f"/other{i}/{{item_id}}", i)

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    return app


def router_scale(routes: int) -> FastAPI:
    app = FastAPI()
    for i in range(routes):
        _other_route(app, f"/r{i}/items/{{item_id}}", i)
    return app


def query() -> FastAPI:
    app = FastAPI()

    @app.get("/query")
    async def search(
        q: Annotated[str, Query(max_length=50)],
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        return {"q": q, "limit": limit, "offset": offset}

    return app


def body() -> FastAPI:
    app = FastAPI()

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


def deps() -> FastAPI:
    app = FastAPI()

    @app.get("/deps")
    async def read_deps(
        user: Annotated[str, Depends(get_user)],
        db: Annotated[Session, Depends(get_db_session)],
        settings: Annotated[dict[str, str], Depends(get_settings)],
    ) -> dict[str, str]:
        return {"user": user, "app": settings["app"], "db": "open" if db.is_open else "closed"}

    return app


def sse() -> FastAPI:
    app = FastAPI()

    @app.get("/sse", response_class=EventSourceResponse)
    async def stream_events() -> AsyncIterable[dict[str, int]]:
        for i in range(STREAM_ITEMS):
            yield {"i": i}

    return app

def sse_model() -> FastAPI:
    app = FastAPI()

    @app.get("/sse", response_class=EventSourceResponse)
    async def stream_events() -> AsyncIterable[Tick]:
        for i in range(STREAM_ITEMS):
            yield Tick(i=i)

    return app


def sse_str() -> FastAPI:
    app = FastAPI()

    @app.get("/sse", response_class=EventSourceResponse)
    async def stream_events() -> AsyncIterable[str]:
        for i in range(STREAM_ITEMS):
            yield f'{{"i": {i}}}'

    return app


def jsonl() -> FastAPI:
    app = FastAPI()

    @app.get("/jsonl")
    async def stream_lines() -> AsyncIterable[Line]:
        for i in range(STREAM_ITEMS):
            yield Line(**stream_line(i))

    return app


def upload() -> FastAPI:
    app = FastAPI()

    @app.post("/upload")
    async def upload_file(file: UploadFile) -> dict[str, Any]:
        content = await file.read()
        return {"filename": file.filename, "size": len(content)}

    return app


def big_json() -> FastAPI:
    app = FastAPI()
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
