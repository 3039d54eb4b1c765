"""ExceptionMiddleware: lookup order, default handlers, started responses, fallback, WebSocket."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from _asgi import http_scope, run

from ferrule.asgi_core.exceptions import ClientDisconnect, HTTPException, WebSocketException
from ferrule.asgi_core.middleware.errors import ServerErrorMiddleware
from ferrule.asgi_core.middleware.exceptions import ExceptionMiddleware
from ferrule.asgi_core.request import Request
from ferrule.asgi_core.response import JSONResponse, PlainTextResponse, Response
from ferrule.asgi_core.types import ASGIApp, Message, Receive, Scope, Send
from ferrule.asgi_core.websocket import WebSocket

pytestmark = pytest.mark.anyio


class Base(Exception):
    pass


class Derived(Base):
    pass


def raising(exc: BaseException, *, after_start: bool = False) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if after_start:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        raise exc

    return app


class Capture:
    def __init__(self, incoming: list[Message] | None = None) -> None:
        self.sent: list[Message] = []
        self.incoming = incoming or []

    async def receive(self) -> Message:
        return self.incoming.pop(0) if self.incoming else {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.sent.append(message)


# --- default handlers --------------------------------------------------------------------


async def test_http_exception_becomes_json_detail_with_status_and_headers() -> None:
    app = ExceptionMiddleware(raising(HTTPException(401, {"why": "token"}, headers={"WWW-Authenticate": "Bearer"})))
    result = await run(app, http_scope())
    assert result.status == 401
    assert result.body == b'{"detail":{"why":"token"}}'
    assert result.headers["www-authenticate"] == "Bearer"
    assert result.headers["content-type"] == "application/json"


@pytest.mark.parametrize("status", [204, 304])
async def test_http_exception_with_a_no_body_status_sends_no_body(status: int) -> None:
    result = await run(ExceptionMiddleware(raising(HTTPException(status, headers={"x-a": "1"}))), http_scope())
    assert (result.status, result.body, result.headers["x-a"]) == (status, b"", "1")
    assert "content-type" not in result.headers


async def test_success_passes_untouched_and_other_scopes_pass_through() -> None:
    result = await run(ExceptionMiddleware(PlainTextResponse("fine")), http_scope())
    assert (result.status, result.body) == (200, b"fine")

    seen: list[str] = []

    async def lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])
        raise HTTPException(500)  # not http/websocket: not handled here

    with pytest.raises(HTTPException):
        await ExceptionMiddleware(lifespan_app)({"type": "lifespan"}, Capture().receive, Capture().send)
    assert seen == ["lifespan"]


# --- lookup ----------------------------------------------------------------------------------


async def test_status_handler_wins_over_class_handler_for_http_exceptions() -> None:
    async def by_status(request: Request, exc: HTTPException) -> Response:
        return PlainTextResponse(f"status {exc.status_code}", status_code=exc.status_code)

    async def by_class(request: Request, exc: HTTPException) -> Response:
        return PlainTextResponse("class", status_code=exc.status_code)

    app = ExceptionMiddleware(raising(HTTPException(404)), handlers={404: by_status, HTTPException: by_class})
    assert (await run(app, http_scope())).body == b"status 404"
    app = ExceptionMiddleware(raising(HTTPException(409)), handlers={404: by_status, HTTPException: by_class})
    assert (await run(app, http_scope())).body == b"class"


async def test_status_handlers_ignore_non_http_exceptions() -> None:
    async def by_status(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("wrong")

    app = ExceptionMiddleware(raising(Base("x")), handlers={500: by_status})
    with pytest.raises(Base):
        await run(app, http_scope())


async def test_the_most_derived_class_handler_wins() -> None:
    async def base(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("base", status_code=500)

    async def derived(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("derived", status_code=500)

    both = {Base: base, Derived: derived}
    assert (await run(ExceptionMiddleware(raising(Derived()), handlers=both), http_scope())).body == b"derived"
    assert (await run(ExceptionMiddleware(raising(Base()), handlers=both), http_scope())).body == b"base"
    only_base = {Base: base}
    assert (await run(ExceptionMiddleware(raising(Derived()), handlers=only_base), http_scope())).body == b"base"


async def test_sync_handlers_run_in_a_worker_thread() -> None:
    threads: list[int] = []

    def handler(request: Request, exc: Exception) -> Response:
        threads.append(threading.get_ident())
        return JSONResponse({"error": str(exc)}, status_code=418)

    result = await run(ExceptionMiddleware(raising(Base("sync")), handlers={Base: handler}), http_scope())
    assert (result.status, result.body) == (418, b'{"error":"sync"}')
    assert threads and threads[0] != threading.get_ident()


def test_handler_keys_must_be_exception_classes_or_status_codes() -> None:
    middleware = ExceptionMiddleware(PlainTextResponse("x"))
    for bad in ("404", str, None):
        with pytest.raises(TypeError, match="exception handler key must be an exception class or a status code"):
            middleware.add_exception_handler(bad, lambda request, exc: None)  # type: ignore[arg-type]
    assert middleware.lookup(KeyError()) is None


# --- failures the handlers cannot answer ---------------------------------------------------


async def test_unhandled_exceptions_propagate() -> None:
    capture = Capture()
    with pytest.raises(Base, match="nobody"):
        await ExceptionMiddleware(raising(Base("nobody")))(http_scope(), capture.receive, capture.send)
    assert capture.sent == []


async def test_handled_exception_after_start_is_a_runtime_error_chained_to_it() -> None:
    capture = Capture()
    original = HTTPException(400)
    app = ExceptionMiddleware(raising(original, after_start=True))
    with pytest.raises(RuntimeError, match="HTTPException was raised after the response started") as info:
        await app(http_scope(), capture.receive, capture.send)
    assert info.value.__cause__ is original
    assert [m["type"] for m in capture.sent] == ["http.response.start"]


async def test_client_disconnect_ends_the_request_quietly(caplog: pytest.LogCaptureFixture) -> None:
    capture = Capture()
    caplog.set_level(logging.DEBUG, logger="ferrule.errors")
    await ExceptionMiddleware(raising(ClientDisconnect()))(http_scope("/upload"), capture.receive, capture.send)
    assert capture.sent == []
    assert [r.getMessage() for r in caplog.records] == [
        "client disconnected before the request body was read: /upload"
    ]


async def test_fallback_answers_500_for_unhandled_and_for_failing_handlers() -> None:
    fallback = ServerErrorMiddleware(PlainTextResponse("unused"))
    capture = Capture()
    app = ExceptionMiddleware(raising(Base("unhandled")), fallback=fallback)
    with pytest.raises(Base, match="unhandled"):
        await app(http_scope(), capture.receive, capture.send)
    assert capture.sent[0]["status"] == 500
    assert capture.sent[1]["body"] == b"Internal Server Error"

    async def broken(request: Request, exc: Exception) -> Response:
        raise KeyError("handler bug")

    capture = Capture()
    app = ExceptionMiddleware(raising(Base("x")), handlers={Base: broken}, fallback=fallback)
    with pytest.raises(KeyError, match="handler bug") as info:
        await app(http_scope(), capture.receive, capture.send)
    assert isinstance(info.value.__context__, Base)
    assert [m.get("status") for m in capture.sent][:1] == [500]

    # Without a fallback the failing handler's error just propagates.
    capture = Capture()
    with pytest.raises(KeyError, match="handler bug"):
        await ExceptionMiddleware(raising(Base("x")), handlers={Base: broken})(
            http_scope(), capture.receive, capture.send
        )
    assert capture.sent == []


async def test_fallback_sends_nothing_when_the_response_had_started() -> None:
    fallback = ServerErrorMiddleware(PlainTextResponse("unused"))
    capture = Capture()
    app = ExceptionMiddleware(raising(Base("late"), after_start=True), fallback=fallback)
    with pytest.raises(Base, match="late"):
        await app(http_scope(), capture.receive, capture.send)
    assert [m["type"] for m in capture.sent] == ["http.response.start"]


# --- WebSocket ---------------------------------------------------------------------------------


def ws_scope(extensions: dict[str, Any] | None = None) -> Scope:
    return http_scope("/ws", scope_type="websocket", extensions=extensions)


def ws_app(exc: Exception, *, accept: bool) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        if accept:
            await websocket.accept()
        else:
            await websocket.receive()  # the connect message, as a route would
        raise exc

    return app


@pytest.mark.parametrize("accept", [False, True], ids=["before-accept", "after-accept"])
async def test_websocket_exception_closes_with_its_code_and_reason(accept: bool) -> None:
    capture = Capture([{"type": "websocket.connect"}])
    app = ExceptionMiddleware(ws_app(WebSocketException(4003, "forbidden"), accept=accept))
    await app(ws_scope(), capture.receive, capture.send)
    assert capture.sent[-1] == {"type": "websocket.close", "code": 4003, "reason": "forbidden"}
    assert [m["type"] for m in capture.sent] == (["websocket.accept"] if accept else []) + ["websocket.close"]


async def test_http_exception_before_accept_is_a_denial_response_with_the_extension() -> None:
    capture = Capture([{"type": "websocket.connect"}])
    app = ExceptionMiddleware(ws_app(HTTPException(403, "no entry"), accept=False))
    await app(ws_scope(extensions={"websocket.http.response": {}}), capture.receive, capture.send)
    assert [m["type"] for m in capture.sent] == ["websocket.http.response.start", "websocket.http.response.body"]
    assert capture.sent[0]["status"] == 403
    assert capture.sent[1]["body"] == b'{"detail":"no entry"}'


async def test_http_exception_before_accept_closes_1008_without_the_extension() -> None:
    capture = Capture([{"type": "websocket.connect"}])
    await ExceptionMiddleware(ws_app(HTTPException(403), accept=False))(ws_scope(), capture.receive, capture.send)
    assert capture.sent == [{"type": "websocket.close", "code": 1008, "reason": ""}]


async def test_http_exception_after_accept_cannot_become_a_response() -> None:
    capture = Capture([{"type": "websocket.connect"}])
    app = ExceptionMiddleware(ws_app(HTTPException(400), accept=True))
    with pytest.raises(RuntimeError, match="after the response started"):
        await app(ws_scope(), capture.receive, capture.send)


async def test_websocket_handler_returning_none_sends_nothing_more() -> None:
    calls: list[str] = []

    async def handler(websocket: WebSocket, exc: Exception) -> None:
        calls.append(type(websocket).__name__)
        await websocket.close(4000)

    capture = Capture([{"type": "websocket.connect"}])
    app = ExceptionMiddleware(ws_app(Base(), accept=False), handlers={Base: handler})
    await app(ws_scope(), capture.receive, capture.send)
    assert calls == ["WebSocket"]
    assert capture.sent == [{"type": "websocket.close", "code": 4000, "reason": ""}]
