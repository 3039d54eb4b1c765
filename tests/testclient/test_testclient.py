"""Tests for ferrule.testclient, against small raw ASGI apps."""

from __future__ import annotations

import email
import email.policy
import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule.asgi_core.cookies import build_set_cookie
from ferrule.asgi_core.headers import HeaderValueError
from ferrule.testclient import (
    ASGIProtocolError,
    AsyncTestClient,
    ClientDisconnectedError,
    ClientResponse,
    Cookies,
    HTTPStatusError,
    LifespanError,
    ResponseHeaders,
    ResponseNotRead,
    StreamConsumed,
    TestClient,
    TooManyRedirects,
)
from ferrule.testclient.request import encode_multipart
from ferrule.asgi_core.types import ASGIApp, Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio


# --- small raw ASGI apps --------------------------------------------------------


async def read_messages(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


async def respond(
    send: Send,
    body: bytes = b"",
    status: int = 200,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers or []})
    await send({"type": "http.response.body", "body": body})


async def lifespan_noop(scope: Scope, receive: Receive, send: Send) -> bool:
    """Answer the lifespan protocol; True when ``scope`` was a lifespan scope."""
    if scope["type"] != "lifespan":
        return False
    while True:
        message = await receive()
        await send({"type": message["type"] + ".complete"})
        if message["type"] == "lifespan.shutdown":
            return True


def echo_app(record: list[Scope] | None = None) -> ASGIApp:
    """Answers JSON describing the request it got."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if await lifespan_noop(scope, receive, send):
            return
        messages = await read_messages(receive)
        if record is not None:
            record.append(scope)
        body = b"".join(m.get("body", b"") for m in messages)
        payload = {
            "method": scope["method"],
            "path": scope["path"],
            "raw_path": scope["raw_path"].decode("latin-1"),
            "query": scope["query_string"].decode("latin-1"),
            "root_path": scope["root_path"],
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
            "body": body.decode("latin-1"),
            "chunks": [[m.get("body", b"").decode("latin-1"), m.get("more_body", False)] for m in messages],
        }
        await respond(send, json.dumps(payload).encode(), headers=[(b"content-type", b"application/json")])

    return app


def header(payload: dict[str, Any], name: str) -> list[str]:
    return [v for k, v in payload["headers"] if k == name]


# --- the scope ------------------------------------------------------------------


def test_scope_is_what_a_server_sends() -> None:
    record: list[Scope] = []
    client = TestClient(echo_app(record))
    response = client.post("/caf%C3%A9/a%2Fb", params={"q": "x y"}, content=b"hello")
    assert response.status_code == 200
    (scope,) = record
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "POST"
    assert scope["scheme"] == "http"
    assert scope["path"] == "/café/a/b"
    assert scope["raw_path"] == b"/caf%C3%A9/a%2Fb"
    assert scope["query_string"] == b"q=x+y"
    assert scope["root_path"] == ""
    assert scope["client"] == ("testclient", 50000)
    assert scope["server"] == ("testserver", 80)
    assert scope["state"] == {}
    assert scope["extensions"] == {}
    headers = scope["headers"]
    assert all(k == k.lower() and isinstance(k, bytes) and isinstance(v, bytes) for k, v in headers)
    assert headers[0] == (b"host", b"testserver")
    assert (b"user-agent", b"testclient") in headers
    assert (b"content-length", b"5") in headers


def test_no_content_length_without_body_and_host_with_port() -> None:
    record: list[Scope] = []
    TestClient(echo_app(record), base_url="https://example.com:8443").get("/")
    headers = dict(record[0]["headers"])
    assert b"content-length" not in headers
    assert headers[b"host"] == b"example.com:8443"
    assert record[0]["scheme"] == "https"
    assert record[0]["server"] == ("example.com", 8443)


def test_urls_base_path_absolute_and_query_merging() -> None:
    client = TestClient(echo_app(), base_url="http://testserver/api/")
    assert client.get("/items").json()["path"] == "/api/items"
    assert client.get("items").json()["path"] == "/api/items"
    absolute = client.get("http://other.org/x?a=1&b=2", params={"a": "9", "c": True})
    assert absolute.json()["path"] == "/x"
    assert absolute.json()["query"] == "b=2&a=9&c=true"
    assert header(absolute.json(), "host") == ["other.org"]
    listed = client.get("/q", params=[("k", 1), ("k", None), ("f", 1.5)])
    assert listed.json()["query"] == "k=1&k=&f=1.5"
    assert client.get("/q?sp ace=é").json()["query"] == "sp%20ace=%C3%A9"
    assert client.get("/q", params="a=1&a=2").json()["query"] == "a=1&a=2"
    assert absolute.url == "http://other.org/x?b=2&a=9&c=true"


def test_root_path_is_part_of_path_as_servers_send_it() -> None:
    record: list[Scope] = []
    client = TestClient(echo_app(record), root_path="/api/v1")
    client.get("/app")
    client.get("/api/v1/app")  # already prefixed: not prefixed twice
    for scope in record:
        assert scope["root_path"] == "/api/v1"
        assert scope["path"] == "/api/v1/app"
        assert scope["raw_path"] == b"/api/v1/app"


@pytest.mark.parametrize("verb", ["get", "options", "head", "post", "put", "patch", "delete"])
def test_verb_methods(verb: str) -> None:
    record: list[Scope] = []
    client = TestClient(echo_app(record))
    response = getattr(client, verb)("/v")
    assert record[0]["method"] == verb.upper()
    assert response.request.method == verb.upper()
    if verb == "head":
        assert response.content == b""  # a server sends no body for HEAD
        assert response.headers["content-type"] == "application/json"
    else:
        assert response.json()["method"] == verb.upper()


def test_unknown_keyword_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'jsn'"):
        TestClient(echo_app()).post("/", jsn={})  # type: ignore[call-arg]


# --- headers ------------------------------------------------------------------


def test_header_layers_override_case_insensitively() -> None:
    client = TestClient(echo_app(), headers={"X-Client": "c", "User-Agent": "mine", "X-Both": "client"})
    client.headers["Authorization"] = "Bearer t"
    payload = client.get("/", headers={"x-both": "request", "Accept": "text/html"}).json()
    assert header(payload, "x-client") == ["c"]
    assert header(payload, "user-agent") == ["mine"]
    assert header(payload, "x-both") == ["request"]
    assert header(payload, "accept") == ["text/html"]
    assert header(payload, "authorization") == ["Bearer t"]
    repeated = client.get("/", headers=[("x-r", "1"), ("x-r", "2")]).json()
    assert header(repeated, "x-r") == ["1", "2"]


def test_basic_auth() -> None:
    payload = TestClient(echo_app()).get("/", auth=("user", "pass")).json()
    assert header(payload, "authorization") == ["Basic dXNlcjpwYXNz"]


@pytest.mark.parametrize("value", ["a\r\nx-injected: 1", "a\nb", "a\x00"])
def test_request_header_injection_is_refused(value: str) -> None:
    with pytest.raises(HeaderValueError, match="CR, LF and NUL are not allowed"):
        TestClient(echo_app()).get("/", headers={"x-test": value})


# --- request bodies -------------------------------------------------------------


def test_json_data_and_content_bodies() -> None:
    client = TestClient(echo_app())
    as_json = client.post("/", json={"a": [1, "é"]}).json()
    assert as_json["body"] == '{"a":[1,"é"]}'.encode().decode("latin-1")
    assert header(as_json, "content-type") == ["application/json"]
    form = client.post("/", data={"a": "1 2", "b": ["x", "y"], "c": True}).json()
    assert form["body"] == "a=1+2&b=x&b=y&c=true"
    assert header(form, "content-type") == ["application/x-www-form-urlencoded"]
    text = client.put("/", content="héllo").json()
    assert text["body"] == "héllo".encode().decode("latin-1")
    assert header(text, "content-length") == [str(len("héllo".encode()))]
    raw = client.patch("/", content=b"\x00\xff", headers={"content-type": "application/octet-stream"}).json()
    assert raw["body"] == "\x00\xff"
    assert header(raw, "content-type") == ["application/octet-stream"]
    with pytest.raises(TypeError, match="only one of"):
        client.post("/", json={}, content=b"x")


def test_body_is_delivered_in_64k_chunks_with_more_body() -> None:
    body = bytes(range(256)) * 600  # 153600 bytes
    payload = TestClient(echo_app()).post("/", content=body).json()
    sizes = [(len(chunk.encode("latin-1")), more) for chunk, more in payload["chunks"]]
    assert sizes == [(65536, True), (65536, True), (22528, False)]
    assert payload["body"].encode("latin-1") == body


def test_iterable_content_is_sent_chunked_one_message_per_item() -> None:
    payload = TestClient(echo_app()).post("/", content=iter([b"ab", b"", b"cd"])).json()
    assert payload["chunks"] == [["ab", True], ["", True], ["cd", False]]
    assert header(payload, "transfer-encoding") == ["chunked"]
    assert header(payload, "content-length") == []


def test_empty_body_is_one_message() -> None:
    assert TestClient(echo_app()).get("/").json()["chunks"] == [["", False]]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=6))
def test_chunked_bodies_arrive_in_order(chunks: list[bytes]) -> None:
    payload = TestClient(echo_app()).post("/", content=iter(chunks)).json()
    expected = [[c.decode("latin-1"), i + 1 < len(chunks)] for i, c in enumerate(chunks)] or [["", False]]
    assert payload["chunks"] == expected


def _parse_multipart(body: bytes, content_type: str) -> list[tuple[str | None, str | None, str, bytes]]:
    message = email.message_from_bytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body, policy=email.policy.HTTP
    )
    assert message.is_multipart()
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        name = part.get_param("name", header="content-disposition")
        assert isinstance(payload, bytes) and (name is None or isinstance(name, str))
        has_type = "content-type" in part
        parts.append((name, part.get_filename(), part.get_content_type() if has_type else "", payload))
    return parts


def test_files_idioms_build_multipart() -> None:
    client = TestClient(echo_app())
    payload = client.post(
        "/upload",
        data={"field": "välue", "many": ["1", "2"]},
        files=[
            ("f", ("name.txt", b"text body", "text/plain")),
            ("g", ("photo.png", io.BytesIO(b"\x89PNG\x00\xff"))),
            ("h", b"raw bytes"),
            ("i", ("data.bin", b"x", "application/x-custom", {"X-Extra": "1"})),
        ],
    ).json()
    (content_type,) = header(payload, "content-type")
    assert re.fullmatch(r"multipart/form-data; boundary=[0-9a-f]{32}", content_type)
    parts = _parse_multipart(payload["body"].encode("latin-1"), content_type)
    assert parts == [
        ("field", None, "", "välue".encode()),
        ("many", None, "", b"1"),
        ("many", None, "", b"2"),
        ("f", "name.txt", "text/plain", b"text body"),
        ("g", "photo.png", "image/png", b"\x89PNG\x00\xff"),
        ("h", "upload", "application/octet-stream", b"raw bytes"),
        ("i", "data.bin", "application/x-custom", b"x"),
    ]
    assert "X-Extra: 1\r\n" in payload["body"]


def test_files_as_mapping_and_file_object_name() -> None:
    upload = io.BytesIO(b"content")
    upload.name = "/tmp/dir/report.csv"
    payload = TestClient(echo_app()).post("/", files={"doc": upload}).json()
    (content_type,) = header(payload, "content-type")
    parts = _parse_multipart(payload["body"].encode("latin-1"), content_type)
    assert parts == [("doc", "report.csv", "text/csv", b"content")]


def test_multipart_escapes_quotes_and_newlines_in_names() -> None:
    body, _ = encode_multipart({'a"b\r\nc': "v"}, {"f": ('x"y.txt', b"1")}, boundary="B")
    assert b'name="a%22b%0D%0Ac"' in body
    assert b'filename="x%22y.txt"' in body


_field = st.text(st.characters(codec="utf-8", exclude_characters='"\r\n\\%'), min_size=1, max_size=10)


@settings(max_examples=50)
@given(st.dictionaries(_field, st.text(st.characters(codec="utf-8"), max_size=20), max_size=4), st.binary(max_size=50))
def test_multipart_matches_stdlib_email_parser(fields: dict[str, str], content: bytes) -> None:
    body, content_type = encode_multipart(fields, {"file": ("f.bin", content, "application/octet-stream")})
    parts = _parse_multipart(body, content_type)
    expected = [(k, None, "", v.encode()) for k, v in fields.items()]
    assert parts == [*expected, ("file", "f.bin", "application/octet-stream", content)]


# --- the response ---------------------------------------------------------------


def test_response_api() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_messages(receive)
        await respond(
            send,
            "{\"ok\": \"é\"}".encode("latin-1"),
            status=201,
            headers=[(b"Content-Type", b"application/json; charset=latin-1"), (b"X-A", b"1"), (b"x-a", b"2")],
        )

    response = TestClient(app).post("/make", json={})
    assert response.status_code == 201
    assert response.reason_phrase == "Created"
    assert response.headers["content-type"] == "application/json; charset=latin-1"
    assert response.headers.getlist("X-A") == ["1", "2"]
    assert response.headers.get_list("x-a") == ["1", "2"]  # httpx's spelling
    assert response.headers.multi_items()[1:] == [("x-a", "1"), ("x-a", "2")]
    assert ResponseHeaders(raw=[(b"a", b"x, y"), (b"a", b"z")]).get_list("a", split_commas=True) == ["x", "y", "z"]
    assert response.encoding == "iso8859-1"
    assert response.text == '{"ok": "é"}'
    assert response.json() == {"ok": "é"}
    assert response.url == "http://testserver/make"
    assert response.request.method == "POST"
    assert response.request.headers["content-type"] == "application/json"
    assert response.request.content == b"{}"
    assert response.is_success and not response.is_error and not response.is_redirect
    assert response.raise_for_status() is response
    assert response.history == []
    assert response.http_version == "HTTP/1.1"
    assert repr(response) == "<ClientResponse [201 Created]>"


@pytest.mark.parametrize(("status", "kind"), [(404, "Client error"), (503, "Server error")])
def test_raise_for_status(status: int, kind: str) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await respond(send, status=status)

    response = TestClient(app).get("/x")
    assert response.is_error
    with pytest.raises(HTTPStatusError, match=f"{kind} '{status} ") as info:
        response.raise_for_status()
    assert info.value.response is response
    assert info.value.request is response.request


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send it
        ("identity", lambda data: data),
    ],
)
def test_content_encoding_is_decoded(coding: str, compress: Callable[[bytes], bytes]) -> None:
    text = ("line é\n" * 500).encode()
    encoded = compress(text)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-encoding", coding.encode())]})
        for i in range(0, len(encoded), 100):
            await send({"type": "http.response.body", "body": encoded[i : i + 100], "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    client = TestClient(app)
    assert client.get("/").content == text
    with client.stream("GET", "/") as response:
        assert b"".join(response.iter_raw()) == encoded
    with client.stream("GET", "/") as response:
        assert list(response.iter_lines()) == ["line é"] * 500


# --- cookies -----------------------------------------------------------------------


def cookie_app(scope: Scope, receive: Receive, send: Send) -> Any:
    async def app() -> None:
        if await lifespan_noop(scope, receive, send):
            return
        await read_messages(receive)
        set_cookies = {
            "/login": [build_set_cookie("session", "abc def"), build_set_cookie("scoped", "1", path="/admin")],
            "/logout": [build_set_cookie("session", max_age=0, expires=0)],
            "/old": ["session=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT"],
            "/secure": [build_set_cookie("s", "1", secure=True)],
            "/foreign": ["f=1; Domain=other.org"],
            "/sub": ["d=1; Domain=testserver"],
        }.get(scope["path"], [])
        cookie = dict(scope["headers"]).get(b"cookie", b"").decode("latin-1")
        headers = [(b"set-cookie", value.encode("latin-1")) for value in set_cookies]
        await respond(send, cookie.encode("latin-1"), headers=headers)

    return app()


def test_cookie_jar_persists_and_scopes_by_path() -> None:
    client = TestClient(cookie_app)
    login = client.get("/login")
    assert login.cookies["session"] == "abc def"
    assert dict(client.cookies) == {"session": "abc def", "scoped": "1"}
    assert client.get("/").text == 'session="abc\\040def"'  # sent back exactly as set
    assert client.get("/admin/users").text == 'scoped=1; session="abc\\040def"'  # longer path first
    assert client.get("/administrator").text == 'session="abc\\040def"'
    assert client.get("/logout").cookies.get("session") is None
    assert "session" not in client.cookies
    assert client.get("/").text == ""


def test_expired_cookie_deletes_and_secure_and_domain_rules() -> None:
    client = TestClient(cookie_app, cookies={"init": "1"})
    assert client.get("/").text == "init=1"
    client.cookies.clear()
    client.get("/login")
    client.get("/old")
    assert "session" not in client.cookies
    client.get("/secure")
    assert client.cookies["s"] == "1"
    assert client.get("/").text == ""  # Secure is not sent over http
    assert client.get("https://testserver/").text == "s=1"
    client.get("/foreign")
    assert "f" not in client.cookies  # Domain=other.org cannot be set by testserver
    client.get("/sub")
    assert client.get("/").text == "d=1"


def test_per_request_and_assigned_cookies() -> None:
    client = TestClient(cookie_app)
    client.get("/login")
    assert client.get("/", cookies={"session": "override", "extra": "1"}).text == "session=override; extra=1"
    assert client.get("/").text == 'session="abc\\040def"'  # the jar is unchanged
    client.cookies = {"a": "b"}
    assert isinstance(client.cookies, Cookies)
    assert client.get("/").text == "a=b"
    client.cookies.set("c", "d", path="/only")
    client.cookies["e"] = "f"
    assert client.get("/only/x").text == "c=d; a=b; e=f"
    del client.cookies["a"]
    client.cookies.clear(path="/only")
    assert client.get("/only/x").text == "e=f"
    assert client.get("/", headers={"Cookie": "explicit=1"}).text == "explicit=1"


# --- redirects -----------------------------------------------------------------------


def redirect_app(record: list[tuple[str, str, bytes]]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        messages = await read_messages(receive)
        body = b"".join(m.get("body", b"") for m in messages)
        record.append((scope["method"], scope["path"], body))
        headers = dict(scope["headers"])
        path = scope["path"]
        if match := re.fullmatch(r"/r/(\d+)", path):
            target = b"/final" + (b"?" + scope["query_string"] if scope["query_string"] else b"")
            await respond(send, b"moved", status=int(match[1]), headers=[(b"location", target), (b"set-cookie", b"hop=1; Path=/")])
        elif match := re.fullmatch(r"/loop/(\d+)", path):
            await respond(send, status=302, headers=[(b"location", f"/loop/{int(match[1]) + 1}".encode())])
        elif path == "/away":
            await respond(send, status=302, headers=[(b"location", b"http://elsewhere.org/final")])
        else:
            echo = {
                "auth": headers.get(b"authorization", b"").decode(),
                "cookie": headers.get(b"cookie", b"").decode(),
                "type": headers.get(b"content-type", b"").decode(),
                "host": headers.get(b"host", b"").decode(),
            }
            await respond(send, json.dumps(echo).encode())

    return app


@pytest.mark.parametrize(
    ("status", "method", "final_method", "keeps_body"),
    [
        (301, "POST", "GET", False),
        (301, "PUT", "PUT", True),
        (302, "POST", "GET", False),
        (303, "PUT", "GET", False),
        (303, "HEAD", "HEAD", True),
        (307, "POST", "POST", True),
        (308, "PATCH", "PATCH", True),
    ],
)
def test_redirects_follow_httpx_rules(status: int, method: str, final_method: str, keeps_body: bool) -> None:
    record: list[tuple[str, str, bytes]] = []
    client = TestClient(redirect_app(record))
    response = client.request(method, f"/r/{status}", json={"x": 1})
    body = b'{"x":1}'
    assert record[0] == (method, f"/r/{status}", body)
    assert record[1] == (final_method, "/final", body if keeps_body else b"")
    assert response.status_code == 200
    assert response.url == "http://testserver/final"
    assert [r.status_code for r in response.history] == [status]
    assert response.history[0].text == ("moved" if method != "HEAD" else "")
    if method != "HEAD":
        assert response.json()["type"] == ("application/json" if keeps_body else "")
        assert response.json()["cookie"] == "hop=1"  # set by the redirect, sent on the next hop


def test_redirect_not_followed_when_disabled() -> None:
    record: list[tuple[str, str, bytes]] = []
    client = TestClient(redirect_app(record), follow_redirects=False)
    response = client.get("/r/302")
    assert response.status_code == 302
    assert response.is_redirect
    assert response.headers["location"] == "/final"
    assert len(record) == 1
    assert client.get("/r/302", follow_redirects=True).status_code == 200


def test_too_many_redirects() -> None:
    record: list[tuple[str, str, bytes]] = []
    with pytest.raises(TooManyRedirects, match="more than 20 redirects"):
        TestClient(redirect_app(record)).get("/loop/0")
    assert len(record) == 21


def test_cross_origin_redirect_drops_authorization() -> None:
    record: list[tuple[str, str, bytes]] = []
    response = TestClient(redirect_app(record)).get("/away", headers={"Authorization": "secret"})
    assert response.json() == {"auth": "", "cookie": "", "type": "", "host": "elsewhere.org"}
    same_origin = TestClient(redirect_app(record)).get("/r/302", headers={"Authorization": "secret"})
    assert same_origin.json()["auth"] == "secret"


# --- exceptions and protocol errors -------------------------------------------------------


class Boom(Exception):
    pass


def failing_app(when: str) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if when == "after-start":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        if when == "after-body":
            await respond(send, b"done")
        raise Boom("kaboom")

    return app


@pytest.mark.parametrize("when", ["before-start", "after-start", "after-body"])
def test_app_exception_propagates_unwrapped(when: str) -> None:
    with pytest.raises(Boom, match="kaboom"):
        TestClient(failing_app(when)).get("/")


def test_app_exception_becomes_500_when_not_raised() -> None:
    response = TestClient(failing_app("before-start"), raise_server_exceptions=False).get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    partial = TestClient(failing_app("after-start"), raise_server_exceptions=False).get("/")
    assert (partial.status_code, partial.content) == (200, b"partial")


def test_app_without_response() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    with pytest.raises(ASGIProtocolError, match="without starting a response"):
        TestClient(app).get("/")
    assert TestClient(app, raise_server_exceptions=False).get("/").status_code == 500


def test_app_returning_mid_body() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x", "more_body": True})

    with pytest.raises(ASGIProtocolError, match="before the response body was complete"):
        TestClient(app).get("/")


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        ([{"type": "http.response.body", "body": b"x"}], "expected 'http.response.start' first"),
        (
            [{"type": "http.response.start", "status": 200}, {"type": "http.response.start", "status": 200}],
            "expected 'http.response.body', got 'http.response.start'",
        ),
        (
            [{"type": "http.response.start", "status": 200}, {"type": "http.response.body"}, {"type": "http.response.body"}],
            "sent after the response was complete",
        ),
        ([{"type": "http.response.start", "status": "200"}], "status must be an int"),
        ([{"type": "http.response.start", "status": 200, "headers": [("a", "b")]}], r"\(bytes, bytes\) pairs"),
        ([{"type": "http.response.start", "status": 200}, {"type": "http.response.body", "body": "text"}], "must be bytes"),
    ],
)
@pytest.mark.parametrize("raise_server_exceptions", [True, False])
def test_protocol_violations_always_raise(messages: list[Message], error: str, raise_server_exceptions: bool) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in messages:
            try:
                await send(message)
            except ASGIProtocolError:
                pass  # even an app that swallows the error does not hide it
        if messages[-1]["type"] == "http.response.start":
            await send({"type": "http.response.body", "body": b""})

    with pytest.raises(ASGIProtocolError, match=error):
        TestClient(app, raise_server_exceptions=raise_server_exceptions).get("/")


def test_receive_after_response_returns_disconnect_and_background_work_is_awaited() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_messages(receive)
        await respond(send, b"ok")
        seen.append((await receive())["type"])
        seen.append((await receive())["type"])
        await anyio.sleep(0)
        seen.append("background done")

    assert TestClient(app).get("/").text == "ok"
    assert seen == ["http.disconnect", "http.disconnect", "background done"]


def test_head_body_is_dropped_like_a_server() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await respond(send, b"body", headers=[(b"content-length", b"4")])

    response = TestClient(app).head("/")
    assert response.content == b""
    assert response.headers["content-length"] == "4"


# --- lifespan ---------------------------------------------------------------------


def lifespan_app(events: list[str], fail: str | None = None) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                phase = message["type"].split(".")[1]
                events.append(phase)
                if phase == fail:
                    await send({"type": f"lifespan.{phase}.failed", "message": f"{phase} went wrong"})
                    return
                if phase == "startup":
                    scope["state"]["db"] = "connected"
                    scope["state"]["shared"] = []
                await send({"type": f"lifespan.{phase}.complete"})
                if phase == "shutdown":
                    return
        await read_messages(receive)
        state = scope["state"]
        events.append(f"request {state.get('db')}")
        state["db"] = "changed-by-request"  # a shallow copy: the next request does not see it
        state.get("shared", []).append(1)  # ...but mutable values are shared
        await respond(send, json.dumps(state).encode())

    return app


def test_lifespan_runs_around_with_block_and_state_is_copied() -> None:
    events: list[str] = []
    with TestClient(lifespan_app(events)) as client:
        assert events == ["startup"]
        assert client.get("/").json() == {"db": "changed-by-request", "shared": [1]}
        assert client.get("/").json() == {"db": "changed-by-request", "shared": [1, 1]}
        assert client.app_state["db"] == "connected"
    assert events == ["startup", "request connected", "request connected", "shutdown"]
    TestClient(lifespan_app(events)).get("/")  # no lifespan outside of `with`
    assert events[-1] == "request None"


@pytest.mark.parametrize("phase", ["startup", "shutdown"])
def test_lifespan_failure_raises_with_the_apps_message(phase: str) -> None:
    events: list[str] = []
    with pytest.raises(LifespanError, match=f"lifespan {phase} failed: {phase} went wrong"):
        with TestClient(lifespan_app(events, fail=phase)):
            pass
    assert events == (["startup"] if phase == "startup" else ["startup", "shutdown"])


def test_app_without_lifespan_support_and_app_raising_in_lifespan() -> None:
    async def http_only(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await respond(send, b"ok")

    with TestClient(http_only) as client:
        assert client.get("/").text == "ok"

    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise Boom("no lifespan here")

    with pytest.raises(Boom, match="no lifespan here"):
        with TestClient(broken):
            pass


# --- streaming ----------------------------------------------------------------------


def test_stream_early_close_sends_http_disconnect() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_messages(receive)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        seen.append((await receive())["type"])  # blocks until the client goes away
        try:
            await send({"type": "http.response.body", "body": b"late", "more_body": True})
        except OSError as exc:
            seen.append(type(exc).__name__)

    client = TestClient(app)
    with client.stream("GET", "/") as response:
        assert response.status_code == 200
        assert next(response.iter_bytes()) == b"first"
        assert seen == []  # the app is still running, waiting for the client
    assert seen == ["http.disconnect", "ClientDisconnectedError"]


def test_stream_endless_body_stops_when_the_client_leaves() -> None:
    seen: list[BaseException] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if await lifespan_noop(scope, receive, send):
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            while True:
                await send({"type": "http.response.body", "body": b"tick\n", "more_body": True})
        except ClientDisconnectedError as exc:
            seen.append(exc)
            raise  # a server swallows this one

    with TestClient(app) as client, client.stream("GET", "/") as response:
        lines = response.iter_lines()
        assert [next(lines) for _ in range(3)] == ["tick"] * 3
    assert len(seen) == 1 and isinstance(seen[0], OSError)


def chunks_app(chunks: list[bytes], content_type: bytes = b"text/plain; charset=utf-8") -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", content_type)]})
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return app


def test_stream_readers() -> None:
    client = TestClient(chunks_app([b"a\r", b"\nb\n\xc3", b"\xa9\rc"]))
    with client.stream("GET", "/") as response:
        with pytest.raises(ResponseNotRead):
            response.content  # noqa: B018
        assert list(response.iter_lines()) == ["a", "b", "é", "c"]
        with pytest.raises(StreamConsumed):
            list(response.iter_bytes())
    with client.stream("GET", "/") as response:
        assert list(response.iter_text()) == ["a\r", "\nb\n", "é\rc"]
    with client.stream("GET", "/") as response:
        assert list(response.iter_bytes(chunk_size=4)) == [b"a\r\nb", b"\n\xc3\xa9\r", b"c"]
    with client.stream("GET", "/") as response:
        assert response.read() == b"a\r\nb\n\xc3\xa9\rc"
        assert response.text == "a\r\nb\né\rc"
        assert list(response.iter_bytes()) == [b"a\r\nb\n\xc3\xa9\rc"]  # from memory after read()


def test_stream_caller_exception_is_not_wrapped_and_app_sees_disconnect() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            await send({"type": "http.response.body", "body": b"x", "more_body": True})
        except ClientDisconnectedError:
            seen.append("send failed")  # nobody read the chunk
        seen.append((await receive())["type"])

    with pytest.raises(KeyError, match="from the test"):
        with TestClient(app).stream("GET", "/"):
            raise KeyError("from the test")
    assert seen == ["send failed", "http.disconnect"]


_line_chunks = st.lists(st.binary(max_size=8).map(lambda b: b.replace(b"\r", b"\r\r")), max_size=8)


@pytest.fixture(scope="module")
def chunk_client() -> Iterator[tuple[TestClient, list[list[bytes]]]]:
    """One client (one portal) for the property tests; ``holder[0]`` is what the app sends."""
    holder: list[list[bytes]] = [[]]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if await lifespan_noop(scope, receive, send):
            return
        await chunks_app(holder[0])(scope, receive, send)

    with TestClient(app) as client:
        yield client, holder


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(st.sampled_from("ab\r\né"), max_size=10), max_size=5), st.data())
def test_iter_lines_matches_whole_body_split(
    chunk_client: tuple[TestClient, list[list[bytes]]], texts: list[str], data: st.DataObject
) -> None:
    client, holder = chunk_client
    body = "".join(texts).encode()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=5)))
    holder[0] = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)])]
    expected = re.split(r"\r\n|\r|\n", body.decode())
    if expected and expected[-1] == "":
        expected.pop()
    with client.stream("GET", "/") as response:
        assert list(response.iter_lines()) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=30), max_size=5), st.integers(1, 16))
def test_iter_bytes_rechunks_exactly(
    chunk_client: tuple[TestClient, list[list[bytes]]], chunks: list[bytes], size: int
) -> None:
    client, holder = chunk_client
    holder[0] = chunks
    with client.stream("GET", "/") as response:
        out = list(response.iter_bytes(chunk_size=size))
    assert b"".join(out) == b"".join(chunks)
    assert all(len(piece) == size for piece in out[:-1]) and all(0 < len(piece) <= size for piece in out)


# --- AsyncTestClient ------------------------------------------------------------------


async def test_async_client_requests_and_lifespan() -> None:
    events: list[str] = []
    async with AsyncTestClient(lifespan_app(events)) as client:
        response = await client.get("/")
        assert isinstance(response, ClientResponse)
        assert response.json()["db"] == "changed-by-request"
        assert (await client.post("/", json={"a": 1})).status_code == 200
    assert events == ["startup", "request connected", "request connected", "shutdown"]


async def test_async_client_verbs_body_cookies_redirects() -> None:
    record: list[tuple[str, str, bytes]] = []
    client = AsyncTestClient(redirect_app(record))
    response = await client.post("/r/307", content=b"body")
    assert record == [("POST", "/r/307", b"body"), ("POST", "/final", b"body")]
    assert response.json()["cookie"] == "hop=1"
    for verb in ("get", "options", "head", "put", "patch", "delete"):
        await getattr(client, verb)("/final")
        assert record[-1][0] == verb.upper()


async def test_async_client_exceptions_are_not_wrapped() -> None:
    with pytest.raises(Boom, match="kaboom"):
        await AsyncTestClient(failing_app("before-start")).get("/")
    response = await AsyncTestClient(failing_app("before-start"), raise_server_exceptions=False).get("/")
    assert response.status_code == 500


async def test_async_lifespan_startup_failure() -> None:
    with pytest.raises(LifespanError, match="startup went wrong"):
        async with AsyncTestClient(lifespan_app([], fail="startup")):
            pass


async def test_async_stream_and_early_close() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_messages(receive)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"one\n", "more_body": True})
        try:
            await send({"type": "http.response.body", "body": b"two\n", "more_body": True})
        except ClientDisconnectedError:
            seen.append("send failed")
        seen.append((await receive())["type"])

    client = AsyncTestClient(app)
    async with client.stream("GET", "/") as response:
        lines = response.aiter_lines()
        assert await lines.__anext__() == "one"
        await lines.aclose()
    assert seen == ["send failed", "http.disconnect"]

    async with AsyncTestClient(chunks_app([b"x", b"y"])).stream("GET", "/") as response:
        with pytest.raises(RuntimeError, match="use aread"):
            response.read()
        assert [chunk async for chunk in response.aiter_bytes()] == [b"x", b"y"]


def test_sync_stream_refuses_async_readers() -> None:
    with TestClient(chunks_app([b"x"])).stream("GET", "/") as response:
        with pytest.raises(RuntimeError, match="use read"):
            anyio.run(response.aread)
        assert response.read() == b"x"


def test_app_ignoring_disconnect_is_cancelled_after_the_grace_period(monkeypatch: pytest.MonkeyPatch) -> None:
    import ferrule.testclient.session as testclient_module

    monkeypatch.setattr(testclient_module, "DISCONNECT_GRACE_SECONDS", 0.05)
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            await anyio.sleep_forever()  # never looks at the connection again
        except anyio.get_cancelled_exc_class():
            seen.append("cancelled")
            raise

    with TestClient(app).stream("GET", "/") as response:
        assert response.status_code == 200
    assert seen == ["cancelled"]
