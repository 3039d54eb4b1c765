"""Starlette's apps: plain Starlette endpoints, with pydantic where validation is asked for.

Starlette has no parameter validation, dependency injection or SSE of its
own, so these apps do by hand what a Starlette user writes: query values
parsed and bounds-checked in the endpoint, the body validated with the shared
pydantic model (`model_validate_json`, then `model_dump_json`), dependencies
called in the endpoint (the `yield` one through `asynccontextmanager`), and
SSE/JSON Lines framed into a `StreamingResponse`.
"""

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pydantic
import starlette
from pydantic import TypeAdapter
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from bench.apps.models import SETTINGS, BigItem, Item, Line, Session, Tick, get_db_session
from bench.scenarios import HELLO, JSON_DATA, OTHER_ROUTES, STREAM_ITEMS, big_items, stream_line

VERSION = starlette.__version__


def hello() -> Starlette:
    async def read_hello(request: Request) -> Response:
        return PlainTextResponse(HELLO)

    return Starlette(routes=[Route("/hello", read_hello)])


def json_app() -> Starlette:
    async def read_json(request: Request) -> Response:
        return JSONResponse(JSON_DATA)

    return Starlette(routes=[Route("/json", read_json)])


def _other_route(path: str, route: int) -> Route:
    async def read_other(request: Request) -> Response:
        return JSONResponse({"route": route, "item_id": request.path_params["item_id"]})

    return Route(path, read_other, name=f"route_{route}")


def path_int() -> Starlette:
    async def read_item(request: Request) -> Response:
        return JSONResponse({"item_id": request.path_params["item_id"]})

    routes = [_other_route(f"/other{i}/{{item_id:int}}", i) for i in range(OTHER_ROUTES)]
    routes.append(Route("/items/{item_id:int}", read_item))
    return Starlette(routes=routes)


def router_scale(routes: int) -> Starlette:
    return Starlette(routes=[_other_route(f"/r{i}/items/{{item_id:int}}", i) for i in range(routes)])


def _bad_query(detail: str) -> Response:
    return JSONResponse({"detail": detail}, status_code=422)


def query() -> Starlette:
    async def search(request: Request) -> Response:
        params = request.query_params
        q = params.get("q")
        if q is None or len(q) > 50:
            return _bad_query("q is required, at most 50 characters")
        try:
            limit = int(params.get("limit", 10))
            offset = int(params.get("offset", 0))
        except ValueError:
            return _bad_query("limit and offset must be integers")
        if not 1 <= limit <= 100 or offset < 0:
            return _bad_query("limit must be 1..100, offset >= 0")
        return JSONResponse({"q": q, "limit": limit, "offset": offset})

    return Starlette(routes=[Route("/query", search)])


def body() -> Starlette:
    async def create_item(request: Request) -> Response:
        try:
            item = Item.model_validate_json(await request.body())
        except pydantic.ValidationError as exc:
            return Response(exc.json(include_url=False), status_code=422, media_type="application/json")
        return Response(item.model_dump_json(), media_type="application/json")

    return Starlette(routes=[Route("/items", create_item, methods=["POST"])])


async def get_settings() -> dict[str, str]:
    return SETTINGS


async def get_user(db: Session, settings: dict[str, str]) -> str:
    return "alice" if db.is_open else "nobody"


def deps() -> Starlette:
    open_db = asynccontextmanager(get_db_session)

    async def read_deps(request: Request) -> Response:
        settings = await get_settings()
        async with open_db() as db:
            user = await get_user(db, settings)
            return JSONResponse({"user": user, "app": settings["app"], "db": "open" if db.is_open else "closed"})

    return Starlette(routes=[Route("/deps", read_deps)])


def sse() -> Starlette:
    async def events() -> AsyncIterator[str]:
        for i in range(STREAM_ITEMS):
            yield f"data: {json.dumps({'i': i})}\n\n"

    async def stream_events(request: Request) -> Response:
        return StreamingResponse(events(), media_type="text/event-stream", headers={"cache-control": "no-cache"})

    return Starlette(routes=[Route("/sse", stream_events)])

def sse_model() -> Starlette:
    async def events() -> AsyncIterator[str]:
        for i in range(STREAM_ITEMS):
            yield f"data: {Tick(i=i).model_dump_json()}\n\n"

    async def stream_events(request: Request) -> Response:
        return StreamingResponse(events(), media_type="text/event-stream", headers={"cache-control": "no-cache"})

    return Starlette(routes=[Route("/sse", stream_events)])


def sse_str() -> Starlette:
    async def events() -> AsyncIterator[str]:
        for i in range(STREAM_ITEMS):
            yield f'data: {{"i": {i}}}\n\n'

    async def stream_events(request: Request) -> Response:
        return StreamingResponse(events(), media_type="text/event-stream", headers={"cache-control": "no-cache"})

    return Starlette(routes=[Route("/sse", stream_events)])


def jsonl() -> Starlette:
    async def lines() -> AsyncIterator[str]:
        for i in range(STREAM_ITEMS):
            yield Line(**stream_line(i)).model_dump_json() + "\n"

    async def stream_lines(request: Request) -> Response:
        return StreamingResponse(lines(), media_type="application/jsonl")

    return Starlette(routes=[Route("/jsonl", stream_lines)])


def upload() -> Starlette:
    async def upload_file(request: Request) -> Response:
        async with request.form() as form:
            file = form["file"]
            if not isinstance(file, UploadFile):
                return JSONResponse({"detail": "file is required"}, status_code=422)
            content = await file.read()
            return JSONResponse({"filename": file.filename, "size": len(content)})

    return Starlette(routes=[Route("/upload", upload_file, methods=["POST"])])


def big_json() -> Starlette:
    items = [BigItem(**data) for data in big_items()]
    adapter = TypeAdapter(list[BigItem])

    async def read_big(request: Request) -> Response:
        return Response(adapter.dump_json(items), media_type="application/json")

    return Starlette(routes=[Route("/big", read_big)])


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
