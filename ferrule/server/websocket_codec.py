"""Sans-IO WebSocket frame codec, server side (RFC 6455).

Theory of operation, like h11: bytes go in through `receive_data()`, events
come out of `next_event()`; nothing here touches a socket or awaits.

Rules:
1. Two layers. `next_frame()` cuts the byte stream into frames (§5.2) and
   unmasks them; `next_event()` assembles data frames into whole messages
   (§5.4) and hands control frames (§5.5) through as they come, even between
   the fragments of a message.
2. Every violation raises `WebSocketProtocolError` whose `close_code` is the
   code the server must close with: 1002 (protocol error), 1007 (invalid
   UTF-8, §8.1), 1009 (message too big). The reader is then failed: later
   calls raise the same error.
3. Limits are checked from the frame header, before the payload is buffered:
   a declared length that would push the message past `max_message_size`
   fails at once, so memory stays bounded by the limit. SECURITY: what is
   counted is what is held or spent, not only the payload: a fragmented
   message's parts go into one buffer (no object per fragment), and every
   continuation frame also counts its header bytes, so empty or 1-byte
   fragments cannot go on forever under the limit.
4. Text is validated incrementally across fragments (a codec's incremental
   decoder), so an invalid sequence fails as soon as it arrives.
5. After a Close event the reader is finished and ignores further bytes
   (§5.5.1: nothing may follow a close frame).

The encoders produce unmasked frames: a server must not mask (§5.1).
"""

from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Final, Union

__all__ = [
    "Opcode",
    "Frame",
    "TextMessage",
    "BytesMessage",
    "Ping",
    "Pong",
    "CloseReceived",
    "WebSocketEvent",
    "WebSocketProtocolError",
    "WebSocketReader",
    "encode_frame",
    "encode_close",
    "parse_close_payload",
    "is_valid_close_code",
]


class Opcode(IntEnum):
    """Frame opcodes (§5.2, §11.8); 3-7 and 0xB-0xF are reserved."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


_KNOWN_OPCODES: Final = frozenset(int(op) for op in Opcode)
MAX_CONTROL_PAYLOAD: Final = 125  # SPEC: RFC 6455 §5.5
MAX_CLOSE_REASON_BYTES: Final = MAX_CONTROL_PAYLOAD - 2


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame as sent on the wire, payload already unmasked."""

    opcode: int
    payload: bytes
    fin: bool = True
    rsv: int = 0  # RSV1..RSV3 as a 3-bit number (RSV1 is 0b100)


@dataclass(frozen=True, slots=True)
class TextMessage:
    data: str


@dataclass(frozen=True, slots=True)
class BytesMessage:
    data: bytes


@dataclass(frozen=True, slots=True)
class Ping:
    payload: bytes


@dataclass(frozen=True, slots=True)
class Pong:
    payload: bytes


@dataclass(frozen=True, slots=True)
class CloseReceived:
    """The peer's close frame; code 1005 means it carried no status (§7.1.5)."""

    code: int
    reason: str


WebSocketEvent = Union[TextMessage, BytesMessage, Ping, Pong, CloseReceived]


class WebSocketProtocolError(Exception):
    """The peer broke RFC 6455; close the connection with `close_code`."""

    def __init__(self, message: str, close_code: int = 1002) -> None:
        super().__init__(message)
        self.close_code = close_code


def is_valid_close_code(code: int) -> bool:
    """Whether `code` may appear in a close frame (§7.4.1, §7.4.2, IANA registry).

    1004, 1005, 1006 and 1015 are reserved and must never be sent.
    """
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def parse_close_payload(payload: bytes) -> CloseReceived:
    """Decode a close frame's body into (code, reason), validating both (§5.5.1)."""
    if not payload:
        return CloseReceived(1005, "")
    if len(payload) == 1:
        raise WebSocketProtocolError("close frame with a 1-byte payload")
    (code,) = struct.unpack_from("!H", payload)
    if not is_valid_close_code(code):
        raise WebSocketProtocolError(f"invalid close code {code}")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise WebSocketProtocolError("close reason is not valid utf-8", 1007) from None
    return CloseReceived(code, reason)


def _unmask(data: bytes, mask: bytes) -> bytes:
    # PERF: one big-int XOR instead of a per-byte Python loop.
    n = len(data)
    if n == 0:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def encode_frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    """Encode one unmasked (server-to-client) frame."""
    first = (0x80 if fin else 0) | opcode
    n = len(payload)
    # SPEC: RFC 6455 §5.2 - 7-bit length, or 126 + 16-bit, or 127 + 64-bit.
    if n < 126:
        header = struct.pack("!BB", first, n)
    elif n < 0x10000:
        header = struct.pack("!BBH", first, 126, n)
    else:
        header = struct.pack("!BBQ", first, 127, n)
    return header + payload


def encode_close(code: int | None = 1000, reason: str = "") -> bytes:
    """Encode a close frame; `reason` is cut to 123 UTF-8 bytes on a character boundary."""
    if code is None or code == 1005:
        return encode_frame(Opcode.CLOSE, b"")
    raw = reason.encode("utf-8")
    if len(raw) > MAX_CLOSE_REASON_BYTES:
        raw = raw[:MAX_CLOSE_REASON_BYTES].decode("utf-8", "ignore").encode("utf-8")
    return encode_frame(Opcode.CLOSE, struct.pack("!H", code) + raw)


class WebSocketReader:
    """Parse client-to-server bytes into frames and messages.

    Args:
        max_message_size: largest message (all fragments together), in bytes.
        require_mask: reject unmasked frames (True for a server, §5.1).
    """

    __slots__ = (
        "_buf",
        "_max_message_size",
        "_require_mask",
        "_pos",
        "_msg_opcode",
        "_parts",
        "_msg_size",
        "_decoder",
        "_error",
        "_closed",
    )

    def __init__(self, *, max_message_size: int, require_mask: bool = True) -> None:
        self._buf = bytearray()
        self._pos = 0  # start of the unparsed bytes in _buf (compacted lazily)
        self._max_message_size = max_message_size
        self._require_mask = require_mask
        self._msg_opcode: int | None = None
        self._parts = bytearray()  # the fragmented message so far (raw bytes)
        self._msg_size = 0
        self._decoder: codecs.IncrementalDecoder | None = None
        self._error: WebSocketProtocolError | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once a close frame has been returned."""
        return self._closed

    def receive_data(self, data: bytes) -> None:
        """Add bytes read from the peer."""
        if not self._closed:
            if self._pos and self._pos * 2 >= len(self._buf):
                del self._buf[: self._pos]  # PERF: compact once, not once per frame
                self._pos = 0
            self._buf += data

    def _fail(self, message: str, close_code: int = 1002) -> WebSocketProtocolError:
        self._error = WebSocketProtocolError(message, close_code)
        return self._error

    def next_frame(self) -> Frame | None:
        """Return the next complete frame, or None if more bytes are needed."""
        if self._error is not None:
            raise self._error
        buf = self._buf
        base = self._pos
        if len(buf) - base < 2:
            return None
        b0, b1 = buf[base], buf[base + 1]
        fin = bool(b0 & 0x80)
        rsv = (b0 >> 4) & 0x7
        opcode = b0 & 0x0F
        masked = bool(b1 & 0x80)
        length = b1 & 0x7F
        if rsv:
            # SPEC: §5.2 - RSV bits must be 0 unless an extension defines them; none is negotiated.
            raise self._fail(f"reserved bits set (rsv={rsv:#05b})")
        if opcode not in _KNOWN_OPCODES:
            raise self._fail(f"reserved opcode {opcode:#x}")
        control = opcode >= 0x8
        if control and not fin:
            raise self._fail("fragmented control frame")  # SPEC: §5.5
        if control and length > MAX_CONTROL_PAYLOAD:
            raise self._fail("control frame payload over 125 bytes")
        if self._require_mask and not masked:
            raise self._fail("unmasked client frame")  # SPEC: §5.1
        pos = base + 2
        if length == 126:
            if len(buf) < base + 4:
                return None
            (length,) = struct.unpack_from("!H", buf, base + 2)
            pos = base + 4
        elif length == 127:
            if len(buf) < base + 10:
                return None
            (length,) = struct.unpack_from("!Q", buf, base + 2)
            if length >> 63:
                raise self._fail("64-bit payload length with the most significant bit set")
            pos = base + 10
        if masked:
            pos += 4
        # A continuation also pays for its header (see rule 3).
        overhead = pos - base if not control and self._msg_opcode is not None else 0
        if not control and self._msg_size + overhead + length > self._max_message_size:
            raise self._fail(
                f"message over the {self._max_message_size}-byte limit", 1009
            )
        if len(buf) < pos:
            return None
        mask = bytes(buf[pos - 4 : pos]) if masked else b""
        end = pos + length
        if len(buf) < end:
            return None
        payload = bytes(buf[pos:end])
        self._pos = end
        self._msg_size += overhead
        if end == len(buf):
            buf.clear()
            self._pos = 0
        if masked:
            payload = _unmask(payload, mask)
        return Frame(opcode, payload, fin, rsv)

    def next_event(self) -> WebSocketEvent | None:
        """Return the next message or control event, or None if more bytes are needed."""
        while not self._closed:
            frame = self.next_frame()
            if frame is None:
                return None
            opcode = frame.opcode
            if opcode == Opcode.PING:
                return Ping(frame.payload)
            if opcode == Opcode.PONG:
                return Pong(frame.payload)
            if opcode == Opcode.CLOSE:
                try:
                    event = parse_close_payload(frame.payload)
                except WebSocketProtocolError as exc:
                    self._error = exc
                    raise
                self._closed = True
                self._buf.clear()
                self._pos = 0
                return event
            message = self._add_data_frame(frame)
            if message is not None:
                return message
        return None

    def _add_data_frame(self, frame: Frame) -> TextMessage | BytesMessage | None:
        if frame.opcode == Opcode.CONTINUATION:
            if self._msg_opcode is None:
                raise self._fail("continuation frame without a message to continue")
        else:
            if self._msg_opcode is not None:
                raise self._fail("new data frame inside a fragmented message")
            if frame.fin:  # PERF: an unfragmented message (the common case) skips the buffer
                if frame.opcode == Opcode.BINARY:
                    return BytesMessage(frame.payload)
                try:
                    return TextMessage(frame.payload.decode("utf-8"))
                except UnicodeDecodeError:
                    raise self._fail("text message is not valid utf-8", 1007) from None
            self._msg_opcode = frame.opcode
            if frame.opcode == Opcode.TEXT:
                self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._msg_size += len(frame.payload)
        if self._decoder is not None:
            try:
                # Validates as it arrives (rule 4); the text is decoded once, at the end.
                self._decoder.decode(frame.payload, frame.fin)
            except UnicodeDecodeError:
                raise self._fail("text message is not valid utf-8", 1007) from None
        self._parts += frame.payload
        if not frame.fin:
            return None
        message: TextMessage | BytesMessage
        if self._decoder is not None:
            message = TextMessage(self._parts.decode("utf-8"))
        else:
            message = BytesMessage(bytes(self._parts))
        self._msg_opcode = None
        self._decoder = None
        self._parts = bytearray()
        self._msg_size = 0
        return message
