"""FileResponse: validators, preconditions (RFC 9110 §13), ranges (§14), HEAD, pathsend."""

from __future__ import annotations

import os
import re
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from _asgi import Result, http_scope, run

from ferrule.asgi_core.background import BackgroundTask
from ferrule.asgi_core.fileresponse import FileResponse, content_disposition
from ferrule.asgi_core.types import Message

pytestmark = pytest.mark.anyio

DATA = bytes(range(256)) * 1024  # 256 KiB: several 64 KiB chunks


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    return path


async def get(path: Path | str, *headers: tuple[str, str], method: str = "GET", **kwargs: object) -> Result:
    response = FileResponse(path, **kwargs)  # type: ignore[arg-type]
    return await run(response, http_scope("/f", method=method, headers=headers))


async def test_full_file_in_chunks_with_validators(data_file: Path) -> None:
    result = await get(data_file)
    assert result.status == 200
    assert result.body == DATA
    assert result.headers["content-length"] == str(len(DATA))
    assert result.headers["accept-ranges"] == "bytes"
    assert result.headers["content-type"] == "application/octet-stream"
    st = os.stat(data_file)
    assert result.headers["last-modified"] == formatdate(st.st_mtime, usegmt=True)
    assert result.headers["etag"] == f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
    bodies = [m for m in result.messages if m["type"] == "http.response.body"]
    assert len(bodies) == 4  # 256 KiB / 64 KiB, the last one final: no empty trailer message
    assert [m["more_body"] for m in bodies] == [True, True, True, False]


async def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    result = await get(path, ("range", "bytes=0-5"))
    assert (result.status, result.body, result.headers["content-length"]) == (200, b"", "0")
    assert result.headers["content-type"] == "text/plain; charset=utf-8"


async def test_media_type_guessed_from_filename_then_path(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<p>hi</p>")
    assert (await get(path)).headers["content-type"] == "text/html; charset=utf-8"
    as_json = await get(path, filename="x.json")
    assert as_json.headers["content-type"] == "application/json"
    explicit = await get(path, media_type="image/png")
    assert explicit.headers["content-type"] == "image/png"


async def test_head_sends_headers_only(data_file: Path) -> None:
    result = await get(data_file, method="HEAD")
    assert result.status == 200
    assert result.body == b""
    assert result.headers["content-length"] == str(len(DATA))


async def test_head_with_range_reports_the_partial_headers(data_file: Path) -> None:
    result = await get(data_file, ("range", "bytes=0-9"), method="HEAD")
    assert result.status == 206
    assert result.body == b""
    assert result.headers["content-range"] == f"bytes 0-9/{len(DATA)}"
    assert result.headers["content-length"] == "10"


async def test_method_argument_used_when_scope_has_none(data_file: Path) -> None:
    response = FileResponse(data_file, method="head")
    assert response.send_header_only
    scope = http_scope()
    del scope["method"]
    result = await run(response, scope)
    assert result.body == b""


async def test_stat_result_sets_headers_at_construction(data_file: Path) -> None:
    st = os.stat(data_file)
    response = FileResponse(data_file, stat_result=st)
    assert response.headers["content-length"] == str(len(DATA))
    assert "etag" in response.headers


async def test_caller_headers_win_and_are_used_for_comparison(data_file: Path) -> None:
    result = await get(data_file, ("if-none-match", '"mine"'), headers={"etag": '"mine"'})
    assert result.status == 304
    assert result.headers["etag"] == '"mine"'


async def test_missing_file_raises_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(RuntimeError, match=re.escape(str(missing)) + ".*does not exist"):
        await get(missing)


async def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="is not a regular file"):
        await get(tmp_path)


async def test_file_shrinking_while_sent_raises(data_file: Path) -> None:
    st = os.stat(data_file)  # stat says 256 KiB...
    data_file.write_bytes(b"short")  # ...but the file is now 5 bytes
    with pytest.raises(RuntimeError, match="shrank while being sent"):
        await get(data_file, stat_result=st)


async def test_file_growing_while_sent_is_cut_at_the_announced_length(data_file: Path) -> None:
    st = os.stat(data_file)
    data_file.write_bytes(DATA + b"extra")
    result = await get(data_file, stat_result=st)
    assert result.body == DATA


# -- Content-Disposition -------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("report.pdf", 'attachment; filename="report.pdf"'),
        ("my report.pdf", 'attachment; filename="my report.pdf"'),
        ("naïve.txt", "attachment; filename=\"na_ve.txt\"; filename*=UTF-8''na%C3%AFve.txt"),
        ("€ rates.csv", "attachment; filename=\"_ rates.csv\"; filename*=UTF-8''%E2%82%AC%20rates.csv"),
        ('a"b\\c.txt', "attachment; filename=\"a_b_c.txt\"; filename*=UTF-8''a%22b%5Cc.txt"),
        ("100%.txt", "attachment; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt"),
        ("evil\r\nset-cookie: x", "attachment; filename=\"evil__set-cookie: x\"; filename*=UTF-8''evil%0D%0Aset-cookie%3A%20x"),
    ],
)
def test_content_disposition(filename: str, expected: str) -> None:
    assert content_disposition("attachment", filename) == expected


async def test_filename_and_inline_type(data_file: Path) -> None:
    result = await get(data_file, filename="résumé.pdf", content_disposition_type="inline")
    assert result.headers["content-disposition"] == (
        "inline; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
    )
    assert result.headers["content-type"] == "application/pdf"


# -- Preconditions -------------------------------------------------------------


def etag_of(path: Path) -> str:
    st = os.stat(path)
    return f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


def http_date(offset: float, path: Path) -> str:
    return formatdate(os.stat(path).st_mtime + offset, usegmt=True)


async def test_if_none_match_gives_304_without_representation_headers(data_file: Path) -> None:
    etag = etag_of(data_file)
    result = await get(data_file, ("if-none-match", f'"other", W/{etag}'), headers={"cache-control": "max-age=60"})
    assert result.status == 304  # weak comparison: W/ still matches
    assert result.body == b""
    assert result.headers["etag"] == etag
    assert result.headers["cache-control"] == "max-age=60"
    for name in ("content-length", "content-type", "accept-ranges"):
        assert name not in result.headers


async def test_if_none_match_star_and_mismatch(data_file: Path) -> None:
    assert (await get(data_file, ("if-none-match", "*"))).status == 304
    assert (await get(data_file, ("if-none-match", '"nope"'))).status == 200
    assert (await get(data_file, ("if-none-match", "garbage"))).status == 200


async def test_etag_list_with_commas_inside_tags(data_file: Path) -> None:
    result = await get(data_file, ("if-none-match", '"a,b", "c"'), headers={"etag": '"a,b"'})
    assert result.status == 304


async def test_if_modified_since(data_file: Path) -> None:
    assert (await get(data_file, ("if-modified-since", http_date(0, data_file)))).status == 304
    assert (await get(data_file, ("if-modified-since", http_date(3600, data_file)))).status == 304
    assert (await get(data_file, ("if-modified-since", http_date(-3600, data_file)))).status == 200
    assert (await get(data_file, ("if-modified-since", "not a date"))).status == 200


async def test_if_none_match_wins_over_if_modified_since(data_file: Path) -> None:
    # SPEC: RFC 9110 §13.1.3 - If-Modified-Since is ignored when If-None-Match is present.
    result = await get(
        data_file, ("if-none-match", '"different"'), ("if-modified-since", http_date(3600, data_file))
    )
    assert result.status == 200
    assert result.body == DATA


async def test_if_match_and_if_unmodified_since_give_412(data_file: Path) -> None:
    assert (await get(data_file, ("if-match", '"other"'))).status == 412
    assert (await get(data_file, ("if-match", "W/" + etag_of(data_file)))).status == 412  # strong only
    assert (await get(data_file, ("if-match", etag_of(data_file)))).status == 200
    assert (await get(data_file, ("if-unmodified-since", http_date(-3600, data_file)))).status == 412
    assert (await get(data_file, ("if-unmodified-since", http_date(0, data_file)))).status == 200


async def test_preconditions_only_for_200_get(data_file: Path) -> None:
    not_found = await get(data_file, ("if-none-match", "*"), ("range", "bytes=0-1"), status_code=404)
    assert (not_found.status, len(not_found.body)) == (404, len(DATA))
    assert "accept-ranges" not in not_found.headers
    post = await get(data_file, ("if-none-match", "*"), ("range", "bytes=0-1"), method="POST")
    assert (post.status, post.body) == (200, DATA)


# -- Ranges --------------------------------------------------------------------


async def test_single_range(data_file: Path) -> None:
    result = await get(data_file, ("range", "bytes=100-65636"))
    assert result.status == 206
    assert result.body == DATA[100:65637]
    assert result.headers["content-range"] == f"bytes 100-65636/{len(DATA)}"
    assert result.headers["content-length"] == str(65537)
    assert result.headers["content-type"] == "application/octet-stream"


async def test_suffix_and_oversized_suffix(data_file: Path) -> None:
    assert (await get(data_file, ("range", "bytes=-10"))).body == DATA[-10:]
    whole = await get(data_file, ("range", "bytes=-99999999999999"))
    assert whole.status == 206
    assert whole.headers["content-range"] == f"bytes 0-{len(DATA) - 1}/{len(DATA)}"
    assert whole.body == DATA


def parse_multipart(result: Result) -> list[tuple[str, str, bytes]]:
    content_type = result.headers["content-type"]
    match = re.fullmatch(r"multipart/byteranges; boundary=([0-9a-f]{32})", content_type)
    assert match is not None, content_type
    boundary = match.group(1).encode()
    assert result.body.endswith(b"\r\n--" + boundary + b"--\r\n")
    body = result.body[: -len(b"\r\n--" + boundary + b"--\r\n")]
    assert body.startswith(b"--" + boundary + b"\r\n")
    parts = []
    for raw in body[len(b"--" + boundary + b"\r\n") :].split(b"\r\n--" + boundary + b"\r\n"):
        head, _, data = raw.partition(b"\r\n\r\n")
        lines = dict(line.split(b": ", 1) for line in head.split(b"\r\n"))
        parts.append((lines[b"Content-Type"].decode(), lines[b"Content-Range"].decode(), data))
    return parts


async def test_multiple_ranges_multipart_byteranges(data_file: Path) -> None:
    result = await get(data_file, ("range", "bytes=200000-200009, 0-4,-3"))
    assert result.status == 206
    assert result.headers["content-length"] == str(len(result.body))
    size = len(DATA)
    assert parse_multipart(result) == [
        ("application/octet-stream", f"bytes 0-4/{size}", DATA[0:5]),
        ("application/octet-stream", f"bytes 200000-200009/{size}", DATA[200000:200010]),
        ("application/octet-stream", f"bytes {size - 3}-{size - 1}/{size}", DATA[-3:]),
    ]


async def test_boundaries_are_random(data_file: Path) -> None:
    first = await get(data_file, ("range", "bytes=0-1,5-6"))
    second = await get(data_file, ("range", "bytes=0-1,5-6"))
    assert first.headers["content-type"] != second.headers["content-type"]


async def test_overlapping_ranges_are_merged_into_one(data_file: Path) -> None:
    result = await get(data_file, ("range", "bytes=10-20,15-30,31-40"))
    assert result.status == 206
    assert result.headers["content-range"] == f"bytes 10-40/{len(DATA)}"
    assert result.body == DATA[10:41]


async def test_unsatisfiable_range_is_416(data_file: Path) -> None:
    result = await get(data_file, ("range", f"bytes={len(DATA)}-"))
    assert result.status == 416
    assert result.headers["content-range"] == f"bytes */{len(DATA)}"
    assert result.body == b""
    assert "content-type" not in result.headers


@pytest.mark.parametrize("header", ["bytes=5-1", "bytes=abc", "pages=1-2", "bytes=--5", "bytes="])
async def test_malformed_range_is_ignored(data_file: Path, header: str) -> None:
    result = await get(data_file, ("range", header))
    assert (result.status, result.body) == (200, DATA)


async def test_ten_thousand_overlapping_unsorted_ranges(data_file: Path) -> None:
    specs = ",".join(f"{(i * 7919) % 10_000}-{(i * 7919) % 10_000 + 100}" for i in range(10_000))
    started = time.perf_counter()
    result = await get(data_file, ("range", "bytes=" + specs))
    assert time.perf_counter() - started < 3.0
    assert result.status == 206
    assert result.headers["content-range"] == f"bytes 0-10099/{len(DATA)}"
    assert result.body == DATA[:10100]


async def test_too_many_ranges_fall_back_to_200(data_file: Path) -> None:
    specs = ",".join(f"{i * 10}-{i * 10}" for i in range(101))
    result = await get(data_file, ("range", "bytes=" + specs))
    assert (result.status, result.body) == (200, DATA)
    capped = await get(data_file, ("range", "bytes=0-0,5-5,9-9"), max_ranges=2)
    assert capped.status == 200


async def test_if_range(data_file: Path) -> None:
    etag = etag_of(data_file)
    assert (await get(data_file, ("range", "bytes=0-1"), ("if-range", etag))).status == 206
    assert (await get(data_file, ("range", "bytes=0-1"), ("if-range", '"stale"'))).status == 200
    assert (await get(data_file, ("range", "bytes=0-1"), ("if-range", "W/" + etag))).status == 200
    date = http_date(0, data_file)
    assert (await get(data_file, ("range", "bytes=0-1"), ("if-range", date))).status == 206
    assert (await get(data_file, ("range", "bytes=0-1"), ("if-range", http_date(-5, data_file)))).status == 200
    assert (await get(data_file, ("range", "bytes=0-1"), ("if-range", "*"))).status == 200


# -- pathsend and background ---------------------------------------------------


async def test_pathsend_when_advertised(data_file: Path) -> None:
    scope = http_scope("/f", extensions={"http.response.pathsend": {}})
    result = await run(FileResponse(data_file), scope)
    assert result.status == 200
    assert result.messages[1] == {"type": "http.response.pathsend", "path": str(data_file.resolve())}


async def test_no_pathsend_for_ranges_or_head(data_file: Path) -> None:
    ext: dict[str, object] = {"http.response.pathsend": {}}
    ranged = await run(FileResponse(data_file), http_scope("/f", headers=[("range", "bytes=0-1")], extensions=ext))
    assert ranged.body == DATA[:2]
    head = await run(FileResponse(data_file), http_scope("/f", method="HEAD", extensions=ext))
    assert [m["type"] for m in head.messages] == ["http.response.start", "http.response.body"]


async def test_background_runs_after_the_body(data_file: Path) -> None:
    events: list[str] = []
    response = FileResponse(data_file, background=BackgroundTask(events.append, "done"))

    async def send(message: Message) -> None:
        events.append(str(message["type"]))

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    await response(http_scope("/f", headers=[("range", "bytes=0-1")]), receive, send)
    assert events == ["http.response.start", "http.response.body", "done"]
