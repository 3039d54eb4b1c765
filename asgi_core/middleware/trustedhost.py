"""``TrustedHostMiddleware``: refuse requests whose ``Host`` is not one of ours.

Rules:

* Patterns are exact host names (``example.com``) or one leading wildcard
  label (``*.example.com``, which matches subdomains only, not
  ``example.com`` itself); ``*`` alone allows every host. Anything else, such
  as ``api.*.com``, is a configuration error at startup.
* The host is the ``Host`` header without its port (IPv6 literals keep their
  brackets: ``[::1]:8000`` → ``[::1]``), compared case-insensitively and
  without a trailing dot (RFC 9110 §7.2, RFC 1034 §3.1).
* A refused HTTP request gets 400 ``Invalid host header``; a refused WebSocket
  handshake is closed (the server answers 403).
* ``www_redirect``: when ``host`` is refused but ``www.host`` is listed
  exactly, redirect (307) to the ``www.`` host, keeping path and query.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..exceptions import FerruleError
from ..headers import Headers
from ..response import PlainTextResponse, RedirectResponse
from ..types import ASGIApp, Receive, Scope, Send
from ..url import URL

__all__ = ["TrustedHostMiddleware"]


def _normalize(host: str) -> str:
    host = host.strip().lower()
    return host[:-1] if host.endswith(".") and not host.endswith("..") else host


def host_without_port(value: str) -> str:
    """``Host`` header value → host name (RFC 9110 §7.2 uri-host [":" port])."""
    value = value.strip()
    if value.startswith("["):
        end = value.find("]")
        return value[: end + 1] if end > 0 else value
    return value.partition(":")[0]


class TrustedHostMiddleware:
    """Accept only requests for the given host names.

    Args:
        app: the app to wrap.
        allowed_hosts: host patterns; ``None`` or ``["*"]`` allows all.
        www_redirect: redirect ``example.com`` to ``www.example.com`` when only the latter is listed.

    Raises:
        FerruleError: a pattern has a wildcard anywhere but in a leading ``*.`` label.
    """

    def __init__(
        self, app: ASGIApp, allowed_hosts: Sequence[str] | None = None, www_redirect: bool = True
    ) -> None:
        if allowed_hosts is None:
            allowed_hosts = ["*"]
        if isinstance(allowed_hosts, str):
            raise TypeError(f"allowed_hosts must be a list of host names, not the string {allowed_hosts!r}")
        for pattern in allowed_hosts:
            if "*" in pattern[1:] or (pattern.startswith("*") and pattern != "*" and not pattern.startswith("*.")):
                raise FerruleError(
                    f"invalid trusted host pattern {pattern!r}: a wildcard may only be a leading "
                    "label, like '*.example.com' (or '*' for any host)"
                )
        self.app = app
        self.allow_any = "*" in allowed_hosts
        self.exact = frozenset(_normalize(p) for p in allowed_hosts if not p.startswith("*"))
        self.suffixes = tuple(_normalize(p)[1:] for p in allowed_hosts if p.startswith("*."))
        self.www_redirect = www_redirect

    def is_allowed(self, host: str) -> bool:
        host = _normalize(host)
        if host in self.exact:
            return True
        return any(host.endswith(suffix) and len(host) > len(suffix) for suffix in self.suffixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allow_any or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = host_without_port(Headers(scope=scope).get("host", ""))
        if host and self.is_allowed(host):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if host and self.www_redirect and _normalize("www." + host) in self.exact:
            url = URL(scope=scope)
            await RedirectResponse(url.replace(netloc="www." + url.netloc))(scope, receive, send)
            return
        await PlainTextResponse("Invalid host header", status_code=400)(scope, receive, send)
