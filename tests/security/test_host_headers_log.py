"""Host handling, response header injection and access-log injection.

No ``TrustedHostMiddleware`` is installed anywhere here: the guarantees
hold for every app, not only for apps that opted into a host allow-list.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule import App, HTTPException, Request, Response
from ferrule.server import ServerConfig, serve
from ferrule.server.accesslog import escape, format_access_line
from ferrule.asgi_core.types import Receive, Scope, Send
from ferrule.responses import FileResponse, RedirectResponse, StreamingResponse
from sec_driver import drive

pytestmark = pytest.mark.anyio


# --- Host -------------------------------------------------------------------------------------------


def url_app() -> App:
    app = App()

    @app.get("/where")
    async def where(request: Request) -> dict[str, Any]:
        return {
            "url": str(request.url),
            "base_url": str(request.base_url),
            "url_for": str(request.url_for("where")),
            "netloc": request.url.netloc,
        }

    @app.get("/dir/")
    async def directory() -> dict[str, str]:
        return {}

    return app


MALFORMED_HOSTS = [
    b"evil.example/@good.example",
    b"good.example@evil.example",
    b"evil.example/path",
    b"evil.example?x=1",
    b"evil.example#frag",
    b"evil.example\\good.example",
    b"evil.example good.example",
    b"evil.example\r\nX-Injected: 1",
    b"evil.example\x00good.example",
    b"evil.example:80:80",
    b"evil.example:99999",
    b"evil.example:8o",
    b"[::1",
    b"[evil.example]",
    b"\xc3\xa9vil.example",
    b"evil.example\xff",
    b"",
    b"javascript:alert(1)//",
]


@pytest.mark.parametrize("host", MALFORMED_HOSTS)
async def test_malformed_host_never_reaches_request_url(host: bytes) -> None:
    """Bug class: Host header injection into URLs the app builds (``request.url``, ``url_for``, redirects).

    Advisory class: frameworks that build absolute URLs from an unchecked
    Host header let an attacker plant their own origin (or a path, userinfo,
    CR/LF) into password-reset links, cache keys and redirects (Host header
    poisoning; Django's CVE-2012-4520 and its successors). Starlette builds
    ``request.url`` from the raw Host and relies on the opt-in
    ``TrustedHostMiddleware``. ferrule uses the Host only when it is a
    well-formed ``host[:port]``; otherwise the server's own address.
    """
    outcome = await drive(url_app(), "GET", "/where", [(b"host", host)])
    assert outcome.status == 200
    assert outcome.json() == {
        "url": "http://testserver/where",
        "base_url": "http://testserver/",
        "url_for": "http://testserver/where",
        "netloc": "testserver",
    }
    redirect = await drive(url_app(), "GET", "/dir", [(b"host", host)])
    assert redirect.status == 307
    assert redirect.header(b"location") == b"http://testserver/dir/"


@pytest.mark.parametrize(("host", "netloc"), [(b"good.example", "good.example"), (b"good.example:8080", "good.example:8080"), (b"[::1]:81", "[::1]:81")])
async def test_well_formed_host_is_used(host: bytes, netloc: str) -> None:
    """The control for the test above: a well-formed Host does reach the URL."""
    outcome = await drive(url_app(), "GET", "/where", [(b"host", host)])
    assert outcome.json()["url"] == f"http://{netloc}/where"


# --- headers echoed into responses -------------------------------------------------------------------

NASTY_VALUES = ["a\r\nSet-Cookie: session=evil", "a\nX-Injected: 1", "a\rb", "a\x00b"]


def echo_app(tmp_path: Path) -> App:
    app = App()
    (tmp_path / "f.txt").write_bytes(b"file")

    @app.get("/header")
    async def header(v: str) -> Response:
        response = Response("x")
        response.headers["x-echo"] = v
        return response

    @app.get("/header-arg")
    async def header_arg(v: str) -> Response:
        return Response("x", headers={"x-echo": v})

    @app.get("/sub-response")
    async def sub_response(v: str, response: Response) -> dict[str, str]:
        response.headers.append("x-echo", v)
        return {}

    @app.get("/http-exception")
    async def http_exception(v: str) -> None:
        raise HTTPException(401, "no", headers={"WWW-Authenticate": v})

    @app.get("/cookie")
    async def cookie(v: str) -> Response:
        response = Response("x")
        response.set_cookie("c", v)
        return response

    @app.get("/cookie-path")
    async def cookie_path(v: str) -> Response:
        response = Response("x")
        response.set_cookie("c", "1", path=v)
        return response

    @app.get("/redirect")
    async def redirect(v: str) -> RedirectResponse:
        return RedirectResponse("/next?to=" + v)

    @app.get("/download")
    async def download(v: str) -> FileResponse:
        return FileResponse(tmp_path / "f.txt", filename=v)

    @app.get("/media-type")
    async def media_type(v: str) -> Response:
        return Response("x", media_type="text/" + v)

    @app.get("/stream-media-type")
    async def stream_media_type(v: str) -> StreamingResponse:
        return StreamingResponse(iter([b"x"]), media_type="application/" + v)

    return app


@pytest.mark.parametrize("value", NASTY_VALUES)
@pytest.mark.parametrize(
    ("path", "statuses"),
    [
        ("/header", {500}),
        ("/header-arg", {500}),
        ("/sub-response", {500}),
        ("/http-exception", {500}),
        ("/cookie", {500}),
        ("/cookie-path", {500}),
        ("/redirect", {307}),
        ("/download", {200}),
        ("/media-type", {500}),
        ("/stream-media-type", {500}),
    ],
)
async def test_cr_lf_nul_echoed_into_response_headers_is_refused(
    tmp_path: Path, path: str, statuses: set[int], value: str
) -> None:
    """Bug class: HTTP response splitting / header injection.

    Advisory: uvicorn wrote header values containing CR/LF to the wire as
    is, so an app echoing user input into a header let the client inject
    headers or a whole second response (CVE-2020-7695). In ferrule every
    way of setting a header validates it (``media_type`` included, which
    bypassed the check until this suite found it): a raw value with CR, LF or NUL is
    refused (the request fails with 500 and nothing of the value is sent),
    a redirect target is percent-encoded, a download name is replaced/encoded.
    """
    from urllib.parse import quote

    outcome = await drive(echo_app(tmp_path), "GET", path, query_string=b"v=" + quote(value).encode())
    assert outcome.status in statuses
    for name, raw in outcome.headers:
        assert not any(c in raw for c in b"\r\n\x00"), (name, raw)
        assert b"session=evil" not in raw and b"X-Injected" not in raw or name in (b"location", b"content-disposition")
    if outcome.status == 500:
        assert outcome.body == b"Internal Server Error"
        assert isinstance(outcome.error, ValueError)


async def test_the_dev_server_refuses_raw_asgi_headers_with_cr_lf() -> None:
    """Bug class: response splitting below the framework (CVE-2020-7695), in ferrule's own server.

    A raw ASGI app bypassing ``Response`` sends a header value with CRLF; the
    dev server must not write it: the client gets a 500 and no injected line.
    """

    async def raw_app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1\r\nSet-Cookie: evil=1")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async with served(raw_app) as port:
        reply = await raw_request(port, b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 500 ")
    assert b"Set-Cookie: evil" not in reply


# --- access log ------------------------------------------------------------------------------------


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[int]:
    config = ServerConfig(host="127.0.0.1", port=0, lifespan="off", server_header="")
    stop = anyio.Event()
    with anyio.fail_after(20):
        async with anyio.create_task_group() as tg:
            _, port = await tg.start(partial(serve, app, config, shutdown_trigger=stop))
            try:
                yield port
            finally:
                stop.set()


async def raw_request(port: int, data: bytes) -> bytes:
    with anyio.fail_after(5):
        async with await anyio.connect_tcp("127.0.0.1", port) as stream:
            await stream.send(data)
            reply = b""
            while True:
                try:
                    reply += await stream.receive()
                except (anyio.EndOfStream, anyio.BrokenResourceError):
                    return reply


def test_access_line_escapes_every_client_controlled_byte() -> None:
    """Bug class: log injection (forged log lines, terminal escape sequences).

    Advisory: uvicorn logged the request path unescaped, so ANSI escape
    sequences in a URL rewrote an operator's terminal and CR/LF forged log
    lines (CVE-2020-7694). ferrule's access line is printable ASCII whatever
    the client sent: control characters, DEL, bytes >= 0x80, ``"`` and ``\\``
    become ``\\xNN``, so a line cannot be split, recoloured or mis-quoted.
    """
    line = format_access_line(
        ("10.0.0.1", 5000), b"GET", b'/\x1b[2J\x1b]0;owned\x07"x" 200\r\nforged\\\x00\xff', "1.1", 200, 0.001
    )
    assert line == (
        '10.0.0.1:5000 - "GET /\\x1b[2J\\x1b]0;owned\\x07\\x22x\\x22 200\\x0d\\x0aforged\\x5c\\x00\\xff HTTP/1.1" '
        "200 1.0ms"
    )


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_escape_is_printable_quote_free_and_reversible(raw: bytes) -> None:
    """The property behind the test above, for any bytes: the log can be parsed back exactly."""
    text = escape(raw)
    assert text.isascii() and text.isprintable() and '"' not in text
    assert text.encode("ascii").decode("unicode_escape").encode("latin-1") == raw


async def test_access_log_of_the_dev_server_escapes_the_request_target(caplog: pytest.LogCaptureFixture) -> None:
    """CVE-2020-7694's class end to end: what h11 lets through (``"``, ``\\``) is escaped in the log."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    caplog.set_level(logging.INFO, logger="ferrule.access")
    async with served(app) as port:
        reply = await raw_request(port, b'GET /"200_-_forged"\\%1b[31m HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n')
    assert reply.startswith(b"HTTP/1.1 204 ")
    (line,) = [r.getMessage() for r in caplog.records if r.name == "ferrule.access"]
    assert '"GET /\\x22200_-_forged\\x22\\x5c%1b[31m HTTP/1.1" 204 ' in line
    assert line.count('"') == 2
