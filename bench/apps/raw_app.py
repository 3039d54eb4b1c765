"""The floor: hand-written ASGI apps doing the least work each scenario needs.

No framework, but the same essential work as the others: routes are matched
(a dict for static paths, a split for `{id}` paths), query values are parsed
and bounds-checked, bodies are validated with the same pydantic models, and
streams are framed by hand. What is left is the harness's own cost plus the
unavoidable work, so every other column reads as "overhead above the floor".
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

import pydantic
from pydantic import TypeAdapter

from bench.apps.models import SETTINGS, BigItem, Item, Line, Session, Tick, get_db_session
from bench.scenarios import HELLO, JSON_DATA, OTHER_ROUTES, STREAM_ITEMS, big_items, stream_line

VERSION = "hand-written"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Handler = Callable[[Scope, Receive, Send], Awaitable[None]]

_JSON = [(b"content-type", b"application/json")]
_TEXT = [(b"content-type", b"text/plain; charset=utf-8")]


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


async def _read_body(receive: Receive) -> bytes:
    parts = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts)


def _app(routes: dict[str, Handler], prefixes: dict[str, Handler] | None = None) -> Handler:
    """An ASGI app: exact paths first, then `/<prefix>/...` paths by their first segment."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path = scope["path"]
        handler = routes.get(path)
        if handler is None and prefixes is not None:
            handler = prefixes.get(path.split("/", 2)[1])
        if handler is None:
            await _respond(send, 404, _TEXT, b"Not Found")
            return
        await handler(scope, receive, send)

    return app


def _int_segment(path: str, index: int) -> int | None:
    parts = path.split("/")
    try:
        return int(parts[index])
    except (IndexError, ValueError):
        return None


# --- scenarios -------------------------------------------------------------------


def hello() -> Handler:
    body = HELLO.encode()

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await _respond(send, 200, _TEXT, body)

    return _app({"/hello": handler})


def json_app() -> Handler:
    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await _respond(send, 200, _JSON, _dumps(JSON_DATA))

    return _app({"/json": handler})


def _item_handler(route: int | None) -> Handler:
    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        item_id = _int_segment(scope["path"], -1)
        if item_id is None:
            await _respond(send, 422, _JSON, b'{"detail":"item_id is not an integer"}')
            return
        data = {"item_id": item_id} if route is None else {"route": route, "item_id": item_id}
        await _respond(send, 200, _JSON, _dumps(data))

    return handler


def path_int() -> Handler:
    prefixes = {f"other{i}": _item_handler(i) for i in range(OTHER_ROUTES)}
    prefixes["items"] = _item_handler(None)
    return _app({}, prefixes)


def router_scale(routes: int) -> Handler:
    return _app({}, {f"r{i}": _item_handler(i) for i in range(routes)})


def query() -> Handler:
    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        params = dict(parse_qsl(scope["query_string"].decode("latin-1")))
        try:
            q = params["q"]
            limit = int(params.get("limit", 10))
            offset = int(params.get("offset", 0))
        except (KeyError, ValueError):
            await _respond(send, 422, _JSON, b'{"detail":"invalid query"}')
            return
        if len(q) > 50 or not 1 <= limit <= 100 or offset < 0:
            await _respond(send, 422, _JSON, b'{"detail":"query out of bounds"}')
            return
        await _respond(send, 200, _JSON, _dumps({"q": q, "limit": limit, "offset": offset}))

    return _app({"/query": handler})


def body() -> Handler:
    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        raw = await _read_body(receive)
        try:
            item = Item.model_validate_json(raw)
        except pydantic.ValidationError as exc:
            await _respond(send, 422, _JSON, exc.json(include_url=False).encode())
            return
        await _respond(send, 200, _JSON, item.model_dump_json().encode())

    return _app({"/items": handler})


async def _settings() -> dict[str, str]:
    return SETTINGS


async def _user(db: Session, settings: dict[str, str]) -> str:
    return "alice" if db.is_open else "nobody"


def deps() -> Handler:
    open_db = asynccontextmanager(get_db_session)

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        settings = await _settings()
        async with open_db() as db:
            user = await _user(db, settings)
            data = {"user": user, "app": settings["app"], "db": "open" if db.is_open else "closed"}
            await _respond(send, 200, _JSON, _dumps(data))

    return _app({"/deps": handler})


def sse() -> Handler:
    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]})
        for i in range(STREAM_ITEMS):
            frame = b"data: " + _dumps({"i": i}) + b"\n\n"
            await send({"type": "http.response.body", "body": frame, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return _app({"/sse": handler})

def sse_model() -> Handler:
    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]})
        for i in range(STREAM_ITEMS):
            frame = b"data: " + Tick(i=i).model_dump_json().encode() + b"\n\n"
            await send({"type": "http.response.body", "body": frame, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return _app({"/sse": handler})


def sse_str() -> Handler:
    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]})
        for i in range(STREAM_ITEMS):
            frame = f'data: {{"i": {i}}}\n\n'.encode()
            await send({"type": "http.response.body", "body": frame, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return _app({"/sse": handler})


def jsonl() -> Handler:
    adapter = TypeAdapter(Line)

    async def lines() -> AsyncIterator[Line]:
        for i in range(STREAM_ITEMS):
            yield Line(**stream_line(i))

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/jsonl")]})
        async for line in lines():
            await send({"type": "http.response.body", "body": adapter.dump_json(line) + b"\n", "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return _app({"/jsonl": handler})


def upload() -> Handler:
    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        content_type = dict(scope["headers"]).get(b"content-type", b"")
        boundary = content_type.partition(b"boundary=")[2]
        raw = await _read_body(receive)
        # One file part: its content runs from the blank line after the part
        # head to the CRLF before the closing delimiter.
        start = raw.index(b"\r\n\r\n") + 4
        end = raw.rindex(b"\r\n--" + boundary + b"--")
        head = raw[:start].decode("latin-1")
        filename = head.partition('filename="')[2].partition('"')[0]
        await _respond(send, 200, _JSON, _dumps({"filename": filename, "size": end - start}))

    return _app({"/upload": handler})


def big_json() -> Handler:
    items = [BigItem(**data) for data in big_items()]
    adapter = TypeAdapter(list[BigItem])

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        await _respond(send, 200, _JSON, adapter.dump_json(items))

    return _app({"/big": handler})


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
