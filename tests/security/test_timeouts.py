"""Per-route time limits: ``body_timeout`` (408) and ``response_timeout`` (503).

Bug class: slow clients and slow handlers holding a worker forever. No
framework of the FastAPI family has these limits (Starlette/FastAPI wait for
a body as long as the server lets them, and a stuck dependency or endpoint
holds its task forever); servers only bound the request head (Slowloris,
e.g. uvicorn's timeout options) or idle connections, not a trickling body
(the "Slow POST"/R.U.D.Y. attack) or the handler itself.
"""

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import pytest

from sec_driver import other_tasks, streamed_length, tracked_dependency
from ferrule import APIRouter, App, Body, Depends, File, Request, UploadFile
from ferrule.responses import JSONResponse
from ferrule.routing import RouteConfigError
from ferrule.sse import EventSourceResponse
from sec_driver import drive

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("no_leaked_fds")]

SHORT = 0.1
MULTIPART = (b"content-type", b"multipart/form-data; boundary=sep")


class Log:
    def __init__(self) -> None:
        self.events: list[str] = []

    def count(self, name: str) -> int:
        return self.events.count(name)


def timeout_app(log: Log, **app_options: Any) -> App:
    async_dep = tracked_dependency(log.events.append, "async", 1, is_async=True)
    sync_dep = tracked_dependency(log.events.append, "sync", 2, is_async=False)
    function_dep = tracked_dependency(log.events.append, "function", 3, is_async=True)

    Deps = Annotated[int, Depends(async_dep)]
    SyncDeps = Annotated[int, Depends(sync_dep)]
    FunctionDeps = Annotated[int, Depends(function_dep, scope="function")]
    app = App(**app_options)

    @app.post("/json", body_timeout=SHORT)
    async def json_body(payload: Any = Body()) -> dict[str, int]:
        return {"ok": 1}

    @app.post("/read", body_timeout=SHORT)
    async def read(request: Request, a: Deps, s: SyncDeps, fn: FunctionDeps) -> dict[str, int]:
        return {"n": await streamed_length(request)}

    @app.post("/late-read", body_timeout=SHORT)
    async def late_read(request: Request) -> dict[str, int]:
        await anyio.sleep(3 * SHORT)  # slow before reading: not the body's fault
        return {"n": len(await request.body())}

    @app.post("/upload", body_timeout=SHORT)
    async def upload(f: Annotated[UploadFile, File()]) -> dict[str, int]:
        return {"size": f.size or 0}

    @app.get("/slow", response_timeout=SHORT)
    async def slow(a: Deps, s: SyncDeps, fn: FunctionDeps) -> dict[str, int]:
        await anyio.sleep(30)
        return {"ok": 1}

    @app.get("/slow-dependency", response_timeout=SHORT)
    async def slow_dependency(a: Deps, stuck: Annotated[None, Depends(stuck_dep)]) -> dict[str, int]:
        return {"ok": 1}

    @app.get("/slow-sync", response_timeout=SHORT)
    def slow_sync(a: Deps) -> dict[str, int]:
        time.sleep(3 * SHORT)
        return {"ok": 1}

    @app.get("/fast", response_timeout=5)
    async def fast(a: Deps, s: SyncDeps) -> dict[str, int]:
        return {"ok": 1}

    @app.post("/sse", response_class=EventSourceResponse, body_timeout=SHORT, response_timeout=SHORT)
    async def sse(request: Request, a: Deps) -> AsyncIterator[dict[str, int]]:
        for index in range(4):
            await anyio.sleep(SHORT)  # the stream outlives both limits
            yield {"i": index}

    return app


async def stuck_dep() -> None:
    await anyio.sleep(30)


# --- body_timeout ---------------------------------------------------------------------------------------


async def test_a_body_that_stops_arriving_is_408_and_cleanup_runs() -> None:
    """A client that sends part of the body and stalls (Slow POST): 408 after ``body_timeout``.

    The dependencies set up before the read are torn down once, and the
    answer asks the connection to close (RFC 9110 §15.5.9).
    """
    log = Log()
    before = other_tasks()
    start = time.perf_counter()
    outcome = await drive(timeout_app(log), "POST", "/read", [], [b"abc", b"def"], stall_after_chunks=1)
    elapsed = time.perf_counter() - start
    assert outcome.status == 408
    assert outcome.json() == {"detail": f"request body not received within {SHORT:g} seconds (body_timeout)"}
    assert outcome.header(b"connection") == b"close"
    assert SHORT <= elapsed < SHORT + 2
    for name in ("async", "sync", "function"):
        assert log.count(f"{name}+") == log.count(f"{name}-") == 1
    assert other_tasks() <= before


async def test_body_timeout_covers_body_parameters() -> None:
    """The body read by a ``Body()`` parameter is timed too."""
    outcome = await drive(timeout_app(Log()), "POST", "/json", [(b"content-type", b"application/json")], [b'{"a":', b"1}"], stall_after_chunks=1)
    assert outcome.status == 408


async def test_a_stalled_upload_is_408_and_its_temp_file_is_closed() -> None:
    """A multipart upload that stalls mid-file: 408, and the half-written temp file is closed."""
    head = b'--sep\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n'
    body = [head + b"x" * (2 * 1024 * 1024), b"rest"]
    outcome = await drive(timeout_app(Log()), "POST", "/upload", [MULTIPART], body, stall_after_chunks=1)
    assert outcome.status == 408


async def test_a_body_that_arrives_in_time_is_fine() -> None:
    """The control: the same routes answer normally when the body keeps coming."""
    outcome = await drive(timeout_app(Log()), "POST", "/read", [], [b"abc", b"def"])
    assert (outcome.status, outcome.json()) == (200, {"n": 6})


async def test_the_body_clock_starts_when_the_body_is_read() -> None:
    """Time spent before the endpoint reads the body does not count against ``body_timeout``."""
    outcome = await drive(timeout_app(Log()), "POST", "/late-read", [], [b"abc"])
    assert (outcome.status, outcome.json()) == (200, {"n": 3})


# --- response_timeout --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/slow", "/slow-dependency"])
async def test_a_slow_endpoint_or_dependency_is_503_and_cleanup_runs(path: str) -> None:
    """An endpoint (or a dependency) that does not finish in ``response_timeout``: 503, teardowns once."""
    log = Log()
    before = other_tasks()
    start = time.perf_counter()
    outcome = await drive(timeout_app(log), "GET", path)
    elapsed = time.perf_counter() - start
    assert outcome.status == 503
    assert outcome.json() == {"detail": f"response not ready within {SHORT:g} seconds (response_timeout)"}
    assert SHORT <= elapsed < SHORT + 2
    assert log.count("async+") == log.count("async-") == 1
    for name in ("sync", "function"):
        assert log.count(f"{name}+") == log.count(f"{name}-")
    assert outcome.error is None
    assert other_tasks() <= before


async def test_a_sync_endpoint_is_503_once_its_thread_returns() -> None:
    """A worker thread cannot be interrupted: the 503 is sent when it returns, its result discarded."""
    log = Log()
    outcome = await drive(timeout_app(log), "GET", "/slow-sync")
    assert outcome.status == 503
    assert log.events == ["async+", "async-"]


async def test_a_fast_endpoint_is_not_affected() -> None:
    outcome = await drive(timeout_app(Log()), "GET", "/fast")
    assert (outcome.status, outcome.json()) == (200, {"ok": 1})


async def test_a_stream_is_never_cut_by_either_limit() -> None:
    """SSE (and any generator endpoint) is not wrapped: the limits end once the response exists.

    The stream runs 4x longer than both limits and arrives whole; the
    client's ``http.disconnect`` wait is not a body read either.
    """
    log = Log()
    outcome = await drive(timeout_app(log), "POST", "/sse", [], [b""])
    assert outcome.status == 200 and outcome.response_complete
    assert outcome.body.count(b"data: ") == 4
    assert log.events == ["async+", "async-"]


async def test_the_503_goes_through_the_exception_handlers() -> None:
    """A handler registered for 503 shapes the timeout's answer, like any HTTPException."""
    app = timeout_app(Log())

    @app.exception_handler(503)
    async def busy(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"busy": True}, status_code=503, headers={"Retry-After": "1"})

    outcome = await drive(app, "GET", "/slow")
    assert (outcome.status, outcome.json(), outcome.header(b"retry-after")) == (503, {"busy": True}, b"1")


# --- configuration ------------------------------------------------------------------------------------------


async def test_limits_are_merged_app_router_route() -> None:
    """App, router and route settings merge like ``max_body_size``: the most specific explicit value wins."""
    app = App(response_timeout=SHORT)
    router = APIRouter(response_timeout=5.0)

    async def sleepy() -> dict[str, int]:
        await anyio.sleep(3 * SHORT)
        return {"ok": 1}

    app.get("/app-limit")(sleepy)
    app.get("/route-none", response_timeout=None)(sleepy)
    router.get("/router-limit")(sleepy)
    router.get("/router-route", response_timeout=SHORT)(sleepy)
    app.include_router(router, prefix="/r")

    async def status(path: str) -> int | None:
        return (await drive(app, "GET", path)).status

    assert await status("/app-limit") == 503
    assert await status("/route-none") == 200
    assert await status("/r/router-limit") == 200
    assert await status("/r/router-route") == 503


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), "5", True])
@pytest.mark.parametrize("option", ["body_timeout", "response_timeout"])
def test_a_bad_limit_is_an_error_at_startup(option: str, value: Any) -> None:
    """A limit that is not a positive, finite number of seconds is refused when the route is added."""
    app = App()
    with pytest.raises(RouteConfigError, match=f"{option}=.* is not a time limit; pass a positive number of seconds"):

        @app.get("/x", **{option: value})
        async def endpoint() -> None:
            return None
