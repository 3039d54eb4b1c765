"""Faults: client disconnects, failing teardowns and cancellation, at every stage of a request.

Bug class for the whole module: resource leaks and double/missed cleanup on
abnormal paths. Advisory class: Starlette left multipart temporary files
open when parsing failed or the client went away, leaked the tasks of
streaming responses after a disconnect, and FastAPI ran (or skipped)
``yield``-dependency teardown at the wrong time across several releases
(the 0.106 exit-stack change and its follow-ups). Every test checks the
same four properties: each teardown ran exactly once, no task outlives the
request, every upload temp file is closed (no file descriptor leaks), and
the only exception leaving the app is the one a server expects (the
client's disconnect, or the teardown's own error after the response).
"""


import asyncio
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import pytest

from ferrule import App, Body, Depends, File, Request, UploadFile
from ferrule.asgi_core.exceptions import ClientDisconnect
from ferrule.testclient import LifespanError
from ferrule.responses import StreamingResponse
from ferrule.sse import EventSourceResponse
from ferrule.testclient import TestClient
from sec_driver import Outcome, drive, other_tasks, streamed_length, tracked_dependency

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("no_leaked_fds")]

MULTIPART = (b"content-type", b"multipart/form-data; boundary=sep")
JSON = (b"content-type", b"application/json")
UPLOAD_HEAD = b'--sep\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\n\r\n'
BIG = b"x" * (1024 * 1024 + 1)  # past the spool size: the upload rolls over to a real file


class Boom(Exception):
    """A teardown's own failure."""


class Probe:
    """Counts set-ups, teardowns and generator finalizations; signals when a stage is reached."""

    def __init__(self) -> None:
        self.events: Counter[str] = Counter()
        self.order: list[str] = []
        self.reached = anyio.Event()
        self.spooled: list[tempfile.SpooledTemporaryFile[bytes]] = []

    def hit(self, name: str) -> None:
        self.events[name] += 1
        self.order.append(name)

    def dependency(self, name: str, value: Any, *, is_async: bool, fail: bool = False) -> Any:
        """A ``yield`` dependency giving ``value`` that hits ``name+`` / ``name-`` (and raises ``Boom`` there if ``fail``)."""
        return tracked_dependency(self.hit, name, value, is_async=is_async, raises=Boom if fail else None)

    def assert_balanced(self, *names: str) -> None:
        for name in names:
            assert self.events[f"{name}+"] == self.events[f"{name}-"] <= 1, dict(self.events)

    def assert_files_closed(self) -> None:
        assert all(f.closed for f in self.spooled), "an upload temp file was left open"


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Probe:
    probe = Probe()
    original = tempfile.SpooledTemporaryFile

    class Tracked(original):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            probe.spooled.append(self)

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", Tracked)
    return probe


def fault_app(probe: Probe) -> App:
    async_dep = probe.dependency("async", 1, is_async=True)
    sync_dep = probe.dependency("sync", 2, is_async=False)
    function_dep = probe.dependency("function", 3, is_async=True)

    Deps = Annotated[int, Depends(async_dep)]
    SyncDeps = Annotated[int, Depends(sync_dep)]
    FunctionDeps = Annotated[int, Depends(function_dep, scope="function")]
    app = App()

    @app.post("/json")
    async def json_body(a: Deps, s: SyncDeps, payload: Any = Body()) -> dict[str, int]:
        return {"ok": 1}

    @app.post("/upload")
    async def upload(a: Deps, f: Annotated[UploadFile, File()]) -> dict[str, int]:
        probe.reached.set()
        await anyio.sleep_forever() if probe.events["hang"] else None
        return {"size": f.size or 0}

    @app.post("/read")
    async def read(request: Request, a: Deps, s: SyncDeps, fn: FunctionDeps) -> dict[str, int]:
        probe.reached.set()
        return {"n": await streamed_length(request)}

    @app.get("/wait")
    async def wait(a: Deps, s: SyncDeps, fn: FunctionDeps) -> None:
        probe.reached.set()
        await anyio.sleep_forever()

    # Each streaming endpoint finalizes itself (no nested generator: an inner
    # one would only be finalized by the garbage collector, whatever ferrule does).
    @app.get("/stream", response_class=StreamingResponse)
    async def stream(a: Deps, s: SyncDeps) -> AsyncIterator[bytes]:
        try:
            for index in range(10_000):
                yield b"%d\n" % index
                if index == 3:
                    probe.reached.set()
                await anyio.sleep(0.001)
        finally:
            probe.hit("gen-")

    @app.get("/jsonl")
    async def jsonl(a: Deps) -> AsyncIterator[int]:
        try:
            for index in range(10_000):
                yield index
                if index == 3:
                    probe.reached.set()
                await anyio.sleep(0.001)
        finally:
            probe.hit("gen-")

    @app.get("/sse", response_class=EventSourceResponse)
    async def sse(a: Deps, s: SyncDeps) -> AsyncIterator[dict[str, int]]:
        try:
            for index in range(10_000):
                yield {"i": index}
                if index == 3:
                    probe.reached.set()
                await anyio.sleep(0.001)
        finally:
            probe.hit("gen-")

    return app


async def settled(before: set[asyncio.Task[object]]) -> None:
    """Let finished tasks be reaped, then fail if any task started by the request is alive."""
    for _ in range(5):
        await anyio.sleep(0)
    leaked = {task for task in other_tasks() - before if not task.done()}
    assert not leaked, f"tasks outlived the request: {leaked}"


def client_gone(outcome: Outcome) -> None:
    """The only exception a vanished client may cause: its disconnect (or the failed send to it)."""
    assert outcome.error is None or isinstance(outcome.error, (ClientDisconnect, OSError)), repr(outcome.error)


# --- client disconnects ---------------------------------------------------------------------------------


@pytest.mark.parametrize("after_chunks", [0, 1], ids=["before-body", "mid-body"])
@pytest.mark.parametrize(
    ("path", "headers", "body"),
    [
        ("/json", [JSON], [b'{"a": ', b"1}"]),
        ("/upload", [MULTIPART], [UPLOAD_HEAD + BIG, BIG, b"\r\n--sep--\r\n"]),
        ("/read", [], [b"abc", b"def", b"ghi"]),
    ],
    ids=["json", "upload", "request.stream"],
)
async def test_disconnect_before_and_mid_body(probe: Probe, path: str, headers: Any, body: list[bytes], after_chunks: int) -> None:
    """The client goes away before sending the body, or in the middle of it.

    Nothing is answered (there is no one to answer); dependencies set up so
    far are torn down once, a half-written upload's temp file is closed.
    """
    before = other_tasks()
    outcome = await drive(fault_app(probe), "POST", path, headers, body, disconnect_after_chunks=after_chunks)
    client_gone(outcome)
    assert not outcome.response_complete
    probe.assert_balanced("async", "sync", "function")
    probe.assert_files_closed()
    await settled(before)


@pytest.mark.parametrize("path", ["/stream", "/jsonl", "/sse"])
async def test_disconnect_mid_response(probe: Probe, path: str) -> None:
    """The client goes away while a streamed response (raw, JSON Lines, SSE) is being sent.

    The generator is finalized once (its ``finally`` runs), dependencies are
    torn down once after it, and the SSE producer/keepalive tasks are gone.
    """
    before = other_tasks()
    outcome = await drive(fault_app(probe), "GET", path, drop_response_after=3)
    client_gone(outcome)
    assert outcome.status == 200 and not outcome.response_complete
    assert probe.events["gen-"] == 1
    probe.assert_balanced("async", "sync")
    assert probe.order.index("gen-") < probe.order.index("async-")
    await settled(before)


async def test_uploads_are_closed_after_a_successful_request(probe: Probe) -> None:
    """Bug class: upload temp files kept open after the request (fd exhaustion).

    FastAPI closes a request's ``UploadFile``s once the response is sent;
    ferrule did not (they lingered until garbage collection, forever if
    the endpoint kept a reference). Now they are closed after every
    teardown, on success as on error.
    """
    kept: list[UploadFile] = []
    app = App()

    @app.post("/keep")
    async def keep(f: Annotated[UploadFile, File()]) -> dict[str, int]:
        kept.append(f)
        return {"size": f.size or 0}

    outcome = await drive(app, "POST", "/keep", [MULTIPART], [UPLOAD_HEAD + BIG, b"\r\n--sep--\r\n"])
    assert outcome.status == 200
    assert kept[0].file.closed
    probe.assert_files_closed()


async def test_uploads_are_closed_when_validation_fails(probe: Probe) -> None:
    """A form that parsed but failed validation (422): its files are closed too."""
    app = App()

    @app.post("/needs-two")
    async def needs_two(f: Annotated[UploadFile, File()], g: Annotated[UploadFile, File()]) -> None:
        raise AssertionError("not reached")

    outcome = await drive(app, "POST", "/needs-two", [MULTIPART], [UPLOAD_HEAD + BIG, b"\r\n--sep--\r\n"])
    assert outcome.status == 422
    assert len(probe.spooled) == 1
    probe.assert_files_closed()


# --- teardown failures --------------------------------------------------------------------------------------


def failing_app(probe: Probe, kind: str, scope: str) -> App:
    is_async = kind == "async"
    outer = probe.dependency("outer", "outer", is_async=is_async)
    failing = probe.dependency("failing", "failing", is_async=is_async, fail=True)
    inner = probe.dependency("inner", "inner", is_async=not is_async)
    app = App()

    @app.get("/")
    async def endpoint(
        a: Annotated[str, Depends(outer, scope=scope)],
        b: Annotated[str, Depends(failing, scope=scope)],
        c: Annotated[str, Depends(inner, scope=scope)],
    ) -> dict[str, str]:
        return {"ok": a + b + c}

    return app


@pytest.mark.parametrize("scope", ["request", "function"])
@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_exception_in_every_kind_of_teardown(probe: Probe, kind: str, scope: str) -> None:
    """A teardown raises: the other teardowns still run once each, in reverse order.

    ``scope="request"`` teardowns run after the response was sent: the client
    has its complete 200 and the error reaches the server (to be logged).
    ``scope="function"`` teardowns run before it: the client gets a 500.
    """
    before = other_tasks()
    outcome = await drive(failing_app(probe, kind, scope), "GET", "/")
    assert isinstance(outcome.error, Boom)
    assert outcome.response_complete
    assert outcome.status == (200 if scope == "request" else 500)
    probe.assert_balanced("outer", "failing", "inner")
    assert probe.order == ["outer+", "failing+", "inner+", "inner-", "failing-", "outer-"]
    await settled(before)


def test_exception_in_app_scoped_teardowns() -> None:
    """App-scoped teardowns run at shutdown: one failing does not skip the others; shutdown reports it."""
    probe = Probe()
    first = probe.dependency("first", 1, is_async=True)
    failing = probe.dependency("failing", 2, is_async=False, fail=True)
    last = probe.dependency("last", 3, is_async=True, fail=True)

    app = App()

    @app.get("/")
    def endpoint(
        a: Annotated[int, Depends(first, scope="app")],
        b: Annotated[int, Depends(failing, scope="app")],
        c: Annotated[int, Depends(last, scope="app")],
    ) -> dict[str, int]:
        return {"sum": a + b + c}

    with pytest.raises(LifespanError, match="lifespan shutdown failed: Boom"):
        with TestClient(app) as client:
            assert client.get("/").json() == {"sum": 6}
            assert client.get("/").json() == {"sum": 6}
    probe.assert_balanced("first", "failing", "last")
    assert probe.order == ["first+", "failing+", "last+", "last-", "failing-", "first-"]


# --- cancellation ---------------------------------------------------------------------------------------------

STAGES = [
    ("GET", "/wait", {}, ("async", "sync", "function")),
    ("POST", "/read", {"body": [b"abc", b"def", b"ghi"], "stall_after_chunks": 1}, ("async", "sync", "function")),
    ("POST", "/upload", {"headers": [MULTIPART], "body": [UPLOAD_HEAD, BIG, b"more"], "stall_after_chunks": 2}, ()),
    ("POST", "/upload", {"headers": [MULTIPART], "body": [UPLOAD_HEAD + BIG + b"\r\n--sep--\r\n"], "hang": True}, ("async",)),
    ("GET", "/stream", {}, ("async", "sync")),
    ("GET", "/sse", {}, ("async", "sync")),
]


@pytest.mark.parametrize(
    ("method", "path", "options", "deps"),
    STAGES,
    ids=["in-endpoint", "reading-body", "parsing-upload", "endpoint-with-upload", "streaming", "sse"],
)
async def test_cancellation_of_the_request_task(
    probe: Probe, method: str, path: str, options: dict[str, Any], deps: tuple[str, ...]
) -> None:
    """The server cancels the request task (shutdown, timeout) at each stage.

    The cancellation propagates (never swallowed), teardowns run once, the
    streaming generator is finalized, temp files are closed, no task remains.
    """
    options = dict(options)
    if options.pop("hang", False):
        probe.hit("hang")
    before = other_tasks()
    app = fault_app(probe)
    reached_body_stall = path == "/upload" and "stall_after_chunks" in options
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            request_scope = anyio.CancelScope()

            async def request() -> None:
                with request_scope:
                    await drive(app, method, path, **options)

            tg.start_soon(request)
            if reached_body_stall:
                while not probe.spooled:  # the upload's temp file exists: parsing is under way
                    await anyio.sleep(0.001)
            else:
                await probe.reached.wait()
            request_scope.cancel()
    assert request_scope.cancelled_caught
    for name in deps:
        assert probe.events[f"{name}+"] == 1
    probe.assert_balanced("async", "sync", "function")
    if path in ("/stream", "/sse"):
        assert probe.events["gen-"] == 1
    probe.assert_files_closed()
    await settled(before)
