"""``GZipMiddleware``: gzip response bodies for clients that accept it.

Rules:

* Only when the request's ``Accept-Encoding`` lists ``gzip`` (or ``*``) with a
  non-zero q-value (RFC 9110 §12.5.3). ``gzip;q=0`` means "never".
* The response passes through unchanged when it: already has a
  ``Content-Encoding``; has a media type in ``exclude_media_types`` (default
  ``text/event-stream``: SSE must reach the client event by event); is a
  partial answer (206 / ``Content-Range``: ranges count bytes of the
  uncompressed file); has a status without a body; answers ``HEAD``; is sent
  with ``http.response.pathsend``; or is a single body under ``minimum_size``.
* A single-message body is compressed whole and gets an exact
  ``Content-Length``. A streamed body is compressed message by message, each
  flushed (``Z_SYNC_FLUSH``) so a slow stream reaches the client without
  waiting for the next one; its ``Content-Length`` is dropped.
* A compressed answer gets ``Content-Encoding: gzip`` and
  ``Vary: Accept-Encoding``, and a strong ``ETag`` becomes weak: the bytes
  changed, the content did not (RFC 9110 §8.8.3), so ``If-None-Match`` (weak
  comparison) still gives 304s.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from ..headers import Headers, MutableHeaders
from ..media_params import quality
from ..response import status_has_no_body
from ..types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["GZipMiddleware", "accepts_gzip"]

DEFAULT_EXCLUDED_MEDIA_TYPES = ("text/event-stream",)
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # SPEC: RFC 1952 container, not raw deflate


def accepts_gzip(accept_encoding: str) -> bool:
    """Does an ``Accept-Encoding`` value allow gzip (RFC 9110 §12.5.3)?"""
    star: bool | None = None
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        weight = quality(params, invalid=0.0)
        if coding in ("gzip", "x-gzip"):
            return weight > 0
        if coding == "*":
            star = weight > 0
    return bool(star)


class GZipMiddleware:
    """Compress responses with gzip.

    Args:
        app: the app to wrap.
        minimum_size: bodies smaller than this (bytes) are sent as they are.
        compresslevel: zlib level, 1 (fast) to 9 (small).
        exclude_media_types: media types never compressed (prefix match).
    """

    def __init__(
        self,
        app: ASGIApp,
        minimum_size: int = 500,
        compresslevel: int = 9,
        exclude_media_types: Sequence[str] = DEFAULT_EXCLUDED_MEDIA_TYPES,
    ) -> None:
        if not 0 <= compresslevel <= 9:
            raise ValueError(f"GZipMiddleware compresslevel must be 0..9, got {compresslevel!r}")
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel
        self.exclude_media_types = tuple(t.lower() for t in exclude_media_types)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") == "HEAD":
            await self.app(scope, receive, send)
            return
        accept = Headers(scope=scope).get("accept-encoding")
        if accept is None or not accepts_gzip(accept):
            await self.app(scope, receive, send)
            return
        await _GZipResponder(self, send).run(scope, receive)


class _GZipResponder:
    """One response: hold the start message until the first body says what to do."""

    __slots__ = ("mw", "send", "start", "mode", "compressor")

    def __init__(self, mw: GZipMiddleware, send: Send) -> None:
        self.mw = mw
        self.send = send
        self.start: Message | None = None
        self.mode = ""  # "" undecided, "pass" untouched, "gzip" compressing
        self.compressor: zlib._Compress | None = None

    async def run(self, scope: Scope, receive: Receive) -> None:
        await self.mw.app(scope, receive, self.on_message)

    def _can_compress(self, message: Message) -> bool:
        if status_has_no_body(message["status"]) or message["status"] == 206:
            return False
        headers = Headers(raw=message.get("headers", ()))
        if "content-encoding" in headers or "content-range" in headers:
            return False
        media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        return not media_type.startswith(self.mw.exclude_media_types)

    async def on_message(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self._can_compress(message):
                self.start = message
            else:
                self.mode = "pass"
                await self.send(message)
            return
        if self.mode == "pass" or kind != "http.response.body":
            if self.start is not None:  # e.g. pathsend: cannot compress a file we never see
                self.mode = "pass"
                held, self.start = self.start, None
                await self.send(held)
            await self.send(message)
            return
        body: bytes = message.get("body", b"")
        more_body: bool = message.get("more_body", False)
        if self.mode == "":
            start = self.start
            self.start = None
            assert start is not None  # invariant: ASGI sends start before any body
            if not more_body and len(body) < self.mw.minimum_size:
                self.mode = "pass"
                await self.send(start)
                await self.send(message)
                return
            self.mode = "gzip"
            self.compressor = zlib.compressobj(self.mw.compresslevel, zlib.DEFLATED, _GZIP_WBITS)
            headers = MutableHeaders(raw=start.get("headers", ()))
            headers["content-encoding"] = "gzip"
            headers.add_vary_header("Accept-Encoding")
            etag = headers.get("etag")
            if etag is not None and etag.startswith('"'):
                headers["etag"] = "W/" + etag
            if more_body:
                del headers["content-length"]
                start["headers"] = headers.raw
                await self.send(start)
            else:
                compressed = self.compressor.compress(body) + self.compressor.flush(zlib.Z_FINISH)
                headers["content-length"] = str(len(compressed))
                start["headers"] = headers.raw
                await self.send(start)
                await self.send({"type": "http.response.body", "body": compressed})
                return
        compressor = self.compressor
        assert compressor is not None  # invariant: set when mode became "gzip"
        if more_body:
            data = compressor.compress(body) + compressor.flush(zlib.Z_SYNC_FLUSH) if body else b""
            if data:
                await self.send({"type": "http.response.body", "body": data, "more_body": True})
        else:
            data = compressor.compress(body) + compressor.flush(zlib.Z_FINISH)
            await self.send({"type": "http.response.body", "body": data, "more_body": False})
