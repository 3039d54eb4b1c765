"""Routing on ``raw_path`` (issue 18 item 11): an encoded slash stays inside its segment.

The property test compares the router with a reference model: a list of arbitrary
segments (``/``, ``%``, spaces, unicode), percent-encoded one by one, must come back as
the same list of parameters, whatever ``root_path`` convention the server follows.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule import App, WebSocket
from ferrule.routing import APIRouter
from ferrule.routing.raw_path import InvalidRequestPath, route_segments

Message = dict[str, Any]


def make_app() -> App:
    app = App()

    @app.get("/s/{x}")
    def one(x: str) -> dict[str, Any]:
        return {"route": "one", "x": x}

    @app.get("/s/{x}/{y}")
    def two(x: str, y: str) -> dict[str, Any]:
        return {"route": "two", "x": x, "y": y}

    @app.get("/s/{x}/{y}/{rest:path}")
    def more(x: str, y: str, rest: str) -> dict[str, Any]:
        return {"route": "more", "x": x, "y": y, "rest": rest}

    @app.get("/static/a/b")
    def static() -> dict[str, Any]:
        return {"route": "static"}

    @app.websocket("/ws/{x}")
    async def ws(websocket: WebSocket, x: str) -> None:
        await websocket.accept()
        await websocket.send_text(x)
        await websocket.close()

    sub = APIRouter()

    @sub.get("/p/{x}")
    def mounted(x: str, user: str = "") -> dict[str, Any]:
        return {"route": "mounted", "x": x}

    inner = App()
    inner.include_router(sub)
    app.mount("/u/{user}", inner)
    return app


APP = make_app()


def http_scope(raw: bytes, *, root_path: str = "", path_has_root: bool = True, raw_path: Any = "same") -> Message:
    """A server's scope for the request target ``raw`` (no query)."""
    path = unquote(raw.decode("ascii"), errors="replace")
    scope: Message = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "query_string": b"", "root_path": root_path,
        "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
        "path": (root_path + path) if path_has_root else path,
    }  # fmt: skip
    if raw_path == "same":
        scope["raw_path"] = root_path.encode() + raw
    elif raw_path != "absent":
        scope["raw_path"] = raw_path
    return scope


async def _call(app: Any, scope: Message) -> tuple[int, bytes, list[Message]]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body, sent


def call(scope: Message, app: Any = APP) -> tuple[int, Any]:
    status, body, _ = anyio.run(_call, app, scope)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body.decode()


def encode(segment: str) -> str:
    return quote(segment, safe="")


def expected(segments: list[str]) -> Any:
    """The reference model: which route and which parameters."""
    if len(segments) == 1:
        return {"route": "one", "x": segments[0]}
    if len(segments) == 2:
        return {"route": "two", "x": segments[0], "y": segments[1]}
    return {"route": "more", "x": segments[0], "y": segments[1], "rest": "/".join(segments[2:])}


SEGMENT_TEXT = st.text(
    st.one_of(st.sampled_from("/%?#. +a0é€\U0001f600"), st.characters(exclude_categories=("Cs",))),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(SEGMENT_TEXT, min_size=1, max_size=5),
    st.sampled_from([("", True), ("/api", True), ("/api", False), ("/a%20b", True)]),
)
def test_encoded_segments_come_back_decoded(segments: list[str], root: tuple[str, bool]) -> None:
    root_path, path_has_root = root
    raw = ("/s/" + "/".join(encode(s) for s in segments)).encode("ascii")
    scope = http_scope(raw, root_path=root_path, path_has_root=path_has_root)
    assert call(scope) == (200, expected(segments))


@pytest.mark.parametrize(
    ("target", "status", "body"),
    [
        (b"/s/a%2Fb", 200, {"route": "one", "x": "a/b"}),
        (b"/s/a/b", 200, {"route": "two", "x": "a", "y": "b"}),
        (b"/s/a%2fb/c%2Fd", 200, {"route": "two", "x": "a/b", "y": "c/d"}),
        (b"/s/a/b/c%2Fd/e", 200, {"route": "more", "x": "a", "y": "b", "rest": "c/d/e"}),
        (b"/s/%25", 200, {"route": "one", "x": "%"}),
        (b"/s/caf%C3%A9", 200, {"route": "one", "x": "café"}),
        (b"/static/a%2Fb", 404, {"detail": "Not Found"}),  # not the static route /static/a/b
        (b"/static/%61/b", 200, {"route": "static"}),  # an escaped letter is the letter
        (b"/u/a%2Fb/p/c%2Fd", 200, {"route": "mounted", "x": "c/d"}),
    ],
)
def test_targets(target: bytes, status: int, body: Any) -> None:
    for root_path in ("", "/api"):
        assert call(http_scope(target, root_path=root_path)) == (status, body), root_path


def test_mount_root_path_uses_the_decoded_prefix() -> None:
    seen: list[Message] = []

    async def child(scope: Message, receive: Any, send: Any) -> None:
        seen.append(scope)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = App()
    app.mount("/m/{name}", child)
    assert call(http_scope(b"/m/a%2Fb/rest%2Fx", root_path="/api"), app)[0] == 204
    assert seen[0]["root_path"] == "/api/m/a/b"
    assert seen[0]["path_params"] == {"name": "a/b"}
    assert seen[0]["raw_path"] == b"/api/m/a%2Fb/rest%2Fx"


@pytest.mark.parametrize(
    ("target", "words"),
    [
        (b"/s/%", "invalid percent-escape '%'"),
        (b"/s/%zz", "invalid percent-escape '%zz'"),
        (b"/s/a%2", "invalid percent-escape '%2'"),
        (b"/s/%E9t%E9", "not UTF-8"),  # latin-1, not UTF-8
        (b"/s/%C3", "not UTF-8"),  # a truncated sequence
        (b"/s/%C0%AF", "not UTF-8"),  # an overlong "/"
        (b"/s/%ED%A0%80", "not UTF-8"),  # an encoded surrogate
    ],
)
def test_undecodable_paths_are_400(target: bytes, words: str) -> None:
    status, body = call(http_scope(target))
    assert status == 400 and words in body["detail"]


def test_undecodable_path_without_an_app_is_a_plain_400() -> None:
    status, body = call(http_scope(b"/s/%zz"), APP.router)
    assert status == 400 and "invalid percent-escape" in body


def websocket_call(raw: bytes, incoming: Iterable[Message]) -> list[Message]:
    """Run ``APP`` on a websocket scope for ``raw``, receiving ``incoming`` in turn: what it sent."""
    sent: list[Message] = []
    messages = iter(incoming)

    async def run() -> None:
        async def receive() -> Message:
            return next(messages)

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {**http_scope(raw), "type": "websocket", "scheme": "ws", "subprotocols": []}
        del scope["method"]
        await APP(scope, receive, send)

    anyio.run(run)
    return sent


def test_websocket_with_undecodable_path_is_refused_with_1008() -> None:
    sent = websocket_call(b"/ws/%zz", itertools.repeat({"type": "websocket.connect"}))
    assert sent[0]["type"] == "websocket.close" and sent[0]["code"] == 1008


def test_websocket_routes_on_raw_path() -> None:
    sent = websocket_call(b"/ws/a%2Fb", [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1000}])
    assert [m["type"] for m in sent[:2]] == ["websocket.accept", "websocket.send"]
    assert sent[1]["text"] == "a/b"


def test_without_raw_path_routing_uses_path() -> None:
    for raw_path in ("absent", None):
        assert call(http_scope(b"/s/a%2Fb", raw_path=raw_path)) == (200, expected(["a", "b"]))


def test_path_rewritten_without_raw_path_is_followed() -> None:
    """A middleware that rewrites ``path`` but not ``raw_path``: the router follows ``path``."""
    scope = http_scope(b"/s/a%2Fb")
    scope["path"] = "/s/x/y/z"
    assert call(scope) == (200, {"route": "more", "x": "x", "y": "y", "rest": "z"})


def test_trailing_slash_redirect_keeps_the_encoded_slash() -> None:
    status, _, sent = anyio.run(_call, APP, http_scope(b"/s/a%2Fb/", root_path="/api"))
    assert status == 307
    assert dict(sent[0]["headers"])[b"location"] == b"http://testserver/api/s/a%2Fb"


@pytest.mark.parametrize(
    ("raw", "route_path", "segments"),
    [
        (b"/a%2Fb/c", "/a/b/c", ["", "a/b", "c"]),
        (b"/api/a%2Fb/c", "/a/b/c", ["", "a/b", "c"]),  # raw_path with root_path
        (b"/api/a%2Fb/", "/", ["", ""]),
        (b"/api/a%2Fb/", "/a/b/", ["", "a/b", ""]),
        (b"/x%2Fy/a", "/y/a", None),  # the tail splits an encoded segment: follow path
        (b"/a%2Fb", "/other", None),
        (b"/a%2Fb", "", None),
    ],
)
def test_route_segments(raw: bytes, route_path: str, segments: list[str] | None) -> None:
    assert route_segments(raw, route_path) == segments


def test_route_segments_names_the_bad_escape() -> None:
    with pytest.raises(InvalidRequestPath, match="'%g1'.*'%25'"):
        route_segments(b"/a/%g1", "/a/%g1")
