"""Litestar's apps, as Litestar's documentation writes them.

Handlers are decorated functions registered on `Litestar(route_handlers=...)`;
the body and response use the shared pydantic models (Litestar's pydantic
plugin is on by default), dependencies are `Provide`d by parameter name, the
session through an async generator (Litestar's `yield` dependency). POST
handlers set `status_code=200` (Litestar's default is 201), so every framework
answers the same request the same way; invalid input is Litestar's 400.
"""

from collections.abc import AsyncIterator, Callable
from importlib.metadata import version
from typing import Annotated, Any

from litestar import Litestar, MediaType, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.params import Body, Parameter
from litestar.response import ServerSentEvent, Stream
from litestar.serialization import encode_json

from bench.apps.models import SETTINGS, BigItem, Item, Line, Session, Tick, get_db_session
from bench.scenarios import HELLO, JSON_DATA, OTHER_ROUTES, STREAM_ITEMS, big_items, stream_line

VERSION = version("litestar")


def hello() -> Litestar:
    @get("/hello", media_type=MediaType.TEXT)
    async def read_hello() -> str:
        return HELLO

    return Litestar(route_handlers=[read_hello])


def json_app() -> Litestar:
    @get("/json")
    async def read_json() -> dict[str, Any]:
        return JSON_DATA

    return Litestar(route_handlers=[read_json])


def _other_route(path: str, route: int) -> HTTPRouteHandler:
    @get(path, name=f"route_{route}")
    async def read_other(item_id: int) -> dict[str, int]:
        return {"route": route, "item_id": item_id}

    return read_other


def path_int() -> Litestar:
    @get("/items/{item_id:int}")
    async def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    handlers = [_other_route(f"/other{i}/{{item_id:int}}", i) for i in range(OTHER_ROUTES)]
    return Litestar(route_handlers=[*handlers, read_item])


def router_scale(routes: int) -> Litestar:
    return Litestar(route_handlers=[_other_route(f"/r{i}/items/{{item_id:int}}", i) for i in range(routes)])


def query() -> Litestar:
    @get("/query")
    async def search(
        q: Annotated[str, Parameter(max_length=50)],
        limit: Annotated[int, Parameter(ge=1, le=100)] = 10,
        offset: Annotated[int, Parameter(ge=0)] = 0,
    ) -> dict[str, Any]:
        return {"q": q, "limit": limit, "offset": offset}

    return Litestar(route_handlers=[search])


def body() -> Litestar:
    @post("/items", status_code=200)
    async def create_item(data: Item) -> Item:
        return data

    return Litestar(route_handlers=[create_item])


async def get_settings() -> dict[str, str]:
    return SETTINGS


async def get_user(db: Session, settings: dict[str, str]) -> str:
    return "alice" if db.is_open else "nobody"


def deps() -> Litestar:
    @get(
        "/deps",
        dependencies={"settings": Provide(get_settings), "db": Provide(get_db_session), "user": Provide(get_user)},
    )
    async def read_deps(user: str, db: Session, settings: dict[str, str]) -> dict[str, str]:
        return {"user": user, "app": settings["app"], "db": "open" if db.is_open else "closed"}

    return Litestar(route_handlers=[read_deps])


def sse() -> Litestar:
    async def events() -> AsyncIterator[str]:
        for i in range(STREAM_ITEMS):
            yield encode_json({"i": i}).decode()

    @get("/sse")
    async def stream_events() -> ServerSentEvent:
        return ServerSentEvent(events())

    return Litestar(route_handlers=[stream_events])

def sse_model() -> Litestar:
    async def events() -> AsyncIterator[str]:
        for i in range(STREAM_ITEMS):
            yield Tick(i=i).model_dump_json()

    @get("/sse")
    async def stream_events() -> ServerSentEvent:
        return ServerSentEvent(events())

    return Litestar(route_handlers=[stream_events])


def sse_str() -> Litestar:
    async def events() -> AsyncIterator[str]:
        for i in range(STREAM_ITEMS):
            yield f'{{"i": {i}}}'

    @get("/sse")
    async def stream_events() -> ServerSentEvent:
        return ServerSentEvent(events())

    return Litestar(route_handlers=[stream_events])


def jsonl() -> Litestar:
    async def lines() -> AsyncIterator[bytes]:
        for i in range(STREAM_ITEMS):
            yield Line(**stream_line(i)).model_dump_json().encode() + b"\n"

    @get("/jsonl")
    async def stream_lines() -> Stream:
        return Stream(lines(), media_type="application/jsonl")

    return Litestar(route_handlers=[stream_lines])


def upload() -> Litestar:
    @post("/upload", status_code=200)
    async def upload_file(
        data: Annotated[UploadFile, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> dict[str, Any]:
        content = await data.read()
        return {"filename": data.filename, "size": len(content)}

    return Litestar(route_handlers=[upload_file])


def big_json() -> Litestar:
    items = [BigItem(**data) for data in big_items()]

    @get("/big")
    async def read_big() -> list[BigItem]:
        return items

    return Litestar(route_handlers=[read_big])


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
