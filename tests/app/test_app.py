"""The App object end to end: middleware, exception handlers, lifespan, state, responses."""


from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from ferrule import App, BackgroundTasks, Depends, HTTPException, Request, Response
from ferrule.asgi_core.middleware import Middleware
from ferrule.exceptions import FastAPIDeprecationWarning, RequestValidationError, ResponseValidationError
from ferrule.responses import JSONResponse, PlainTextResponse
from ferrule.testclient import TestClient


def test_http_middleware_decorator_wraps_in_order() -> None:
    app = App()
    order: list[str] = []

    @app.middleware("http")
    async def inner(request: Request, call_next: Any) -> Response:
        order.append("inner")
        response = await call_next(request)
        response.headers["x-inner"] = "1"
        return response

    @app.middleware("http")
    async def outer(request: Request, call_next: Any) -> Response:
        order.append("outer")
        response = await call_next(request)
        response.headers["x-outer"] = "1"
        return response

    @app.get("/")
    def home() -> dict[str, str]:
        return {"ok": "yes"}

    response = TestClient(app).get("/")
    assert response.json() == {"ok": "yes"}
    assert response.headers["x-inner"] == "1" and response.headers["x-outer"] == "1"
    assert order == ["outer", "inner"]


def test_middleware_that_reads_the_body_leaves_it_for_the_endpoint() -> None:
    app = App()

    @app.middleware("http")
    async def peek(request: Request, call_next: Any) -> Response:
        body = await request.body()
        response = await call_next(request)
        response.headers["x-seen"] = str(len(body))
        return response

    class Item(BaseModel):
        name: str

    @app.post("/items")
    def create(item: Item) -> Item:
        return item

    response = TestClient(app).post("/items", json={"name": "a"})
    assert response.json() == {"name": "a"}
    assert response.headers["x-seen"] == str(len(b'{"name":"a"}'))


def test_add_middleware_after_start_is_an_error() -> None:
    app = App()
    TestClient(app).get("/")

    class Noop:
        def __init__(self, app: Any) -> None:
            self.app = app

    with pytest.raises(RuntimeError, match="after the application has started"):
        app.add_middleware(Noop)


def test_middleware_list_in_constructor() -> None:
    class AddHeader:
        def __init__(self, app: Any, value: str) -> None:
            self.app, self.value = app, value

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            async def wrapped(message: Any) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message["headers"], (b"x-added", self.value.encode())]
                await send(message)

            await self.app(scope, receive, wrapped)

    app = App(middleware=[Middleware(AddHeader, value="v")])
    app.get("/")(lambda: "x")
    assert TestClient(app).get("/").headers["x-added"] == "v"


def test_exception_handlers_by_class_and_status() -> None:
    class Teapot(Exception):
        pass

    app = App()

    @app.exception_handler(Teapot)
    async def teapot(request: Request, exc: Teapot) -> JSONResponse:
        return JSONResponse({"teapot": True}, status_code=418)

    @app.exception_handler(404)
    async def not_found(request: Request, exc: HTTPException) -> PlainTextResponse:
        return PlainTextResponse(f"nothing at {request.url.path}", status_code=404)

    @app.get("/tea")
    def tea() -> None:
        raise Teapot()

    client = TestClient(app)
    assert client.get("/tea").json() == {"teapot": True}
    assert client.get("/missing").text == "nothing at /missing"


def test_validation_handler_is_replaceable() -> None:
    app = App()

    @app.exception_handler(RequestValidationError)
    async def handler(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"count": len(exc.errors())}, status_code=400)

    @app.get("/n")
    def n(x: int, y: int) -> int:
        return x + y

    response = TestClient(app).get("/n?x=a")
    assert response.status_code == 400
    assert response.json() == {"count": 2}


def test_http_exception_headers_and_no_body_status() -> None:
    app = App()

    @app.get("/auth")
    def auth() -> None:
        raise HTTPException(401, "nope", headers={"WWW-Authenticate": "Bearer"})

    @app.get("/empty")
    def empty() -> None:
        raise HTTPException(304)

    client = TestClient(app)
    response = client.get("/auth")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "nope"}
    assert client.get("/empty").content == b""


def test_unhandled_error_is_500_or_raised() -> None:
    app = App()

    @app.get("/crash")
    def crash() -> None:
        raise ValueError("kaboom")

    with pytest.raises(ValueError, match="kaboom"):
        TestClient(app).get("/crash")
    response = TestClient(app, raise_server_exceptions=False).get("/crash")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"


def test_response_validation_error_is_500_with_endpoint_context() -> None:
    class Out(BaseModel):
        count: int

    app = App()

    @app.get("/bad")
    def bad() -> Out:
        return {"count": "many"}  # type: ignore[return-value]

    with pytest.raises(ResponseValidationError) as info:
        TestClient(app).get("/bad")
    assert "bad" in str(info.value)
    assert TestClient(app, raise_server_exceptions=False).get("/bad").status_code == 500


def test_lifespan_state_reaches_request_state_and_app_scope_deps() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: App) -> AsyncIterator[dict[str, Any]]:
        events.append("startup")
        yield {"db": "connected"}
        events.append("shutdown")

    def resource() -> Iterator[str]:
        events.append("resource-open")
        yield "shared"
        events.append("resource-close")

    app = App(lifespan=lifespan)

    @app.get("/state")
    def state(request: Request, res: Annotated[str, Depends(resource, scope="app")]) -> dict[str, str]:
        return {"db": request.state.db, "res": res}

    with TestClient(app) as client:
        assert client.get("/state").json() == {"db": "connected", "res": "shared"}
        assert client.get("/state").json() == {"db": "connected", "res": "shared"}
    assert events == ["startup", "resource-open", "resource-close", "shutdown"]


def test_legacy_startup_and_shutdown_handlers() -> None:
    events: list[str] = []
    app = App(on_startup=[lambda: events.append("start")])

    with pytest.warns(DeprecationWarning, match="on_event is deprecated, use lifespan"):
        @app.on_event("shutdown")
        async def stop() -> None:
            events.append("stop")

    with TestClient(app):
        assert events == ["start"]
    assert events == ["start", "stop"]


def test_failing_startup_is_reported() -> None:
    @asynccontextmanager
    async def lifespan(app: App) -> AsyncIterator[None]:
        raise RuntimeError("database unreachable")
        yield

    app = App(lifespan=lifespan)
    with pytest.raises(Exception, match="database unreachable"):
        with TestClient(app):
            pass


def test_background_tasks_run_after_the_response() -> None:
    done: list[str] = []
    app = App()

    @app.post("/send")
    def send(tasks: BackgroundTasks) -> dict[str, bool]:
        tasks.add_task(done.append, "sent")
        return {"queued": True}

    assert TestClient(app).post("/send").json() == {"queued": True}
    assert done == ["sent"]


def test_sub_response_sets_status_cookie_and_headers() -> None:
    app = App()

    @app.get("/cookie")
    def cookie(response: Response) -> dict[str, str]:
        response.set_cookie("session", "abc")
        response.headers["x-extra"] = "1"
        response.status_code = 202
        return {"ok": "1"}

    response = TestClient(app).get("/cookie")
    assert response.status_code == 202
    assert response.headers["x-extra"] == "1"
    assert response.cookies["session"] == "abc"
    assert response.json() == {"ok": "1"}


def test_returned_response_passes_through() -> None:
    app = App()

    @app.get("/raw")
    def raw() -> Response:
        return PlainTextResponse("raw text", status_code=203)

    response = TestClient(app).get("/raw")
    assert (response.status_code, response.text) == (203, "raw text")


def test_root_path_from_app_is_in_scope_and_urls() -> None:
    # Deprecated in FastAPI (the server sets root_path), still honoured.
    with pytest.warns(FastAPIDeprecationWarning, match="`root_path` parameter is deprecated"):
        app = App(root_path="/api")

    @app.get("/where")
    def where(request: Request) -> dict[str, str]:
        return {"url": str(request.url), "root": request.scope["root_path"]}

    assert TestClient(app).get("/where").json() == {"url": "http://testserver/api/where", "root": "/api"}


def test_status_code_204_with_body_model_is_a_startup_error() -> None:
    class Out(BaseModel):
        x: int

    app = App()
    with pytest.raises(ValueError, match="must not have a response body"):
        app.get("/none", status_code=204, response_model=Out)(lambda: None)


def test_204_route_sends_no_body() -> None:
    app = App()

    @app.delete("/thing", status_code=204)
    def delete() -> None:
        return None

    response = TestClient(app).delete("/thing")
    assert response.status_code == 204
    assert response.content == b""
    assert "content-length" not in response.headers


def test_stage_observer_sees_every_stage_of_a_request() -> None:
    seen: list[tuple[str, str]] = []

    class Observer:
        def on_stage(self, route: str, stage: str, seconds: float) -> None:
            assert seconds >= 0
            seen.append((route, stage))

    app = App(stage_observer=Observer())

    class Item(BaseModel):
        name: str

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    assert TestClient(app).post("/items", json={"name": "x"}).status_code == 200
    assert [stage for _, stage in seen] == ["parse", "dependencies", "endpoint", "serialize"]
    assert {route for route, _ in seen} == {"POST /items"}


def test_stage_observer_sees_an_endpoint_without_parameters_too() -> None:
    seen: list[str] = []

    class Observer:
        def on_stage(self, route: str, stage: str, seconds: float) -> None:
            seen.append(stage)

    app = App(stage_observer=Observer())

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    response = TestClient(app).get("/ping")
    assert response.json() == {"ok": True}
    assert seen == ["dependencies", "endpoint", "serialize"]  # no parameters: no "parse" stage


def test_bare_endpoints_keep_every_behaviour_of_the_full_pipeline() -> None:
    """Endpoints with nothing to inject take a shorter lane; what users see is the same."""
    seen: list[str] = []

    class Observer:
        def on_stage(self, route: str, stage: str, seconds: float) -> None:
            seen.append(stage)

    app = App()

    @app.get("/text", response_class=PlainTextResponse, status_code=201)
    async def text() -> str:
        return "hi"

    @app.get("/model")
    async def model() -> dict[str, int]:
        return {"n": "7"}  # type: ignore[dict-item]  # validated into the return type

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(418, "short and stout", headers={"x-why": "tea"})

    @app.get("/own")
    async def own() -> Response:
        return Response(b"raw", 202, media_type="application/octet-stream")

    client = TestClient(app)
    response = client.get("/text")
    assert (response.status_code, response.text, response.headers["content-length"]) == (201, "hi", "2")
    assert client.head("/text").content == b""
    assert client.get("/model").json() == {"n": 7}
    response = client.get("/teapot")
    assert (response.status_code, response.json(), response.headers["x-why"]) == (418, {"detail": "short and stout"}, "tea")
    response = client.get("/own")
    assert (response.status_code, response.content, response.headers["content-type"]) == (202, b"raw", "application/octet-stream")
    # With an observer set, bare endpoints are timed like every other.
    app.stage_observer = Observer()
    assert client.get("/model").status_code == 200
    assert seen == ["dependencies", "endpoint", "serialize"]


def test_direct_endpoints_validate_answer_422_and_close_uploads() -> None:
    """Endpoints with parameters but no dependencies take the direct lane: same answers."""
    from ferrule import File, Query, UploadFile

    app = App()
    kept: list[UploadFile] = []

    class Item(BaseModel):
        name: str
        price: float

    @app.post("/items")
    async def create(item: Item, limit: Annotated[int, Query(le=10)] = 1) -> dict[str, Any]:
        return {"name": item.name, "limit": limit}

    @app.post("/upload")
    async def upload(file: Annotated[UploadFile, File()]) -> int:
        kept.append(file)
        return len(await file.read())

    client = TestClient(app)
    assert client.post("/items?limit=3", json={"name": "pen", "price": 2}).json() == {"name": "pen", "limit": 3}
    response = client.post("/items?limit=11", json={"name": "pen", "price": "x"})
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["query", "limit"], ["body", "price"]]
    assert client.post("/upload", files={"file": ("a.txt", b"abc")}).json() == 3
    assert kept[0].file.closed


    async def teapot(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"n": len(exc.errors())}, status_code=418)

    custom = App(exception_handlers={RequestValidationError: teapot})
    custom.post("/items")(create)
    response = TestClient(custom).post("/items?limit=11", json={"name": "pen", "price": "x"})
    assert (response.status_code, response.json()) == (418, {"n": 2})


@pytest.mark.parametrize(("limit", "expected_peak"), [(1, 1), (None, 2)])
def test_max_worker_threads_limits_sync_endpoints(limit: int | None, expected_peak: int) -> None:
    import threading
    import time

    import anyio

    from ferrule.testclient import AsyncTestClient

    app = App(max_worker_threads=limit)
    active = 0
    peak = 0
    lock = threading.Lock()
    both_started = threading.Event()

    @app.get("/work")
    def work() -> int:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            if active == 2:
                both_started.set()
        # Wait (bounded) for the other request: with one thread it never comes.
        both_started.wait(0.2)
        time.sleep(0.01)
        with lock:
            active -= 1
        return peak

    async def main() -> None:
        async with AsyncTestClient(app) as client:
            async with anyio.create_task_group() as tg:
                for _ in range(2):
                    tg.start_soon(client.get, "/work")

    anyio.run(main)
    assert peak == expected_peak


def test_dependency_overrides_can_be_reassigned_and_cleared() -> None:
    def real() -> str:
        return "real"

    app = App()

    @app.get("/who")
    def who(name: Annotated[str, Depends(real)]) -> str:
        return name

    client = TestClient(app)
    assert client.get("/who").json() == "real"
    app.dependency_overrides = {real: lambda: "fake"}
    assert client.get("/who").json() == "fake"
    app.dependency_overrides.clear()
    assert client.get("/who").json() == "real"


def test_client_disconnect_while_reading_the_body_is_quiet() -> None:
    import anyio

    app = App()

    class Item(BaseModel):
        name: str

    @app.post("/items")
    async def create(item: Item) -> Item:
        return item

    sent: list[dict[str, Any]] = []

    async def main() -> None:
        messages = [
            {"type": "http.request", "body": b'{"na', "more_body": True},
            {"type": "http.disconnect"},
        ]

        async def receive() -> dict[str, Any]:
            return messages.pop(0)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http", "method": "POST", "path": "/items", "root_path": "", "query_string": b"",
            "headers": [(b"content-type", b"application/json")], "scheme": "http", "server": ("t", 80),
        }
        await app(scope, receive, send)

    anyio.run(main)
    assert sent == []


def test_a_route_class_that_overrides_handle_keeps_its_handle() -> None:
    from ferrule.routing import APIRoute

    calls: list[str] = []

    class CountingRoute(APIRoute):
        async def handle(self, scope: Any, receive: Any, send: Any) -> None:
            calls.append(scope["path"])
            await super().handle(scope, receive, send)

    app = App()
    app.router.route_class = CountingRoute

    @app.get("/plain")
    async def plain() -> dict[str, bool]:  # a direct endpoint: it would get a lane
        return {"ok": True}

    assert TestClient(app).get("/plain").json() == {"ok": True}
    assert calls == ["/plain"]


@pytest.mark.parametrize("kind", ["jsonl", "sse"])
def test_a_stream_endpoint_takes_status_and_headers_from_a_response_parameter(kind: str) -> None:
    from ferrule.sse import EventSourceResponse

    app = App()
    options: dict[str, Any] = {"response_class": EventSourceResponse} if kind == "sse" else {}

    # (A generator's body runs while the response streams: the Response
    # parameter is set before, by a dependency.)
    def tag(response: Response) -> None:
        response.status_code = 201
        response.headers["x-stream"] = "set"
        response.headers["content-length"] = "999"  # a stream has no length: dropped

    @app.get("/stream", dependencies=[Depends(tag)], **options)
    async def stream() -> AsyncIterator[int]:
        for i in range(3):
            yield i

    result = TestClient(app).get("/stream")
    assert result.status_code == 201
    assert result.headers["x-stream"] == "set"
    assert "content-length" not in result.headers
    assert result.text.count("0") == 1 and "2" in result.text


class TaggedJSON(JSONResponse):
    """A response class of the app's own: the responder's general lane."""

    media_type = "application/vnd.tagged+json"


def test_a_custom_response_class_gets_status_headers_and_no_body_rules() -> None:
    app = App()

    @app.get("/created", response_class=TaggedJSON, status_code=201)
    async def created(response: Response) -> dict[str, int]:
        response.headers["x-extra"] = "1"
        return {"a": 1}

    @app.get("/accepted", response_class=TaggedJSON)
    async def accepted(response: Response) -> dict[str, int]:
        response.status_code = 202  # a Response parameter's status wins
        return {"b": 2}

    @app.get("/empty", response_class=TaggedJSON, status_code=204)
    async def empty() -> None:
        return None

    @app.get("/plain", response_class=TaggedJSON)
    async def plain() -> list[int]:
        return [1, 2]

    client = TestClient(app)
    assert (client.get("/plain").status_code, client.get("/plain").json()) == (200, [1, 2])
    first = client.get("/created")
    assert (first.status_code, first.json(), first.headers["x-extra"]) == (201, {"a": 1}, "1")
    assert first.headers["content-type"] == "application/vnd.tagged+json"
    second = client.get("/accepted")
    assert (second.status_code, second.json()) == (202, {"b": 2})
    third = client.get("/empty")
    assert third.status_code == 204 and third.content == b""
    assert "content-length" not in third.headers


def test_the_text_lane_takes_a_response_parameter_and_none() -> None:
    app = App()

    @app.get("/tagged", response_class=PlainTextResponse)
    async def tagged(response: Response) -> str:
        response.status_code = 203
        response.headers["x-t"] = "y"
        return "hi"

    @app.get("/nothing", response_class=PlainTextResponse)
    async def nothing() -> None:
        return None

    client = TestClient(app)
    tagged_response = client.get("/tagged")
    assert (tagged_response.status_code, tagged_response.text, tagged_response.headers["x-t"]) == (203, "hi", "y")
    nothing_response = client.get("/nothing")
    assert (nothing_response.status_code, nothing_response.content) == (200, b"")


def test_a_returned_response_gets_the_injected_background_tasks() -> None:
    app = App()
    ran: list[str] = []

    @app.get("/raw")
    async def raw(tasks: BackgroundTasks) -> Response:
        tasks.add_task(ran.append, "after")
        return Response("raw", media_type="text/plain", headers={"x-own": "kept"})

    response = TestClient(app).get("/raw")
    assert (response.text, response.headers["x-own"]) == ("raw", "kept")
    assert ran == ["after"]
