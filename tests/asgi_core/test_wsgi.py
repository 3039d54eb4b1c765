"""WSGIMiddleware: PEP 3333 environ, streaming bodies, errors, limits."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule import App
from ferrule.asgi_core.middleware.wsgi import WSGIMiddleware, build_environ
from ferrule.testclient import TestClient

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


def echo_app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    body = environ["wsgi.input"].read()
    lines = [
        f"{key}={environ[key]}"
        for key in ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "HTTP_X_TOKEN")
        if key in environ
    ]
    start_response("201 Created", [("Content-Type", "text/plain"), ("X-Seen", str(len(body)))])
    return ["\n".join(lines).encode("latin-1"), b"\nbody=", body]


def test_environ_and_body_reach_the_wsgi_app_under_a_mount() -> None:
    app = App()
    app.mount("/legacy", WSGIMiddleware(echo_app))
    client = TestClient(app)
    response = client.post("/legacy/a%20b/c?x=1&y=2", content=b"hello", headers={"x-token": "t", "content-type": "text/plain"})
    assert response.status_code == 201
    assert response.headers["x-seen"] == "5"
    assert response.text.splitlines() == [
        "REQUEST_METHOD=POST",
        "SCRIPT_NAME=/legacy",
        "PATH_INFO=/a b/c",
        "QUERY_STRING=x=1&y=2",
        "CONTENT_TYPE=text/plain",
        "HTTP_X_TOKEN=t",
        "body=hello",
    ]


@settings(max_examples=60, deadline=None)
@given(
    root=st.sampled_from(["", "/mnt", "/ünï"]),
    rest=st.text(st.characters(blacklist_categories=("Cs",)), max_size=20).map(lambda t: "/" + t),
    query=st.binary(max_size=20),
)
def test_environ_path_round_trips(root: str, rest: str, query: bytes) -> None:
    # Reference model: PEP 3333's "bytes as latin-1" strings decode back to the ASGI values.
    scope = {"type": "http", "method": "GET", "path": root + rest, "root_path": root,
             "query_string": query, "headers": [], "http_version": "1.1"}
    environ = build_environ(scope, b"")
    script = environ["SCRIPT_NAME"].encode("latin-1").decode("utf-8")
    path = environ["PATH_INFO"].encode("latin-1").decode("utf-8")
    assert script + path == root + rest
    assert environ["QUERY_STRING"].encode("latin-1") == query
    for value in environ.values():
        if isinstance(value, str):
            value.encode("latin-1")  # every environ string is latin-1 representable


def test_repeated_request_headers_are_joined() -> None:
    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"",
             "headers": [(b"accept", b"a"), (b"accept", b"b")]}
    assert build_environ(scope, b"")["HTTP_ACCEPT"] == "a,b"


def test_a_generator_body_streams_in_chunks() -> None:
    def streaming(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        for i in range(50):
            yield f"{i};".encode()

    client = TestClient(WSGIMiddleware(streaming))
    with client.stream("GET", "/") as response:
        chunks = list(response.iter_bytes())
    assert b"".join(chunks) == "".join(f"{i};" for i in range(50)).encode()


def test_close_is_called_on_the_result() -> None:
    closed: list[bool] = []

    class Result:
        def __iter__(self) -> Iterator[bytes]:
            yield b"x"

        def close(self) -> None:
            closed.append(True)

    def app(environ: Environ, start_response: StartResponse) -> Result:
        start_response("200 OK", [])
        return Result()

    assert TestClient(WSGIMiddleware(app)).get("/").content == b"x"
    assert closed == [True]


def test_an_exception_before_the_headers_is_a_500() -> None:
    def broken(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        raise ValueError("wsgi app broke")

    with pytest.raises(ValueError, match="wsgi app broke"):
        TestClient(WSGIMiddleware(broken)).get("/")
    assert TestClient(WSGIMiddleware(broken), raise_server_exceptions=False).get("/").status_code == 500


def test_start_response_with_exc_info_before_the_body_replaces_the_status() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [])
        try:
            raise KeyError("x")
        except KeyError:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"oops"]

    response = TestClient(WSGIMiddleware(app)).get("/")
    assert (response.status_code, response.text) == (500, "oops")


def test_body_before_start_response_is_an_error() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        return [b"no headers"]

    with pytest.raises(RuntimeError, match="before calling start_response"):
        TestClient(WSGIMiddleware(app)).get("/")


def test_oversized_body_is_413_and_the_app_is_not_called() -> None:
    called: list[bool] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        called.append(True)
        start_response("200 OK", [])
        return [b""]

    client = TestClient(WSGIMiddleware(app, max_body_size=10))
    assert client.post("/", content=b"x" * 11).status_code == 413
    assert client.post("/", content=b"x" * 10).status_code == 200
    assert called == [True]


def test_websocket_scope_is_refused_with_a_clear_error() -> None:
    import anyio

    async def main() -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "websocket.connect"}

        async def send(message: dict[str, Any]) -> None:
            pass

        with pytest.raises(RuntimeError, match="http requests only"):
            await WSGIMiddleware(echo_app)({"type": "websocket", "path": "/"}, receive, send)

    anyio.run(main)


def test_non_ascii_path_is_percent_decoded_into_latin1_bytes() -> None:
    seen: list[str] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        seen.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return []

    TestClient(WSGIMiddleware(app)).get("/" + quote("é"))
    assert seen == ["/" + "é".encode().decode("latin-1")]
