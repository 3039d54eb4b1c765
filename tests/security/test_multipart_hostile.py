"""Hostile form bodies: the bug classes behind python-multipart's, Starlette's and Werkzeug's advisories.

Each test's docstring names the bug class and the public advisory it guards
against. Parser time is measured as CPU time of this thread (``thread_time``,
best of a few runs), so other processes on a busy machine do not make it flaky;
the bounds leave one to two orders of magnitude of headroom over what a
linear parser needs, and are far below what the vulnerable parsers took.
"""

from __future__ import annotations

import itertools
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import pytest

from ferrule import App, File, Form, UploadFile
from ferrule.asgi_core.exceptions import (
    MalformedInputError,
    PayloadTooLargeError,
    RequestHeaderFieldsTooLargeError,
)
from ferrule.asgi_core.forms import parse_urlencoded
from ferrule.asgi_core.limits import DEFAULT_FORM_MAX_FIELD_SIZE, DEFAULT_FORM_MAX_PART_HEADER_BYTES, FormLimits
from ferrule.asgi_core.multipart import Done, MultipartParser, PartData, PartStart, parse_options_header
from sec_driver import Outcome, cpu_seconds, drive

pytestmark = pytest.mark.anyio

LIMITS = FormLimits()
CHUNK = 64 * 1024
MULTIPART = (b"content-type", b"multipart/form-data; boundary=sep")
URLENCODED = (b"content-type", b"application/x-www-form-urlencoded")


def chunks(data: bytes, size: int = CHUNK) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


def part(disposition: bytes, content: bytes, extra: bytes = b"") -> bytes:
    return b"--sep\r\nContent-Disposition: " + disposition + b"\r\n" + extra + b"\r\n" + content + b"\r\n"


CLOSE = b"--sep--\r\n"
MIB = 1024 * 1024


def huge_part(disposition: bytes, mib: int) -> Iterator[bytes]:
    """A whole form of one part of ``mib`` MiB, made chunk by chunk as it is sent (never held at once)."""
    return itertools.chain(
        [b"--sep\r\nContent-Disposition: " + disposition + b"\r\n\r\n"],
        itertools.repeat(b"x" * MIB, mib),
        [b"\r\n" + CLOSE],
    )


async def post_form_traced(app: App, body: Iterator[bytes], **options: Any) -> tuple[Outcome, int]:
    """POST ``body`` to ``/form`` as multipart: the outcome and the peak of Python's allocations meanwhile."""
    tracemalloc.start()
    try:
        outcome = await drive(app, "POST", "/form", [MULTIPART], body, **options)
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def form_app(**route: Any) -> App:
    app = App()

    @app.post("/form", **route)
    async def form(
        a: Annotated[str, Form()] = "",
        b: Annotated[str, Form()] = "",
        f: Annotated[UploadFile | None, File()] = None,
    ) -> dict[str, Any]:
        return {"a": a, "b": b, "filename": None if f is None else f.filename, "size": None if f is None else f.size}

    return app


# --- Content-Type parameters -----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        'multipart/form-data; boundary="' + "\\" * 40 + "a",  # the published shape: unterminated
        'multipart/form-data; boundary="' + "\\" * 40 + '"',
        'multipart/form-data; boundary="' + "\\" * 41 + 'a"; name="' + "\\" * 64,
    ],
    ids=["40-backslashes", "40-backslashes-closed", "41-and-64"],
)
def test_redos_shaped_content_type_is_answered_in_under_10_ms(value: str) -> None:
    """Bug class: ReDoS (catastrophic regex backtracking) in Content-Type option parsing.

    Advisory: python-multipart's ``parse_options_header`` used a regex that
    backtracked exponentially on a quoted boundary full of backslashes, so one
    small header pinned a CPU core of every FastAPI/Starlette worker
    (CVE-2024-24762, also published for FastAPI). ferrule's parser is a
    hand-written linear scan: the published shape (40+ backslashes in a
    quoted boundary) is answered in under 10 ms of parser time.
    """
    seconds = cpu_seconds(lambda: parse_options_header(value))
    assert seconds < 0.010, f"{seconds * 1000:.1f} ms of parser time"
    media_type, params = parse_options_header(value)
    assert media_type == "multipart/form-data"
    assert params["boundary"].startswith("\\" * 20)  # each escaped pair is one backslash


@pytest.mark.parametrize(
    "make",
    [
        lambda n: 'multipart/form-data; boundary="' + "\\" * n,
        lambda n: 'multipart/form-data; boundary="' + '\\"' * n,
        lambda n: "multipart/form-data; " + "a=b; " * n + 'boundary="x"',
        lambda n: "multipart/form-data; boundary=" + " " * n + "x",
        lambda n: 'form-data; name="' + "\\" * n + '"; filename="' + ";" * n,
    ],
    ids=["backslashes", "escaped-quotes", "many-params", "spaces", "disposition"],
)
def test_redos_shaped_content_type_scales_linearly(make: Callable[[int], str]) -> None:
    """Bug class: ReDoS in Content-Type option parsing (CVE-2024-24762), at any size.

    Where the vulnerable regex took exponential time in the number of
    backslashes, 4x the input must cost at most ~4x the time here (bound 10x
    for noise), and 40,000 characters well under 100 ms.
    """
    small, large = make(10_000), make(40_000)
    t_small = cpu_seconds(lambda: parse_options_header(small), repeat=3)
    t_large = cpu_seconds(lambda: parse_options_header(large), repeat=3)
    assert t_large < 0.1, f"{t_large * 1000:.1f} ms for 40k characters"
    assert t_large < 10 * t_small + 0.002, f"not linear: {t_small:.4f} s -> {t_large:.4f} s"


async def test_redos_shaped_content_type_is_answered_quickly_end_to_end() -> None:
    """Bug class: ReDoS in Content-Type parsing, through the whole app (CVE-2024-24762).

    The hostile header reaches the form parser of a real route; the request
    is answered (here: an empty form, the boundary is never seen) at once
    and never with a 500.
    """
    app = form_app()
    header = b'multipart/form-data; boundary="' + b"\\" * 40 + b"a"
    start = time.thread_time()
    outcome = await drive(app, "POST", "/form", [(b"content-type", header)], b"--x--\r\n")
    assert time.thread_time() - start < 0.5
    assert outcome.error is None
    assert outcome.status == 400
    assert outcome.json() == {"detail": "multipart body ended before the closing boundary"}


# --- CR/LF floods ---------------------------------------------------------------------------


def _crlf_body(size: int) -> bytes:
    return b"\r\n" * (size // 2) + part(b'form-data; name="a"', b"v") + CLOSE + b"\r\n" * (size // 2)


def _parse_all(body: bytes) -> list[Any]:
    parser = MultipartParser(b"sep", LIMITS)
    events: list[Any] = []
    for index in range(0, len(body), CHUNK):
        events += parser.feed(body[index : index + CHUNK])
    return events + parser.finish()


def test_crlf_flood_around_the_boundaries_costs_linear_time() -> None:
    """Bug class: super-linear work (or a log line) per CR/LF before the first / after the last boundary.

    Advisory: python-multipart spent time (and logged a warning) for every
    CR or LF byte in the preamble and epilogue, so megabytes of line breaks
    stalled the event loop (CVE-2024-53981; Werkzeug had the same class,
    CVE-2023-46136). Here the preamble keeps only a tail shorter than the
    delimiter and the epilogue is dropped: 4x the bytes may cost at most
    ~4x the time (bound 10x for noise), and 8 MB take well under a second.
    """
    small, large = _crlf_body(2 * 1024 * 1024), _crlf_body(8 * 1024 * 1024)
    events = _parse_all(large)
    assert [type(e).__name__ for e in events] == ["PartStart", "PartData", "PartEnd", "Done"]
    t_small = cpu_seconds(lambda: _parse_all(small), repeat=3)
    t_large = cpu_seconds(lambda: _parse_all(large), repeat=3)
    assert t_large < 0.5, f"8 MB of CR/LF took {t_large:.3f} s"
    assert t_large < 10 * t_small + 0.01, f"not linear: {t_small:.4f} s -> {t_large:.4f} s"


def test_epilogue_after_the_close_delimiter_is_ignored_in_constant_time() -> None:
    """Bug class: the epilogue is buffered or scanned (CVE-2024-53981's second half).

    After ``Done`` every further chunk returns no event without being looked
    at or kept, however many CR/LF it holds.
    """
    parser = MultipartParser(b"sep", LIMITS)
    events = parser.feed(part(b'form-data; name="a"', b"v") + CLOSE)
    assert isinstance(events[-1], Done)
    flood = b"\r\n" * (CHUNK // 2)
    seconds = cpu_seconds(lambda: [parser.feed(flood) for _ in range(256)], repeat=3)
    assert seconds < 0.005
    assert parser.finish() == []


async def test_megabytes_of_crlf_keep_memory_flat_end_to_end() -> None:
    """Bug class: preamble / epilogue accumulated in memory (CVE-2024-53981).

    16 MB of CR/LF around one field, streamed to a route: answered 200 with
    the field, and the app's peak allocation stays far below the body size.
    """
    app = form_app(max_body_size=None)
    flood = b"\r\n" * (CHUNK // 2)
    body = itertools.chain(
        itertools.repeat(flood, 128),
        [part(b'form-data; name="a"', b"value") + CLOSE],
        itertools.repeat(flood, 128),
    )
    outcome, peak = await post_form_traced(app, body, timeout=30)
    assert outcome.status == 200 and outcome.json()["a"] == "value"
    assert outcome.bytes_pulled > 16 * 1024 * 1024
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes"


# --- part heads -------------------------------------------------------------------------------


async def test_part_with_endless_headers_and_no_blank_line_is_431_early() -> None:
    """Bug class: unbounded part head (header lines that never end with a blank line).

    Advisory class: multipart parsers that buffer a part's head until the
    empty line (Werkzeug's CVE-2023-25577 family, Starlette before its head
    limits) let a client grow one part's head without bound. ferrule refuses
    the head with 431 once it passes ``max_part_header_bytes`` (16 KiB), having
    read at most one chunk more than that of an endless body.
    """
    app = form_app()
    endless = itertools.chain([b"--sep\r\n"], itertools.repeat(b"X-Padding: yes\r\n" * 256))
    outcome = await drive(app, "POST", "/form", [MULTIPART], endless)
    assert outcome.status == 431
    assert "part head too large" in outcome.json()["detail"]
    assert outcome.bytes_pulled <= DEFAULT_FORM_MAX_PART_HEADER_BYTES + 2 * 4096


async def test_one_100_kb_header_value_is_431() -> None:
    """Bug class: one huge part header value kept in memory / scanned repeatedly.

    Same family as above (unbounded part heads): a single 100 KB header line
    is refused with 431, not parsed.
    """
    app = form_app()
    body = part(b'form-data; name="a"', b"v", extra=b"X-Big: " + b"a" * 100_000 + b"\r\n") + CLOSE
    outcome = await drive(app, "POST", "/form", [MULTIPART], chunks(body, 4096))
    assert outcome.status == 431
    assert outcome.bytes_pulled <= DEFAULT_FORM_MAX_PART_HEADER_BYTES + 2 * 4096


def test_oversized_part_head_raises_the_documented_error() -> None:
    """The parser-level contract behind the two tests above (431, its own error type)."""
    parser = MultipartParser(b"sep", LIMITS)
    with pytest.raises(RequestHeaderFieldsTooLargeError, match="part head too large"):
        parser.feed(b"--sep\r\nX-Big: " + b"a" * 100_000)
    with pytest.raises(MalformedInputError, match="already failed"):
        parser.feed(b"more")


@pytest.mark.parametrize(("length", "status"), [(200, 200), (201, 400), (300, 400)])
async def test_boundary_length_is_bounded(length: int, status: int) -> None:
    """Bug class: unbounded boundary length (the parser keeps a tail of the boundary's size).

    RFC 2046 allows 70 characters; tolerant parsers without a bound let the
    boundary itself become the memory/CPU lever. A 300-byte boundary is 400;
    200 is the documented maximum and still works.
    """
    app = form_app()
    boundary = b"b" * length
    body = b"--" + boundary + b'\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--' + boundary + b"--\r\n"
    header = (b"content-type", b"multipart/form-data; boundary=" + boundary)
    outcome = await drive(app, "POST", "/form", [header], body)
    assert outcome.status == status
    if status == 200:
        assert outcome.json()["a"] == "v"
    else:
        assert outcome.json() == {"detail": "multipart boundary too long: over 200 bytes"}


# --- parameter smuggling ------------------------------------------------------------------------


async def test_semicolon_is_not_a_urlencoded_separator() -> None:
    """Bug class: parameter cloaking with ``;`` as a second query/form separator.

    Advisory: Python's ``urllib.parse.parse_qsl`` split on both ``&`` and
    ``;`` (CVE-2021-23336), so a proxy/cache and the app disagreed about
    which parameters a request had (web cache poisoning). WHATWG says only
    ``&`` separates: ``a=1;b=2`` is one field ``a`` with the value ``1;b=2``.
    """
    assert parse_urlencoded(b"a=1;b=2&c=3", LIMITS) == [("a", "1;b=2"), ("c", "3")]
    outcome = await drive(form_app(), "POST", "/form", [URLENCODED], b"a=1;b=2")
    assert outcome.status == 200
    assert outcome.json()["a"] == "1;b=2" and outcome.json()["b"] == ""


@pytest.mark.parametrize(
    ("disposition", "name", "filename"),
    [
        (b"form-data; name=\"a\"; name*=utf-8''b", "a", None),
        (b"form-data; name*=utf-8''b; name=\"a\"", "a", None),
        (b"form-data; name=\"f\"; filename=\"ok.txt\"; filename*=utf-8''..%2F..%2Fetc%2Fpasswd", "f", "ok.txt"),
        (b"form-data; name=\"f\"; filename*=utf-8''evil.exe; filename=\"ok.txt\"", "f", "ok.txt"),
        (b"form-data; name=\"f\"; filename*=utf-8''..%2F..%2Fetc%2Fpasswd", "f", "passwd"),
    ],
)
def test_extended_parameters_never_override_the_plain_ones(disposition: bytes, name: str, filename: str | None) -> None:
    """Bug class: ``name*=`` / ``filename*=`` (RFC 2231/8187) smuggling past the plain parameter.

    Advisory class: parsers that let the extended form win (or take the last
    of two names) disagree with WAFs, proxies and other parsers about which
    field or file name a part carries; several multipart libraries shipped
    fixes for such parser differentials. ferrule: the plain parameter is
    authoritative, the extended one is used only when the plain one is
    absent, and the result is still reduced to a basename.
    """
    parser = MultipartParser(b"sep", LIMITS)
    events = parser.feed(part(disposition, b"data") + CLOSE)
    start = events[0]
    assert isinstance(start, PartStart)
    assert (start.name, start.filename) == (name, filename)


async def test_extended_parameter_smuggling_end_to_end() -> None:
    """The same rule through a route: the field is ``a``, the file is ``ok.txt`` (not ``b``/``passwd``)."""
    body = (
        part(b"form-data; name=\"a\"; name*=utf-8''b", b"x")
        + part(b"form-data; name=\"f\"; filename=\"ok.txt\"; filename*=utf-8''..%2F..%2Fetc%2Fpasswd", b"data")
        + CLOSE
    )
    outcome = await drive(form_app(), "POST", "/form", [MULTIPART], body)
    assert outcome.status == 200
    assert outcome.json() == {"a": "x", "b": "", "filename": "ok.txt", "size": 4}


def test_duplicate_plain_name_or_filename_is_refused() -> None:
    """Bug class: two ``name``/``filename`` parameters read differently by two parsers: 400."""
    parser = MultipartParser(b"sep", LIMITS)
    with pytest.raises(MalformedInputError, match="duplicate name or filename"):
        parser.feed(part(b'form-data; name="a"; name="b"', b"x"))


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/etc/passwd", "passwd"),
        ("C:\\Users\\me\\a.txt", "a.txt"),
        ("\\\\host\\share\\x.bin", "x.bin"),
        ("..", ""),
        ("dir/.", ""),
        ("a\x01b\x7fc.txt", "abc.txt"),
    ],
)
async def test_upload_filename_is_reduced_to_its_basename(sent: str, kept: str) -> None:
    """Bug class: path traversal through an upload's ``filename``.

    Advisory class: apps that join ``UploadFile.filename`` to a directory
    write outside it when the name is ``../../etc/passwd`` (the reason
    RFC 7578 §4.2 says the name MUST NOT be used blindly; Werkzeug ships
    ``secure_filename`` for it). ferrule hands out the last segment of either
    separator, without control characters, and never ``.``/``..``.
    """
    quoted = sent.replace("\\", "\\\\").encode("latin-1")
    body = part(b'form-data; name="f"; filename="' + quoted + b'"', b"data") + CLOSE
    outcome = await drive(form_app(), "POST", "/form", [MULTIPART], body)
    assert outcome.status == 200
    assert outcome.json()["filename"] == kept


# --- counts and sizes ------------------------------------------------------------------------------


async def test_100000_tiny_urlencoded_fields_are_413_quickly() -> None:
    """Bug class: unbounded number of form fields (CPU and memory per field).

    Advisory: Starlette had no limit on the number of form fields/parts
    (CVE-2023-30798; Werkzeug CVE-2023-25577 for parts). ferrule stops at
    ``max_fields`` (1000 by default) with 413.
    """
    body = b"a=1&" * 100_000
    start = time.thread_time()
    outcome = await drive(form_app(), "POST", "/form", [URLENCODED], chunks(body))
    assert time.thread_time() - start < 0.5
    assert outcome.status == 413
    assert outcome.json() == {"detail": "too many form fields: more than 1000 (raise FormLimits.max_fields)"}


async def test_100000_tiny_multipart_fields_are_413_before_the_body_is_read() -> None:
    """Bug class: unbounded number of multipart parts (CVE-2023-30798, CVE-2023-25577).

    The limit is enforced while the body streams in: of 100,000 parts the app
    reads only the bytes up to part 1001, then answers 413.
    """
    tiny = part(b'form-data; name="x"', b"1")
    total = len(tiny) * 100_000 + len(CLOSE)

    def body() -> Iterator[bytes]:
        for _ in range(100_000 // 1000):
            yield tiny * 1000
        yield CLOSE

    outcome = await drive(form_app(), "POST", "/form", [MULTIPART], body())
    assert outcome.status == 413
    assert outcome.json() == {"detail": "too many form fields: more than 1000 (raise FormLimits.max_fields)"}
    assert outcome.bytes_pulled < total // 40


def test_too_many_parts_of_any_kind_is_413() -> None:
    """Bug class: parts that are neither counted as fields nor files; ``max_parts`` bounds them all."""
    parser = MultipartParser(b"sep", FormLimits(max_parts=10))
    with pytest.raises(PayloadTooLargeError, match="too many multipart parts"):
        parser.feed(part(b'form-data; name="x"', b"1") * 11)


async def test_100_mb_non_file_field_is_413_with_flat_memory() -> None:
    """Bug class: a non-file field buffered in memory without limit.

    Advisory: Starlette kept multipart parts without a filename in memory
    with no size limit, so one 100 MB "text field" cost 100 MB of RAM per
    request (CVE-2024-47874). ferrule stops at ``max_field_size`` (1 MiB)
    with 413, even on a route without a body limit; the 100 MB body is
    streamed from a generator and the app reads ~1 MiB of it.
    """
    app = form_app(max_body_size=None)
    outcome, peak = await post_form_traced(app, huge_part(b'form-data; name="a"', 100))
    assert outcome.status == 413
    assert outcome.json() == {
        "detail": f"form field 'a' too large: more than {DEFAULT_FORM_MAX_FIELD_SIZE} bytes "
        "(raise FormLimits.max_field_size)"
    }
    assert outcome.bytes_pulled <= 3 * MIB
    assert peak < 8 * MIB, f"peak {peak} bytes"


async def test_100_mb_file_upload_is_spooled_with_flat_memory_and_never_blocks_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bug class: a large upload held in memory, or rolled over to disk on the event loop.

    Advisories: memory exhaustion by uploads kept in RAM (the file-side twin
    of CVE-2024-47874), and Starlette's CVE-2025-54121: the write that rolls
    a ``SpooledTemporaryFile`` over to disk copied the whole spool on the
    event loop thread, stalling every other request. 100 MB stream through
    with flat memory, and the rollover happens in a worker thread.
    """
    rollover_threads: list[threading.Thread] = []
    original = tempfile.SpooledTemporaryFile.rollover

    def spy(self: tempfile.SpooledTemporaryFile[bytes]) -> None:
        rollover_threads.append(threading.current_thread())
        original(self)

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", spy)
    app = form_app(max_body_size=None)
    outcome, peak = await post_form_traced(app, huge_part(b'form-data; name="f"; filename="big.bin"', 100), timeout=60)
    assert outcome.status == 200
    assert outcome.json()["size"] == 100 * MIB
    assert peak < 12 * MIB, f"peak {peak} bytes"
    assert rollover_threads and all(t is not threading.main_thread() for t in rollover_threads)


def test_part_data_is_handed_out_without_buffering_the_part() -> None:
    """The parser property the two tests above rely on: content leaves as it arrives."""
    parser = MultipartParser(b"sep", LIMITS)
    events = parser.feed(b'--sep\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n')
    assert isinstance(events[0], PartStart)
    out = parser.feed(b"y" * CHUNK)
    assert sum(len(e.data) for e in out if isinstance(e, PartData)) >= CHUNK - 16
