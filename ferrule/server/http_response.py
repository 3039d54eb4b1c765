"""Response bytes of the HTTP/1.1 server: heads, chunk framing, small error responses.

Rules:
1. The server writes responses itself (h11 parses the requests): a head is the
   status line, the app's headers, then the server's own (`date`, `server`,
   framing, `connection: close`), ending in a blank line (RFC 9112 §4, §5).
2. SECURITY: a header name must be an RFC 9110 §5.1 token and a value must
   hold no CR, LF or NUL, so nothing the app sends can split the head or add
   a header (response splitting). `check_headers` enforces it when the app
   starts its response, so the error reaches the app's `send()`.
3. Chunked framing (RFC 9112 §7.1): each non-empty body message is one chunk;
   the end is the zero-size chunk with no trailers.
"""

from __future__ import annotations

import http
import re
from typing import Final

from .accesslog import escape
from .state import ServerState

__all__ = [
    "check_headers",
    "chunk",
    "encode_head",
    "encode_response",
    "error_response",
    "LAST_CHUNK",
    "CONTINUE_100",
]

#: RFC 9110 §5.6.2 token.
_TOKEN: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_BAD_VALUE: Final = re.compile(rb"[\r\n\x00]")
_STATUS_LINES: dict[int, bytes] = {}
LAST_CHUNK: Final = b"0\r\n\r\n"
CONTINUE_100: Final = b"HTTP/1.1 100 Continue\r\n\r\n"


def status_line(status: int) -> bytes:
    """`HTTP/1.1 <status> <phrase>\\r\\n` (cached per status)."""
    line = _STATUS_LINES.get(status)
    if line is None:
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        line = _STATUS_LINES[status] = f"HTTP/1.1 {status} {phrase}\r\n".encode("ascii")
    return line


def check_headers(headers: list[tuple[bytes, bytes]]) -> None:
    """Refuse header names and values that would break the head (rule 2).

    Raises:
        ValueError: naming the first bad header (truncated).
    """
    for name, value in headers:
        if _TOKEN.match(name) is None or _BAD_VALUE.search(value) is not None:
            raise ValueError(f"invalid response header {name[:40]!r}: {value[:40]!r}")


def encode_head(status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
    """The head for already-checked headers (names lowercase)."""
    parts = [status_line(status)]
    for name, value in headers:
        parts.append(name + b": " + value + b"\r\n")
    parts.append(b"\r\n")
    return b"".join(parts)


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body (never the last one: `data` is non-empty)."""
    return b"%x\r\n%b\r\n" % (len(data), data)


def encode_response(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """Raw bytes of a complete response with a content-length.

    Raises:
        ValueError: a header name or value would break the framing.
    """
    lowered = [(bytes(k).lower(), bytes(v)) for k, v in headers]
    check_headers(lowered)
    lowered.append((b"content-length", str(len(body)).encode("ascii")))
    return encode_head(status, lowered) + body


def error_response(
    state: ServerState, status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None
) -> bytes:
    """Raw bytes of a small plain-text response that closes the connection."""
    body = (escape(message[:200]) + "\n").encode("ascii")
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"connection", b"close"),
        *(extra or []),
        *state.default_headers(),
    ]
    return encode_response(status, headers, body)
