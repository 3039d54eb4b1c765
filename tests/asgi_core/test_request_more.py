"""HTTPConnection and Request: the scope view, body/stream/json/form, limits, disconnects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio
import pytest
from _asgi import http_scope
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule.asgi_core.exceptions import ClientDisconnect, MalformedInputError, PayloadTooLargeError
from ferrule.asgi_core.forms import UploadFile
from ferrule.asgi_core.request import DEFAULT_MAX_BODY_SIZE, HTTPConnection, Request
from ferrule.asgi_core.state import Address
from ferrule.asgi_core.types import Message, Receive, Scope

pytestmark = pytest.mark.anyio


class Feed:
    """A receive channel that hands out ``chunks`` as body messages, then disconnects."""

    def __init__(self, chunks: Sequence[bytes] = (), *, disconnect_after: int | None = None) -> None:
        self.chunks = list(chunks) or [b""]  # an empty body is one empty message
        self.disconnect_after = disconnect_after
        self.calls = 0

    async def __call__(self) -> Message:
        self.calls += 1
        if self.disconnect_after is not None and self.calls > self.disconnect_after:
            return {"type": "http.disconnect"}
        if self.chunks:
            chunk = self.chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}
        return {"type": "http.disconnect"}


def post(headers: Sequence[tuple[str, str]] = (), **kwargs: Any) -> Scope:
    return http_scope(method="POST", headers=headers, **kwargs)


# --- the scope view ------------------------------------------------------------------


def test_only_http_and_websocket_scopes_are_accepted() -> None:
    with pytest.raises(ValueError, match="HTTPConnection needs an 'http' or 'websocket' scope, got 'lifespan'"):
        HTTPConnection({"type": "lifespan"})
    with pytest.raises(ValueError, match="Request needs an 'http' scope, got 'websocket'"):
        Request(http_scope(scope_type="websocket"))
    assert HTTPConnection(http_scope(scope_type="websocket")).url.path == "/"


def test_connection_is_a_read_only_mapping_over_the_scope_with_identity_equality() -> None:
    scope = http_scope("/p")
    request = Request(scope)
    assert request["path"] == "/p"
    assert len(request) == len(scope)
    assert set(request) == set(scope)
    other = Request(scope)
    assert request != other and request == request
    assert len({request, other}) == 2


def test_url_headers_query_and_path_params_are_lazy_and_cached() -> None:
    scope = http_scope("/items/3", headers=[("X-Token", "t")], query_string=b"a=1&a=2&b=")
    scope["path_params"] = {"id": 3}
    request = Request(scope)
    assert str(request.url) == "http://testserver/items/3?a=1&a=2&b="
    assert request.url is request.url
    assert request.headers["x-token"] == "t" and request.headers is request.headers
    assert request.query_params.getlist("a") == ["1", "2"] and request.query_params["b"] == ""
    assert request.query_params is request.query_params
    assert request.path_params == {"id": 3}
    assert Request(http_scope()).path_params == {}
    assert request.method == "GET"


@pytest.mark.parametrize(
    ("scope_extra", "base"),
    [
        ({}, "http://testserver/"),
        ({"root_path": "/api"}, "http://testserver/api/"),
        ({"root_path": "/api/"}, "http://testserver/api/"),
        ({"root_path": "/mounted", "app_root_path": "/app"}, "http://testserver/app/"),
    ],
)
def test_base_url_is_the_app_root_without_query(scope_extra: dict[str, str], base: str) -> None:
    scope = http_scope("/x", query_string=b"q=1")
    scope.update(scope_extra)
    request = Request(scope)
    assert str(request.base_url) == base
    assert request.base_url is request.base_url


def test_cookies_are_parsed_once_and_empty_without_a_header() -> None:
    request = Request(http_scope(headers=[("Cookie", "a=1; b=\"two\"")]))
    assert request.cookies == {"a": "1", "b": "two"}
    assert request.cookies is request.cookies
    assert Request(http_scope()).cookies == {}


def test_client_app_and_state() -> None:
    scope = http_scope()
    scope["app"] = app = object()
    request = Request(scope)
    assert request.client == Address("127.0.0.1", 12345)
    assert request.app is app
    scope_without_client = http_scope()
    scope_without_client["client"] = None
    assert Request(scope_without_client).client is None
    assert Request(http_scope()).app is None

    request.state.user = "ada"
    assert scope["state"] == {"user": "ada"}
    assert request.state is request.state
    lifespan_state = {"db": "pool"}
    scope2 = http_scope()
    scope2["state"] = lifespan_state
    assert Request(scope2).state.db == "pool"


def test_url_for_needs_a_router_and_joins_the_base_url() -> None:
    with pytest.raises(RuntimeError, match="url_for\\(\\) needs a router in the scope"):
        Request(http_scope()).url_for("home")

    class Router:
        def url_path_for(self, name: str, **params: Any) -> str:
            return f"/{name}/{params['id']}"

    scope = http_scope(root_path="/api")
    scope["router"] = Router()
    assert str(Request(scope).url_for("item", id=7)) == "http://testserver/api/item/7"


# --- body, stream, json, form -------------------------------------------------------------


async def test_without_a_receive_channel_reading_the_body_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="built without a 'receive' channel"):
        await Request(post()).body()


async def test_body_joins_the_chunks_and_is_cached() -> None:
    feed = Feed([b"ab", b"", b"cd"])
    request = Request(post(), feed)
    assert request.receive is feed
    assert await request.body() == b"abcd"
    calls = feed.calls
    assert await request.body() == b"abcd"
    assert feed.calls == calls
    # stream() after body() replays the cached body.
    assert [chunk async for chunk in request.stream()] == [b"abcd", b""]


async def test_stream_yields_non_empty_chunks_then_an_empty_end_and_consumes_the_body() -> None:
    request = Request(post(), Feed([b"a", b"", b"b"]))
    assert [chunk async for chunk in request.stream()] == [b"a", b"b", b""]
    with pytest.raises(RuntimeError, match="already consumed by stream"):
        await request.body()
    with pytest.raises(RuntimeError, match="already consumed by stream"):
        async for _ in request.stream():
            pass


@settings(max_examples=100, deadline=None)
@given(chunks=st.lists(st.binary(max_size=20), max_size=8))
def test_body_and_stream_agree_for_any_chunking(chunks: list[bytes]) -> None:
    async def check() -> None:
        body = await Request(post(), Feed(chunks)).body()
        streamed = [chunk async for chunk in Request(post(), Feed(chunks)).stream()]
        assert body == b"".join(chunks)
        assert streamed == [c for c in chunks if c] + [b""]

    anyio.run(check)


async def test_json_is_decoded_once_and_bad_json_is_400() -> None:
    feed = Feed([b'{"a": [1, ', b'"x"]}'])
    request = Request(post(), feed)
    first = await request.json()
    assert first == {"a": [1, "x"]}
    assert await request.json() is first
    for bad in (b"{", b"", b"\xff"):
        with pytest.raises(MalformedInputError, match="invalid JSON body") as info:
            await Request(post(), Feed([bad])).json()
        assert info.value.status_code == 400


async def test_form_parses_urlencoded_once() -> None:
    scope = post([("Content-Type", "application/x-www-form-urlencoded")])
    request = Request(scope, Feed([b"a=1&b=x+y", b"&a=2"]))
    form = await request.form()
    assert form.getlist("a") == ["1", "2"] and form["b"] == "x y"
    assert await request.form() is form
    await request.close()  # no files: nothing to do, must not fail


async def test_form_files_are_closed_by_request_close() -> None:
    body = (
        b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n"
        b"Content-Type: text/plain\r\n\r\nfile body\r\n--B--\r\n"
    )
    request = Request(post([("Content-Type", "multipart/form-data; boundary=B")]), Feed([body]))
    upload = (await request.form())["f"]
    assert isinstance(upload, UploadFile)
    assert (upload.filename, await upload.read()) == ("a.txt", b"file body")
    await request.close()
    assert upload.file.closed


async def test_form_without_content_type_is_empty() -> None:
    assert len(await Request(post(), Feed([b"a=1"])).form()) == 0
    await Request(post()).close()  # no form parsed: nothing to close


@pytest.mark.parametrize("read_first", [False, True], ids=["unread", "after-body"])
async def test_raw_content_type_is_the_first_value_as_sent(read_first: bool) -> None:
    request = Request(
        post([("Content-Type", "application/json; charset=UTF-8"), ("Content-Type", "text/plain")]), Feed([b"{}"])
    )
    if read_first:
        await request.body()
    assert request.raw_content_type == b"application/json; charset=UTF-8"
    assert request.raw_content_type == request.headers.get_raw(b"content-type")


@pytest.mark.parametrize("read_first", [False, True], ids=["unread", "after-body"])
async def test_raw_content_type_is_empty_when_absent(read_first: bool) -> None:
    request = Request(post([("Content-Length", "2")]), Feed([b"{}"]))
    if read_first:
        assert await request.body() == b"{}"
    assert request.raw_content_type == b""


# --- limits ---------------------------------------------------------------------------------


async def test_declared_length_over_the_limit_is_413_before_reading() -> None:
    feed = Feed([b"x" * 11])
    request = Request(post([("Content-Length", "11")]), feed, max_body_size=10)
    with pytest.raises(PayloadTooLargeError, match="request body of 11 bytes is over the limit of 10 bytes") as info:
        await request.body()
    assert info.value.status_code == 413
    assert feed.calls == 0


async def test_a_huge_declared_length_is_413_not_a_crash() -> None:
    request = Request(post([("Content-Length", "9" * 5000)]), Feed())
    with pytest.raises(PayloadTooLargeError, match="over the limit of 16777216 bytes"):
        await request.body()
    assert DEFAULT_MAX_BODY_SIZE == 16 * 1024 * 1024


async def test_leading_zeros_in_the_declared_length_are_fine() -> None:
    request = Request(post([("Content-Length", "0003")]), Feed([b"abc"]), max_body_size=3)
    assert await request.body() == b"abc"


@pytest.mark.parametrize(
    "values", [["abc"], ["-1"], ["1.5"], [""], ["3", "4"]], ids=["alpha", "negative", "float", "empty", "conflicting"]
)
async def test_malformed_declared_length_is_400(values: list[str]) -> None:
    request = Request(post([("Content-Length", v) for v in values]), Feed([b"abc"]))
    with pytest.raises(MalformedInputError, match="invalid content-length header") as info:
        await request.body()
    assert info.value.status_code == 400


async def test_malformed_declared_length_is_400_even_without_a_limit() -> None:
    request = Request(post([("Content-Length", "x")]), Feed([b"abc"]), max_body_size=None)
    with pytest.raises(MalformedInputError):
        await request.body()


async def test_undeclared_body_growing_past_the_limit_is_413_at_that_chunk() -> None:
    feed = Feed([b"12345", b"67890", b"1", b"never read"])
    request = Request(post(), feed, max_body_size=10)
    seen: list[bytes] = []
    with pytest.raises(PayloadTooLargeError, match="request body is over the limit of 10 bytes"):
        async for chunk in request.stream():
            seen.append(chunk)
    assert seen == [b"12345", b"67890"]
    assert feed.calls == 3


async def test_no_limit_when_max_body_size_is_none() -> None:
    big = [b"x" * 1000] * 20
    assert len(await Request(post(), Feed(big), max_body_size=None).body()) == 20_000


# --- disconnects -----------------------------------------------------------------------------


async def test_disconnect_while_reading_raises_client_disconnect() -> None:
    request = Request(post(), Feed([b"a", b"b", b"c"], disconnect_after=1))
    with pytest.raises(ClientDisconnect):
        await request.body()
    assert await request.is_disconnected() is True


async def test_is_disconnected_never_waits() -> None:
    send_stream, receive_stream = anyio.create_memory_object_stream[Message](1)
    async with send_stream, receive_stream:
        request = Request(post(), receive_stream.receive)
        with anyio.fail_after(1):
            assert await request.is_disconnected() is False  # nothing there: no wait
        await send_stream.send({"type": "http.request", "body": b"kept", "more_body": False})
        assert await request.is_disconnected() is False
        assert await request.body() == b"kept"


async def test_a_body_message_read_by_is_disconnected_is_kept_for_the_reader() -> None:
    feed = Feed([b"first ", b"second"])
    request = Request(post(), feed)
    assert await request.is_disconnected() is False
    assert feed.calls == 1  # it did take the first body message
    assert await request.body() == b"first second"
    assert feed.calls == 2


async def test_is_disconnected_between_stream_chunks_loses_nothing() -> None:
    # Regression: a body message read by is_disconnected() while stream() was
    # in progress was dropped (the chunk never reached the reader).
    request = Request(post(), Feed([b"a", b"b", b"c"]))
    seen: list[bytes] = []
    states: list[bool] = []
    async for chunk in request.stream():
        seen.append(chunk)
        states.append(await request.is_disconnected())
    assert seen == [b"a", b"b", b"c", b""]
    # After "c" (the last chunk) the feed reports the client gone.
    assert states == [False, False, True, True]


async def test_is_disconnected_is_sticky_once_the_client_left() -> None:
    feed = Feed([], disconnect_after=0)
    request = Request(post(), feed)
    assert await request.is_disconnected() is True
    calls = feed.calls
    assert await request.is_disconnected() is True
    assert feed.calls == calls
    with pytest.raises(ClientDisconnect):
        await request.body()


async def test_receive_property_is_the_channel_given() -> None:
    async def receive() -> Message:
        return {"type": "http.disconnect"}

    channel: Receive = receive
    assert Request(post(), channel).receive is channel
