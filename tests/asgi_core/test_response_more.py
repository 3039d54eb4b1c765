"""Response classes: rendering, framing headers, HEAD and no-body statuses, cookies, JSON, redirects."""

from __future__ import annotations

import dataclasses
import json
import time
from email.utils import parsedate_to_datetime

import pytest
from _asgi import http_scope, run

from ferrule.asgi_core.background import BackgroundTask
from ferrule.asgi_core.headers import HeaderValueError
from ferrule.asgi_core.response import (
    JSON_CONTENT_TYPE,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    content_type_header,
    status_has_no_body,
)
from ferrule.asgi_core.types import Message

pytestmark = pytest.mark.anyio


# --- rendering and headers ---------------------------------------------------------


def test_bare_response_is_empty_with_length_zero_and_no_type() -> None:
    response = Response()
    assert response.status_code == 200
    assert response.body == b""
    assert response.raw_headers == [(b"content-length", b"0")]
    assert repr(response) == "<Response [200]>"


@pytest.mark.parametrize(
    ("content", "body"),
    [(b"raw", b"raw"), (bytearray(b"ba"), b"ba"), (memoryview(b"mv"), b"mv"), ("héllo", "héllo".encode())],
)
def test_bytes_like_and_str_content_is_rendered(content: object, body: bytes) -> None:
    response = Response(content)
    assert response.body == body
    assert type(response.body) is bytes
    assert response.headers["content-length"] == str(len(body))


def test_other_content_is_a_type_error_pointing_to_json_response() -> None:
    with pytest.raises(TypeError, match="PlainTextResponse content must be bytes or str, not dict; use JSONResponse"):
        PlainTextResponse({"a": 1})


def test_text_media_types_get_the_charset_and_str_is_encoded_with_it() -> None:
    class Latin1Text(PlainTextResponse):
        charset = "latin-1"

    response = Latin1Text("café")
    assert response.body == "café".encode("latin-1")
    assert response.headers["content-type"] == "text/plain; charset=latin-1"
    assert HTMLResponse("<p>").headers["content-type"] == "text/html; charset=utf-8"
    assert Response("x", media_type="application/xml").headers["content-type"] == "application/xml"
    # A charset already in the media type is kept as given.
    assert Response("x", media_type="text/csv; Charset=ascii").headers["content-type"] == "text/csv; Charset=ascii"


def test_content_type_header_is_validated() -> None:
    assert content_type_header("text/plain", "utf-8") == (b"content-type", b"text/plain; charset=utf-8")
    with pytest.raises(HeaderValueError):
        content_type_header("text/plain\r\nx-evil: 1", "utf-8")


def test_caller_headers_win_over_computed_framing_headers() -> None:
    response = PlainTextResponse("abc", headers={"Content-Length": "3", "Content-Type": "text/x-custom", "X-A": "1"})
    assert response.raw_headers == [
        (b"content-length", b"3"),
        (b"content-type", b"text/x-custom"),
        (b"x-a", b"1"),
    ]


def test_headers_view_is_writable_shared_and_validated() -> None:
    response = Response(b"x")
    response.headers["x-one"] = "1"
    response.headers.append("x-many", "a")
    response.headers.append("x-many", "b")
    assert (b"x-one", b"1") in response.raw_headers
    assert response.headers.getlist("x-many") == ["a", "b"]
    assert response.headers is response.headers
    with pytest.raises(HeaderValueError):
        response.headers["x-bad"] = "a\r\nset-cookie: s=1"
    with pytest.raises(HeaderValueError):
        Response(headers={"x-bad": "a\nb"})


def test_status_none_means_undecided_and_still_gets_a_length() -> None:
    response = Response(b"abc", status_code=None)
    assert response.headers["content-length"] == "3"


# --- sending --------------------------------------------------------------------------


async def test_get_sends_start_then_the_whole_body_once() -> None:
    result = await run(PlainTextResponse("hello", status_code=201), http_scope())
    assert result.status == 201
    assert result.body == b"hello"
    assert [m["type"] for m in result.messages] == ["http.response.start", "http.response.body"]


async def test_prerendered_responses_behave_like_rendered_ones() -> None:
    """The fast lanes' constructor: same bytes on the wire as JSONResponse(...),
    HEAD keeps the headers only, the background task runs after the body."""
    ran: list[str] = []
    body = b'{"a":1}'
    fast = JSONResponse.prerendered(
        body, 201, [(b"content-length", b"7"), JSON_CONTENT_TYPE], BackgroundTask(ran.append, "after")
    )
    assert isinstance(fast, JSONResponse) and fast.headers["content-type"] == "application/json"
    slow = JSONResponse({"a": 1}, status_code=201)
    got, expected = await run(fast, http_scope()), await run(slow, http_scope())
    assert (got.status, got.headers, got.body) == (expected.status, expected.headers, expected.body)
    assert ran == ["after"]
    head = await run(JSONResponse.prerendered(body, 200, [(b"content-length", b"7"), JSON_CONTENT_TYPE]), http_scope(method="HEAD"))
    assert head.body == b"" and head.headers["content-length"] == "7"


async def test_head_sends_the_get_headers_but_no_body() -> None:
    result = await run(PlainTextResponse("hello"), http_scope(method="HEAD"))
    assert result.body == b""
    assert result.headers["content-length"] == "5"  # RFC 9110 §9.3.2: as GET would
    assert result.headers["content-type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("status", [101, 204, 304])
async def test_no_body_statuses_send_no_body_and_no_length(status: int) -> None:
    response = Response(b"ignored", status_code=status)
    assert "content-length" not in response.headers
    result = await run(response, http_scope())
    assert (result.status, result.body) == (status, b"")


@pytest.mark.parametrize(("status", "expected"), [(100, True), (199, True), (200, False), (204, True), (205, False), (304, True), (404, False)])
def test_status_has_no_body(status: int, expected: bool) -> None:
    assert status_has_no_body(status) is expected


async def test_background_task_runs_after_the_last_body_message() -> None:
    log: list[str] = []

    async def task(tag: str) -> None:
        log.append(tag)

    response = Response(b"x", background=BackgroundTask(task, "bg"))

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        log.append(message["type"])

    await response(http_scope(), receive, send)
    assert log == ["http.response.start", "http.response.body", "bg"]


# --- cookies --------------------------------------------------------------------------


def test_set_cookie_appends_one_header_per_cookie() -> None:
    response = Response()
    response.set_cookie("session", "abc", max_age=60, httponly=True, secure=True, samesite="strict")
    response.set_cookie("theme", "dark", path=None, samesite=None, domain="example.com", partitioned=True)
    assert response.headers.getlist("set-cookie") == [
        "session=abc; HttpOnly; Max-Age=60; Path=/; SameSite=strict; Secure",
        "theme=dark; Domain=example.com; Partitioned",
    ]


def test_set_cookie_refuses_injection() -> None:
    response = Response()
    with pytest.raises(ValueError, match="invalid value for cookie 'a'"):
        response.set_cookie("a", "x; Domain=evil.com")
    with pytest.raises(ValueError, match="invalid cookie name"):
        response.set_cookie("a b", "x")
    assert "set-cookie" not in response.headers


def test_delete_cookie_expires_it_now() -> None:
    response = Response()
    before = time.time()
    response.delete_cookie("session", path="/app", domain="example.com", secure=True, httponly=True)
    (header,) = response.headers.getlist("set-cookie")
    attributes = {name: value for name, _, value in (part.partition("=") for part in header.split("; "))}
    assert attributes["session"] == '""'
    assert attributes["Max-Age"] == "0"
    assert abs(parsedate_to_datetime(attributes["expires"]).timestamp() - before) <= 2
    assert (attributes["Path"], attributes["Domain"], attributes["SameSite"]) == ("/app", "example.com", "lax")
    assert "Secure" in attributes and "HttpOnly" in attributes


# --- JSON ------------------------------------------------------------------------------


def test_json_is_compact_utf8_and_typed() -> None:
    response = JSONResponse({"name": "Zoë", "items": [1, 2.5, None, True]}, status_code=202)
    assert response.body == '{"name":"Zoë","items":[1,2.5,null,true]}'.encode()
    assert response.headers["content-type"] == "application/json"
    assert response.status_code == 202


@dataclasses.dataclass
class Point:
    x: float


@pytest.mark.parametrize(
    "content",
    [
        float("nan"),
        {"a": [1.0, float("inf")]},
        (float("-inf"),),
        # Regression: these were sent as invalid JSON (`[NaN]`, `{"x":NaN}`).
        {float("nan")},
        frozenset([float("inf")]),
        Point(float("nan")),
    ],
)
def test_json_refuses_nan_and_infinity_anywhere(content: object) -> None:
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        JSONResponse(content)


def test_json_strings_that_spell_nan_are_fine() -> None:
    content = {"NaN": "Infinity", "-Infinity": ["NaN"]}
    assert json.loads(JSONResponse(content).body) == content


# --- redirects ----------------------------------------------------------------------------


def test_redirect_defaults_to_307_with_an_empty_body() -> None:
    response = RedirectResponse("/next")
    assert response.status_code == 307
    assert response.body == b""
    assert response.headers["location"] == "/next"
    assert response.headers["content-length"] == "0"
    assert RedirectResponse("/x", status_code=303).status_code == 303


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("https://example.com/a?b=1&c=%20#frag", "https://example.com/a?b=1&c=%20#frag"),
        ("/a b/ü?q=ä", "/a%20b/%C3%BC?q=%C3%A4"),
        ("/x\r\nSet-Cookie: s=1", "/x%0D%0ASet-Cookie:%20s=1"),
        ("/[v6]!$'()*+,;~@", "/[v6]!$'()*+,;~@"),
    ],
)
def test_redirect_location_is_percent_encoded_but_keeps_url_syntax(url: str, location: str) -> None:
    assert RedirectResponse(url).headers["location"] == location


async def test_redirect_accepts_url_objects_headers_and_background() -> None:
    ran: list[bool] = []

    class Url:
        def __str__(self) -> str:
            return "/from-object"

    async def task() -> None:
        ran.append(True)

    response = RedirectResponse(Url(), status_code=302, headers={"x-a": "1"}, background=BackgroundTask(task))
    result = await run(response, http_scope())
    assert (result.status, result.headers["location"], result.headers["x-a"]) == (302, "/from-object", "1")
    assert ran == [True]
