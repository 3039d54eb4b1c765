"""Unit and hostile-input tests for the sans-IO multipart parser."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from ferrule.asgi_core.exceptions import (
    MalformedInputError,
    PayloadTooLargeError,
    RequestHeaderFieldsTooLargeError,
)
from ferrule.asgi_core.limits import FormLimits
from ferrule.asgi_core.multipart import (
    Done,
    Event,
    MultipartParser,
    PartData,
    PartEnd,
    PartStart,
    parse_options_header,
)

BOUNDARY = b"fErRuLe-b0undary"
LIMITS = FormLimits()


def part(
    name: str = "a", body: bytes = b"value", extra: bytes = b"", disposition: bytes = b""
) -> bytes:
    disposition = disposition or b'form-data; name="' + name.encode() + b'"'
    head = b"Content-Disposition: " + disposition + b"\r\n" + extra
    return b"--" + BOUNDARY + b"\r\n" + head + b"\r\n" + body + b"\r\n"


CLOSE = b"--" + BOUNDARY + b"--\r\n"


def parse(body: bytes, limits: FormLimits = LIMITS, boundary: bytes = BOUNDARY) -> list[Event]:
    parser = MultipartParser(boundary, limits)
    return parser.feed(body) + parser.finish()


def parse_bytewise(body: bytes, boundary: bytes = BOUNDARY) -> list[Event]:
    parser = MultipartParser(boundary, LIMITS)
    events: list[Event] = []
    for index in range(len(body)):
        events += parser.feed(body[index : index + 1])
    return events + parser.finish()


def merged(events: list[Event]) -> list[Event]:
    """Join adjacent PartData events, so differently split runs compare equal."""
    out: list[Event] = []
    for event in events:
        if isinstance(event, PartData) and out and isinstance(out[-1], PartData):
            out[-1] = PartData(out[-1].data + event.data)
        else:
            out.append(event)
    return out


def start(events: list[Event], index: int = 0) -> PartStart:
    starts = [e for e in events if isinstance(e, PartStart)]
    return starts[index]


# --- well-formed bodies ------------------------------------------------------


def test_fields_and_files_with_preamble_and_epilogue() -> None:
    body = (
        b"this is the preamble\r\n"
        + part("title", b"hello world")
        + part(
            body=b"\x00\xff binary \r\n-- data",
            disposition=b'form-data; name="upload"; filename="a.bin"',
            extra=b"Content-Type: application/octet-stream\r\n",
        )
        + CLOSE
        + b"and the epilogue\r\n--" + BOUNDARY + b"\r\n"
    )
    events = parse(body)
    assert events == [
        PartStart("title", None, None, [(b"content-disposition", b'form-data; name="title"')]),
        PartData(b"hello world"),
        PartEnd(),
        PartStart(
            "upload",
            "a.bin",
            "application/octet-stream",
            [
                (b"content-disposition", b'form-data; name="upload"; filename="a.bin"'),
                (b"content-type", b"application/octet-stream"),
            ],
        ),
        PartData(b"\x00\xff binary \r\n-- data"),
        PartEnd(),
        Done(),
    ]
    assert merged(parse_bytewise(body)) == events


def test_header_names_are_lowercased_and_values_trimmed() -> None:
    body = (
        b"--" + BOUNDARY + b"\r\n"
        b'CONTENT-DISPOSITION:   form-data; name="x"  \r\nX-Extra:\tv \r\n\r\n1\r\n' + CLOSE
    )
    assert start(parse(body)).headers == [
        (b"content-disposition", b'form-data; name="x"'),
        (b"x-extra", b"v"),
    ]


def test_empty_part_content_and_empty_name() -> None:
    events = parse(part("", b"") + CLOSE)
    assert events == [start(events), PartEnd(), Done()]
    assert start(events).name == ""


def test_transport_padding_after_boundaries_is_ignored() -> None:
    body = (
        b"--" + BOUNDARY + b" \t \r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\nv\r\n--' + BOUNDARY + b"--  \r\n"
    )
    assert merged(parse(body))[1:] == [PartData(b"v"), PartEnd(), Done()]


def test_boundary_prefix_inside_content_is_content() -> None:
    content = b"x\r\n--" + BOUNDARY + b"X\r\n--" + BOUNDARY[:-1] + b"\r\n--"
    events = parse(part("a", content) + CLOSE)
    assert merged(events)[1] == PartData(content)
    assert merged(parse_bytewise(part("a", content) + CLOSE)) == merged(events)


@pytest.mark.parametrize("after", [b"junk", b"\n", b"X--"])
def test_a_boundary_that_is_only_a_line_prefix_is_not_a_delimiter(after: bytes) -> None:
    # In the preamble it is ignored like any preamble line ...
    body = b"--" + BOUNDARY + after + b"\r\n" + part("a", b"v") + CLOSE
    assert merged(parse(body))[1:] == [PartData(b"v"), PartEnd(), Done()]
    # ... and alone, the body never starts.
    with pytest.raises(MalformedInputError, match="ended before the closing boundary"):
        parse(b"--" + BOUNDARY + after)


def test_close_delimiter_alone_is_an_empty_form() -> None:
    assert parse(b"--" + BOUNDARY + b"--") == [Done()]


def test_empty_body_is_an_empty_form() -> None:
    parser = MultipartParser(BOUNDARY, LIMITS)
    assert parser.feed(b"") == []
    assert parser.finish() == [Done()]


def test_data_after_done_is_ignored() -> None:
    parser = MultipartParser(BOUNDARY, LIMITS)
    assert parser.feed(part() + CLOSE)[-1] == Done()
    assert parser.feed(b"garbage \r\n--" + BOUNDARY + b"\r\n") == []
    assert parser.finish() == []


def test_partdata_is_never_empty_and_content_streams_out() -> None:
    parser = MultipartParser(BOUNDARY, LIMITS)
    events = parser.feed(part("a", b"")[:-2])  # up to the end of the head
    assert events == [start(events)]
    assert parser.feed(b"abc") == [PartData(b"abc")]  # no CR: nothing held back
    assert parser.feed(b"def\r") == [PartData(b"def")]  # a CR may start the delimiter
    assert parser.feed(b"\nghi") == [PartData(b"\r\nghi")]


def test_parser_buffer_stays_bounded_while_a_large_part_streams() -> None:
    parser = MultipartParser(BOUNDARY, LIMITS)
    parser.feed(part("big", b"")[:-2])
    chunk = (b"0123456789abcde\r" * 4096)[:65536]
    total = 0
    for _ in range(64):  # 4 MiB of content
        for event in parser.feed(chunk):
            assert isinstance(event, PartData)
            total += len(event.data)
        # The parser holds back at most len(CRLF--boundary) bytes.
        assert len(parser._buffer) <= len(BOUNDARY) + 4
    events = parser.feed(b"\r\n" + CLOSE)
    total += sum(len(e.data) for e in events if isinstance(e, PartData))
    assert total == 64 * 65536
    assert events[-2:] == [PartEnd(), Done()]


# --- filenames -----------------------------------------------------------------


def disposition_part(disposition: bytes) -> bytes:
    return part(disposition=disposition) + CLOSE


@pytest.mark.parametrize(
    ("disposition", "filename"),
    [
        (b'form-data; name="f"; filename="../../etc/passwd"', "passwd"),
        (b'form-data; name="f"; filename="..\\..\\windows\\win.ini"', "win.ini"),
        (b'form-data; name="f"; filename="C:\\Users\\me\\a.txt"', "a.txt"),
        (b'form-data; name="f"; filename="/abs/path/"', ""),
        (b'form-data; name="f"; filename=".."', ""),
        (b'form-data; name="f"; filename=""', ""),
        (b'form-data; name="f"; filename="a\\"b.txt"', 'a"b.txt'),
        (b'form-data; name="f"; filename="r\xc3\xa9sum\xc3\xa9.pdf"', "résumé.pdf"),
        (b'form-data; name="f"; filename="bad\xff.txt"', "bad\ufffd.txt"),
        (b'form-data; name="f"; filename="tab\there.txt"', "tabhere.txt"),
        (b"form-data; name=f; filename=plain.txt", "plain.txt"),
    ],
)
def test_filename_is_reduced_to_a_safe_basename(disposition: bytes, filename: str) -> None:
    assert start(parse(disposition_part(disposition))).filename == filename


def test_plain_filename_wins_over_filename_star() -> None:
    smuggled = disposition_part(
        b"form-data; name=\"f\"; filename=\"safe.txt\"; filename*=UTF-8''evil.php; "
        b"name*=UTF-8''admin"
    )
    event = start(parse(smuggled))
    assert (event.name, event.filename) == ("f", "safe.txt")
    # Order does not matter either.
    smuggled = disposition_part(b"form-data; filename*=UTF-8''evil.php; name=f; filename=safe.txt")
    assert start(parse(smuggled)).filename == "safe.txt"


def test_filename_star_is_used_when_alone_and_still_reduced() -> None:
    body = disposition_part(b"form-data; name=f; filename*=UTF-8''..%2F..%2F%E2%82%AC.txt")
    assert start(parse(body)).filename == "\u20ac.txt"


def test_duplicate_name_or_filename_is_rejected() -> None:
    with pytest.raises(MalformedInputError, match="duplicate name or filename") as info:
        parse(disposition_part(b'form-data; name="a"; name="b"'))
    assert info.value.status_code == 400
    with pytest.raises(MalformedInputError, match="duplicate name or filename"):
        parse(disposition_part(b'form-data; name="a"; filename="x"; filename="y.php"'))


# --- parse_options_header ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("text/plain", ("text/plain", {})),
        (" Multipart/Form-Data ; Boundary=abc ", ("multipart/form-data", {"boundary": "abc"})),
        (b'multipart/form-data; boundary="a;b=c"', ("multipart/form-data", {"boundary": "a;b=c"})),
        ('a/b; x="q\\"uote\\\\d"; y=2', ("a/b", {"x": 'q"uote\\d', "y": "2"})),
        ('a/b; x="unterminated', ("a/b", {"x": "unterminated"})),
        ("a/b; flag; ; =v; k=v", ("a/b", {"k": "v"})),
        ("a/b; k=1; k=2", ("a/b", {"k": "1"})),
        ("a/b; k*=iso-8859-1'en'%E9", ("a/b", {"k": "\xe9"})),
        ("a/b; k*=unknown''x; j*=no-quotes", ("a/b", {})),
        (b"a/b; k=\xe9", ("a/b", {"k": "\xe9"})),
        ("", ("", {})),
    ],
)
def test_parse_options_header(value: str | bytes, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_options_header(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        'multipart/form-data; boundary="' + "\\" * 10_000 + '"',
        'multipart/form-data; boundary="' + "\\" * 10_001,
        'multipart/form-data; boundary="' + '\\"' * 5_000,
        'multipart/form-data; boundary="' + "\\" * 45 + "x" * 50_000,
        "a/b" + "; k" * 5_000,
        "a/b" + ';k="' * 5_000,
    ],
    ids=["even-backslashes", "odd-unterminated", "escaped-quotes", "45-then-text", "bare", "quotes"],
)
def test_parse_options_header_is_linear_on_redos_shaped_input(value: str) -> None:
    # A ReDoS guard, not a speed test: a backtracking regex takes minutes to
    # hours on these inputs, a linear parser a few milliseconds. The bound is
    # two orders of magnitude above the linear time so that a loaded CI
    # machine (2 cores shared with other jobs) cannot fail it.
    began = time.perf_counter()
    parse_options_header(value)
    assert time.perf_counter() - began < 2.0


def test_backslash_heavy_quoted_boundary_is_unescaped() -> None:
    media_type, params = parse_options_header('multipart/form-data; boundary="' + "\\\\" * 40 + '"')
    assert (media_type, params) == ("multipart/form-data", {"boundary": "\\" * 40})


# --- hostile input -------------------------------------------------------------


def test_truncated_body_is_rejected() -> None:
    body = part("a", b"content") + CLOSE
    for cut in (0, 1, len(BOUNDARY) + 4, len(body) // 2, len(body) - len(CLOSE) + 2):
        parser = MultipartParser(BOUNDARY, LIMITS)
        parser.feed(body[:cut] or b"x")
        with pytest.raises(MalformedInputError, match="ended before the closing boundary") as info:
            parser.finish()
        assert info.value.status_code == 400


def test_a_failed_parser_stays_failed() -> None:
    parser = MultipartParser(BOUNDARY, LIMITS)
    with pytest.raises(MalformedInputError, match="expected CRLF after the boundary"):
        parser.feed(b"--" + BOUNDARY + b" junk\r\n")
    with pytest.raises(MalformedInputError, match="already failed"):
        parser.feed(part())
    with pytest.raises(MalformedInputError, match="already failed"):
        parser.finish()


@pytest.mark.parametrize(
    ("boundary", "message"),
    [
        (b"", "empty multipart boundary"),
        (b"b" * 300, "boundary too long"),
        (b"b" * 201, "boundary too long"),
        (b"with\r\nnewline", "invalid multipart boundary"),
        (b"trailing ", "invalid multipart boundary"),
        ("caf\u00e9".encode(), "invalid multipart boundary"),
    ],
)
def test_bad_boundaries_are_rejected(boundary: bytes, message: str) -> None:
    with pytest.raises(MalformedInputError, match=message) as info:
        MultipartParser(boundary, LIMITS)
    assert info.value.status_code == 400


def test_longest_allowed_boundary_works() -> None:
    boundary = b"b" * 200
    body = (part() + CLOSE).replace(BOUNDARY, boundary)
    assert merged(parse(body, boundary=boundary))[1:] == [PartData(b"value"), PartEnd(), Done()]


@pytest.mark.parametrize(
    ("after_boundary", "message"),
    [
        (b" junk\r\n", "expected CRLF after the boundary"),
        (b"\t\n", "expected CRLF after the boundary"),
        (b"\r\r\n", "expected CRLF after the boundary"),
        (b" x\r\n", "expected CRLF after the boundary"),
        (b"-x", "'-' after the boundary"),
    ],
)
def test_bad_delimiter_lines_are_rejected(after_boundary: bytes, message: str) -> None:
    body = b"--" + BOUNDARY + after_boundary + b"more"
    with pytest.raises(MalformedInputError, match=message):
        parse(body)
    with pytest.raises(MalformedInputError, match=message):
        parse_bytewise(body)


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (b"", "without content-disposition"),
        (b"Content-Type: text/plain\r\n", "without content-disposition"),
        (b"Content-Disposition: form-data\r\n", "without a name"),
        (b"Content-Disposition: form-data; filename=a.txt\r\n", "without a name"),
        (b'Content-Disposition: attachment; name="a"\r\n', "must be form-data"),
        (b'Content-Disposition: form-data; name="a"\r\n' * 2, "duplicate content-disposition"),
        (
            b'Content-Disposition: form-data; name="a"\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n',
            "duplicate content-type",
        ),
        # SECURITY: CRLF injection - a bare LF or CR must not start a new header.
        (b'Content-Disposition: form-data; name="a"\nContent-Type: text/html\r\n', "bare CR or LF"),
        (b'Content-Disposition: form-data; name="a"\rX-Injected: 1\r\n', "bare CR or LF"),
        (b'Content-Disposition: form-data; name="a\r\nContent-Disposition: form-data; name="b"\r\n',
         "duplicate content-disposition"),
        (b'Content-Disposition: form-data; name="a\x00"\r\n', "NUL in multipart part header"),
        (b'Content-Disposition: form-data;\r\n name="a"\r\n', "obsolete line folding"),
        (b'Content-Disposition: form-data; name="a"\r\nno colon here\r\n', "invalid multipart part header"),
        (b'Content-Disposition : form-data; name="a"\r\n', "invalid multipart part header"),
        (b': empty-name\r\n', "invalid multipart part header"),
    ],
)
def test_malformed_part_heads_are_rejected(head: bytes, message: str) -> None:
    body = b"--" + BOUNDARY + b"\r\n" + head + b"\r\nvalue\r\n" + CLOSE
    with pytest.raises(MalformedInputError, match=message) as info:
        parse(body)
    assert info.value.status_code == 400


def test_part_head_of_one_megabyte_is_rejected_431() -> None:
    head = b'Content-Disposition: form-data; name="a"; x="' + b"y" * 1024 * 1024 + b'"\r\n'
    body = b"--" + BOUNDARY + b"\r\n" + head + b"\r\nv\r\n" + CLOSE
    with pytest.raises(RequestHeaderFieldsTooLargeError, match="max_part_header_bytes") as info:
        parse(body)
    assert info.value.status_code == 431


def test_endless_part_headers_without_blank_line_stop_at_the_limit() -> None:
    parser = MultipartParser(BOUNDARY, LIMITS)
    parser.feed(b"--" + BOUNDARY + b"\r\n")
    line = b"X-Header: value\r\n"
    fed = 0
    with pytest.raises(RequestHeaderFieldsTooLargeError, match="part head too large"):
        while True:  # would never end without the limit
            parser.feed(line)
            fed += len(line)
    assert fed <= LIMITS.max_part_header_bytes + 1
    assert fed > LIMITS.max_part_header_bytes - 2 * len(line)


def test_part_head_limit_is_exact() -> None:
    head = b'Content-Disposition: form-data; name="a"\r\nX-Pad: ' + b"p" * 100 + b"\r\n"
    body = b"--" + BOUNDARY + b"\r\n" + head + b"\r\nv\r\n" + CLOSE
    assert parse(body, FormLimits(max_part_header_bytes=len(head)))[-1] == Done()
    with pytest.raises(RequestHeaderFieldsTooLargeError):
        parse(body, FormLimits(max_part_header_bytes=len(head) - 1))
    with pytest.raises(RequestHeaderFieldsTooLargeError):
        parse_bytewise_limited(body, FormLimits(max_part_header_bytes=len(head) - 1))


def parse_bytewise_limited(body: bytes, limits: FormLimits) -> list[Event]:
    parser = MultipartParser(BOUNDARY, limits)
    events: list[Event] = []
    for index in range(len(body)):
        events += parser.feed(body[index : index + 1])
    return events + parser.finish()


def test_too_many_headers_per_part_is_431() -> None:
    head = b'Content-Disposition: form-data; name="a"\r\n' + b"X: y\r\n" * 3
    body = b"--" + BOUNDARY + b"\r\n" + head + b"\r\nv\r\n" + CLOSE
    assert parse(body, FormLimits(max_headers_per_part=4))[-1] == Done()
    with pytest.raises(RequestHeaderFieldsTooLargeError, match="max_headers_per_part") as info:
        parse(body, FormLimits(max_headers_per_part=3))
    assert info.value.status_code == 431


def test_too_many_parts_is_413_and_stops_early() -> None:
    limits = FormLimits(max_parts=10)
    parser = MultipartParser(BOUNDARY, limits)
    with pytest.raises(PayloadTooLargeError, match="max_parts") as info:
        for _ in range(100_000):
            parser.feed(part("f", b"1"))
    assert info.value.status_code == 413
    # Exactly ten parts were accepted before the eleventh was refused.
    assert parser._parts == 11


def test_megabytes_of_crlf_preamble_and_epilogue_are_cheap() -> None:
    filler = b"\r\n" * (2 * 1024 * 1024)
    body = filler + part("a", b"v") + CLOSE + filler
    tracemalloc.start()
    try:
        parser = MultipartParser(BOUNDARY, LIMITS)
        events: list[Event] = []
        for offset in range(0, len(body), 65536):
            events += parser.feed(body[offset : offset + 65536])
            assert len(parser._buffer) <= 65536 + len(BOUNDARY) + 4
        events += parser.finish()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert merged(events)[1:] == [PartData(b"v"), PartEnd(), Done()]
    assert peak < 1024 * 1024  # far below the 8 MiB of filler
    # The same filler in one feed (the worst case for a rescanning parser).
    assert merged(parse(body))[1:] == [PartData(b"v"), PartEnd(), Done()]


def test_dash_and_crlf_heavy_preamble() -> None:
    filler = (b"\r\n--" + BOUNDARY[:-1]) * 20_000 + b"--" * 50_000
    assert merged(parse(filler + b"\r\n" + part("a", b"v") + CLOSE))[1:] == [
        PartData(b"v"),
        PartEnd(),
        Done(),
    ]
