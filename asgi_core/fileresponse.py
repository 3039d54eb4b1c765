"""``FileResponse``: send a file from disk, with validators, preconditions and ranges.

Rules:

* Validators. ``Last-Modified`` is the file's mtime (seconds). ``ETag`` is
  ``"<mtime_ns hex>-<size hex>"`` and **strong**, the same trade-off nginx and
  Apache make: a file rewritten to the same size within one nanosecond mtime
  tick would keep its tag. A weak tag would make ``If-Range`` (which needs a
  strong comparison, RFC 9110 §13.1.5) useless for resumable downloads.
  Headers passed by the caller win over computed ones, and comparisons use the
  header values actually sent.
* Preconditions and ranges apply only to a ``200`` answer to ``GET``/``HEAD``
  (RFC 9110 §13.2.1: preconditions are for 2xx outcomes; a 404 page is sent
  as is). Order (RFC 9110 §13.2.2): ``If-Match`` (strong) → 412, else
  ``If-Unmodified-Since`` → 412; ``If-None-Match`` (weak) → 304, else
  ``If-Modified-Since`` → 304 (ignored when ``If-None-Match`` is present);
  then ``If-Range`` gates ``Range``. Malformed validators are ignored.
* Ranges (see ``ranges.py``): one range → 206 with ``Content-Range``; several
  → 206 ``multipart/byteranges`` with a random boundary; none satisfiable →
  416 with ``Content-Range: bytes */size``; malformed or more than
  ``max_ranges`` after merging → the header is ignored and the whole file is
  sent (200). ``HEAD`` answers with the headers ``GET`` would get (§9.3.2).
* The file is read in 64 KiB chunks in a worker thread. A file that shrinks
  while being sent raises ``RuntimeError`` (the server then aborts the
  connection instead of sending a short body under a longer Content-Length).
* ``http.response.pathsend`` (ASGI extension) is used for a plain 200 GET of
  the whole file when the server advertises it in ``scope["extensions"]``.
* A missing path (or one that is not a regular file) at send time raises
  ``RuntimeError`` naming it; ``StaticFiles`` checks before building one.
"""

from __future__ import annotations

import os
import secrets
import stat as stat_module
from collections.abc import Mapping
from email.utils import formatdate, parsedate_to_datetime
from mimetypes import guess_type
from typing import Final
from urllib.parse import quote

import anyio
import anyio.to_thread

from .background import BackgroundTask
from .headers import Headers
from .ranges import DEFAULT_MAX_RANGES, Unsatisfiable, parse_range_header
from .response import Response, status_has_no_body
from .types import RawHeaders, Receive, Scope, Send

__all__ = ["FileResponse", "content_disposition"]

# SPEC: RFC 8187 §3.2.1 attr-char (besides ALPHA / DIGIT, which quote() keeps).
_ATTR_CHAR_SAFE: Final = "!#$&+-.^_`|~"
# Representation metadata a 304 should not repeat (RFC 9110 §15.4.5).
_NOT_IN_304: Final = frozenset(
    {
        b"content-type",
        b"content-length",
        b"content-disposition",
        b"content-encoding",
        b"content-language",
        b"content-range",
        b"accept-ranges",
    }
)
_CRLF: Final = "\r\n"
_NOT_IN_416: Final = frozenset({b"content-type", b"content-length", b"content-disposition", b"content-range"})


def content_disposition(disposition_type: str, filename: str) -> str:
    """A ``Content-Disposition`` value naming ``filename`` (RFC 6266 §4).

    A printable-ASCII name goes in ``filename="..."``. Any other name also gets
    ``filename*=UTF-8''<percent-encoded>`` (RFC 8187), and the quoted fallback
    has the offending characters (non-ASCII, controls, ``"``, ``\\``, ``%``)
    replaced by ``_`` (RFC 6266 §4.3 advises against ``%`` and escapes there).
    """
    fallback = "".join(
        c if " " <= c <= "~" and c not in '"\\%' else "_" for c in filename
    )
    if fallback == filename:
        return f'{disposition_type}; filename="{filename}"'
    encoded = quote(filename, safe=_ATTR_CHAR_SAFE, encoding="utf-8")
    return f"{disposition_type}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _parse_etags(value: str) -> list[tuple[bool, str]] | None:
    """``#entity-tag`` as ``(weak, opaque-tag)`` pairs; None when malformed.

    SPEC: RFC 9110 §8.8.3 entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, where
    etagc excludes DQUOTE but allows commas, so the list is scanned, not split.
    """
    tags: list[tuple[bool, str]] = []
    index, end = 0, len(value)
    while True:
        while index < end and value[index] in " \t,":
            index += 1
        if index >= end:
            return tags
        weak = value.startswith("W/", index)
        if weak:
            index += 2
        if index >= end or value[index] != '"':
            return None
        close = value.find('"', index + 1)
        if close < 0:
            return None
        tags.append((weak, value[index : close + 1]))
        index = close + 1
        if index < end and value[index] not in " \t,":
            return None


def _etag_matches(header: str, etag: str | None, *, strong: bool) -> bool:
    """Does ``etag`` match the ``If-Match``/``If-None-Match`` list (RFC 9110 §8.8.3.2)?"""
    if header.strip() == "*":
        return True  # the representation exists
    if etag is None:
        return False
    current_weak = etag.startswith("W/")
    current = etag[2:] if current_weak else etag
    tags = _parse_etags(header)
    if not tags:
        return False
    if strong and current_weak:
        return False
    return any(tag == current and not (strong and weak) for weak, tag in tags)


def _http_date(value: str | None) -> int | None:
    """An HTTP-date as a POSIX timestamp, or None when absent or invalid (§5.6.7)."""
    if not value:
        return None
    try:
        return int(parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _without(raw: RawHeaders, names: frozenset[bytes]) -> RawHeaders:
    return [(k, v) for k, v in raw if k not in names]


class FileResponse(Response):
    """Send the file at ``path``.

    Args:
        path: the file to send.
        status_code: the status of a full answer (preconditions and ranges
            apply only when it is 200).
        headers: extra headers; they win over the computed ones.
        media_type: ``Content-Type``; guessed from ``filename`` or ``path``
            (``application/octet-stream`` when unknown).
        background: a task to run after the response is sent.
        filename: adds ``Content-Disposition`` naming this file.
        stat_result: an ``os.stat`` result already at hand (skips a ``stat``).
        method: the request method, when the scope's should not be used.
        content_disposition_type: ``"attachment"`` or ``"inline"``.
        max_ranges: most ranges honoured after merging; beyond, 200 full.
    """

    chunk_size: int = 64 * 1024

    def __init__(
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
        filename: str | None = None,
        stat_result: os.stat_result | None = None,
        method: str | None = None,
        content_disposition_type: str = "attachment",
        max_ranges: int = DEFAULT_MAX_RANGES,
    ) -> None:
        self.path = path
        self.status_code = status_code
        self.filename = filename
        self.method = method.upper() if method is not None else None
        self.send_header_only = self.method == "HEAD"
        if media_type is None:
            media_type = guess_type(filename or os.fspath(path))[0] or "application/octet-stream"
        self.media_type = media_type
        self.background = background
        self.max_ranges = max_ranges
        self.init_headers(headers)
        if filename is not None:
            self.headers.setdefault("content-disposition", content_disposition(content_disposition_type, filename))
        self.stat_result = stat_result
        if stat_result is not None:
            self.set_stat_headers(stat_result)

    def set_stat_headers(self, stat_result: os.stat_result) -> None:
        """Add ``Content-Length``, ``Last-Modified``, ``ETag`` (and ``Accept-Ranges``)."""
        headers = self.headers
        headers.setdefault("content-length", str(stat_result.st_size))
        headers.setdefault("last-modified", formatdate(stat_result.st_mtime, usegmt=True))
        headers.setdefault("etag", f'"{stat_result.st_mtime_ns:x}-{stat_result.st_size:x}"')
        if self.status_code == 200:
            headers.setdefault("accept-ranges", "bytes")

    def _stat(self) -> os.stat_result:
        try:
            result = os.stat(self.path)
        except FileNotFoundError:
            raise RuntimeError(f"File at path {os.fspath(self.path)!r} does not exist.") from None
        if not stat_module.S_ISREG(result.st_mode):
            raise RuntimeError(f"File at path {os.fspath(self.path)!r} is not a regular file.")
        return result

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = str(scope.get("method") or self.method or "GET").upper()
        stat_result = self.stat_result
        if stat_result is None:
            stat_result = await anyio.to_thread.run_sync(self._stat)
            self.stat_result = stat_result
            self.set_stat_headers(stat_result)
        size = stat_result.st_size
        if self.status_code == 200 and method in ("GET", "HEAD"):
            await self._send_negotiated(scope, send, method, size)
        else:
            send_body = method != "HEAD" and not status_has_no_body(self.status_code)
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            if send_body:
                await self._send_parts(send, [(b"", 0, size)], b"")
            else:
                await send({"type": "http.response.body", "body": b""})
        if self.background is not None:
            await self.background()

    async def _send_negotiated(self, scope: Scope, send: Send, method: str, size: int) -> None:
        request = Headers(scope=scope)
        status = self._precondition_status(request)
        if status is not None:
            if status == 304:
                raw = _without(self.raw_headers, _NOT_IN_304)
            else:
                raw = _without(self.raw_headers, _NOT_IN_416) + [(b"content-length", b"0")]
            await send({"type": "http.response.start", "status": status, "headers": raw})
            await send({"type": "http.response.body", "body": b""})
            return
        ranges = self._requested_ranges(request, size)
        head = method == "HEAD"
        if ranges is None:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            if head:
                await send({"type": "http.response.body", "body": b""})
            elif "http.response.pathsend" in (scope.get("extensions") or {}):
                await send({"type": "http.response.pathsend", "path": os.path.abspath(self.path)})
            else:
                await self._send_parts(send, [(b"", 0, size)], b"")
            return
        if isinstance(ranges, Unsatisfiable):
            raw = _without(self.raw_headers, _NOT_IN_416)
            raw += [(b"content-range", f"bytes */{size}".encode()), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": 416, "headers": raw})
            await send({"type": "http.response.body", "body": b""})
            return
        if len(ranges) == 1:
            start, stop = ranges[0]
            raw = _without(self.raw_headers, frozenset({b"content-length", b"content-range"}))
            raw += [
                (b"content-range", f"bytes {start}-{stop - 1}/{size}".encode()),
                (b"content-length", str(stop - start).encode()),
            ]
            parts = [(b"", start, stop)]
            epilogue = b""
        else:
            boundary = secrets.token_hex(16)
            part_type = self.headers.get("content-type", "application/octet-stream")
            parts = []
            for index, (start, stop) in enumerate(ranges):
                # SPEC: RFC 2046 §5.1.1 - the CRLF before a delimiter belongs to it.
                head_text = (
                    f"{'' if index == 0 else _CRLF}--{boundary}\r\n"
                    f"Content-Type: {part_type}\r\n"
                    f"Content-Range: bytes {start}-{stop - 1}/{size}\r\n\r\n"
                )
                parts.append((head_text.encode("latin-1"), start, stop))
            epilogue = f"\r\n--{boundary}--\r\n".encode("latin-1")
            length = len(epilogue) + sum(len(p) + stop - start for p, start, stop in parts)
            raw = _without(self.raw_headers, frozenset({b"content-length", b"content-type"}))
            raw += [
                (b"content-type", f"multipart/byteranges; boundary={boundary}".encode("latin-1")),
                (b"content-length", str(length).encode()),
            ]
        await send({"type": "http.response.start", "status": 206, "headers": raw})
        if head:
            await send({"type": "http.response.body", "body": b""})
        else:
            await self._send_parts(send, parts, epilogue)

    def _precondition_status(self, request: Headers) -> int | None:
        """304, 412 or None (go on), per RFC 9110 §13.2.2 for GET/HEAD."""
        etag = self.headers.get("etag")
        last_modified = _http_date(self.headers.get("last-modified"))
        if_match = request.get("if-match")
        if if_match is not None:
            if not _etag_matches(if_match, etag, strong=True):
                return 412
        else:
            since = _http_date(request.get("if-unmodified-since"))
            if since is not None and last_modified is not None and last_modified > since:
                return 412
        if_none_match = request.get("if-none-match")
        if if_none_match is not None:
            return 304 if _etag_matches(if_none_match, etag, strong=False) else None
        since = _http_date(request.get("if-modified-since"))
        if since is not None and last_modified is not None and last_modified <= since:
            return 304
        return None

    def _requested_ranges(self, request: Headers, size: int) -> list[tuple[int, int]] | None | Unsatisfiable:
        header = request.get("range")
        if header is None:
            return None
        if_range = request.get("if-range")
        if if_range is not None:
            if_range = if_range.strip()
            # SPEC: RFC 9110 §13.1.5 - an entity-tag is compared strongly, a date exactly.
            if if_range.startswith(('"', "W/")):
                if not _etag_matches(if_range, self.headers.get("etag"), strong=True):
                    return None
            else:
                since = _http_date(if_range)
                if since is None or since != _http_date(self.headers.get("last-modified")):
                    return None
        return parse_range_header(header, size, self.max_ranges)

    async def _send_parts(self, send: Send, parts: list[tuple[bytes, int, int]], epilogue: bytes) -> None:
        """Send each part's header bytes and its slice of the file, then ``epilogue``.

        Part headers ride along with the next chunk of file data, and the last
        chunk carries ``more_body=False``, so a plain file costs one message per chunk.
        """
        try:
            file = await anyio.open_file(self.path, "rb")
        except OSError as exc:
            raise RuntimeError(f"File at path {os.fspath(self.path)!r} could not be opened: {exc}") from exc
        chunk_size = self.chunk_size
        last_part = len(parts) - 1
        pending = b""
        async with file:
            position = 0
            for index, (head, start, stop) in enumerate(parts):
                pending += head
                if start != position:
                    await file.seek(start)
                remaining = stop - start
                while remaining > 0:
                    chunk = await file.read(min(chunk_size, remaining))
                    if not chunk:
                        raise RuntimeError(f"File at path {os.fspath(self.path)!r} shrank while being sent.")
                    remaining -= len(chunk)
                    if pending:
                        chunk, pending = pending + chunk, b""
                    if remaining == 0 and index == last_part and not epilogue:
                        await send({"type": "http.response.body", "body": chunk, "more_body": False})
                        return
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                position = stop
        await send({"type": "http.response.body", "body": pending + epilogue, "more_body": False})
