"""Tests for the sans-IO WebSocket codec: round trips against a reference encoder, hostile frames."""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule.server.websocket_codec import (
    BytesMessage,
    CloseReceived,
    Frame,
    Opcode,
    Ping,
    Pong,
    TextMessage,
    WebSocketEvent,
    WebSocketProtocolError,
    WebSocketReader,
    encode_close,
    encode_frame,
    is_valid_close_code,
    parse_close_payload,
)


def ref_encode(
    opcode: int, payload: bytes, *, fin: bool = True, mask: bytes | None = b"\x01\x02\x03\x04",
    rsv: int = 0, length_form: str = "minimal",
) -> bytes:
    """A deliberately plain client-side encoder (RFC 6455 §5.2), byte loop for the mask."""
    out = bytearray([(0x80 if fin else 0) | (rsv << 4) | opcode])
    mask_bit = 0x80 if mask is not None else 0
    n = len(payload)
    if length_form == "64" or (length_form == "minimal" and n > 0xFFFF):
        out.append(mask_bit | 127)
        out += n.to_bytes(8, "big")
    elif length_form == "16" or (length_form == "minimal" and n > 125):
        out.append(mask_bit | 126)
        out += n.to_bytes(2, "big")
    else:
        out.append(mask_bit | n)
    if mask is not None:
        out += mask
        out += bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    else:
        out += payload
    return bytes(out)


def feed_split(reader: WebSocketReader, data: bytes, cuts: list[int]) -> list[WebSocketEvent]:
    events: list[WebSocketEvent] = []
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    for start, end in zip(points, points[1:]):
        reader.receive_data(data[start:end])
        while (event := reader.next_event()) is not None:
            events.append(event)
    return events


frames_st = st.lists(
    st.tuples(
        st.sampled_from([Opcode.TEXT, Opcode.BINARY, Opcode.PING, Opcode.PONG, Opcode.CONTINUATION]),
        st.binary(max_size=300),
        st.booleans(),
        st.binary(min_size=4, max_size=4),
        st.sampled_from(["minimal", "16", "64"]),
    ),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(frames_st, st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_frames_round_trip_split_anywhere(
    specs: list[tuple[int, bytes, bool, bytes, str]], cuts: list[int]
) -> None:
    expected = []
    wire = b""
    for opcode, payload, fin, mask, form in specs:
        if opcode >= 8:
            # control frames must use the 7-bit length form (RFC 6455 §5.5)
            payload, fin, form = payload[:125], True, "minimal"
        expected.append(Frame(int(opcode), payload, fin))
        wire += ref_encode(opcode, payload, fin=fin, mask=mask, length_form=form)
    reader = WebSocketReader(max_message_size=1 << 20)
    points = sorted({c % (len(wire) + 1) for c in cuts} | {0, len(wire)})
    got: list[Frame] = []
    for start, end in zip(points, points[1:]):
        reader.receive_data(wire[start:end])
        while (frame := reader.next_frame()) is not None:
            got.append(frame)
    assert got == expected


message_st = st.one_of(
    st.text(max_size=200).map(TextMessage), st.binary(max_size=200).map(BytesMessage)
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(message_st, st.lists(st.integers(0, 400), max_size=4), st.booleans()), max_size=6),
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
)
def test_fragmented_messages_with_interleaved_pings_reassemble(
    specs: list[tuple[TextMessage | BytesMessage, list[int], bool]], cuts: list[int]
) -> None:
    wire = b""
    expected: list[WebSocketEvent] = []
    for message, frag_cuts, with_ping in specs:
        raw = message.data.encode() if isinstance(message, TextMessage) else message.data
        # cut anywhere, even inside a UTF-8 sequence: the decoder is incremental
        points = sorted({c % (len(raw) + 1) for c in frag_cuts} | {0, len(raw)})
        pieces = [raw[a:b] for a, b in zip(points, points[1:])] or [b""]
        first_op = Opcode.TEXT if isinstance(message, TextMessage) else Opcode.BINARY
        for i, piece in enumerate(pieces):
            op = first_op if i == 0 else Opcode.CONTINUATION
            if with_ping and i == len(pieces) - 1:  # between fragments when there are several
                wire += ref_encode(Opcode.PING, b"hi")
                expected.append(Ping(b"hi"))
            wire += ref_encode(op, piece, fin=i == len(pieces) - 1)
        expected.append(message)
    wire += ref_encode(Opcode.CLOSE, struct.pack("!H", 1000) + "bye".encode())
    expected.append(CloseReceived(1000, "bye"))
    assert feed_split(WebSocketReader(max_message_size=1 << 20), wire, cuts) == expected


def test_byte_by_byte_equals_whole_buffer() -> None:
    wire = ref_encode(Opcode.TEXT, "héllo".encode(), fin=False) + ref_encode(
        Opcode.CONTINUATION, " wörld".encode()
    ) + ref_encode(Opcode.PONG, b"x")
    whole = feed_split(WebSocketReader(max_message_size=100), wire, [])
    one_by_one = feed_split(WebSocketReader(max_message_size=100), wire, list(range(len(wire))))
    assert whole == one_by_one == [TextMessage("héllo wörld"), Pong(b"x")]


def test_bytes_after_close_are_ignored() -> None:
    reader = WebSocketReader(max_message_size=100)
    reader.receive_data(ref_encode(Opcode.CLOSE, b"") + ref_encode(Opcode.TEXT, b"late"))
    assert reader.next_event() == CloseReceived(1005, "")
    assert reader.closed
    assert reader.next_event() is None


def one_event(data: bytes, max_message_size: int = 1024) -> WebSocketEvent | None:
    reader = WebSocketReader(max_message_size=max_message_size)
    reader.receive_data(data)
    out = None
    while (event := reader.next_event()) is not None:
        out = event
    return out


@pytest.mark.parametrize(
    ("wire", "code", "match"),
    [
        (ref_encode(Opcode.TEXT, b"hi", mask=None), 1002, "unmasked client frame"),
        (ref_encode(Opcode.PING, b"x" * 126, length_form="16"), 1002, "control frame payload over 125"),
        (ref_encode(Opcode.PING, b"x", fin=False), 1002, "fragmented control frame"),
        (ref_encode(3, b""), 1002, "reserved opcode 0x3"),
        (ref_encode(0xB, b""), 1002, "reserved opcode 0xb"),
        (ref_encode(Opcode.TEXT, b"x", rsv=4), 1002, "reserved bits set"),
        (ref_encode(Opcode.TEXT, b"x", rsv=1), 1002, "reserved bits set"),
        (ref_encode(Opcode.CLOSE, struct.pack("!H", 1005)), 1002, "invalid close code 1005"),
        (ref_encode(Opcode.CLOSE, struct.pack("!H", 999)), 1002, "invalid close code 999"),
        (ref_encode(Opcode.CLOSE, struct.pack("!H", 5000)), 1002, "invalid close code 5000"),
        (ref_encode(Opcode.CLOSE, b"\x03"), 1002, "1-byte payload"),
        (ref_encode(Opcode.CLOSE, struct.pack("!H", 1000) + b"\xff"), 1007, "reason is not valid utf-8"),
        (ref_encode(Opcode.TEXT, b"\xc3\x28"), 1007, "not valid utf-8"),
        (ref_encode(Opcode.TEXT, b"ok\xed\xa0\x80", fin=False), 1007, "not valid utf-8"),  # surrogate
        (ref_encode(Opcode.TEXT, b"\xe2\x82", fin=True), 1007, "not valid utf-8"),  # truncated at fin
        (ref_encode(Opcode.CONTINUATION, b"x"), 1002, "continuation frame without a message"),
        (
            ref_encode(Opcode.TEXT, b"a", fin=False) + ref_encode(Opcode.BINARY, b"b"),
            1002,
            "new data frame inside a fragmented message",
        ),
        (ref_encode(Opcode.BINARY, b"x" * 1025), 1009, "over the 1024-byte limit"),
        (
            ref_encode(Opcode.BINARY, b"x" * 600, fin=False) + ref_encode(Opcode.CONTINUATION, b"x" * 600),
            1009,
            "over the 1024-byte limit",
        ),
        (b"\x82\xff" + (1 << 63).to_bytes(8, "big") + b"mask", 1002, "most significant bit"),
    ],
)
def test_hostile_frames(wire: bytes, code: int, match: str) -> None:
    with pytest.raises(WebSocketProtocolError, match=match) as info:
        one_event(wire)
    assert info.value.close_code == code


def test_oversized_frame_fails_from_header_without_buffering_payload() -> None:
    reader = WebSocketReader(max_message_size=1024)
    reader.receive_data(b"\x82\xff" + (10**9).to_bytes(8, "big"))  # header only, 1 GB declared
    with pytest.raises(WebSocketProtocolError, match="limit") as info:
        reader.next_event()
    assert info.value.close_code == 1009
    with pytest.raises(WebSocketProtocolError):  # failed reader stays failed
        reader.next_event()


def test_invalid_utf8_fails_fast_before_message_ends() -> None:
    reader = WebSocketReader(max_message_size=1024)
    reader.receive_data(ref_encode(Opcode.TEXT, b"fine", fin=False))
    assert reader.next_event() is None
    reader.receive_data(ref_encode(Opcode.CONTINUATION, b"\xff", fin=False))
    with pytest.raises(WebSocketProtocolError, match="utf-8"):
        reader.next_event()


def test_server_frames_are_unmasked_and_length_encoded() -> None:
    assert encode_frame(Opcode.TEXT, b"hi") == b"\x81\x02hi"
    assert encode_frame(Opcode.BINARY, b"x" * 200)[:4] == b"\x82\x7e\x00\xc8"
    assert encode_frame(Opcode.BINARY, b"x" * 70000)[:10] == b"\x82\x7f" + (70000).to_bytes(8, "big")
    assert encode_frame(Opcode.TEXT, b"a", fin=False)[0] == 0x01
    reader = WebSocketReader(max_message_size=1 << 20, require_mask=False)
    reader.receive_data(encode_frame(Opcode.BINARY, b"x" * 70000))
    assert reader.next_event() == BytesMessage(b"x" * 70000)


def test_encode_close_truncates_reason_on_char_boundary() -> None:
    frame = encode_close(1000, "é" * 100)  # 200 bytes of UTF-8
    payload = frame[2:]
    assert len(payload) <= 125
    assert parse_close_payload(payload) == CloseReceived(1000, "é" * 61)
    assert encode_close(None) == b"\x88\x00"


@pytest.mark.parametrize(
    ("code", "valid"),
    [(1000, True), (1003, True), (1004, False), (1005, False), (1006, False), (1007, True),
     (1011, True), (1014, True), (1015, False), (2999, False), (3000, True), (4999, True)],
)
def test_close_code_validity(code: int, valid: bool) -> None:
    assert is_valid_close_code(code) is valid


def test_unmask_large_payload() -> None:
    payload = os.urandom(5000)
    assert one_event(ref_encode(Opcode.BINARY, payload, mask=b"\xde\xad\xbe\xef"), 8000) == BytesMessage(
        payload
    )
