"""Responses: each one is an ASGI app that sends itself.

Rules:

* ``body`` is rendered once, in ``__init__``; ``Content-Length`` and
  ``Content-Type`` are computed then, unless the caller set them.
* No body is sent for ``HEAD`` requests or for statuses that cannot have one
  (1xx, 204, 304; RFC 9110 §6.4.1); ``Content-Length`` is omitted for 1xx and
  204 (RFC 9110 §8.6) and for 304.
* Background tasks run after the last body message was sent.
* Headers set through ``response.headers`` are validated (no CR/LF/NUL).

JSON policy (``JSONResponse``): serialized by pydantic-core, compact, UTF-8
(not ASCII-escaped), like FastAPI's output. NaN and ±Infinity are refused with
``ValueError``, as FastAPI/Starlette do: they are not JSON (RFC 8259 §6).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from pydantic_core import to_json

from .background import BackgroundTask
from .headers import MutableHeaders, check_header
from .types import Receive, Scope, Send

__all__ = [
    "JSON_CONTENT_TYPE",
    "HTMLResponse",
    "JSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "content_type_header",
    "status_has_no_body",
]


@lru_cache(maxsize=256)
def content_type_header(media_type: str, charset: str) -> tuple[bytes, bytes]:
    """The ``content-type`` header pair; ``text/*`` gets ``charset`` unless it has one.

    PERF: cached; the keys are the media types and charsets of response classes
    and routes, chosen by the developer, never request data.
    """
    value = media_type
    if value.startswith("text/") and "charset=" not in value.lower():
        value += "; charset=" + charset
    # SECURITY: a media type echoed from the request must not split the head
    # (CR/LF/NUL raise HeaderValueError, like every other header); cached, so free.
    return check_header(b"content-type", value)


def status_has_no_body(status_code: int) -> bool:
    """True for statuses that never carry a body (1xx, 204, 304)."""
    return status_code < 200 or status_code in (204, 304)


_R = TypeVar("_R", bound="Response")

#: The Content-Type pair of JSON bodies.
JSON_CONTENT_TYPE = (b"content-type", b"application/json")


class Response:
    """A complete HTTP response with its body in memory.

    Args:
        content: ``bytes``, ``str`` (encoded with ``charset``) or ``None``.
        status_code: the HTTP status.
        headers: extra headers; ``content-length``/``content-type`` given here win.
        media_type: the ``Content-Type`` media type (``text/*`` gets a charset).
        background: a task to run after the response is sent.
    """

    media_type: str | None = None
    charset: str = "utf-8"

    def __init__(
        self,
        content: Any = None,
        status_code: int | None = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        self.status_code: int = status_code  # type: ignore[assignment]
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body = self.render(content)
        self.init_headers(headers)

    @classmethod
    def prerendered(
        cls: type[_R],
        body: bytes,
        status_code: int,
        raw_headers: list[tuple[bytes, bytes]],
        background: BackgroundTask | None = None,
    ) -> _R:
        """A response around body bytes and header pairs made already.

        PERF: for the framework's fast lanes, whose serializers produced the
        bytes and whose header values are fixed or checked: no ``render``, no
        header validation. ``raw_headers`` must hold Content-Length when the
        status allows a body.
        """
        response = cls.__new__(cls)
        response.body = body
        response.status_code = status_code
        response.raw_headers = raw_headers
        response._headers = None
        response.background = background
        return response

    def render(self, content: Any) -> bytes:
        """Turn ``content`` into the body bytes."""
        if content is None:
            return b""
        if isinstance(content, bytes):
            return content
        if isinstance(content, (bytearray, memoryview)):
            return bytes(content)
        if isinstance(content, str):
            return content.encode(self.charset)
        raise TypeError(
            f"{type(self).__name__} content must be bytes or str, not {type(content).__name__}; "
            "use JSONResponse for data"
        )

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        """Set ``raw_headers`` from ``headers``, adding ``content-length`` and ``content-type``
        when they are missing (a subclass that sets ``body`` itself calls it after)."""
        raw: list[tuple[bytes, bytes]] = []
        has_length = has_type = False
        if headers:
            for key, value in headers.items():
                pair = check_header(key, value)
                raw.append(pair)
                if pair[0] == b"content-length":
                    has_length = True
                elif pair[0] == b"content-type":
                    has_type = True
        body = getattr(self, "body", None)
        # A status of None means "not decided yet" (the injected sub-response).
        status = self.status_code or 200
        if not has_length and body is not None and not status_has_no_body(status):
            raw.append((b"content-length", str(len(body)).encode("latin-1")))
        if not has_type and self.media_type is not None:
            raw.append(content_type_header(self.media_type, self.charset))
        self.raw_headers = raw
        self._headers: MutableHeaders | None = None

    @property
    def headers(self) -> MutableHeaders:
        """The response headers, writable and validated (shares ``raw_headers``)."""
        if self._headers is None:
            self._headers = MutableHeaders._wrap(self.raw_headers)
        return self._headers

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: datetime | str | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
        partitioned: bool = False,
    ) -> None:
        """Add a ``Set-Cookie`` header (RFC 6265 §4.1); bad characters raise ``ValueError``."""
        from .cookies import build_set_cookie

        cookie = build_set_cookie(
            key,
            value,
            max_age=max_age,
            expires=expires,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )
        self.headers.append("set-cookie", cookie)

    def delete_cookie(
        self,
        key: str,
        path: str = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
    ) -> None:
        """Expire the cookie ``key`` on the client."""
        self.set_cookie(
            key,
            max_age=0,
            expires=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = self.status_code
        await send({"type": "http.response.start", "status": status, "headers": self.raw_headers})
        # PERF: status_has_no_body inlined (every response passes here).
        if status < 200 or status == 204 or status == 304 or scope.get("method") == "HEAD":
            await send({"type": "http.response.body", "body": b""})
        else:
            await send({"type": "http.response.body", "body": self.body})
        if self.background is not None:
            await self.background()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{self.status_code}]>"


class HTMLResponse(Response):
    media_type = "text/html"


class PlainTextResponse(Response):
    media_type = "text/plain"


def _refuse_constant(name: str) -> Any:
    raise ValueError(
        "Out of range float values are not JSON compliant: "
        f"{name} cannot be sent; replace NaN and Infinity with null or a string"
    )


class JSONResponse(Response):
    """A JSON body serialized by pydantic-core (see the module's JSON policy)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        body = to_json(content)
        # PERF: the check only runs when the fast output mentions NaN/Infinity.
        # It reads the output itself, so a float in a set, dataclass or model
        # is caught too; "NaN" inside a string is not a constant and passes.
        if b"NaN" in body or b"Infinity" in body:
            json.loads(body, parse_constant=_refuse_constant)
        return body


class RedirectResponse(Response):
    """Redirect to ``url`` (307 by default, so the method and body are kept)."""

    def __init__(
        self,
        url: str | object,
        status_code: int = 307,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(content=b"", status_code=status_code, headers=headers, background=background)
        location = quote(str(url), safe=":/%#?=@[]!$&'()*+,;~")
        self.headers["location"] = location


