"""The test client's response: status, headers, body and streaming readers.

Rules:

* A response is either read (its body is in memory) or streaming: a streaming
  body is pulled chunk by chunk from the app while it runs (``TestClient``:
  through the client's blocking portal, with ``iter_*``/``read``;
  ``AsyncTestClient``: awaited, with ``aiter_*``/``aread``). A stream can be
  consumed once; ``content`` needs ``read()`` first.
* ``Content-Encoding`` ``gzip``/``deflate`` (also stacked) is decoded for
  ``content``, ``iter_bytes``, ``iter_text`` and ``iter_lines``; ``iter_raw``
  gives the bytes as sent. Unknown codings (``br``...) pass through.
* ``text`` uses the ``Content-Type`` charset, else UTF-8; bad bytes become U+FFFD.
* ``iter_lines`` splits on ``\\r\\n``, ``\\n`` and ``\\r`` only, across chunk
  boundaries, and yields lines without their terminator.
"""

from __future__ import annotations

import codecs
import json as jsonlib
import re
import zlib
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

from .cookies import Cookies
from .request import ClientRequest
from ferrule.asgi_core.headers import Headers
from ferrule.asgi_core.url import URL

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

__all__ = [
    "ClientResponse",
    "ResponseHeaders",
    "DecodingError",
    "HTTPStatusError",
    "ResponseNotRead",
    "StreamConsumed",
]

T = TypeVar("T", bytes, str)


class HTTPStatusError(Exception):
    """``raise_for_status()`` on a response that is not 2xx."""

    def __init__(self, message: str, *, request: ClientRequest, response: ClientResponse) -> None:
        super().__init__(message)
        self.request = request
        self.response = response


class ResponseNotRead(RuntimeError):
    """``content``/``text``/``json()`` on a streaming response before ``read()``."""


class StreamConsumed(RuntimeError):
    """A streaming body was iterated twice."""


class DecodingError(ValueError):
    """The body does not match its ``Content-Encoding``."""


class ResponseHeaders(Headers):
    """Response headers: ferrule's ``Headers`` plus httpx's ``get_list``/``multi_items``."""

    __slots__ = ()

    def get_list(self, key: str, split_commas: bool = False) -> list[str]:
        """Every value of ``key``; with ``split_commas`` also split on commas (httpx)."""
        values = self.getlist(key)
        if not split_commas:
            return values
        return [part.strip() for value in values for part in value.split(",")]

    def multi_items(self) -> list[tuple[str, str]]:
        """Every ``(name, value)`` pair, repeated names included."""
        return self.items()


class BodyStream(Protocol):
    """Where a streaming response pulls its body from (the running exchange)."""

    async def receive_chunk(self) -> bytes | None: ...

    def close(self) -> None: ...


# --- decoding pipeline: each stage maps an item to zero or more items -------


class _Stage(Protocol[T]):
    def feed(self, item: Any) -> list[T]: ...

    def flush(self) -> list[T]: ...


class _Decompress:
    __slots__ = ("_decoders",)

    def __init__(self, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        # SPEC: RFC 9110 §8.4 codings are listed in the order applied; undo in reverse.
        self._decoders: list[Any] = []
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip"):
                self._decoders.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
            elif coding == "deflate":
                self._decoders.append(None)  # zlib or raw deflate: decided on the first bytes
            elif coding != "identity":
                self._decoders = []  # an unsupported coding: hand the bytes over as sent
                return

    def feed(self, data: bytes) -> list[bytes]:
        try:
            for index, decoder in enumerate(self._decoders):
                if decoder is None:
                    # SPEC: RFC 9110 §8.4.1.2 deflate is zlib-wrapped; some servers send it raw.
                    decoder = zlib.decompressobj(zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS)
                    self._decoders[index] = decoder
                data = decoder.decompress(data)
        except zlib.error as exc:
            raise DecodingError(f"body does not match its content-encoding: {exc}") from None
        return [data] if data else []

    def flush(self) -> list[bytes]:
        data = b""
        for decoder in self._decoders:
            if decoder is not None:
                data = decoder.decompress(data) + decoder.flush()
        return [data] if data else []


class _Rechunk(Generic[T]):
    __slots__ = ("_size", "_buffer")

    def __init__(self, size: int | None) -> None:
        self._size = size
        self._buffer: list[T] = []

    def feed(self, item: T) -> list[T]:
        if self._size is None:
            return [item] if item else []
        self._buffer.append(item)
        joined = self._buffer[0][:0].join(self._buffer)
        cut = len(joined) - len(joined) % self._size
        self._buffer = [joined[cut:]] if cut < len(joined) else []
        return [joined[i : i + self._size] for i in range(0, cut, self._size)]

    def flush(self) -> list[T]:
        rest = self._buffer[0][:0].join(self._buffer) if self._buffer else None
        self._buffer = []
        return [rest] if rest else []


class _Text:
    __slots__ = ("_decoder",)

    def __init__(self, encoding: str) -> None:
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")

    def feed(self, data: bytes) -> list[str]:
        text = self._decoder.decode(data)
        return [text] if text else []

    def flush(self) -> list[str]:
        text = self._decoder.decode(b"", final=True)
        return [text] if text else []


_NEWLINE = re.compile(r"\r\n|\r|\n")


class _Lines:
    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, text: str) -> list[str]:
        text = self._pending + text
        hold_cr = text.endswith("\r")  # maybe the first half of "\r\n"
        lines = _NEWLINE.split(text[:-1] if hold_cr else text)
        self._pending = lines.pop() + ("\r" if hold_cr else "")
        return lines

    def flush(self) -> list[str]:
        pending, self._pending = self._pending, ""
        if pending.endswith("\r"):
            return [pending[:-1]]
        return [pending] if pending else []


class _Pipeline(Generic[T]):
    __slots__ = ("_stages",)

    def __init__(self, *stages: _Stage[Any]) -> None:
        self._stages = stages

    def feed(self, item: bytes) -> list[T]:
        items: list[Any] = [item]
        for stage in self._stages:
            items = [out for x in items for out in stage.feed(x)]
        return items

    def flush(self) -> list[T]:
        items: list[Any] = []
        for stage in self._stages:
            items = [out for x in items for out in stage.feed(x)] + stage.flush()
        return items


# --- the response -------------------------------------------------------------


class _StatusIn:
    """A read-only ``bool`` of ``ClientResponse`` (httpx's ``is_*``): ``low <= status_code < high``."""

    __slots__ = ("low", "high")

    def __init__(self, low: int, high: int) -> None:
        self.low = low
        self.high = high

    @overload
    def __get__(self, response: None, owner: type[ClientResponse]) -> _StatusIn: ...
    @overload
    def __get__(self, response: ClientResponse, owner: type[ClientResponse]) -> bool: ...
    def __get__(self, response: ClientResponse | None, owner: type[ClientResponse]) -> _StatusIn | bool:
        return self if response is None else self.low <= response.status_code < self.high


class ClientResponse:
    """A response received by the test client (httpx's ``Response`` API)."""

    __slots__ = (
        "status_code",
        "headers",
        "request",
        "history",
        "is_closed",
        "is_stream_consumed",
        "_raw",
        "_content",
        "_stream",
        "_portal",
    )

    http_version = "HTTP/1.1"

    def __init__(
        self,
        status_code: int,
        headers: ResponseHeaders,
        request: ClientRequest,
        *,
        content: bytes | None = None,
        stream: BodyStream | None = None,
        portal: BlockingPortal | None = None,
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.request = request
        self.history: list[ClientResponse] = []
        self.is_closed = stream is None
        self.is_stream_consumed = stream is None
        self._raw = content
        self._content: bytes | None = None
        self._stream = stream
        self._portal = portal

    # --- status ---

    @property
    def reason_phrase(self) -> str:
        try:
            return HTTPStatus(self.status_code).phrase
        except ValueError:
            return ""

    @property
    def url(self) -> URL:
        return self.request.url

    is_informational = _StatusIn(100, 200)
    is_success = _StatusIn(200, 300)
    is_client_error = _StatusIn(400, 500)
    is_server_error = _StatusIn(500, 600)
    is_error = _StatusIn(400, 600)

    @property
    def is_redirect(self) -> bool:
        return 300 <= self.status_code < 400 and "location" in self.headers

    def raise_for_status(self) -> ClientResponse:
        """Return ``self`` for a 2xx response, else raise ``HTTPStatusError``."""
        if self.is_success:
            return self
        kind = {1: "Informational response", 3: "Redirect response", 4: "Client error", 5: "Server error"}
        message = f"{kind.get(self.status_code // 100, 'Invalid status code')} '{self.status_code} {self.reason_phrase}' for url '{self.url}'"
        if self.is_redirect:
            message += f"\nRedirect location: '{self.headers['location']}'"
        raise HTTPStatusError(message, request=self.request, response=self)

    # --- body in memory ---

    @property
    def content(self) -> bytes:
        if self._content is None:
            if self._raw is None:
                raise ResponseNotRead("the body of a streaming response is not read yet: call read() first")
            pipe = self._decoded_pipeline()
            self._content = b"".join(pipe.feed(self._raw) + pipe.flush())
        return self._content

    @property
    def encoding(self) -> str:
        """The charset of ``Content-Type``, else ``utf-8``."""
        for param in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset":
                charset = value.strip().strip('"')
                try:
                    return codecs.lookup(charset).name
                except LookupError:
                    break
        return "utf-8"

    @property
    def text(self) -> str:
        return self.content.decode(self.encoding, "replace")

    def json(self, **kwargs: Any) -> Any:
        """The body parsed as JSON (``json.loads`` of ``text``)."""
        return jsonlib.loads(self.text, **kwargs)

    @property
    def cookies(self) -> Cookies:
        """The cookies this response sets."""
        jar = Cookies()
        jar.extract(self.request.url, self.headers.getlist("set-cookie"))
        return jar

    # --- streaming: sync ---

    def read(self) -> bytes:
        """Read the whole body (once, for a streaming response) and return ``content``."""
        if self._raw is None:
            self._raw = b"".join(self.iter_raw())
        return self.content

    def iter_raw(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body as sent (before content decoding)."""
        pipe: _Pipeline[bytes] = _Pipeline(_Rechunk(chunk_size))
        if self._raw is not None:
            yield from pipe.feed(self._raw) + pipe.flush()
            return
        stream, portal = self._begin_stream(sync=True)
        assert portal is not None  # _begin_stream(sync=True) guarantees it
        while (chunk := portal.call(stream.receive_chunk)) is not None:
            yield from pipe.feed(chunk)
        yield from pipe.flush()
        self.is_closed = True

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The decoded body, in the app's chunks or re-cut to ``chunk_size``."""
        return self._decoded(_Rechunk(chunk_size))

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        """The body decoded to text incrementally."""
        return self._decoded(_Text(self.encoding), _Rechunk[str](chunk_size))

    def iter_lines(self) -> Iterator[str]:
        """The body's lines, without line terminators."""
        return self._decoded(_Text(self.encoding), _Lines())

    def close(self) -> None:
        """Stop reading; the app gets ``http.disconnect`` if it was still sending."""
        if not self.is_closed and self._stream is not None and self._portal is not None:
            self._portal.call(self._stream.close)
        self.is_closed = True

    # --- streaming: async ---

    async def aread(self) -> bytes:
        if self._raw is None:
            self._raw = b"".join([chunk async for chunk in self.aiter_raw()])
        return self.content

    async def aiter_raw(self, chunk_size: int | None = None) -> AsyncGenerator[bytes, None]:
        pipe: _Pipeline[bytes] = _Pipeline(_Rechunk(chunk_size))
        if self._raw is not None:
            for out in pipe.feed(self._raw) + pipe.flush():
                yield out
            return
        stream, _ = self._begin_stream(sync=False)
        while (received := await stream.receive_chunk()) is not None:
            for out in pipe.feed(received):
                yield out
        for out in pipe.flush():
            yield out
        self.is_closed = True

    def aiter_bytes(self, chunk_size: int | None = None) -> AsyncGenerator[bytes, None]:
        return self._adecoded(_Rechunk(chunk_size))

    def aiter_text(self, chunk_size: int | None = None) -> AsyncGenerator[str, None]:
        return self._adecoded(_Text(self.encoding), _Rechunk[str](chunk_size))

    def aiter_lines(self) -> AsyncGenerator[str, None]:
        return self._adecoded(_Text(self.encoding), _Lines())

    async def aclose(self) -> None:
        if not self.is_closed and self._stream is not None:
            self._stream.close()
        self.is_closed = True

    # --- helpers ---

    def _decoded_pipeline(self, *stages: _Stage[Any]) -> _Pipeline[Any]:
        return _Pipeline(_Decompress(self.headers.get("content-encoding", "")), *stages)

    # The decoded readers (iter_bytes/text/lines and their a- twins): the raw body through
    # `_decoded_pipeline(*stages)`.

    def _decoded(self, *stages: _Stage[Any]) -> Iterator[Any]:
        pipe = self._decoded_pipeline(*stages)
        for chunk in self.iter_raw():
            yield from pipe.feed(chunk)
        yield from pipe.flush()

    async def _adecoded(self, *stages: _Stage[Any]) -> AsyncGenerator[Any, None]:
        pipe = self._decoded_pipeline(*stages)
        async with aclosing(self.aiter_raw()) as raw:  # closed with us, not by the GC (trio warns)
            async for chunk in raw:
                for out in pipe.feed(chunk):
                    yield out
        for out in pipe.flush():
            yield out

    def _begin_stream(self, *, sync: bool) -> tuple[BodyStream, BlockingPortal | None]:
        if self.is_stream_consumed or self._stream is None:
            raise StreamConsumed("the response body was already read or iterated")
        if sync and self._portal is None:
            raise RuntimeError("this response streams from an AsyncTestClient: use aread()/aiter_*()")
        if not sync and self._portal is not None:
            raise RuntimeError("this response streams from a TestClient: use read()/iter_*()")
        if self.is_closed:
            raise StreamConsumed("the response was closed before its body was read")
        self.is_stream_consumed = True
        return self._stream, self._portal

    def __repr__(self) -> str:
        return f"<ClientResponse [{self.status_code} {self.reason_phrase}]>"
