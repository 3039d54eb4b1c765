"""``HTTPConnection`` (shared by HTTP and WebSocket) and ``Request``.

A request is a lazy view over the ASGI scope: URL, headers, query parameters
and cookies are built the first time they are read, then cached. The body is
read from ``receive()`` once:

* ``stream()`` yields the chunks as they arrive, without keeping them;
* ``body()`` reads everything and caches it (later ``stream()`` replays it);
* reading the body after ``stream()`` consumed it raises ``RuntimeError``.

Body size is limited (``max_body_size``, default 16 MiB, ``None`` for no
limit): a ``Content-Length`` over the limit is refused before anything is
read, and a body that grows past it while streaming is refused at that chunk,
both with ``PayloadTooLargeError`` (413).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Final

import anyio
from pydantic_core import from_json

from .exceptions import ClientDisconnect, MalformedInputError, PayloadTooLargeError
from .headers import Headers
from .state import Address, State
from .types import Message, Receive, Scope, Send
from .url import URL, QueryParams

if TYPE_CHECKING:
    from .forms import FormData, FormLimits

__all__ = ["DEFAULT_MAX_BODY_SIZE", "HTTPConnection", "Request"]

DEFAULT_MAX_BODY_SIZE: Final = 16 * 1024 * 1024

_UNSET: Any = object()


async def _empty_receive() -> Message:
    raise RuntimeError("this Request was built without a 'receive' channel")


async def _empty_send(message: Message) -> None:
    raise RuntimeError("this Request was built without a 'send' channel")


class HTTPConnection(Mapping[str, Any]):
    """What HTTP requests and WebSocket connections share: a view over the scope."""

    __slots__ = ("scope", "_url", "_base_url", "_headers", "_query_params", "_cookies", "_state")

    def __init__(self, scope: Scope, receive: Receive | None = None) -> None:
        if scope["type"] not in ("http", "websocket"):
            raise ValueError(f"HTTPConnection needs an 'http' or 'websocket' scope, got {scope['type']!r}")
        self.scope = scope
        self._url: URL | None = None
        self._base_url: URL | None = None
        self._headers: Headers | None = None
        self._query_params: QueryParams | None = None
        self._cookies: dict[str, str] | None = None
        self._state: State | None = None

    # Mapping over the scope, as ASGI middleware expects.
    def __getitem__(self, key: str) -> Any:
        return self.scope[key]

    def __iter__(self) -> Any:
        return iter(self.scope)

    def __len__(self) -> int:
        return len(self.scope)

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    @property
    def app(self) -> Any:
        """The application serving the request (``scope["app"]``)."""
        return self.scope.get("app")

    @property
    def url(self) -> URL:
        """The full URL the client asked for: scheme, host, ``root_path``, path and query."""
        if self._url is None:
            self._url = URL(scope=self.scope)
        return self._url

    @property
    def base_url(self) -> URL:
        """The URL of the app's root (``root_path`` with a trailing slash)."""
        if self._base_url is None:
            base_scope = dict(self.scope)
            root = base_scope.get("app_root_path", base_scope.get("root_path", ""))
            base_scope["path"] = root if root.endswith("/") else root + "/"
            base_scope["query_string"] = b""
            base_scope["root_path"] = ""
            self._base_url = URL(scope=base_scope)
        return self._base_url

    @property
    def headers(self) -> Headers:
        """The request headers: case-insensitive, read-only, ``getlist`` for repeated ones."""
        if self._headers is None:
            self._headers = Headers(scope=self.scope)
        return self._headers

    @property
    def query_params(self) -> QueryParams:
        """The query string's parameters: ``request.query_params["q"]``, ``getlist`` for repeated ones."""
        if self._query_params is None:
            self._query_params = QueryParams(self.scope.get("query_string", b""))
        return self._query_params

    @property
    def path_params(self) -> dict[str, Any]:
        """The values the route's path template matched, converted (``{id:int}`` gives an int)."""
        params: dict[str, Any] = self.scope.get("path_params", {})
        return params

    @property
    def cookies(self) -> dict[str, str]:
        """The request's cookies by name, parsed from the ``Cookie`` header."""
        if self._cookies is None:
            from .cookies import parse_cookie_header

            raw = self.headers.get_raw(b"cookie")
            self._cookies = parse_cookie_header(raw.decode("latin-1")) if raw else {}
        return self._cookies

    @property
    def client(self) -> Address | None:
        """The client's ``(host, port)`` as the server saw it; ``None`` when the server gives none."""
        client = self.scope.get("client")
        if client is None:
            return None
        return Address(client[0], client[1])

    @property
    def state(self) -> State:
        """Per-request state; starts from a copy of the lifespan state."""
        if self._state is None:
            self._state = State(self.scope.setdefault("state", {}))
        return self._state

    def url_for(self, name: str, /, **path_params: Any) -> URL:
        """The absolute URL of the route called ``name``."""
        router = self.scope.get("router")
        if router is None:
            raise RuntimeError("url_for() needs a router in the scope; call it inside a ferrule app")
        path = router.url_path_for(name, **path_params)
        return URL(str(self.base_url).rstrip("/") + str(path))


class Request(HTTPConnection):
    """An incoming HTTP request.

    Args:
        scope: the ASGI ``http`` scope.
        receive: the ASGI receive channel (needed to read the body).
        send: the ASGI send channel.
        max_body_size: refuse bodies larger than this many bytes (413); ``None``
            for no limit.
    """

    __slots__ = (
        "_receive",
        "_send",
        "_body",  # bytes, set once read
        "_json",
        "_form",
        "_stream_consumed",
        "_is_disconnected",
        "_pending",
        "_received",
        "_content_type",
        "max_body_size",
    )

    def __init__(
        self,
        scope: Scope,
        receive: Receive = _empty_receive,
        send: Send = _empty_send,
        *,
        max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Request needs an 'http' scope, got {scope['type']!r}")
        super().__init__(scope)
        self._receive = receive
        self._send = send
        self._body: bytes  # COMPAT(starlette): unset until the body is read, so a
        # subclass may test ``hasattr(self, "_body")`` and set it (FastAPI's
        # documented GzipRequest does both).
        self._json: Any = _UNSET
        self._form: FormData | None = None
        self._stream_consumed = False
        self._is_disconnected = False
        self._pending: list[Message] = []
        self._received = 0
        self._content_type: bytes | None = None
        self.max_body_size = max_body_size

    @property
    def method(self) -> str:
        """The HTTP method, upper case."""
        method: str = self.scope["method"]
        return method

    @property
    def receive(self) -> Receive:
        """The ASGI ``receive`` callable of the connection."""
        return self._receive

    def _check_declared_length(self) -> None:
        limit = self.max_body_size
        raw: bytes | None = None
        content_type: bytes | None = None
        for name, value in self.scope.get("headers", ()):
            if name == b"content-length":
                # SPEC: RFC 9110 §8.6 Content-Length = 1*DIGIT; RFC 9112 §6.3 - differing
                # repeated values are an error. SECURITY: int() alone would also take
                # "-1", "+5", " 5 " and "1_0", and raise on 4300+ digits.
                if raw is None:
                    raw = value
                if value != raw or not value.isdigit():
                    raise MalformedInputError(f"invalid content-length header: {value[:40]!r}")
            elif name == b"content-type" and content_type is None:
                content_type = value
        # PERF: the body decoder needs the Content-Type next; this scan saves it
        # building the Headers view (see raw_content_type).
        self._content_type = content_type or b""
        if raw is None:
            return
        if limit is None:
            return
        digits = raw.lstrip(b"0")
        if len(digits) > 20 or int(digits or b"0") > limit:
            raise PayloadTooLargeError(
                f"request body of {raw[:40].decode('ascii')} bytes is over the limit of {limit} bytes"
            )

    @property
    def raw_content_type(self) -> bytes:
        """The first ``Content-Type`` value as sent (``b""`` if absent)."""
        if self._content_type is None:
            self._content_type = self.headers.get_raw(b"content-type") or b""
        return self._content_type

    def _start_reading(self) -> None:
        if self._stream_consumed:
            raise RuntimeError("the request body was already consumed by stream()")
        self._stream_consumed = True
        self._check_declared_length()

    async def _next_chunk(self) -> tuple[bytes, bool]:
        """The next body chunk and whether more follow; enforces the size limit."""
        while True:
            message = self._pending.pop(0) if self._pending else await self._receive()
            kind = message["type"]
            if kind == "http.request":
                chunk: bytes = message.get("body", b"")
                if chunk:
                    self._received += len(chunk)
                    limit = self.max_body_size
                    if limit is not None and self._received > limit:
                        raise PayloadTooLargeError(f"request body is over the limit of {limit} bytes")
                return chunk, message.get("more_body", False)
            if kind == "http.disconnect":
                self._is_disconnected = True
                raise ClientDisconnect()

    async def stream(self) -> AsyncIterator[bytes]:
        """Yield the body's chunks as they arrive (or the cached body)."""
        cached: bytes | None = getattr(self, "_body", None)
        if cached is not None:
            yield cached
            yield b""
            return
        self._start_reading()
        more = True
        while more:
            chunk, more = await self._next_chunk()
            if chunk:
                yield chunk
        yield b""

    async def body(self) -> bytes:
        """The whole body, read once and cached."""
        if self._stream_consumed:
            try:
                return self._body
            except AttributeError:
                raise RuntimeError("the request body was already consumed by stream()") from None
        # _start_reading, inlined (one call less on every body read).
        self._stream_consumed = True
        self._check_declared_length()
        if not self._pending:
            # PERF: most bodies arrive in one message; take it without the loop.
            message = await self._receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                body: bytes = message.get("body", b"")
                self._received += len(body)
                limit = self.max_body_size
                if limit is not None and self._received > limit:
                    raise PayloadTooLargeError(f"request body is over the limit of {limit} bytes")
                self._body = body
                return body
            self._pending.append(message)
        # PERF: no async generator.
        chunk, more = await self._next_chunk()
        if more:
            chunks = [chunk]
            while more:
                chunk, more = await self._next_chunk()
                chunks.append(chunk)
            chunk = b"".join(chunks)
        self._body = chunk
        return chunk

    async def json(self) -> Any:
        """The body decoded as JSON, once; invalid JSON raises ``MalformedInputError`` (400)."""
        if self._json is _UNSET:
            body = await self.body()
            try:
                # SECURITY: NaN/Infinity are not JSON (RFC 8259 §6) and no response can
                # carry them back, nor an overflowing 1e999 (issue 18 item 10).
                value = from_json(body, allow_inf_nan=False)
            except ValueError as exc:
                raise MalformedInputError(f"invalid JSON body: {exc}") from None
            if (b"e" in body or b"E" in body or len(body) > 300) and not _finite(value):
                raise MalformedInputError("invalid JSON body: a number is out of range")
            self._json = value
        return self._json

    async def form(self, *, limits: FormLimits | None = None) -> FormData:
        """The body parsed as a urlencoded or multipart form, once."""
        if self._form is None:
            from .forms import FormLimits, parse_form

            content_type = self.headers.get_raw(b"content-type")
            self._form = await parse_form(self.stream(), content_type, limits or FormLimits())
        return self._form

    async def close(self) -> None:
        """Close (delete) the uploaded files of a parsed form; nothing when none was parsed.

        SECURITY: shielded, so a cancelled request (a client that left) still
        deletes its spooled temporary files.
        """
        form = self._form
        if form is not None:
            with anyio.CancelScope(shield=True):
                await form.close()

    async def is_disconnected(self) -> bool:
        """Whether the client has gone; never waits."""
        if not self._is_disconnected:
            message: Message = {}
            with anyio.CancelScope() as scope:
                scope.cancel()
                message = await self._receive()
            kind = message.get("type")
            if kind == "http.disconnect":
                self._is_disconnected = True
            elif kind == "http.request":
                # Keep the message: stream()/body() must still deliver it, also
                # when polled between two chunks of a stream() in progress.
                # (A server sends no http.request after the last chunk.)
                self._pending.append(message)
        return self._is_disconnected


def _finite(value: Any) -> bool:
    """False if a float in decoded JSON is infinite (an overflowing literal); iterative."""
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is float:
            if item in (float("inf"), float("-inf")):
                return False
        elif type(item) is dict:
            stack.extend(item.values())
        elif type(item) is list:
            stack.extend(item)
    return True
