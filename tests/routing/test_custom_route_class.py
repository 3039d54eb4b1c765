"""``route_class=`` with ``get_route_handler()`` and custom ``Request`` subclasses.

The three route classes are those of FastAPI's documentation page "Custom
Request and APIRoute class" (written here from its description, with ferrule's
imports): a ``GzipRequest`` that decompresses the body, a route class that
catches ``RequestValidationError`` and answers its own body, and one that times
the request and adds a header.
"""

import gzip
import json
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

import pytest

from ferrule import APIRouter, App, BackgroundTasks, Body, Depends, HTTPException, Request, Response
from ferrule.exceptions import RequestValidationError
from ferrule.routing import APIRoute
from ferrule.testclient import TestClient

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class GzipRequest(Request):
    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            body = await super().body()
            if "gzip" in self.headers.getlist("Content-Encoding"):
                body = gzip.decompress(body)
            self._body = body
        return self._body


class GzipRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        original_route_handler = super().get_route_handler()

        async def custom_route_handler(request: Request) -> Response:
            request = GzipRequest(request.scope, request.receive)
            return await original_route_handler(request)

        return custom_route_handler


class ValidationErrorLoggingRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        original_route_handler = super().get_route_handler()

        async def custom_route_handler(request: Request) -> Response:
            try:
                return await original_route_handler(request)
            except RequestValidationError as exc:
                body = await request.body()
                detail = {"errors": exc.errors(), "body": body.decode()}
                raise HTTPException(status_code=422, detail=detail) from None

        return custom_route_handler


class TimedRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        original_route_handler = super().get_route_handler()

        async def custom_route_handler(request: Request) -> Response:
            before = time.time()
            response: Response = await original_route_handler(request)
            duration = time.time() - before
            response.headers["X-Response-Time"] = str(duration)
            return response

        return custom_route_handler


def gzip_app() -> App:
    app = App()
    app.router.route_class = GzipRoute

    @app.post("/sum")
    async def sum_numbers(numbers: list[int] = Body()) -> dict[str, int]:
        return {"sum": sum(numbers)}

    return app


@pytest.mark.parametrize("compress", [True, False])
def test_a_gzip_request_class_decompresses_the_body(compress: bool) -> None:
    data = json.dumps([1, 2, 3, 4]).encode()
    headers = {"content-type": "application/json"}
    if compress:
        data = gzip.compress(data)
        headers["content-encoding"] = "gzip"
    response = TestClient(gzip_app()).post("/sum", content=data, headers=headers)
    assert (response.status_code, response.json()) == (200, {"sum": 10})


def test_the_endpoint_receives_the_request_the_handler_passed_on() -> None:
    app = App()
    app.router.route_class = GzipRoute

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, str]:
        return {"class": type(request).__name__, "body": (await request.body()).decode()}

    response = TestClient(app).post("/echo", content=gzip.compress(b"hi"), headers={"content-encoding": "gzip"})
    assert response.json() == {"class": "GzipRequest", "body": "hi"}


def test_a_route_class_catching_validation_errors_answers_its_own_body() -> None:
    app = App()
    app.router.route_class = ValidationErrorLoggingRoute

    @app.post("/")
    async def sum_numbers(numbers: list[int] = Body()) -> int:
        return sum(numbers)

    client = TestClient(app)
    json_type = {"content-type": "application/json"}
    assert client.post("/", content=b"[1, 2]", headers=json_type).json() == 3
    response = client.post("/", content=b'[1, "x"]', headers=json_type)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["body"] == '[1, "x"]'
    assert [error["loc"] for error in detail["errors"]] == [["body", 1]]


def test_a_timed_route_class_adds_its_header_to_the_routes_of_its_router_only() -> None:
    app = App()
    router = APIRouter(route_class=TimedRoute)

    @app.get("/")
    async def not_timed() -> dict[str, str]:
        return {"message": "Not timed"}

    @router.get("/timed")
    async def timed() -> dict[str, str]:  # no parameters: the fast lane must not bypass the handler
        return {"message": "It's the time of my life"}

    app.include_router(router)
    client = TestClient(app)
    response = client.get("/")
    assert (response.json(), "x-response-time" in response.headers) == ({"message": "Not timed"}, False)
    response = client.get("/timed")
    assert response.json() == {"message": "It's the time of my life"}
    assert float(response.headers["x-response-time"]) >= 0
    assert response.headers["content-length"] == str(len(response.content))


def test_a_wrapped_handler_keeps_teardown_order_and_background_tasks() -> None:
    events: list[str] = []

    async def resource() -> AsyncIterator[str]:
        events.append("setup")
        yield "r"
        events.append("teardown")

    def later() -> None:
        events.append("background")

    app = App()
    app.router.route_class = TimedRoute

    @app.get("/work")
    async def work(r: Annotated[str, Depends(resource)], response: Response, tasks: BackgroundTasks) -> dict[str, str]:
        response.headers["x-sub"] = "kept"
        tasks.add_task(later)
        events.append("endpoint")
        return {"r": r}

    response = TestClient(app).get("/work")
    assert (response.json(), response.headers["x-sub"]) == ({"r": "r"}, "kept")
    assert "x-response-time" in response.headers
    assert events == ["setup", "endpoint", "background", "teardown"]


def test_a_handler_error_still_tears_down_and_reaches_the_exception_handlers() -> None:
    events: list[str] = []

    async def resource() -> AsyncIterator[None]:
        try:
            yield
        except ValueError:
            events.append("teardown saw ValueError")
            raise

    app = App()
    app.router.route_class = TimedRoute

    @app.exception_handler(ValueError)
    async def on_value_error(request: Request, exc: ValueError) -> Response:
        return Response(b"handled", 418)

    @app.get("/fail", dependencies=[Depends(resource)])
    async def fail() -> None:
        raise ValueError("no")

    response = TestClient(app).get("/fail")
    assert (response.status_code, response.content) == (418, b"handled")
    assert events == ["teardown saw ValueError"]


def test_the_default_handler_called_outside_its_route_says_so() -> None:
    import anyio

    app = App()

    @app.get("/x")
    async def x() -> int:
        return 1

    route = app.routes[-1]
    assert isinstance(route, APIRoute)
    handler = route.get_route_handler()
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": b""}

    async def call() -> None:
        await handler(Request(scope))

    with pytest.raises(RuntimeError, match="called outside its route"):
        anyio.run(call)
