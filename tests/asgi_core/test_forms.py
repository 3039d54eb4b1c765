"""Tests for the form layer: UploadFile, FormData, parse_urlencoded, parse_form."""

from __future__ import annotations

import io
import tempfile
import tracemalloc
from collections.abc import AsyncIterator, Iterable
from typing import Any

import anyio
import pytest

from ferrule.asgi_core.exceptions import (
    MalformedInputError,
    PayloadTooLargeError,
    RequestHeaderFieldsTooLargeError,
    UnsupportedMediaTypeError,
)
from ferrule.asgi_core.forms import FormData, UploadFile, parse_form, parse_urlencoded
from ferrule.asgi_core.headers import Headers
from ferrule.asgi_core.limits import FormLimits, LimitConfigError

pytestmark = pytest.mark.anyio

BOUNDARY = "----ferruleFormBoundary7MA4YWxk"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
URLENCODED = "application/x-www-form-urlencoded"
LIMITS = FormLimits()


async def stream(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def field(name: str, value: bytes) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
    )


def file_part(name: str, filename: str, data: bytes, content_type: str = "text/plain") -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return head.encode() + data + b"\r\n"


CLOSE = f"--{BOUNDARY}--\r\n".encode()


_SPOOLED = tempfile.SpooledTemporaryFile


class Recorder:
    """Wraps SpooledTemporaryFile to keep every file parse_form creates."""

    def __init__(self) -> None:
        self.files: list[tempfile.SpooledTemporaryFile[bytes]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> tempfile.SpooledTemporaryFile[bytes]:
        spooled: tempfile.SpooledTemporaryFile[bytes] = _SPOOLED(*args, **kwargs)
        self.files.append(spooled)
        return spooled


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    record = Recorder()
    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", record)
    return record


# --- UploadFile ------------------------------------------------------------------


async def test_upload_file_in_memory_round_trip() -> None:
    upload = UploadFile(
        tempfile.SpooledTemporaryFile(max_size=1024),
        size=0,
        filename="a.txt",
        headers=Headers({"content-type": "text/plain"}),
    )
    assert upload._in_memory
    await upload.write(b"hello ")
    await upload.write(b"world")
    assert upload.size == 11
    await upload.seek(0)
    assert await upload.read(5) == b"hello"
    assert await upload.read() == b" world"
    assert upload.content_type == "text/plain"
    assert "a.txt" in repr(upload)
    await upload.close()
    assert upload.file.closed


async def test_upload_file_rolled_to_disk_uses_the_same_api() -> None:
    upload = UploadFile(tempfile.SpooledTemporaryFile(max_size=4), size=0)
    await upload.write(b"more than four bytes")
    assert not upload._in_memory
    await upload.seek(5)
    assert await upload.read() == b"than four bytes"
    await upload.close()
    assert upload.file.closed


async def test_upload_file_over_any_file_object() -> None:
    upload = UploadFile(io.BytesIO(b"data"))  # no ``_rolled``: treated as blocking
    assert (upload.size, upload.filename, upload.content_type) == (None, None, None)
    assert await upload.read() == b"data"
    await upload.write(b"!")
    assert upload.size is None
    await upload.close()


# --- FormData ------------------------------------------------------------------


async def test_form_data_is_a_multi_dict_returning_the_last_value() -> None:
    upload = UploadFile(io.BytesIO(), filename="f.bin")
    form = FormData([("a", "1"), ("b", upload), ("a", "2")])
    assert form["a"] == "2"  # COMPAT: Starlette's ImmutableMultiDict
    assert form.get("a") == "2"
    assert form.get("missing") is None
    assert form.getlist("a") == ["1", "2"]
    assert form.getlist("missing") == []
    assert list(form.keys()) == ["a", "b"]
    assert list(form.values()) == ["2", upload]
    assert list(form.items()) == [("a", "2"), ("b", upload)]
    assert form.multi_items() == [("a", "1"), ("b", upload), ("a", "2")]
    assert len(form) == 2
    assert "b" in form and "c" not in form and not form.__contains__(1)
    with pytest.raises(KeyError):
        form["missing"]
    assert "f.bin" in repr(form)


async def test_form_data_equality_and_construction() -> None:
    assert FormData({"a": "1"}) == FormData([("a", "1")])
    assert FormData([("a", "1"), ("b", "2")]) == FormData([("b", "2"), ("a", "1")])
    assert FormData([("a", "1"), ("a", "2")]) != FormData([("a", "2"), ("a", "1")])
    assert FormData() != {"a": "1"}
    multi = FormData([("a", "1"), ("a", "2")])
    assert FormData(multi).multi_items() == [("a", "1"), ("a", "2")]
    assert len(FormData()) == 0


async def test_form_data_close_closes_every_upload() -> None:
    first, second = UploadFile(io.BytesIO()), UploadFile(io.BytesIO())
    form = FormData([("a", first), ("b", "text"), ("a", second)])
    await form.close()
    assert first.file.closed and second.file.closed


# --- parse_urlencoded ----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"a=1&b=2", [("a", "1"), ("b", "2")]),
        (b"a=1;b=2", [("a", "1;b=2")]),  # ';' does not separate
        (b"a+b=c+d%2B", [("a b", "c d+")]),
        (b"a=&=b&c&&", [("a", ""), ("", "b"), ("c", "")]),
        (b"a=%zz%4&b=%", [("a", "%zz%4"), ("b", "%")]),
        (b"a=%FF%C3&b=%C3%A9", [("a", "\ufffd\ufffd"), ("b", "\xe9")]),
        (b"raw=\xff\xc3\xa9", [("raw", "\ufffd\xe9")]),
        (b"k=a=b", [("k", "a=b")]),
        (b"", []),
    ],
)
async def test_parse_urlencoded(body: bytes, expected: list[tuple[str, str]]) -> None:
    assert parse_urlencoded(body, LIMITS) == expected


async def test_urlencoded_field_limit() -> None:
    assert len(parse_urlencoded(b"&".join([b"a=1"] * 3) + b"&&&", FormLimits(max_fields=3))) == 3
    with pytest.raises(PayloadTooLargeError, match=r"max_fields") as info:
        parse_urlencoded(b"&".join([b"a=1"] * 4), FormLimits(max_fields=3))
    assert info.value.status_code == 413


async def test_urlencoded_100k_tiny_fields_hit_the_limit() -> None:
    body = b"&".join([b"a"] * 100_000)
    with pytest.raises(PayloadTooLargeError, match="too many form fields: more than 1000"):
        parse_urlencoded(body, LIMITS)


async def test_urlencoded_size_limit() -> None:
    with pytest.raises(PayloadTooLargeError, match="max_urlencoded_size"):
        parse_urlencoded(b"a=" + b"x" * 10, FormLimits(max_urlencoded_size=11))


# --- parse_form: dispatch ----------------------------------------------------------


async def test_no_content_type_gives_an_empty_form_without_reading() -> None:
    read: list[bytes] = []

    async def chunks() -> AsyncIterator[bytes]:
        read.append(b"x")
        yield b"a=1"

    for content_type in (None, "", b""):
        assert await parse_form(chunks(), content_type, LIMITS) == FormData()
    assert read == []


async def test_unsupported_media_type_is_415() -> None:
    with pytest.raises(UnsupportedMediaTypeError, match="unsupported form media type") as info:
        await parse_form(stream([b"{}"]), "application/json", LIMITS)
    assert info.value.status_code == 415


async def test_urlencoded_form_is_read_in_chunks() -> None:
    form = await parse_form(stream([b"na", b"me=J%C3", b"%A9r%C3%B4me&x=", b""]), URLENCODED, LIMITS)
    assert form.multi_items() == [("name", "J\xe9r\xf4me"), ("x", "")]


async def test_urlencoded_body_over_the_limit_stops_reading() -> None:
    read = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal read
        while True:  # an endless body
            read += 1
            yield b"a=" + b"x" * 1000 + b"&"

    with pytest.raises(PayloadTooLargeError, match="max_urlencoded_size"):
        await parse_form(chunks(), URLENCODED.encode(), FormLimits(max_urlencoded_size=10_000))
    assert read == 10


async def test_multipart_form_with_fields_and_files(recorder: Recorder) -> None:
    body = (
        field("title", "caf\xe9".encode())
        + file_part("upload", "../../notes.txt", b"line 1\r\nline 2")
        + field("title", b"second")
        + file_part("empty", "", b"", "application/octet-stream")
        + CLOSE
    )
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
    form = await parse_form(stream(chunks), f'multipart/form-data; boundary="{BOUNDARY}"', LIMITS)
    assert form.getlist("title") == ["caf\xe9", "second"]
    upload = form["upload"]
    assert isinstance(upload, UploadFile)
    assert (upload.filename, upload.content_type, upload.size) == ("notes.txt", "text/plain", 14)
    assert upload.headers["content-disposition"].endswith('filename="../../notes.txt"')
    assert await upload.read() == b"line 1\r\nline 2"  # rewound after parsing
    empty = form["empty"]
    assert isinstance(empty, UploadFile) and (empty.filename, empty.size) == ("", 0)
    await form.close()
    assert len(recorder.files) == 2 and all(f.closed for f in recorder.files)


async def test_invalid_utf8_in_a_field_is_replaced() -> None:
    # Documented choice: field values decode as UTF-8 with U+FFFD, never 400.
    form = await parse_form(stream([field("a", b"ok \xff\xfe \xc3(") + CLOSE]), MULTIPART, LIMITS)
    assert form["a"] == "ok \ufffd\ufffd \ufffd("


async def test_files_roll_over_to_disk_past_the_spool_size() -> None:
    body = file_part("small", "s.bin", b"x" * 10) + file_part("big", "b.bin", b"y" * 100) + CLOSE
    form = await parse_form(stream([body]), MULTIPART, FormLimits(spool_max_size=50))
    small, big = form["small"], form["big"]
    assert isinstance(small, UploadFile) and isinstance(big, UploadFile)
    assert small._in_memory and not big._in_memory
    assert await big.read() == b"y" * 100
    await form.close()


async def test_file_data_is_written_in_blocks_and_arrives_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1.3 MB file fed in 7 KB chunks: the bytes and size are exact, and it
    reaches the (rolled-over) file in a few large writes, not one per chunk."""
    data = bytes(range(256)) * 5200 + b"tail"
    body = file_part("big", "b.bin", data) + file_part("after", "a.bin", b"next") + CLOSE
    writes: list[int] = []
    original = UploadFile.write

    async def counting_write(self: UploadFile, chunk: bytes) -> None:
        writes.append(len(chunk))
        await original(self, chunk)

    monkeypatch.setattr(UploadFile, "write", counting_write)
    chunks = [body[i : i + 7000] for i in range(0, len(body), 7000)]
    form = await parse_form(stream(chunks), MULTIPART, FormLimits(spool_max_size=100_000))
    big, after = form["big"], form["after"]
    assert isinstance(big, UploadFile) and isinstance(after, UploadFile)
    assert not big._in_memory and big.size == len(data)
    assert await big.read() == data and await after.read() == b"next"
    assert sum(writes) == len(data) + 4 and len(writes) <= len(data) // (256 * 1024) + 2
    await form.close()


async def test_the_file_size_limit_counts_unwritten_data() -> None:
    body = file_part("f", "f.bin", b"z" * 5000) + CLOSE
    with pytest.raises(PayloadTooLargeError, match="too large"):
        await parse_form(stream([body[i : i + 100] for i in range(0, len(body), 100)]), MULTIPART, FormLimits(max_file_size=4999))


async def test_spool_size_zero_sends_every_file_to_disk() -> None:
    form = await parse_form(stream([file_part("f", "f", b"1") + CLOSE]), MULTIPART, FormLimits(spool_max_size=0))
    upload = form["f"]
    assert isinstance(upload, UploadFile) and not upload._in_memory
    assert await upload.read() == b"1"
    await form.close()


# --- parse_form: hostile input ---------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", 'multipart/form-data; charset=utf-8; boundary=""'],
)
async def test_missing_boundary_is_400(content_type: str) -> None:
    with pytest.raises(MalformedInputError, match="missing boundary") as info:
        await parse_form(stream([CLOSE]), content_type, LIMITS)
    assert info.value.status_code == 400


async def test_huge_boundary_is_400() -> None:
    with pytest.raises(MalformedInputError, match="boundary too long"):
        await parse_form(stream([b""]), "multipart/form-data; boundary=" + "b" * 300, LIMITS)


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=\u20ac", b"multipart/form-data; boundary=\xe9"])
async def test_non_ascii_boundary_is_400(content_type: str | bytes) -> None:
    with pytest.raises(MalformedInputError, match="invalid multipart boundary"):
        await parse_form(stream([b""]), content_type, LIMITS)


async def test_truncated_body_is_400_and_closes_files(recorder: Recorder) -> None:
    body = field("a", b"1") + file_part("f", "f.txt", b"partial content")
    with pytest.raises(MalformedInputError, match="ended before the closing boundary") as info:
        await parse_form(stream([body]), MULTIPART, LIMITS)
    assert info.value.status_code == 400
    assert len(recorder.files) == 1 and recorder.files[0].closed


async def test_part_head_of_one_megabyte_is_431() -> None:
    body = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\nX: '.encode() + b"y" * (1 << 20)
    with pytest.raises(RequestHeaderFieldsTooLargeError, match="part head too large") as info:
        await parse_form(stream([body[i : i + 65536] for i in range(0, len(body), 65536)]), MULTIPART, LIMITS)
    assert info.value.status_code == 431


async def test_100k_tiny_multipart_fields_stop_at_the_limit() -> None:
    read = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal read
        for _ in range(100_000):
            read += 1
            yield field("f", b"1")
        yield CLOSE

    with pytest.raises(PayloadTooLargeError, match=r"too many form fields: more than 1000 \(raise FormLimits.max_fields\)"):
        await parse_form(chunks(), MULTIPART, LIMITS)
    assert read == 1001  # stopped right at the limit, not after reading everything


async def test_too_many_files_is_413_and_closes_them(recorder: Recorder) -> None:
    body = b"".join(file_part("f", f"{i}.txt", b"x") for i in range(4)) + CLOSE
    with pytest.raises(PayloadTooLargeError, match="max_files") as info:
        await parse_form(stream([body]), MULTIPART, FormLimits(max_files=3))
    assert info.value.status_code == 413
    assert len(recorder.files) == 3 and all(f.closed for f in recorder.files)


async def test_too_many_parts_is_413() -> None:
    body = field("a", b"1") * 2 + file_part("f", "f", b"") * 2 + CLOSE
    form = await parse_form(stream([body]), MULTIPART, FormLimits(max_parts=4))
    assert len(form.multi_items()) == 4
    await form.close()
    with pytest.raises(PayloadTooLargeError, match="max_parts"):
        await parse_form(stream([body]), MULTIPART, FormLimits(max_parts=3))


async def test_file_over_max_file_size_is_413_and_closed(recorder: Recorder) -> None:
    limits = FormLimits(max_file_size=100)
    ok = await parse_form(stream([file_part("f", "f", b"x" * 100) + CLOSE]), MULTIPART, limits)
    await ok.close()
    body = file_part("f", "f", b"x" * 101) + CLOSE
    with pytest.raises(PayloadTooLargeError, match=r"uploaded file 'f' too large: more than 100 bytes"):
        await parse_form(stream([body[i : i + 10] for i in range(0, len(body), 10)]), MULTIPART, limits)
    assert len(recorder.files) == 2 and all(f.closed for f in recorder.files)


async def test_field_over_max_field_size_is_413_with_flat_memory() -> None:
    chunk = b"z" * 65536
    read = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal read
        yield field("big", b"")[:-2]  # the head, then content without end
        for _ in range(1024):  # 64 MiB if it were all read
            read += 1
            yield chunk

    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLargeError, match=r"form field 'big' too large: more than 1048576 bytes") as info:
            await parse_form(chunks(), MULTIPART, LIMITS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.status_code == 413
    assert read == 17  # 16 chunks fit in the 1 MiB limit, the 17th does not
    assert peak < 3 * 1024 * 1024


async def test_filename_star_smuggling_and_traversal_via_parse_form() -> None:
    head = (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"report.pdf\"; "
        f"filename*=UTF-8''..%2F..%2Fshell.php; name*=UTF-8''admin\r\n\r\n"
    )
    form = await parse_form(stream([head.encode() + b"%PDF\r\n" + CLOSE]), MULTIPART, LIMITS)
    upload = form["doc"]
    assert "admin" not in form
    assert isinstance(upload, UploadFile) and upload.filename == "report.pdf"
    await form.close()


async def test_crlf_injection_in_part_headers_is_400() -> None:
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\nContent-Type: text/html\r\n\r\nx\r\n'.encode()
        + CLOSE
    )
    with pytest.raises(MalformedInputError, match="bare CR or LF"):
        await parse_form(stream([body]), MULTIPART, LIMITS)


async def test_cancellation_closes_files_already_created(recorder: Recorder) -> None:
    started = anyio.Event()

    async def chunks() -> AsyncIterator[bytes]:
        yield file_part("f", "f.txt", b"some content")  # complete file
        yield file_part("g", "g.txt", b"partial")[:-2]  # a file still being written
        started.set()
        await anyio.sleep_forever()
        yield b""  # pragma: no cover

    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(parse_form, chunks(), MULTIPART, LIMITS)
            await started.wait()
            scope.cancel()
    assert scope.cancelled_caught
    assert len(recorder.files) == 2 and all(f.closed for f in recorder.files)


# --- FormLimits ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs", [{"max_fields": -1}, {"max_file_size": -5}, {"spool_max_size": 1.5}, {"max_parts": True}]
)
def test_form_limits_reject_bad_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(LimitConfigError, match=r"FormLimits\.\w+ must be an int >= 0"):
        FormLimits(**kwargs)


def test_form_limits_defaults() -> None:
    limits = FormLimits()
    assert (limits.max_fields, limits.max_files, limits.max_parts) == (1000, 1000, 2000)
    assert (limits.max_part_header_bytes, limits.max_headers_per_part) == (16384, 32)
    assert (limits.max_field_size, limits.max_file_size, limits.spool_max_size) == (1 << 20, None, 1 << 20)
    assert isinstance(LimitConfigError("x"), ValueError)
