"""``CORSMiddleware``: Cross-Origin Resource Sharing (WHATWG Fetch §3.2).

Rules (FastAPI/Starlette's documented behaviour; everything decided at startup):

* A request without ``Origin`` is not a CORS request: passed through untouched.
* Preflight = ``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``.
  It is answered here, never reaching the app: 200 ``OK`` when origin, method,
  every requested header (and, if asked, private network access) are allowed,
  else 400 ``Disallowed CORS <what>`` (e.g. ``origin, method``).
* Any other request with ``Origin`` goes to the app; the CORS headers are
  added to its response when the origin is allowed.
* Origins: ``allow_origins`` (exact, ``"*"`` for any) or ``allow_origin_regex``
  (full match). ``Access-Control-Allow-Origin: *`` is sent only when any origin
  is allowed and credentials are not: the Fetch standard rejects ``*`` with
  credentials, so with ``allow_credentials=True`` the request's origin is
  echoed. Whenever the answer depends on the origin, ``Vary: Origin`` is added
  so caches keep the answers apart.
* ``allow_methods=("*",)`` allows every method; ``allow_headers=("*",)`` echoes
  the requested headers. The CORS-safelisted request headers (``Accept``,
  ``Accept-Language``, ``Content-Language``, ``Content-Type``) are always allowed.
* The preflight answer carries ``Access-Control-Max-Age`` (``max_age`` seconds).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from ..headers import Headers, MutableHeaders
from ..response import PlainTextResponse
from ..types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CORSMiddleware"]

ALL_METHODS: Final = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
SAFELISTED_HEADERS: Final = frozenset({"accept", "accept-language", "content-language", "content-type"})


class CORSMiddleware:
    """Answer CORS preflights and add CORS headers to cross-origin responses.

    Args:
        app: the app to wrap.
        allow_origins: origins allowed (``"https://example.com"``), ``"*"`` for any.
        allow_methods: methods allowed in a preflight, ``"*"`` for any.
        allow_headers: request headers allowed in a preflight, ``"*"`` for any.
        allow_credentials: allow cookies/authorization (``Access-Control-Allow-Credentials``).
        allow_origin_regex: a regex an origin may fully match instead.
        allow_private_network: answer Private Network Access preflights.
        expose_headers: response headers the browser may show to scripts.
        max_age: seconds a browser may cache a preflight answer.
    """

    def __init__(
        self,
        app: ASGIApp,
        allow_origins: Sequence[str] = (),
        allow_methods: Sequence[str] = ("GET",),
        allow_headers: Sequence[str] = (),
        allow_credentials: bool = False,
        allow_origin_regex: str | None = None,
        allow_private_network: bool = False,
        expose_headers: Sequence[str] = (),
        max_age: int = 600,
    ) -> None:
        for name, value in (("allow_origins", allow_origins), ("allow_methods", allow_methods),
                            ("allow_headers", allow_headers), ("expose_headers", expose_headers)):
            if isinstance(value, str):
                raise TypeError(f"CORSMiddleware {name} must be a list of strings, not the string {value!r}")
        self.app = app
        self.allow_all_origins = "*" in allow_origins
        self.allow_origins = frozenset(allow_origins)
        self.allow_origin_regex = re.compile(allow_origin_regex) if allow_origin_regex is not None else None
        self.allow_methods = ALL_METHODS if "*" in allow_methods else tuple(allow_methods)
        self.allow_all_methods = "*" in allow_methods
        self.allow_all_headers = "*" in allow_headers
        self.allow_headers = frozenset(h.lower() for h in allow_headers) | SAFELISTED_HEADERS
        self.allow_credentials = allow_credentials
        self.allow_private_network = allow_private_network
        # The answer depends on the request's origin unless it is always "*".
        self.echo_origin = not self.allow_all_origins or allow_credentials

        simple: list[tuple[bytes, bytes]] = []
        if allow_credentials:
            simple.append((b"access-control-allow-credentials", b"true"))
        if expose_headers:
            simple.append((b"access-control-expose-headers", ", ".join(expose_headers).encode("latin-1")))
        self.simple_headers = simple

        preflight: dict[str, str] = {
            "Access-Control-Allow-Methods": ", ".join(self.allow_methods),
            "Access-Control-Max-Age": str(max_age),
        }
        if not self.allow_all_headers:
            preflight["Access-Control-Allow-Headers"] = ", ".join(sorted(self.allow_headers))
        if allow_credentials:
            preflight["Access-Control-Allow-Credentials"] = "true"
        self.preflight_headers = preflight

    def is_allowed_origin(self, origin: str) -> bool:
        if self.allow_all_origins or origin in self.allow_origins:
            return True
        return self.allow_origin_regex is not None and self.allow_origin_regex.fullmatch(origin) is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self.preflight_response(headers, origin)(scope, receive, send)
            return
        allowed = self.is_allowed_origin(origin)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(raw=message.get("headers", ()))
                if allowed:
                    response_headers["access-control-allow-origin"] = origin if self.echo_origin else "*"
                    response_headers.extend_raw(self.simple_headers)
                if self.echo_origin:
                    response_headers.add_vary_header("Origin")
                message["headers"] = response_headers.raw
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def preflight_response(self, request_headers: Headers, origin: str) -> PlainTextResponse:
        """The answer to a preflight request (never passed to the app)."""
        headers = dict(self.preflight_headers)
        failures: list[str] = []
        if self.is_allowed_origin(origin):
            headers["Access-Control-Allow-Origin"] = origin if self.echo_origin else "*"
        else:
            failures.append("origin")
        if self.echo_origin:
            headers["Vary"] = "Origin"
        method = request_headers["access-control-request-method"].strip()
        if not self.allow_all_methods and method not in self.allow_methods:
            failures.append("method")
        requested = request_headers.get("access-control-request-headers")
        if requested is not None:
            if self.allow_all_headers:
                headers["Access-Control-Allow-Headers"] = requested
            else:
                names = {h.strip().lower() for h in requested.split(",")} - {""}
                if not names <= self.allow_headers:
                    failures.append("headers")
        if request_headers.get("access-control-request-private-network", "").lower() == "true":
            # SPEC: WICG Private Network Access §3.2 - preflight for a private address.
            if self.allow_private_network:
                headers["Access-Control-Allow-Private-Network"] = "true"
            else:
                failures.append("private network")
        if failures:
            return PlainTextResponse("Disallowed CORS " + ", ".join(failures), status_code=400, headers=headers)
        return PlainTextResponse("OK", status_code=200, headers=headers)
