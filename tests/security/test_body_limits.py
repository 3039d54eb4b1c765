"""Request body size limits: 413 before the whole body is read, configurable per app, router and route.

Bug class for the whole module: unbounded request bodies (memory and
bandwidth exhaustion). Advisory class: Starlette/FastAPI have no body size
limit at all (``await request.body()`` reads whatever arrives, the long-open
"max request size" issue); Werkzeug's ``MAX_CONTENT_LENGTH`` and Django's
``DATA_UPLOAD_MAX_MEMORY_SIZE`` exist because of it. ferrule's default is
16 MiB, enforced while the body streams in.

The driver pulls body chunks lazily from an endless generator, so "before the
whole body is read" is checked by counting how much the app pulled.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Annotated, Any

import pytest

from ferrule import APIRouter, App, Body, File, Form, Request, UploadFile
from ferrule.asgi_core.request import DEFAULT_MAX_BODY_SIZE
from sec_driver import drive, streamed_length

pytestmark = pytest.mark.anyio

LIMIT = 1000
CHUNK = 100


def endless(first: bytes = b"") -> Iterator[bytes]:
    return itertools.chain([first], itertools.repeat(b"x" * CHUNK))


def limits_app(**options: Any) -> App:
    app = App(**options)

    @app.post("/json")
    async def json_body(payload: Any = Body()) -> dict[str, int]:
        return {"ok": 1}

    @app.post("/form")
    async def form_field(a: Annotated[str, Form()]) -> dict[str, int]:
        return {"ok": 1}

    @app.post("/file")
    async def file(f: Annotated[UploadFile, File()]) -> dict[str, int]:
        return {"ok": 1}

    @app.post("/stream")
    async def stream(request: Request) -> dict[str, int]:
        return {"n": await streamed_length(request)}

    @app.post("/body")
    async def body(request: Request) -> dict[str, int]:
        return {"n": len(await request.body())}

    @app.post("/request-json")
    async def request_json(request: Request) -> dict[str, int]:
        await request.json()
        return {"ok": 1}

    @app.post("/request-form")
    async def request_form(request: Request) -> dict[str, int]:
        await request.form()
        return {"ok": 1}

    return app


KINDS = [
    ("/json", b"application/json", b'{"a": "'),
    ("/form", b"application/x-www-form-urlencoded", b"a="),
    ("/form", b"multipart/form-data; boundary=sep", b'--sep\r\nContent-Disposition: form-data; name="a"\r\n\r\n'),
    ("/file", b"multipart/form-data; boundary=sep", b'--sep\r\nContent-Disposition: form-data; name="f"; filename="x"\r\n\r\n'),
    ("/stream", b"application/octet-stream", b""),
    ("/body", b"application/octet-stream", b""),
    ("/request-json", b"application/json", b"["),
    ("/request-form", b"application/x-www-form-urlencoded", b"a="),
]
KIND_IDS = ["json", "urlencoded", "multipart-field", "multipart-file", "stream", "body", "request.json", "request.form"]


@pytest.mark.parametrize(("path", "content_type", "first"), KINDS, ids=KIND_IDS)
async def test_streamed_body_over_the_limit_is_413_before_it_is_all_read(path: str, content_type: bytes, first: bytes) -> None:
    """An endless body without Content-Length: 413 once the limit is passed, having read one chunk more at most."""
    outcome = await drive(limits_app(max_body_size=LIMIT), "POST", path, [(b"content-type", content_type)], endless(first))
    assert outcome.status == 413
    assert outcome.json() == {"detail": f"request body is over the limit of {LIMIT} bytes"}
    assert outcome.bytes_pulled <= LIMIT + CHUNK + len(first)
    assert outcome.error is None


@pytest.mark.parametrize(("path", "content_type", "first"), KINDS, ids=KIND_IDS)
async def test_declared_length_over_the_limit_is_413_before_anything_is_read(path: str, content_type: bytes, first: bytes) -> None:
    """A Content-Length over the limit: 413 without reading a single byte of the body."""
    headers = [(b"content-type", content_type), (b"content-length", b"1000000000")]
    outcome = await drive(limits_app(max_body_size=LIMIT), "POST", path, headers, endless(first))
    assert outcome.status == 413
    assert outcome.json() == {"detail": f"request body of 1000000000 bytes is over the limit of {LIMIT} bytes"}
    assert outcome.bytes_pulled == 0


async def test_the_default_limit_is_16_mib() -> None:
    """Limits are on by default: a 17 MiB body to an app that configured nothing is 413."""
    chunk = b"x" * 65536
    body = itertools.repeat(chunk, 17 * 16)
    outcome = await drive(limits_app(), "POST", "/stream", [], body)
    assert outcome.status == 413
    assert DEFAULT_MAX_BODY_SIZE < outcome.bytes_pulled <= DEFAULT_MAX_BODY_SIZE + len(chunk)


async def test_limit_per_app_router_and_route() -> None:
    """The limit is configurable per app, per router and per route; the most specific explicit value wins."""
    app = App(max_body_size=1000)
    router = APIRouter(max_body_size=50)

    @app.post("/app-default")
    async def app_default(request: Request) -> dict[str, int]:
        return {"n": len(await request.body())}

    @app.post("/route-smaller", max_body_size=10)
    async def route_smaller(request: Request) -> dict[str, int]:
        return {"n": len(await request.body())}

    @app.post("/route-unlimited", max_body_size=None)
    async def route_unlimited(request: Request) -> dict[str, int]:
        return {"n": len(await request.body())}

    @router.post("/router-default")
    async def router_default(request: Request) -> dict[str, int]:
        return {"n": len(await request.body())}

    @router.post("/router-route", max_body_size=5000)
    async def router_route(request: Request) -> dict[str, int]:
        return {"n": len(await request.body())}

    app.include_router(router, prefix="/r")

    async def status(path: str, size: int) -> int | None:
        return (await drive(app, "POST", path, [], [b"x" * size])).status

    assert (await status("/app-default", 1000), await status("/app-default", 1001)) == (200, 413)
    assert (await status("/route-smaller", 10), await status("/route-smaller", 11)) == (200, 413)
    assert await status("/route-unlimited", 5 * 1024 * 1024) == 200
    assert (await status("/r/router-default", 50), await status("/r/router-default", 51)) == (200, 413)
    assert (await status("/r/router-route", 5000), await status("/r/router-route", 5001)) == (200, 413)


@pytest.mark.parametrize(
    "value",
    [b"-1", b"-0", b"abc", b"+5", b" 5", b"5 ", b"1_0", b"0x10", b"", b"1e3", b"5, 5", b"\xd9\xa5", b"\xef\xbc\x95"],
)
async def test_negative_or_non_numeric_content_length_is_400(value: bytes) -> None:
    """Bug class: lenient Content-Length parsing (request smuggling, negative sizes, limit bypass).

    Advisory class: HTTP parsers that accept ``-1``, ``+5``, whitespace,
    ``1_0`` (Python's ``int()``) or non-ASCII digits disagree with proxies
    about where a body ends (the request-smuggling advisory family: two
    parsers reading different message lengths), and a negative size can
    defeat a ``> limit`` check.
    RFC 9110 §8.6: ``Content-Length = 1*DIGIT``; anything else is 400.
    """
    outcome = await drive(limits_app(), "POST", "/body", [(b"content-length", value)], b"12345")
    assert outcome.status == 400
    assert outcome.json()["detail"].startswith("invalid content-length header")
    assert outcome.bytes_pulled == 0


@pytest.mark.parametrize(
    ("value", "status"),
    [(b"9" * 5000, 413), (b"18446744073709551616", 413), (b"0" * 40 + b"5", 200), (b"5", 200)],
)
async def test_huge_or_zero_padded_content_length(value: bytes, status: int) -> None:
    """Huge declared lengths are 413 without ``int()`` on 5000 digits; leading zeros are still digits."""
    outcome = await drive(limits_app(), "POST", "/body", [(b"content-length", value)], b"12345")
    assert outcome.status == status
    assert outcome.error is None
