"""GZipMiddleware: negotiation, skip rules, whole and streamed compression, validators."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest
from _mw_asgi import Result, bytes_app, chunks_app, http_scope, run

from ferrule.asgi_core.fileresponse import FileResponse
from ferrule.asgi_core.middleware.gzip import GZipMiddleware, accepts_gzip
from ferrule.asgi_core.types import ASGIApp, Receive, Scope, Send

pytestmark = pytest.mark.anyio

BIG = b"the quick brown fox jumps over the lazy dog. " * 100
GZ = ("accept-encoding", "gzip, deflate, br")


async def call(app: ASGIApp, *headers: tuple[str, str], method: str = "GET", **mw: object) -> Result:
    return await run(GZipMiddleware(app, **mw), http_scope("/", method=method, headers=headers))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("gzip", True),
        ("GZIP", True),
        ("deflate, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("br, *", True),
        ("br, *;q=0", False),
        ("*;q=0, gzip", True),
        ("identity", False),
        ("", False),
        ("x-gzip", True),
        ("gzip;q=nonsense", False),
        ("gzipped", False),
    ],
)
def test_accepts_gzip(value: str, expected: bool) -> None:
    assert accepts_gzip(value) is expected


async def test_large_body_is_compressed_whole() -> None:
    result = await call(bytes_app(BIG), GZ)
    assert result.headers["content-encoding"] == "gzip"
    assert result.headers["vary"] == "Accept-Encoding"
    assert result.headers["content-length"] == str(len(result.body))
    assert len(result.body) < len(BIG)
    assert gzip.decompress(result.body) == BIG


async def test_small_body_and_no_accept_are_untouched() -> None:
    small = await call(bytes_app(b"x" * 499), GZ)
    assert small.body == b"x" * 499 and "content-encoding" not in small.headers and "vary" not in small.headers
    plain = await call(bytes_app(BIG))
    assert plain.body == BIG and "content-encoding" not in plain.headers
    refused = await call(bytes_app(BIG), ("accept-encoding", "gzip;q=0"))
    assert refused.body == BIG
    custom = await call(bytes_app(b"x" * 20), GZ, minimum_size=10)
    assert gzip.decompress(custom.body) == b"x" * 20


@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-encoding", b"br")],
        [(b"content-type", b"text/event-stream")],
        [(b"content-type", b"Text/Event-Stream; charset=utf-8")],
        [(b"content-range", b"bytes 0-9/100")],
    ],
)
async def test_skip_rules(headers: list[tuple[bytes, bytes]]) -> None:
    result = await call(bytes_app(BIG, headers=headers), GZ)
    assert result.body == BIG
    assert result.headers.get("content-encoding") in (None, "br")
    assert "vary" not in result.headers


async def test_excluded_media_types_are_configurable() -> None:
    app = bytes_app(BIG, headers=[(b"content-type", b"image/svg+xml")])
    assert (await call(app, GZ, exclude_media_types=["image/"])).body == BIG
    assert gzip.decompress((await call(app, GZ)).body) == BIG


@pytest.mark.parametrize("status", [204, 304, 206])
async def test_statuses_without_compression(status: int) -> None:
    body = b"" if status != 206 else BIG
    result = await call(bytes_app(body, status=status), GZ)
    assert result.body == body and "content-encoding" not in result.headers


async def test_head_is_untouched() -> None:
    result = await call(bytes_app(BIG), GZ, method="HEAD")
    assert "content-encoding" not in result.headers
    assert result.headers["content-length"] == str(len(BIG))


async def test_streaming_is_compressed_incrementally() -> None:
    chunks = [b"event one " * 10, b"", b"event two " * 10, b"last"]
    result = await call(chunks_app(chunks), GZ)
    assert result.headers["content-encoding"] == "gzip"
    assert "content-length" not in result.headers
    bodies = [m["body"] for m in result.messages[1:]]
    # Each compressed message decodes, on its own, to its whole chunk (Z_SYNC_FLUSH):
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    decoded = [decoder.decompress(b) for b in bodies]
    assert decoded == [chunks[0], chunks[2], chunks[3]]
    assert gzip.decompress(result.body) == b"".join(chunks)
    assert result.messages[-1]["more_body"] is False


async def test_small_stream_still_compressed_and_sse_stream_untouched() -> None:
    result = await call(chunks_app([b"a", b"b"]), GZ)
    assert gzip.decompress(result.body) == b"ab"
    sse = await call(chunks_app([b"data: 1\n\n", b"data: 2\n\n"], content_type=b"text/event-stream"), GZ)
    assert sse.body == b"data: 1\n\ndata: 2\n\n"
    assert [m.get("more_body") for m in sse.messages[1:]] == [True, False]


async def test_strong_etag_becomes_weak_and_vary_merges() -> None:
    app = bytes_app(BIG, headers=[(b"etag", b'"abc"'), (b"vary", b"Origin")])
    result = await call(app, GZ)
    assert result.headers["etag"] == 'W/"abc"'
    assert result.headers["vary"] == "Origin, Accept-Encoding"
    weak = await call(bytes_app(BIG, headers=[(b"etag", b'W/"abc"')]), GZ)
    assert weak.headers["etag"] == 'W/"abc"'


async def test_file_response_full_and_ranged(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(BIG)
    full = await call(FileResponse(path), GZ)
    assert full.headers["content-encoding"] == "gzip"
    assert gzip.decompress(full.body) == BIG
    assert full.headers["etag"].startswith('W/"')
    ranged = await call(FileResponse(path), GZ, ("range", "bytes=0-9"))
    assert (ranged.status, ranged.body) == (206, BIG[:10])
    assert "content-encoding" not in ranged.headers


async def test_pathsend_passes_through(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(BIG)
    scope = http_scope("/", headers=[GZ], extensions={"http.response.pathsend": {}})
    result = await run(GZipMiddleware(FileResponse(path)), scope)
    assert [m["type"] for m in result.messages] == ["http.response.start", "http.response.pathsend"]
    assert "content-encoding" not in result.headers


async def test_error_before_body_sends_nothing() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("boom")

    sent: list[object] = []

    async def send(message: object) -> None:
        sent.append(message)

    async def receive() -> dict[str, str]:
        return {"type": "http.disconnect"}

    with pytest.raises(RuntimeError, match="boom"):
        await GZipMiddleware(app)(http_scope(headers=[GZ]), receive, send)
    assert sent == []  # the start was held, so an outer error handler can still answer 500


def test_bad_level() -> None:
    with pytest.raises(ValueError, match="compresslevel must be 0..9"):
        GZipMiddleware(bytes_app(), compresslevel=11)
