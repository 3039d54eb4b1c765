"""BaseHTTPMiddleware: streaming, downstream failures before/after start, body replay, lifetime.

Regressions covered here (all found while raising asgi_core's coverage):
exceptions reached the caller wrapped in an ``ExceptionGroup``; the downstream
task was cancelled after the response, so its background tasks never ran; a
body message read by ``is_disconnected()`` before ``call_next`` was lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import anyio
import pytest
from _asgi import body_receiver, http_scope, run

from ferrule import App
from ferrule.asgi_core.background import BackgroundTask, BackgroundTasks
from ferrule.asgi_core.exceptions import HTTPException
from ferrule.asgi_core.fileresponse import FileResponse
from ferrule.asgi_core.middleware.base import BaseHTTPMiddleware, CallNext
from ferrule.asgi_core.request import Request
from ferrule.asgi_core.response import PlainTextResponse, Response
from ferrule.asgi_core.types import ASGIApp, Message, Receive, Scope, Send
from ferrule.testclient import TestClient

pytestmark = pytest.mark.anyio


class Boom(Exception):
    pass


async def passthrough(request: Request, call_next: CallNext) -> Response:
    return await call_next(request)


async def drive(
    app: ASGIApp,
    body: Sequence[bytes] = (),
    *,
    scope: Scope | None = None,
    sent: list[Message] | None = None,
) -> list[Message]:
    """Call ``app`` with a body fed in ``body`` chunks; return every message it sent.

    ``sent``, when given, collects the messages as they go: a test reads it after ``app`` raised.
    """
    receive = body_receiver(body)
    sent = [] if sent is None else sent

    async def send(message: Message) -> None:
        sent.append(message)

    with anyio.fail_after(5):
        await app(scope or http_scope(method="POST"), receive, send)
    return sent


# --- streaming ----------------------------------------------------------------


async def test_downstream_body_streams_through_without_buffering() -> None:
    first_seen = anyio.Event()

    async def downstream(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-down", b"1")]})
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        # A middleware that buffered the body would never let the client see
        # "one" before this returns: the test would time out.
        await first_seen.wait()
        await send({"type": "http.response.body", "body": b"two"})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)
        if message.get("body") == b"one":
            first_seen.set()

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    with anyio.fail_after(5):
        await BaseHTTPMiddleware(downstream, passthrough)(http_scope(), receive, send)
    assert sent[0] == {"type": "http.response.start", "status": 200, "headers": [(b"x-down", b"1")]}
    assert [m.get("body") for m in sent[1:]] == [b"one", b"two", b""]
    assert [m.get("more_body", False) for m in sent[1:]] == [True, True, False]


async def test_dispatch_can_change_headers_and_status_of_the_downstream_response() -> None:
    async def dispatch(request: Request, call_next: CallNext) -> Response:
        response = await call_next(request)
        response.headers["x-mw"] = "yes"
        response.status_code = 201
        return response

    result = await run(BaseHTTPMiddleware(PlainTextResponse("inner"), dispatch), http_scope())
    assert result.status == 201
    assert result.headers["x-mw"] == "yes"
    assert result.headers["content-type"] == "text/plain; charset=utf-8"
    assert result.body == b"inner"


async def test_dispatch_can_read_the_downstream_body_and_replace_it() -> None:
    async def downstream(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"a", b"", b"b", b"c"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        response = await call_next(request)
        assert isinstance(response, Response)
        chunks = [chunk async for chunk in response.body_iterator()]  # type: ignore[attr-defined]
        return PlainTextResponse(b"|".join(chunks).upper())

    result = await run(BaseHTTPMiddleware(downstream, dispatch), http_scope())
    assert result.body == b"A|B|C"


async def test_pathsend_is_passed_on_and_readable_through_body_iterator(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_bytes(b"x" * 70_000 + b"end")
    scope = http_scope(extensions={"http.response.pathsend": {}})

    sent = await drive(BaseHTTPMiddleware(FileResponse(target), passthrough), scope=scope)
    assert sent[0]["status"] == 200
    assert sent[1:] == [{"type": "http.response.pathsend", "path": str(target)}]

    async def reading(request: Request, call_next: CallNext) -> Response:
        response = await call_next(request)
        data = b"".join([c async for c in response.body_iterator()])  # type: ignore[attr-defined]
        return Response(data)

    result = await run(BaseHTTPMiddleware(FileResponse(target), reading), scope)
    assert result.body == target.read_bytes()


# --- failures -------------------------------------------------------------------


async def test_downstream_failure_before_start_is_raised_by_call_next_unwrapped() -> None:
    boom = Boom("before start")
    caught: list[BaseException] = []

    async def downstream(scope: Scope, receive: Receive, send: Send) -> None:
        raise boom

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        try:
            return await call_next(request)
        except Boom as exc:
            caught.append(exc)
            return PlainTextResponse("fallback", status_code=502)

    result = await run(BaseHTTPMiddleware(downstream, dispatch), http_scope())
    assert (result.status, result.body) == (502, b"fallback")
    assert caught == [boom]

    # Not caught by dispatch: the caller gets the exception itself, not an ExceptionGroup.
    with pytest.raises(Boom, match="before start") as info:
        await drive(BaseHTTPMiddleware(downstream, passthrough))
    assert info.value is boom


async def test_downstream_failure_mid_body_is_raised_after_the_part_already_sent() -> None:
    async def downstream(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        raise Boom("mid body")

    sent: list[Message] = []
    with pytest.raises(Boom, match="mid body"):
        await drive(BaseHTTPMiddleware(downstream, passthrough), scope=http_scope(), sent=sent)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1] == {"type": "http.response.body", "body": b"part", "more_body": True}


async def test_downstream_returning_mid_body_is_an_error_not_a_truncated_success() -> None:
    async def downstream(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"half", "more_body": True})

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    with pytest.raises(RuntimeError, match="returned without completing the response body"):
        await BaseHTTPMiddleware(downstream, passthrough)(http_scope(), receive, send)
    assert all(m.get("more_body", False) for m in sent[1:])  # no final body message was sent


async def test_unknown_downstream_messages_between_body_chunks_are_skipped() -> None:
    async def downstream(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await send({"type": "http.response.debug", "info": "ignored"})
        await send({"type": "http.response.body", "body": b"b"})

    result = await run(BaseHTTPMiddleware(downstream, passthrough), http_scope())
    assert result.body == b"ab"
    assert {m["type"] for m in result.messages} == {"http.response.start", "http.response.body"}


async def test_dispatch_failure_is_raised_unwrapped_and_cancels_the_downstream() -> None:
    cancelled = anyio.Event()

    async def endless(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        await call_next(request)
        raise HTTPException(401, "no token")

    with pytest.raises(HTTPException) as info:
        await drive(BaseHTTPMiddleware(endless, dispatch))
    assert (info.value.status_code, info.value.detail) == (401, "no token")
    assert cancelled.is_set()


@pytest.mark.parametrize(
    ("downstream_messages", "match"),
    [
        ([], "returned without sending a response"),
        ([{"type": "http.response.body", "body": b"x"}], "expected 'http.response.start' first"),
    ],
)
async def test_broken_downstream_apps_are_runtime_errors(downstream_messages: list[Message], match: str) -> None:
    async def downstream(scope: Scope, receive: Receive, send: Send) -> None:
        for message in downstream_messages:
            await send(message)

    with pytest.raises(RuntimeError, match=match):
        await drive(BaseHTTPMiddleware(downstream, passthrough))


async def test_dispatch_not_given_nor_overridden_is_not_implemented() -> None:
    with pytest.raises(NotImplementedError, match="override dispatch"):
        await drive(BaseHTTPMiddleware(PlainTextResponse("x")))

    class Tagging(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: CallNext) -> Response:
            response = await call_next(request)
            response.headers["x-tag"] = request.method
            return response

    result = await run(Tagging(PlainTextResponse("x")), http_scope(method="PUT"))
    assert result.headers["x-tag"] == "PUT"


# --- downstream lifetime --------------------------------------------------------


async def test_downstream_background_task_runs_after_the_response_is_sent() -> None:
    log: list[str] = []

    async def task() -> None:
        await anyio.sleep(0)
        log.append("task")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            log.append("sent")

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    app = BaseHTTPMiddleware(PlainTextResponse("ok", background=BackgroundTask(task)), passthrough)
    with anyio.fail_after(5):
        await app(http_scope(), receive, send)
    assert log == ["sent", "task"]


async def test_downstream_background_failure_is_raised_after_the_response() -> None:
    def task() -> None:
        raise Boom("in background")

    app = BaseHTTPMiddleware(PlainTextResponse("ok", background=BackgroundTask(task)), passthrough)
    sent: list[Message] = []
    with pytest.raises(Boom, match="in background"):
        await drive(app, scope=http_scope(), sent=sent)
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"ok"


async def test_a_dropped_downstream_response_gets_oserror_instead_of_blocking() -> None:
    errors: list[BaseException] = []
    sends = 0

    async def endless(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal sends
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            while True:
                await send({"type": "http.response.body", "body": b"x", "more_body": True})
                sends += 1
        except OSError as exc:
            errors.append(exc)

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        await call_next(request)
        return PlainTextResponse("replaced")

    sent = await drive(BaseHTTPMiddleware(endless, dispatch))
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"replaced"
    assert len(errors) == 1 and "already sent or dropped" in str(errors[0])
    assert sends == 0  # nobody read the body: the first body send failed


# --- request body replay ------------------------------------------------------


async def test_body_read_by_dispatch_is_replayed_then_the_real_receive_follows() -> None:
    seen: list[object] = []

    async def downstream(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        seen.append(await request.body())
        seen.append((await receive())["type"])
        await PlainTextResponse("ok")(scope, receive, send)

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        seen.append(await request.body())
        return await call_next(request)

    await drive(BaseHTTPMiddleware(downstream, dispatch), [b"ab", b"c"])
    assert seen == [b"abc", b"abc", "http.disconnect"]


async def test_is_disconnected_before_call_next_does_not_lose_the_body() -> None:
    async def downstream(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(await Request(scope, receive).body())(scope, receive, send)

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        assert await request.is_disconnected() is False
        return await call_next(request)

    sent = await drive(BaseHTTPMiddleware(downstream, dispatch), [b"hello ", b"world"])
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"hello world"


async def test_body_not_read_by_dispatch_goes_to_the_downstream_untouched() -> None:
    async def downstream(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(await Request(scope, receive).body())(scope, receive, send)

    sent = await drive(BaseHTTPMiddleware(downstream, passthrough), [b"a", b"b", b"c"])
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b"abc"


async def test_non_http_scopes_pass_straight_through() -> None:
    calls: list[Scope] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope)

    async def dispatch(request: Request, call_next: CallNext) -> Response:
        raise AssertionError("dispatch must not run for a lifespan scope")

    scope: Scope = {"type": "lifespan", "asgi": {"version": "3.0"}}

    async def receive() -> Message:
        raise AssertionError("not called")

    async def send(message: Message) -> None:
        raise AssertionError("not called")

    await BaseHTTPMiddleware(inner, dispatch)(scope, receive, send)
    assert calls == [scope] and calls[0] is scope


# --- through the App (the user-facing symptoms of the regressions) ----------------


def test_app_with_http_middleware_runs_background_tasks_and_sees_plain_exceptions() -> None:
    app = App()
    done: list[str] = []
    handled: list[str] = []

    @app.middleware("http")
    async def mw(request: Request, call_next: CallNext) -> Response:
        return await call_next(request)

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception) -> Response:
        handled.append(type(exc).__name__)
        return PlainTextResponse("handled", status_code=500)

    def record() -> None:
        done.append("sync task")

    @app.get("/bg")
    async def bg(tasks: BackgroundTasks) -> dict[str, bool]:
        tasks.add_task(record)
        return {"ok": True}

    @app.get("/boom")
    async def boom() -> None:
        raise Boom("from endpoint")

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/bg").json() == {"ok": True}
        assert done == ["sync task"]
        response = client.get("/boom")
        assert (response.status_code, response.text) == (500, "handled")
        assert handled == ["Boom"]
    with TestClient(app) as client, pytest.raises(Boom, match="from endpoint"):
        client.get("/boom")
