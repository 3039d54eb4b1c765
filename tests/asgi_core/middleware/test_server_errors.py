"""ServerErrorMiddleware: 500 then re-raise, handler, debug page (escaped), started responses."""

from __future__ import annotations

import pytest
from _mw_asgi import http_scope, run

from ferrule.asgi_core.middleware.errors import ServerErrorMiddleware
from ferrule.asgi_core.request import Request
from ferrule.asgi_core.response import JSONResponse, Response
from ferrule.asgi_core.types import Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio


class Boom(Exception):
    pass


async def failing(scope: Scope, receive: Receive, send: Send) -> None:
    raise Boom("<script>alert(1)</script> & more")


async def fails_after_start(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise Boom("late")


async def sent_before_raising(
    app: ServerErrorMiddleware, scope: Scope, expected: type[BaseException], match: str | None = None
) -> tuple[list[Message], BaseException]:
    """Call ``app`` (its client already gone), which must raise ``expected``: what it sent, and the error."""
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    with pytest.raises(expected, match=match) as info:
        await app(scope, receive, send)
    return sent, info.value


async def test_plain_500_then_reraises() -> None:
    sent, _ = await sent_before_raising(ServerErrorMiddleware(failing), http_scope(), Boom)
    assert sent[0]["status"] == 500
    assert (b"content-type", b"text/plain; charset=utf-8") in sent[0]["headers"]
    assert sent[1]["body"] == b"Internal Server Error"


async def capture(app: ServerErrorMiddleware, *headers: tuple[str, str]) -> tuple[int, bytes, dict[bytes, bytes]]:
    sent, _ = await sent_before_raising(app, http_scope("/items/<x>", headers=headers), Exception)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]), dict(sent[0]["headers"])


async def test_custom_handler_async_and_sync() -> None:
    async def async_handler(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": type(exc).__name__, "path": request.url.path}, status_code=500)

    def sync_handler(request: Request, exc: Exception) -> Response:
        return Response("sync", status_code=503)

    status, body, _ = await capture(ServerErrorMiddleware(failing, handler=async_handler))
    assert (status, body) == (500, b'{"error":"Boom","path":"/items/<x>"}')
    status, body, _ = await capture(ServerErrorMiddleware(failing, handler=sync_handler))
    assert (status, body) == (503, b"sync")


async def test_failing_handler_still_sends_500_and_raises_its_error() -> None:
    async def broken(request: Request, exc: Exception) -> Response:
        raise KeyError("handler bug")

    sent, error = await sent_before_raising(ServerErrorMiddleware(failing, handler=broken), http_scope(), KeyError, "handler bug")
    assert isinstance(error.__context__, Boom)
    assert sent[0]["status"] == 500


async def test_handler_must_return_a_response() -> None:
    async def wrong(request: Request, exc: Exception) -> object:
        return {"not": "a response"}

    with pytest.raises(TypeError, match="returned dict, not a Response"):
        await run(ServerErrorMiddleware(failing, handler=wrong), http_scope())


async def test_debug_html_page_is_escaped() -> None:
    status, body, headers = await capture(ServerErrorMiddleware(failing, debug=True), ("accept", "text/html"))
    assert status == 500
    assert headers[b"content-type"] == b"text/html; charset=utf-8"
    page = body.decode()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "/items/&lt;x&gt;" in page
    assert "Traceback" in page and "in failing" in page


async def test_debug_plain_traceback_without_html_accept() -> None:
    status, body, headers = await capture(ServerErrorMiddleware(failing, debug=True), ("accept", "*/*"))
    assert status == 500
    assert headers[b"content-type"] == b"text/plain; charset=utf-8"
    assert b"Boom: <script>alert(1)</script> & more" in body


async def test_started_response_is_only_reraised() -> None:
    sent, _ = await sent_before_raising(ServerErrorMiddleware(fails_after_start), http_scope(), Boom, "late")
    assert [m["type"] for m in sent] == ["http.response.start"]


async def test_non_http_passes_through_and_success_is_untouched() -> None:
    seen: list[str] = []

    async def lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])
        raise Boom("lifespan")

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        raise AssertionError("nothing may be sent")

    with pytest.raises(Boom):
        await ServerErrorMiddleware(lifespan_app)({"type": "lifespan"}, receive, send)
    assert seen == ["lifespan"]

    ok = await run(ServerErrorMiddleware(Response("fine")), http_scope())
    assert (ok.status, ok.body) == (200, b"fine")
