"""A streaming, sans-IO ``multipart/form-data`` parser (RFC 7578, RFC 2046 §5.1).

Like h11, it does no I/O: ``feed(bytes)`` returns the events those bytes
complete, ``finish()`` says the body has ended. Part content is handed out as
it arrives: the parser keeps only a tail shorter than the delimiter, or one
part head, so its memory does not grow with the size of a part.

Theory of operation. The body is scanned for the delimiter ``CRLF--boundary``
(RFC 2046 §5.1.1); a virtual CRLF starts the buffer, so a body that opens
with ``--boundary`` needs no special case. States, and what ends each one:

* ``PREAMBLE``: bytes before the first delimiter, dropped (only a tail of
  ``len(delimiter) - 1`` bytes is kept, so megabytes of preamble cost linear
  time and constant memory).
* ``AFTER_DELIMITER``: ``--`` means the close delimiter (-> ``DONE``);
  anything else is transport padding (SP / HTAB) then CRLF (-> ``HEADERS``).
* ``HEADERS``: header lines up to an empty line; emits ``PartStart``.
* ``BODY``: content up to the next delimiter: ``PartData``s, then ``PartEnd``.
* ``DONE``: the epilogue, ignored; ``Done`` was emitted on entry.

Rules:

1. A match of ``CRLF--boundary`` is a delimiter only when the next byte is
   ``-``, SP, HTAB or CR; otherwise (``--boundaryX``) it is content, as in
   Go's ``mime/multipart``.
2. ``MalformedInputError`` (400): anything but padding + CRLF after a
   boundary; a part head with a bare CR or LF, NUL, obs-fold or a line
   without a colon; a missing or duplicated ``Content-Disposition``, a type
   other than ``form-data`` or no ``name``; a body that ends before the close
   delimiter (from ``finish()``; an empty body is an empty form, COMPAT:
   Starlette). Once the parser has raised, every later call raises.
3. Limits (``FormLimits``): parts per body (413), bytes and header lines per
   part head (431, the status ``RequestHeaderFieldsTooLargeError`` documents
   for a part's head). The boundary is 1 to 200 characters.
4. ``filename`` is cut to its basename (after ``/`` and ``\\``), C0 controls
   and DEL are dropped, and ``.``/``..`` become ``""``; it is ``None`` only
   when the part has no ``filename`` parameter at all.
5. ``Content-Disposition`` is decoded as UTF-8 (browsers send raw UTF-8 names,
   WHATWG HTML "multipart/form-data encoding algorithm"), invalid bytes
   replaced by U+FFFD. Other part header values stay raw bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Union

from .exceptions import MalformedInputError, PayloadTooLargeError, RequestInputError
from .exceptions import RequestHeaderFieldsTooLargeError, truncated_repr
from .limits import MAX_MULTIPART_BOUNDARY_LENGTH, FormLimits
from .media_params import parse_options_header, parse_params

__all__ = ["Done", "Event", "MultipartParser", "PartData", "PartEnd", "PartStart"]
__all__ += ["parse_options_header"]


# --- events -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartStart:
    """A part's head was parsed; its content follows as ``PartData`` events."""

    name: str
    filename: str | None
    content_type: str | None
    headers: list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class PartData:
    """A chunk of the current part's content (never empty)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class PartEnd:
    """The current part's content is complete."""


@dataclass(frozen=True, slots=True)
class Done:
    """The close delimiter was seen; anything after it is the ignored epilogue."""


Event = Union[PartStart, PartData, PartEnd, Done]


# --- filenames ----------------------------------------------------------------

_CONTROL_CHARS: Final = {code: None for code in [*range(0x20), 0x7F]}


def _basename(filename: str) -> str:
    # SECURITY: RFC 7578 §4.2 - a filename "MUST NOT be used blindly"; keep
    # only the last path segment of either separator, and no control chars.
    base = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if base in (".", ".."):
        return ""
    return base.translate(_CONTROL_CHARS)


# --- the parser --------------------------------------------------------------

# SPEC: RFC 9110 §5.6.2 token = 1*tchar (a fullmatch over one class: linear).
_TOKEN: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# SPEC: RFC 2046 §5.1.1 - after "--boundary": "--" (close), or transport
# padding (SP / HTAB) then CRLF. Any other byte means it was not a delimiter.
_AFTER_BOUNDARY: Final = frozenset(b"- \t\r")
_PADDING_RUN: Final = re.compile(rb"[ \t]*")

# The states (see the module docstring); _FAILED is final, like _DONE.
_PREAMBLE, _AFTER_DELIMITER, _PADDING_STATE, _HEADERS, _BODY, _DONE, _FAILED = range(7)


def _check_boundary(boundary: bytes) -> None:
    # SPEC: RFC 2046 §5.1.1 boundary := 0*69<bchars> bcharsnospace (1 to 70
    # chars); we allow any printable ASCII up to MAX_MULTIPART_BOUNDARY_LENGTH.
    if not boundary:
        raise MalformedInputError("empty multipart boundary")
    if len(boundary) > MAX_MULTIPART_BOUNDARY_LENGTH:
        limit = MAX_MULTIPART_BOUNDARY_LENGTH
        raise MalformedInputError(f"multipart boundary too long: over {limit} bytes")
    if boundary.endswith(b" ") or any(byte < 0x20 or byte > 0x7E for byte in boundary):
        raise MalformedInputError(f"invalid multipart boundary {truncated_repr(boundary)}")


def _head_bytes(buffer: bytearray, size: int) -> bytes:
    """``bytes(buffer[:size])`` with one copy instead of two; the view is released at once."""
    with memoryview(buffer) as view:
        return bytes(view[:size])


class MultipartParser:
    """Turn the bytes of a ``multipart/form-data`` body into events.

    Args:
        boundary: the ``boundary`` parameter of the request's Content-Type.
        limits: the part count and part head limits to enforce.

    Raises:
        MalformedInputError: (400) the boundary is empty, too long or not
            printable ASCII.
    """

    __slots__ = ("_buffer", "_delimiter", "_limits", "_parts", "_received", "_scan", "_state")

    def __init__(self, boundary: bytes, limits: FormLimits) -> None:
        _check_boundary(boundary)
        self._delimiter = b"\r\n--" + boundary
        self._limits = limits
        # The virtual CRLF: a body starting with "--boundary" needs no special case.
        self._buffer = bytearray(b"\r\n")
        self._state = _PREAMBLE
        self._scan = 0  # where the next search of the buffer starts
        self._parts = 0
        self._received = False

    def feed(self, data: bytes) -> list[Event]:
        """Parse ``data``; return the events it completes (possibly none).

        Raises:
            MalformedInputError: (400) the body is not valid multipart.
            PayloadTooLargeError: (413) more parts than ``max_parts``.
            RequestHeaderFieldsTooLargeError: (431) a part head over its limits.
        """
        if self._state == _FAILED:
            raise MalformedInputError("multipart parser already failed")
        if self._state == _DONE or not data:
            return []  # SPEC: RFC 2046 §5.1.1 - the epilogue is ignored
        self._received = True
        buffer = self._buffer
        if self._state == _BODY and not buffer and type(data) is bytes:
            # PERF: bench upload - the usual chunk in the middle of a file holds no
            # delimiter and ends with no byte that could start one: it is part data
            # as it is, with no copy into and out of the buffer.
            delimiter = self._delimiter
            # (The start is clamped: a negative one would count from the end.)
            if data.find(delimiter) < 0 and data.find(b"\r", max(0, len(data) - len(delimiter) + 1)) < 0:
                return [PartData(data)]
        buffer += data
        events: list[Event] = []
        try:
            while _STEPS[self._state](self, events):
                pass
        except RequestInputError:
            self._state = _FAILED
            self._buffer.clear()
            raise
        return events

    def finish(self) -> list[Event]:
        """Declare the end of the body; return the last events.

        Raises:
            MalformedInputError: (400) the body ended before the close delimiter.
        """
        if self._state == _DONE:
            return []
        if self._state == _FAILED:
            raise MalformedInputError("multipart parser already failed")
        if self._state == _PREAMBLE and not self._received:
            self._state = _DONE
            return [Done()]
        self._state = _FAILED
        self._buffer.clear()
        raise MalformedInputError("multipart body ended before the closing boundary")

    # --- one method per state; each returns True when it can continue ---

    def _find_delimiter(self) -> int:
        """Index of the next real delimiter, -1 if none yet, -2 to wait for a byte."""
        buffer = self._buffer
        while True:
            index = buffer.find(self._delimiter, self._scan)
            if index < 0:
                return -1
            after = index + len(self._delimiter)
            if after == len(buffer):
                return -2 - index  # encode "wait" and where the candidate starts
            if buffer[after] in _AFTER_BOUNDARY:
                return index
            self._scan = index + 1  # "--boundaryX": content, keep looking

    def _held_back(self) -> int:
        """Where the buffer's longest suffix that may begin a delimiter starts."""
        # The delimiter's only CR is its first byte (a boundary is printable),
        # so try each CR of the last len(delimiter) - 1 bytes: linear in the tail.
        buffer, delimiter = self._buffer, self._delimiter
        start = buffer.find(b"\r", max(0, len(buffer) - len(delimiter) + 1))
        while start >= 0 and not delimiter.startswith(buffer[start:]):
            start = buffer.find(b"\r", start + 1)
        return len(buffer) if start < 0 else start

    def _step_preamble(self, events: list[Event]) -> bool:
        buffer = self._buffer
        index = self._find_delimiter()
        if index >= 0:
            del buffer[: index + len(self._delimiter)]
            self._scan = 0
            self._state = _AFTER_DELIMITER
            return True
        del buffer[: -2 - index if index <= -2 else self._held_back()]
        self._scan = 0
        return False

    def _step_after_delimiter(self, events: list[Event]) -> bool:
        buffer = self._buffer
        if buffer[0] != 0x2D:  # not "-": padding then CRLF
            self._state = _PADDING_STATE
            return True
        if len(buffer) < 2:
            return False
        if buffer[1] != 0x2D:
            raise MalformedInputError("invalid multipart boundary line: '-' after the boundary")
        buffer.clear()
        self._state = _DONE
        events.append(Done())
        return False

    def _step_padding(self, events: list[Event]) -> bool:
        buffer = self._buffer
        padding = _PADDING_RUN.match(buffer)
        if padding is not None and padding.end():
            del buffer[: padding.end()]
        if len(buffer) < 2:
            if not buffer or buffer[0] == 0x0D:
                return False
        elif buffer[0] == 0x0D and buffer[1] == 0x0A:
            # Keep this CRLF: the head is then "CRLF *(line CRLF) CRLF" whatever its size.
            self._parts += 1
            if self._parts > self._limits.max_parts:
                raise PayloadTooLargeError(
                    f"too many multipart parts: more than {self._limits.max_parts} "
                    "(raise FormLimits.max_parts)"
                )
            self._state = _HEADERS
            self._scan = 0
            return True
        raise MalformedInputError("invalid multipart boundary line: expected CRLF after the boundary")

    def _step_headers(self, events: list[Event]) -> bool:
        # The buffer is "CRLF *(field-line CRLF) CRLF ..." (the delimiter line's CRLF
        # was kept), so an empty head ends at 0 and the head's size is ``end``.
        buffer = self._buffer
        limit = self._limits.max_part_header_bytes
        end = buffer.find(b"\r\n\r\n", self._scan)
        if end > limit or (end < 0 and len(buffer) - 3 > limit):
            raise RequestHeaderFieldsTooLargeError(
                f"multipart part head too large: more than {limit} bytes "
                "(raise FormLimits.max_part_header_bytes)"
            )
        if end < 0:
            self._scan = max(0, len(buffer) - 3)
            return False
        head = bytes(buffer[2:end])
        del buffer[: end + 4]
        self._scan = 0
        self._state = _BODY
        events.append(self._part_start(head))
        return True

    def _step_body(self, events: list[Event]) -> bool:
        buffer = self._buffer
        index = self._find_delimiter()
        if index >= 0:
            if index:
                events.append(PartData(_head_bytes(buffer, index)))
            events.append(PartEnd())
            del buffer[: index + len(self._delimiter)]
            self._scan = 0
            self._state = _AFTER_DELIMITER
            return True
        safe = -2 - index if index <= -2 else self._held_back()
        if safe:
            # PERF: bench upload - one copy through a view, not a slice and then bytes().
            events.append(PartData(_head_bytes(buffer, safe)))
            del buffer[:safe]
        self._scan = 0
        return False

    def _part_start(self, head: bytes) -> PartStart:
        limits = self._limits
        lines = head.split(b"\r\n") if head else []
        if len(lines) > limits.max_headers_per_part:
            raise RequestHeaderFieldsTooLargeError(
                f"too many headers in a multipart part: more than {limits.max_headers_per_part} "
                "(raise FormLimits.max_headers_per_part)"
            )
        headers = [_parse_header_line(line) for line in lines]
        disposition: bytes | None = None
        content_type: bytes | None = None
        for header_name, value in headers:
            if header_name == b"content-disposition":
                if disposition is not None:
                    raise MalformedInputError("duplicate content-disposition in multipart part")
                disposition = value
            elif header_name == b"content-type":
                if content_type is not None:
                    raise MalformedInputError("duplicate content-type in multipart part")
                content_type = value
        if disposition is None:
            raise MalformedInputError("multipart part without content-disposition")
        kind, params, duplicated = parse_params(disposition.decode("utf-8", "replace"))
        # SPEC: RFC 7578 §4.2 - the disposition type is "form-data" and "name" is required.
        if kind != "form-data":
            raise MalformedInputError(
                f"multipart part disposition must be form-data, got {truncated_repr(kind)}"
            )
        if duplicated & {"name", "filename"}:
            raise MalformedInputError("duplicate name or filename in content-disposition")
        name = params.get("name")
        if name is None:
            raise MalformedInputError("multipart part without a name")
        filename = params.get("filename")
        return PartStart(
            name=name,
            filename=None if filename is None else _basename(filename),
            content_type=None if content_type is None else content_type.decode("latin-1"),
            headers=headers,
        )


def _parse_header_line(line: bytes) -> tuple[bytes, bytes]:
    # SPEC: RFC 9112 §5 field-line = field-name ":" OWS field-value OWS; no
    # obs-fold (§5.2), no whitespace before the colon (§5.1), no bare CR/LF/NUL.
    if b"\r" in line or b"\n" in line:
        raise MalformedInputError(f"bare CR or LF in multipart part header {truncated_repr(line)}")
    if b"\x00" in line:
        raise MalformedInputError("NUL in multipart part header")
    if line[:1] in (b" ", b"\t"):
        raise MalformedInputError("obsolete line folding in multipart part header")
    colon = line.find(b":")
    name = line[:colon] if colon > 0 else b""
    if not name or _TOKEN.fullmatch(name) is None:
        raise MalformedInputError(f"invalid multipart part header {truncated_repr(line)}")
    return name.lower(), line[colon + 1 :].strip(b" \t")


_STEPS: Final = {
    _PREAMBLE: MultipartParser._step_preamble,
    _AFTER_DELIMITER: MultipartParser._step_after_delimiter,
    _PADDING_STATE: MultipartParser._step_padding,
    _HEADERS: MultipartParser._step_headers,
    _BODY: MultipartParser._step_body,
}
