"""Property tests: multipart and urlencoded parsing against simple reference models.

The multipart model is a reference encoder (what a browser does): random
fields and files are encoded, the bytes are fed to the parser split at
hypothesis-chosen points (and one byte at a time), and the decoded parts must
equal the input and the whole-buffer result. Urlencoded parsing is compared
with ``urllib.parse.parse_qsl(keep_blank_values=True)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from ferrule.asgi_core.exceptions import RequestInputError
from ferrule.asgi_core.forms import parse_urlencoded
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
from test_multipart import merged

LIMITS = FormLimits()
# SPEC: RFC 2046 §5.1.1 bchars (space only inside).
BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?"


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class Body:
    boundary: bytes
    parts: list[Part]
    encoded: bytes


def quote(text: str) -> bytes:
    """A quoted-string as ferrule reads it: only ``"`` and ``\\`` are escaped."""
    return b'"' + text.replace("\\", "\\\\").replace('"', '\\"').encode() + b'"'


def encode(parts: list[Part], boundary: bytes, preamble: bytes, epilogue: bytes, padding: bytes) -> bytes:
    out = [preamble + b"\r\n"] if preamble else []
    for part in parts:
        out.append(b"--" + boundary + padding + b"\r\n")
        disposition = b"form-data; name=" + quote(part.name)
        if part.filename is not None:
            disposition += b"; filename=" + quote(part.filename)
        out.append(b"Content-Disposition: " + disposition + b"\r\n")
        if part.content_type is not None:
            out.append(b"Content-Type: " + part.content_type.encode() + b"\r\n")
        out.append(b"\r\n" + part.data + b"\r\n")
    out.append(b"--" + boundary + b"--" + padding)
    if epilogue:
        out.append(b"\r\n" + epilogue)
    return b"".join(out)


# Names: any text a browser can send raw (it percent-encodes CR, LF and '"'
# itself, so those would come back encoded; we leave them out).
names = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=12)
# Filenames: what survives basename reduction unchanged.
filenames = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cc"], exclude_characters="/\\"), max_size=12
).filter(lambda name: name not in (".", ".."))
content_types = st.sampled_from([None, "text/plain", "application/octet-stream", "image/png; x=1"])


@st.composite
def bodies(draw: st.DrawFn) -> Body:
    boundary = draw(st.text(BCHARS, min_size=1, max_size=70)).encode()
    # Bytes that stress the delimiter search: CR/LF, dashes, boundary prefixes.
    near_misses = [b"\r\n--" + boundary[:cut] for cut in range(len(boundary))]
    fragments = st.lists(
        st.sampled_from([b"\r", b"\n", b"\r\n", b"--", b"-", b" ", *near_misses]) | st.binary(max_size=8),
        max_size=8,
    ).map(b"".join)
    parts = draw(
        st.lists(
            st.builds(
                Part,
                name=names,
                filename=st.none() | filenames,
                content_type=content_types,
                data=fragments,
            ),
            max_size=5,
        )
    )
    preamble = draw(fragments)
    epilogue = draw(fragments)
    padding = draw(st.sampled_from([b"", b" ", b"\t \t"]))
    # Like a client, use a boundary that occurs nowhere but in the delimiters
    # (up to the epilogue, which may hold anything): skip the rare draws where
    # it does. A delimiter holds one CR, so the occurrences cannot overlap.
    delimited = b"\r\n" + encode(parts, boundary, preamble, b"", padding)
    if delimited.count(b"\r\n--" + boundary) != len(parts) + 1:
        reject()
    return Body(boundary, parts, encode(parts, boundary, preamble, epilogue, padding))


def run(boundary: bytes, chunks: list[bytes]) -> list[Event]:
    parser = MultipartParser(boundary, LIMITS)
    events: list[Event] = []
    for chunk in chunks:
        new = parser.feed(chunk)
        assert all(not isinstance(e, PartData) or e.data for e in new), "empty PartData"
        events += new
    return events + parser.finish()


def decode(events: list[Event]) -> list[Part]:
    """The reference model's view of an event stream (and its grammar check)."""
    parts: list[Part] = []
    current: PartStart | None = None
    data = b""
    assert events and isinstance(events[-1], Done)
    for event in events[:-1]:
        if isinstance(event, PartStart):
            assert current is None
            current, data = event, b""
        elif isinstance(event, PartData):
            assert current is not None
            data += event.data
        else:
            assert isinstance(event, PartEnd) and current is not None
            parts.append(Part(current.name, current.filename, current.content_type, data))
            current = None
    assert current is None
    return parts


@settings(max_examples=150, deadline=None)
@given(body=bodies(), data=st.data())
def test_multipart_round_trips_whatever_the_split(body: Body, data: st.DataObject) -> None:
    whole = run(body.boundary, [body.encoded])
    assert decode(whole) == body.parts

    cuts = sorted(data.draw(st.lists(st.integers(0, len(body.encoded)), max_size=12)))
    bounds = [0, *cuts, len(body.encoded)]
    chunks = [body.encoded[a:b] for a, b in zip(bounds, bounds[1:])]
    assert merged(run(body.boundary, chunks)) == merged(whole)

    bytewise = [body.encoded[i : i + 1] for i in range(len(body.encoded))]
    assert merged(run(body.boundary, bytewise)) == merged(whole)


@settings(max_examples=200, deadline=None)
@given(boundary=st.text(BCHARS, min_size=1, max_size=20).map(str.encode), garbage=st.binary(max_size=300))
def test_multipart_parser_raises_only_its_own_errors(boundary: bytes, garbage: bytes) -> None:
    body = b"--" + boundary + b"\r\n" + garbage
    for chunks in ([body], [body[i : i + 1] for i in range(len(body))]):
        try:
            run(boundary, chunks)
        except RequestInputError as exc:
            assert exc.status_code in (400, 413, 431)


# --- parse_options_header ----------------------------------------------------

tokens = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=8)


@settings(max_examples=100, deadline=None)
@given(
    media_type=st.from_regex(r"[a-z]{1,8}/[a-z0-9.+-]{1,8}", fullmatch=True),
    params=st.dictionaries(
        tokens.filter(lambda name: not name.endswith("*")),
        st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=12),
        max_size=5,
    ),
)
def test_parse_options_header_round_trips(media_type: str, params: dict[str, str]) -> None:
    value = media_type + "".join(f"; {name}={quote(text).decode()}" for name, text in params.items())
    assert parse_options_header(value) == (media_type, params)


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=60) | st.binary(max_size=60))
def test_parse_options_header_never_raises(value: str | bytes) -> None:
    media_type, params = parse_options_header(value)
    assert media_type == media_type.lower()
    assert all(name == name.lower() for name in params)


# --- urlencoded ------------------------------------------------------------------

text = st.text(st.characters(codec="utf-8"), max_size=10)


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(text, text), max_size=10))
def test_urlencoded_round_trips_urlencode(pairs: list[tuple[str, str]]) -> None:
    body = urlencode(pairs).encode()
    assert parse_urlencoded(body, LIMITS) == pairs
    assert parse_urlencoded(body, LIMITS) == parse_qsl(body.decode(), keep_blank_values=True)


@settings(max_examples=200, deadline=None)
@given(query=st.text("ab=&;+%2Fzé9 ", max_size=40).map(lambda s: s.replace("é", "%E9")))
def test_urlencoded_matches_parse_qsl_on_any_ascii(query: str) -> None:
    # Bad escapes ("%zz", "%2") and invalid UTF-8 ("%E9" alone) never raise.
    expected = parse_qsl(query, keep_blank_values=True, errors="replace")
    assert parse_urlencoded(query.encode(), LIMITS) == expected


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=80))
def test_urlencoded_never_raises_on_bytes(body: bytes) -> None:
    pairs = parse_urlencoded(body, LIMITS)
    assert len(pairs) == sum(1 for chunk in body.split(b"&") if chunk)


def test_a_file_chunk_without_delimiter_bytes_is_handed_on_without_a_copy() -> None:
    boundary = b"XyZ"
    head = b"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\n"
    middle = [bytes([i % 13]) * 5000 for i in range(1, 4)]  # no CR (13) at all
    risky = b"abc\r\n--Xy"  # ends with a possible start of the delimiter: held back
    tail = b"Q more\r\n--XyZ--\r\n"
    chunks = [head, *middle, risky, tail]
    events = run(boundary, chunks)
    data = [event.data for event in events if isinstance(event, PartData)]
    assert all(any(piece is chunk for piece in data) for chunk in middle)  # the same objects
    assert b"".join(data) == b"".join(middle) + b"abc\r\n--XyQ more"
    assert merged(events) == merged(run(boundary, [b"".join(chunks)]))


def test_a_chunk_shorter_than_the_delimiter_holding_its_start_is_held_back() -> None:
    # Regression (found by the round-trip property): a chunk shorter than the
    # delimiter, beginning with a CR, must not be handed on as part data.
    boundary = b"p-jW_u?UnqmS"
    body = (
        b"--p-jW_u?UnqmS\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n"
        b"data\r\n--p-jW_u?UnqmS--"
    )
    cut = body.index(b"\r\n--p-jW_u?UnqmS--")
    chunks = [body[:cut], body[cut : cut + 12], body[cut + 12 :]]
    assert len(chunks[1]) < len(b"\r\n--" + boundary)
    assert merged(run(boundary, chunks)) == merged(run(boundary, [body]))
