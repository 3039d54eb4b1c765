"""URLs, query strings and percent-decoding.

Rules:

* ``percent_decode`` follows RFC 3986 §2.1 the way ``urllib.parse.unquote``
  does: each run of ``%XX`` escapes is turned into bytes and decoded as UTF-8
  with U+FFFD for invalid sequences; a ``%`` that does not start a valid escape
  (``%zz``, ``%4``) is kept as is. It never raises.
* ``QueryParams`` parses ``application/x-www-form-urlencoded`` data (WHATWG URL
  §5.1) with ``urllib.parse.parse_qsl(..., keep_blank_values=True)``'s results:
  only ``&`` separates pairs (not ``;``), empty pairs are skipped, a pair
  without ``=`` has the value ``""``, ``+`` is a space. Bytes are decoded as
  UTF-8 (invalid bytes become U+FFFD). Parsing never raises.
* ``QueryParams`` is an immutable multi-dict: ``getlist`` returns every value
  in order; ``[]``/``get``/``items()`` see the LAST value of a repeated key
  (COMPAT(fastapi): Starlette's ``ImmutableMultiDict`` behaves so, and FastAPI's
  scalar ``Query`` parameters read that way).
* ``URL`` is parsed lazily with ``urllib.parse.urlsplit``. Built from a scope it
  is ``scheme://host[:port]/path?query`` where the path includes ``root_path``
  (prepended unless ``path`` already starts with it, as spec-following servers
  send it); ``?``, ``#`` and control characters of the decoded path are
  percent-encoded so they cannot change the URL's structure.
  SECURITY: the ``Host`` header is client input. Unless it is a well-formed
  ``host[:port]`` (RFC 9110 §7.2 / RFC 3986 §3.2.2: ASCII letters, digits,
  ``-._``, or a bracketed IPv6 literal, and a port of at most 65535) it is
  ignored and the scope's ``server`` (or ``localhost``) is used, so ``@``,
  ``/``, spaces, CR/LF or non-ASCII can never reach a URL built from it.
  Default ports (80 for http/ws, 443 for https/wss) are omitted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Union
from urllib.parse import SplitResult, quote, quote_from_bytes, urlencode, urlsplit

from .multidict import ImmutableMultiDict
from .types import Scope

__all__ = ["URL", "QueryParams", "parse_query_last", "percent_decode"]

_ESCAPE_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _decode_run(match: re.Match[str]) -> str:
    return bytes.fromhex(match.group().replace("%", "")).decode("utf-8", "replace")


def percent_decode(value: str) -> str:
    """Decode ``%XX`` escapes as UTF-8 (RFC 3986 §2.1); never raises.

    Invalid escapes such as ``%zz`` are kept verbatim and invalid UTF-8 becomes
    U+FFFD, exactly like ``urllib.parse.unquote(value)``.
    """
    if "%" not in value:
        return value
    return _ESCAPE_RUN.sub(_decode_run, value)


def _form_decode(value: str) -> str:
    # SPEC: WHATWG URL §5.1 application/x-www-form-urlencoded parsing: '+' is 0x20.
    if "+" in value:
        value = value.replace("+", " ")
    return percent_decode(value)


def parse_query_string(query: str) -> list[tuple[str, str]]:
    """Split a query string into ``(name, value)`` pairs, decoded; never raises."""
    pairs: list[tuple[str, str]] = []
    if "%" not in query and "+" not in query:
        # PERF: bench `query` - nothing to decode, skip the per-part calls.
        for chunk in query.split("&"):
            if chunk:
                name, _, value = chunk.partition("=")
                pairs.append((name, value))
        return pairs
    for chunk in query.split("&"):
        if not chunk:
            continue
        name, _, value = chunk.partition("=")
        pairs.append((_form_decode(name), _form_decode(value)))
    return pairs


def parse_query_last(query_string: bytes) -> dict[str, str]:
    """``dict(QueryParams(query_string).items())`` without building the ``QueryParams``.

    The LAST value of each key, keys in order of first appearance; the same
    decoding rules as ``QueryParams`` (UTF-8 with U+FFFD, ``+`` is a space,
    invalid escapes kept). Never raises.
    """
    if not query_string:
        return {}
    query = query_string.decode("utf-8", "replace")
    if "%" in query or "+" in query:
        return dict(parse_query_string(query))
    # PERF: bench `query` - the common undecoded case straight into a dict.
    data: dict[str, str] = {}
    for chunk in query.split("&"):
        if chunk:
            name, _, value = chunk.partition("=")
            data[name] = value
    return data


class QueryParams(ImmutableMultiDict[str]):
    """An immutable multi-dict of query parameters (see ``ImmutableMultiDict``).

    Build it from a query string (``str`` or ``bytes``), a mapping, a list of
    pairs, another ``QueryParams``, and/or keyword arguments.
    """

    __slots__ = ()

    def __init__(self, params: QueryParamsInput = None, **kwargs: str) -> None:
        if params is None:
            items: list[tuple[str, str]] = []
        elif isinstance(params, QueryParams):
            items = list(params._list)
        elif isinstance(params, str):
            items = parse_query_string(params)
        elif isinstance(params, (bytes, bytearray, memoryview)):
            items = parse_query_string(bytes(params).decode("utf-8", "replace"))
        elif isinstance(params, Mapping):
            items = list(params.items())
        else:
            items = list(params)
        if kwargs:
            items.extend(kwargs.items())
        self._set_items(items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QueryParams):
            return NotImplemented
        return sorted(self._list) == sorted(other._list)

    def __str__(self) -> str:
        return urlencode(self._list)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


QueryParamsInput = Union[str, bytes, Mapping[str, str], Iterable[tuple[str, str]], QueryParams, None]
"""What ``QueryParams()`` accepts."""

# SPEC: RFC 3986 §3.2.2 (reg-name subset used by DNS names, IPv6 literal) and §3.2.3 port.
_HOST = re.compile(r"(?P<host>[A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?")
_DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# Characters that would change a URL's structure if a decoded path carried them.
_PATH_UNSAFE = re.compile(r"[\x00-\x1f\x7f?#]")
# Bytes kept as is when a raw query string is put into a URL (RFC 3986 §3.4 query chars).
_QUERY_SAFE = "!$&'()*+,;=:@/?%-._~"


def _valid_host(value: str) -> tuple[str, int | None] | None:
    match = _HOST.fullmatch(value)
    if match is None:
        return None
    port = match.group("port")
    if port is None:
        return match.group("host"), None
    number = int(port)
    if number > 65535:
        return None
    return match.group("host"), number


def _netloc(scheme: str, host: str, port: int | None) -> str:
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        return host
    return f"{host}:{port}"


def _escape_path_char(match: re.Match[str]) -> str:
    return f"%{ord(match.group()):02X}"


def _url_from_scope(scope: Scope) -> str:
    scheme = str(scope.get("scheme") or ("ws" if scope.get("type") == "websocket" else "http"))
    netloc = ""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            parsed = _valid_host(value.decode("latin-1"))
            if parsed is not None:
                netloc = _netloc(scheme, *parsed)
            break
    if not netloc:
        server = scope.get("server")
        if server:
            host = str(server[0])
            if ":" in host and not host.startswith("["):
                host = f"[{host}]"  # SPEC: RFC 3986 §3.2.2 IPv6 literal in brackets
            port = server[1] if len(server) > 1 else None
            text = host if port is None else f"{host}:{port}"
            parsed = _valid_host(text)
            if parsed is not None:
                netloc = _netloc(scheme, *parsed)
    if not netloc:
        netloc = "localhost"
    root_path: str = scope.get("root_path", "")
    path: str = scope.get("path", "")
    # ASGI: `path` includes `root_path` (servers such as uvicorn>=0.26 prepend it);
    # older servers and mounts strip it, so add it back only when missing.
    if root_path and not (path == root_path or path.startswith(root_path.rstrip("/") + "/")):
        path = root_path.rstrip("/") + path
    path = _PATH_UNSAFE.sub(_escape_path_char, path)
    url = f"{scheme}://{netloc}{path}"
    query_string: bytes = scope.get("query_string", b"")
    if query_string:
        url += "?" + quote_from_bytes(query_string, safe=_QUERY_SAFE)
    return url


class URL:
    """A URL, parsed on first access; compares equal to its string form.

    Args:
        url: the URL text.
        scope: build the URL of an ASGI ``http``/``websocket`` connection instead.
        **components: build from ``scheme``, ``netloc``, ``path``, ``query``,
            ``fragment`` (and ``username``, ``password``, ``hostname``, ``port``).
    """

    __slots__ = ("_url", "_components")

    _url: str
    _components: SplitResult | None

    def __init__(self, url: str = "", scope: Scope | None = None, **components: Any) -> None:
        if scope is not None:
            if url or components:
                raise TypeError("URL() takes either 'url', 'scope' or components, not several")
            url = _url_from_scope(scope)
        elif components:
            if url:
                raise TypeError("URL() takes either 'url' or components, not both")
            url = URL("").replace(**components)._url
        self._url = url
        self._components: SplitResult | None = None

    @property
    def components(self) -> SplitResult:
        """The ``urllib.parse.SplitResult`` of this URL."""
        if self._components is None:
            self._components = urlsplit(self._url)
        return self._components

    @property
    def scheme(self) -> str:
        return self.components.scheme

    @property
    def netloc(self) -> str:
        return self.components.netloc

    @property
    def path(self) -> str:
        return self.components.path

    @property
    def query(self) -> str:
        return self.components.query

    @property
    def fragment(self) -> str:
        return self.components.fragment

    @property
    def username(self) -> str | None:
        return self.components.username

    @property
    def password(self) -> str | None:
        return self.components.password

    @property
    def hostname(self) -> str | None:
        return self.components.hostname

    @property
    def port(self) -> int | None:
        return self.components.port

    @property
    def is_secure(self) -> bool:
        """True for ``https`` and ``wss``."""
        return self.scheme in ("https", "wss")

    def replace(self, **kwargs: Any) -> URL:
        """A copy with some components replaced.

        Accepts ``scheme``, ``netloc``, ``path``, ``query``, ``fragment`` and, to
        rebuild the netloc, ``username``, ``password``, ``hostname``, ``port``.
        """
        if {"username", "password", "hostname", "port"} & kwargs.keys():
            hostname = kwargs.pop("hostname", None)
            port = kwargs.pop("port", self.port)
            username = kwargs.pop("username", self.username)
            password = kwargs.pop("password", self.password)
            if hostname is None:
                hostname = self.netloc.rpartition("@")[2]
                if hostname.startswith("["):  # keep an IPv6 literal whole
                    hostname = hostname.partition("]")[0] + "]"
                else:
                    hostname = hostname.partition(":")[0]
            netloc = hostname if port is None else f"{hostname}:{port}"
            if username is not None:
                userinfo = username if password is None else f"{username}:{password}"
                netloc = f"{userinfo}@{netloc}"
            kwargs["netloc"] = netloc
        return URL(self.components._replace(**kwargs).geturl())

    def include_query_params(self, **kwargs: Any) -> URL:
        """A copy with these parameters set (replacing earlier values of the same keys)."""
        new = _param_items(kwargs)
        replaced = {k for k, _ in new}
        kept = [(k, v) for k, v in parse_query_string(self.query) if k not in replaced]
        return self.replace(query=urlencode(kept + new))

    def replace_query_params(self, **kwargs: Any) -> URL:
        """A copy whose query is exactly these parameters."""
        return self.replace(query=urlencode(_param_items(kwargs)))

    def remove_query_params(self, keys: str | Sequence[str]) -> URL:
        """A copy without the parameters named in ``keys``."""
        drop = {keys} if isinstance(keys, str) else set(keys)
        kept = [(k, v) for k, v in parse_query_string(self.query) if k not in drop]
        return self.replace(query=urlencode(kept))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (URL, str)):
            return str(self) == str(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._url)

    def __str__(self) -> str:
        return self._url

    def __repr__(self) -> str:
        url = self._url
        if self.password:
            url = self.replace(password="********")._url
        return f"{type(self).__name__}({url!r})"


def _param_items(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for key, value in params.items():
        if isinstance(value, (list, tuple)):
            items.extend((str(key), str(v)) for v in value)
        else:
            items.append((str(key), str(value)))
    return items


def quote_path(path: str) -> str:
    """Percent-encode a path for a request target, keeping existing escapes."""
    return quote(path, safe="/:@!$&'()*+,;=~%")
