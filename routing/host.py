"""``Host``: route by the request's host name (virtual hosts), as Starlette's ``Host`` does.

Rules:

* The template is a host name with parameters, e.g. ``"{subdomain}.example.com"``
  or ``"api.example.com"``; a parameter is ``{name}`` or ``{name:convertor}``
  (the path convertors: ``str``, ``int``, ``float``, ``uuid``...), and never
  spans a ``.`` unless its convertor allows it (``path``).
* It is matched against the ``Host`` header without its port, case-insensitively
  (SPEC: RFC 9110 §4.2.3, host names are case-insensitive); a request without a
  ``Host`` header matches no ``Host`` route. The parameters join
  ``scope["path_params"]`` and the whole request goes to the host's app.
* COMPAT(starlette): a router tries its ``Host`` routes before its path routes
  (Starlette tries routes in declaration order; ferrule's path routes are one
  radix-tree lookup, so hosts come first). Add hosts that should not answer
  every path on their host only under distinct host names.
* ``url_path_for("name:child", **params)`` builds the child's path (the host part
  is not part of a path), with the host's own parameters removed.
"""

from __future__ import annotations

import re
from typing import Any

from ferrule.asgi_core.types import ASGIApp, Receive, Scope, Send

from .convertors import Convertor, default_convertors
from .errors import RouteConfigError
from .routes import BaseRoute, NoMatchFound, child_route_name, first_url_path
from .templates import Template

__all__ = ["Host", "request_host"]

_PARAM = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-zA-Z_][a-zA-Z0-9_]*))?}")


def request_host(scope: Scope) -> str | None:
    """The request's host name (``Host`` header without port, lower-cased), or None."""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host: str = bytes(value).decode("latin-1").strip().lower()
            if host.startswith("["):  # SPEC: RFC 3986 §3.2.2, an IPv6 literal keeps its colons
                return host.split("]", 1)[0] + "]"
            return host.split(":", 1)[0]
    return None


class Host(BaseRoute):
    """Send requests whose host name matches ``host`` to ``app``.

    Args:
        host: the host template, e.g. ``"{subdomain}.example.com"``.
        app: the ASGI app (often an ``App`` or ``Router``) serving that host.
        name: the prefix for ``url_path_for`` names (``"name:child"``).

    Raises:
        RouteConfigError: an empty template, an unknown convertor or a repeated parameter.
    """

    kind = "host"

    def __init__(self, host: str, app: ASGIApp, name: str | None = None) -> None:
        if not host:
            raise RouteConfigError("Host() needs a host name template, e.g. 'api.example.com'", template=host)
        self.host = host
        self.app = app
        self.name = name
        self.path = ""
        self.template = Template.parse("/")
        self.include_in_schema = False
        self._convertors: dict[str, Convertor[Any]] = {}
        pattern = ""
        last = 0
        known = default_convertors()
        for found in _PARAM.finditer(host):
            param, convertor_name = found.group(1), found.group(2) or "str"
            if param in self._convertors:
                raise RouteConfigError(f"Host({host!r}) repeats the parameter {param!r}", template=host)
            convertor = known.get(convertor_name)
            if convertor is None:
                raise RouteConfigError(
                    f"Host({host!r}): unknown convertor {convertor_name!r}; use one of {sorted(known)}",
                    template=host,
                )
            self._convertors[param] = convertor
            pattern += re.escape(host[last : found.start()].lower())
            regex = "[^.]+" if convertor_name == "str" else convertor.regex
            pattern += f"(?P<{param}>{regex})"
            last = found.end()
        pattern += re.escape(host[last:].lower())
        self._regex = re.compile(pattern)

    @property
    def routes(self) -> list[BaseRoute]:
        return list(getattr(self.app, "routes", []))

    def owner(self) -> str:
        return f"HOST {self.host} -> {type(self.app).__name__}"

    def match(self, host: str) -> dict[str, Any] | None:
        """The host's parameters when ``host`` matches, else None."""
        found = self._regex.fullmatch(host)
        if found is None:
            return None
        try:
            return {key: self._convertors[key].convert(value) for key, value in found.groupdict().items()}
        except ValueError:
            return None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def url_path_for(self, name: str, /, **params: Any) -> str:
        child_name = child_route_name(self.name, name, params)
        rest = {key: value for key, value in params.items() if key not in self._convertors}
        path = first_url_path(self.routes, child_name, rest)
        if path is None:
            raise NoMatchFound(name, params)
        return path
