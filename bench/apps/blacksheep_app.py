"""BlackSheep's apps, as BlackSheep's documentation writes them.

Each app has its own `Application` and registers on `app.router` (BlackSheep's
module-level `get`/`post` decorators share one default router, which would
mix the apps). Query values bind by name and type; bounds are checked in the
handler (BlackSheep has no `ge`/`le` on query bindings). The body binds with
`FromJSON[Item]` (pydantic validation; invalid input is BlackSheep's 400) and
responses go through `json(...)`, BlackSheep's own encoder.

Dependencies use BlackSheep's container (rodi), which resolves by type and
has no `yield` dependencies: the settings are a singleton, the session and
the user scoped factories, and the handler closes the session in `finally`
(the cleanup a `yield` dependency would do).

BlackSheep logs every 4xx at INFO on its own stderr handler; the apps set its
`blacksheep.server` logger to ERROR, as a production logging setup would, so
the `error422` number is not a terminal-write benchmark.
"""

import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable
from importlib.metadata import version
from typing import Any, cast

from blacksheep import Application, Content, FromJSON, Request, Response, StreamedContent, json, text
from blacksheep.server.sse import ServerSentEvent, TextServerSentEvent
from rodi import Container

from bench.apps.models import SETTINGS, BigItem, Item, Line, Session, Tick
from bench.scenarios import HELLO, JSON_DATA, OTHER_ROUTES, STREAM_ITEMS, big_items, stream_line

VERSION = version("blacksheep")


class _ErrorsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


# Application() resets the level to INFO and may warn while it is built; the
# filter drops that, the level set after construction skips per-request records.
logging.getLogger("blacksheep.server").addFilter(_ErrorsOnly())


def _app() -> Application:
    app = Application(show_error_details=False)
    app.logger.setLevel(logging.ERROR)
    return app


def hello() -> Application:
    app = _app()

    @app.router.get("/hello")
    async def read_hello() -> Response:
        return text(HELLO)

    return app


def json_app() -> Application:
    app = _app()

    @app.router.get("/json")
    async def read_json() -> Response:
        return json(JSON_DATA)

    return app


def _other_route(app: Application, path: str, route: int) -> None:
    async def read_other(item_id: int) -> Response:
        return json({"route": route, "item_id": item_id})

    app.router.add_get(path, read_other)


def path_int() -> Application:
    app = _app()
    for i in range(OTHER_ROUTES):
        _other_route(app, f"/other{i}/{{item_id}}", i)

    @app.router.get("/items/{item_id}")
    async def read_item(item_id: int) -> Response:
        return json({"item_id": item_id})

    return app


def router_scale(routes: int) -> Application:
    app = _app()
    for i in range(routes):
        _other_route(app, f"/r{i}/items/{{item_id}}", i)
    return app


def query() -> Application:
    app = _app()

    @app.router.get("/query")
    async def search(q: str, limit: int = 10, offset: int = 0) -> Response:
        if len(q) > 50 or not 1 <= limit <= 100 or offset < 0:
            return Response(400, content=Content(b"text/plain", b"query out of bounds"))
        return json({"q": q, "limit": limit, "offset": offset})

    return app


def body() -> Application:
    app = _app()

    @app.router.post("/items")
    async def create_item(item: FromJSON[Item]) -> Response:
        return json(item.value)

    return app


class Settings:
    def __init__(self) -> None:
        self.app = SETTINGS["app"]


class CurrentUser:
    def __init__(self, db: Session, settings: Settings) -> None:
        self.name = "alice" if db.is_open else "nobody"


def deps() -> Application:
    app = _app()
    services = cast(Container, app.services)  # BlackSheep's default container is rodi's
    services.add_singleton(Settings)
    services.add_scoped_by_factory(Session, Session)
    services.add_scoped(CurrentUser)

    @app.router.get("/deps")
    async def read_deps(user: CurrentUser, db: Session, settings: Settings) -> Response:
        try:
            return json({"user": user.name, "app": settings.app, "db": "open" if db.is_open else "closed"})
        finally:
            db.close()

    return app


def sse() -> Application:
    app = _app()

    @app.router.get("/sse")
    async def stream_events() -> AsyncIterable[ServerSentEvent]:
        for i in range(STREAM_ITEMS):
            yield ServerSentEvent({"i": i})

    return app

def sse_model() -> Application:
    app = _app()

    @app.router.get("/sse")
    async def stream_events() -> AsyncIterable[ServerSentEvent]:
        for i in range(STREAM_ITEMS):
            yield ServerSentEvent(Tick(i=i).model_dump())

    return app


def sse_str() -> Application:
    app = _app()

    @app.router.get("/sse")
    async def stream_events() -> AsyncIterable[TextServerSentEvent]:
        for i in range(STREAM_ITEMS):
            yield TextServerSentEvent(f'{{"i": {i}}}')

    return app


def jsonl() -> Application:
    app = _app()

    async def lines() -> AsyncIterator[bytes]:
        for i in range(STREAM_ITEMS):
            yield Line(**stream_line(i)).model_dump_json().encode() + b"\n"

    @app.router.get("/jsonl")
    async def stream_lines() -> Response:
        return Response(200, content=StreamedContent(b"application/jsonl", lines))

    return app


def upload() -> Application:
    app = _app()

    @app.router.post("/upload")
    async def upload_file(request: Request) -> Response:
        files = await request.files()
        if not files:
            return Response(400, content=Content(b"text/plain", b"file is required"))
        part = files[0]
        return json({"filename": (part.file_name or b"").decode(), "size": len(part.data)})

    return app


def big_json() -> Application:
    app = _app()
    items = [BigItem(**data) for data in big_items()]

    @app.router.get("/big")
    async def read_big() -> Response:
        return json(items)

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
