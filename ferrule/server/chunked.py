"""Strict decoder of a chunked request body (RFC 9112 §7.1); no I/O.

Rules:
1. Bytes go in through a `bytearray` the caller owns; `decode()` consumes
   what it can, returns the body bytes it found and whether the body ended,
   and leaves an incomplete line, or whatever follows the body (a pipelined
   request), in the buffer. Feeding a body whole or split anywhere gives the
   same result (tested against a reference encoder, split by hypothesis).
2. SECURITY: strict where lenient parsers disagree (request smuggling):
   a chunk-size is 1 to 16 hex digits with nothing before it, every line
   ends in CRLF (a bare CR or LF is an error), chunk data is followed by
   CRLF, and no control byte but HTAB appears in extensions or trailers.
   Extensions and trailer fields are read and dropped.
3. A size line or the trailer section longer than `max_line` bytes is an
   error, so the buffer stays bounded.
4. Every error is a `ChunkedError` with a short lowercase message.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ChunkedDecoder", "ChunkedError"]

_SIZE_LINE: Final = re.compile(rb"([0-9A-Fa-f]{1,16})((?:;[^\x00-\x08\x0a-\x1f\x7f]*)?)\Z")
_TRAILER_LINE: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\x00-\x08\x0a-\x1f\x7f]*\Z")

_SIZE, _DATA, _DATA_END, _TRAILER, _DONE = range(5)


class ChunkedError(ValueError):
    """The chunked framing is malformed (the request gets 400)."""


class ChunkedDecoder:
    """Decode one chunked body from a shared buffer (see the module rules)."""

    __slots__ = ("_state", "_left", "_max_line", "_trailer_size")

    def __init__(self, max_line: int = 16 * 1024) -> None:
        self._state = _SIZE
        self._left = 0
        self._max_line = max_line
        self._trailer_size = 0

    @property
    def done(self) -> bool:
        return self._state == _DONE

    def _line(self, buf: bytearray) -> bytes | None:
        end = buf.find(b"\r\n")
        if end < 0:
            if b"\n" in buf:
                raise ChunkedError("bare LF in chunked framing")
            if len(buf) > self._max_line:
                raise ChunkedError("chunk size line or trailer too long")
            return None
        line = bytes(buf[:end])
        if b"\n" in line or b"\r" in line:
            raise ChunkedError("bare CR or LF in chunked framing")
        del buf[: end + 2]
        return line

    def decode(self, buf: bytearray) -> tuple[list[bytes], bool]:
        """Consume what `buf` holds of the body: (data pieces, body finished).

        Raises:
            ChunkedError: malformed framing.
        """
        out: list[bytes] = []
        while True:
            state = self._state
            if state == _DATA:
                n = min(self._left, len(buf))
                if not n:
                    return out, False
                out.append(bytes(buf[:n]))
                del buf[:n]
                self._left -= n
                if not self._left:
                    self._state = _DATA_END
            elif state == _DATA_END:
                if len(buf) < 2:
                    if buf and buf[0] != 13:
                        raise ChunkedError("chunk data not followed by CRLF")
                    return out, False
                if buf[:2] != b"\r\n":
                    raise ChunkedError("chunk data not followed by CRLF")
                del buf[:2]
                self._state = _SIZE
            elif state == _SIZE:
                line = self._line(buf)
                if line is None:
                    return out, False
                match = _SIZE_LINE.match(line)
                if match is None:
                    raise ChunkedError(f"bad chunk size line {line[:40]!r}")
                self._left = int(match.group(1), 16)
                self._state = _DATA if self._left else _TRAILER
            elif state == _TRAILER:
                line = self._line(buf)
                if line is None:
                    return out, False
                if not line:
                    self._state = _DONE
                    return out, True
                self._trailer_size += len(line) + 2
                if self._trailer_size > self._max_line:
                    raise ChunkedError("chunk size line or trailer too long")
                if _TRAILER_LINE.match(line) is None:
                    raise ChunkedError(f"bad trailer field {line[:40]!r}")
            else:
                return out, True
