"""The chunked body decoder against a reference encoder, split anywhere; hostile framing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule.server.chunked import ChunkedDecoder, ChunkedError


def encode(pieces: list[bytes], *, ext: bytes = b"", trailers: list[bytes] = [], upper: bool = False) -> bytes:
    """Reference encoder (RFC 9112 §7.1), written independently of the decoder."""
    out = b""
    for piece in pieces:
        if piece:
            size = format(len(piece), "X" if upper else "x").encode()
            out += size + ext + b"\r\n" + piece + b"\r\n"
    out += b"0" + ext + b"\r\n" + b"".join(t + b"\r\n" for t in trailers) + b"\r\n"
    return out


def decode_split(raw: bytes, cuts: list[int]) -> tuple[bytes, bool, bytes]:
    """Feed `raw` in pieces cut at `cuts`; (body, done, what is left in the buffer)."""
    decoder = ChunkedDecoder()
    buf = bytearray()
    body = b""
    done = False
    bounds = sorted({min(c, len(raw)) for c in cuts} | {len(raw)})
    start = 0
    for end in bounds:
        buf += raw[start:end]
        start = end
        if not done:
            pieces, done = decoder.decode(buf)
            body += b"".join(pieces)
    return body, done, bytes(buf)


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.binary(max_size=40), max_size=6),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
    ext=st.sampled_from([b"", b";a=b", b";name", b';q="x y"']),
    trailers=st.lists(st.sampled_from([b"x-check: 1", b"etag:abc"]), max_size=2),
    upper=st.booleans(),
    after=st.sampled_from([b"", b"GET / HTTP/1.1\r\n\r\n"]),
)
def test_split_anywhere_gives_the_reference_body(
    pieces: list[bytes], cuts: list[int], ext: bytes, trailers: list[bytes], upper: bool, after: bytes
) -> None:
    raw = encode(pieces, ext=ext, trailers=trailers, upper=upper)
    body, done, left = decode_split(raw + after, cuts)
    assert done and body == b"".join(pieces)
    assert left == after  # a pipelined request behind the body stays in the buffer


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=60), cuts=st.lists(st.integers(min_value=0, max_value=60), max_size=5))
def test_arbitrary_bytes_raise_only_chunked_error(raw: bytes, cuts: list[int]) -> None:
    try:
        decode_split(raw, cuts)
    except ChunkedError:
        pass


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"zz\r\nab\r\n0\r\n\r\n", "bad chunk size"),
        (b" c\r\nhello world!\r\n0\r\n\r\n", "bad chunk size"),
        (b"1" * 17 + b"\r\n", "bad chunk size"),
        (b"-1\r\n", "bad chunk size"),
        (b"0x2\r\nab\r\n", "bad chunk size"),
        (b"3\nabc\n0\n\n", "bare LF"),
        (b"3\rabc\r\n", "bare CR or LF"),
        (b"3\r\nabcX\r\n0\r\n\r\n", "not followed by CRLF"),
        (b"3;\x00\r\nabc\r\n0\r\n\r\n", "bad chunk size"),
        (b"0\r\nbad trailer\r\n\r\n", "bad trailer"),
        (b"0\r\nx: \x01\r\n\r\n", "bad trailer"),
        (b"0\r\nx: 1\r\n folded\r\n\r\n", "bad trailer"),
        (b"1" * 20000, "too long"),
        (b"0\r\n" + b"x: y\r\n" * 4000, "too long"),
    ],
)
def test_hostile_framing(raw: bytes, message: str) -> None:
    with pytest.raises(ChunkedError, match=message):
        decode_split(raw, [1, 5, len(raw) // 2])


def test_incomplete_body_is_not_done_and_keeps_the_partial_line() -> None:
    decoder = ChunkedDecoder()
    buf = bytearray(b"5\r\nhel")
    assert decoder.decode(buf) == ([b"hel"], False)
    buf += b"lo\r\n1"
    assert decoder.decode(buf) == ([b"lo"], False) and buf == b"1"
    assert not decoder.done
