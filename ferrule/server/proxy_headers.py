"""Behind a proxy: the client's view of a request, from trusted forwarding headers.

Rules:
1. Forwarding headers are read only when the direct peer is a trusted proxy
   (`forwarded_allow_ips`: addresses and networks, `*` for any peer, `unix`
   for a peer on a Unix socket). From anyone else they are ignored, untouched:
   a client cannot claim another address by sending them (SECURITY).
2. RFC 7239 `Forwarded` wins over `X-Forwarded-For/-Proto/-Host` when present
   and well formed; a malformed `Forwarded` is ignored whole (and the
   X-Forwarded-* headers are then not used either: the proxy chain is unclear).
3. The client is found by walking the hops from the right (the nearest proxy)
   and skipping trusted proxies: the first untrusted hop is the client. If
   every hop is trusted, the leftmost is. A hop that is not an IP address
   stops the walk; it becomes the client only if RFC 7239 allows it
   (`unknown`, or an obfuscated `_name`), otherwise the peer stays the client.
4. Scheme and host come from the same hop as the client (the proxy that
   talked to the client wrote them). Only `http`/`https` are accepted
   (`wss`/`ws` for WebSocket scopes follow); a host that is not a valid
   `host[:port]` is ignored. The new host replaces the `host` header, so
   `request.url`, `url_for` and redirects use it.

The parser (`parse_forwarded`) is pure and returns None for anything that
does not follow RFC 7239 §4's grammar; it never raises on input.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Final

from ferrule.asgi_core.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "TrustedProxies",
    "ProxyHeadersMiddleware",
    "parse_allow_list",
    "parse_forwarded",
    "parse_node",
    "apply_proxy_headers",
]

#: Hops read from one request's forwarding headers; more is refused as hostile.
MAX_HOPS: Final = 64

# SPEC: RFC 9110 §5.6.2 - tchar.
_TOKEN: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# SPEC: RFC 9110 §5.6.4 - qdtext and quoted-pair (obs-text allowed, not CTLs).
_QDTEXT: Final = frozenset(b"\t !") | frozenset(range(0x23, 0x5C)) | frozenset(range(0x5D, 0x7F)) | frozenset(
    range(0x80, 0x100)
)
_QUOTABLE: Final = frozenset(b"\t") | frozenset(range(0x20, 0x7F)) | frozenset(range(0x80, 0x100))
_OWS: Final = b" \t"
# SPEC: RFC 3986 §3.2.2 - reg-name, IPv4 or [IPv6], then an optional port.
_HOST: Final = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=%]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
_OBFUSCATED: Final = re.compile(r"_[A-Za-z0-9._\-]+")


class TrustedProxies:
    """The set of peers allowed to set forwarding headers."""

    __slots__ = ("any", "unix", "networks")

    def __init__(self, any_peer: bool, unix: bool, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]):
        self.any = any_peer
        self.unix = unix
        self.networks = networks

    def __contains__(self, host: object) -> bool:
        """Whether a peer address (str, or None for a Unix socket peer) is trusted."""
        if self.any:
            return True
        if host is None:
            return self.unix
        if not isinstance(host, str):
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in net for net in self.networks)


def parse_allow_list(spec: str) -> TrustedProxies:
    """Parse `forwarded_allow_ips`: comma-separated IPs or networks, `*`, `unix`.

    Raises:
        ValueError: an entry is none of these (the message names it).
    """
    any_peer = unix = False
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        if item == "*":
            any_peer = True
        elif item == "unix":
            unix = True
        else:
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network: use e.g. '10.0.0.1', '10.0.0.0/8', '*' or 'unix'"
                ) from None
    return TrustedProxies(any_peer, unix, tuple(networks))


# -- RFC 7239 parser -----------------------------------------------------------


def _skip_ows(data: bytes, i: int) -> int:
    while i < len(data) and data[i] in _OWS:
        i += 1
    return i


def _quoted(data: bytes, i: int) -> tuple[bytes, int] | None:
    """Read a quoted-string starting at data[i] == '"'; return (value, index after it)."""
    out = bytearray()
    i += 1
    while i < len(data):
        c = data[i]
        if c == 0x22:
            return bytes(out), i + 1
        if c == 0x5C:
            if i + 1 >= len(data) or data[i + 1] not in _QUOTABLE:
                return None
            out.append(data[i + 1])
            i += 2
        elif c in _QDTEXT:
            out.append(c)
            i += 1
        else:
            return None
    return None  # unterminated


def parse_forwarded(values: Iterable[bytes]) -> list[dict[str, str]] | None:
    """Parse `Forwarded` field values (RFC 7239 §4) into one dict per hop, in order.

    Parameter names are lowercased; a parameter repeated within one element,
    a syntax error, a non-latin-1 value or more than MAX_HOPS elements give None.
    """
    data = b",".join(values)
    hops: list[dict[str, str]] = []
    i, n = 0, len(data)
    element: dict[str, str] = {}
    while True:
        i = _skip_ows(data, i)
        if i < n and data[i] not in b",;":
            match = _TOKEN.match(data, i)
            if match is None:
                return None
            name = match.group().decode("ascii").lower()
            i = match.end()
            if i >= n or data[i] != 0x3D:  # '=' with no whitespace around it
                return None
            i += 1
            if i < n and data[i] == 0x22:
                got = _quoted(data, i)
                if got is None:
                    return None
                raw, i = got
            else:
                match = _TOKEN.match(data, i)
                if match is None:
                    return None
                raw, i = match.group(), match.end()
            if name in element:
                return None  # SPEC: RFC 7239 §4 - each parameter at most once per element
            element[name] = raw.decode("latin-1")
            i = _skip_ows(data, i)
        if i >= n or data[i] == 0x2C:
            if element:
                hops.append(element)
                element = {}
            if len(hops) > MAX_HOPS:
                return None
            if i >= n:
                return hops
            i += 1
        elif data[i] == 0x3B:
            i += 1
        else:
            return None


def parse_node(node: str) -> tuple[str, int] | str | None:
    """A `for=` node (RFC 7239 §6) or an X-Forwarded-For entry as (ip, port), or the kept token.

    Returns (ip, port) for an IP address (port 0 when absent), the string itself
    for `unknown` or an obfuscated `_name`, and None for anything else.
    """
    node = node.strip()
    port = 0
    host = node
    if node.startswith("["):
        end = node.find("]")
        if end < 0:
            return None
        host, rest = node[1:end], node[end + 1 :]
        if rest:
            if not rest.startswith(":") or not rest[1:].isdigit() or len(rest) > 6:
                return _kept(node)
            port = int(rest[1:])
        try:
            return str(ipaddress.IPv6Address(host)), port
        except ValueError:
            return None
    if node.count(":") == 1:
        host, _, text = node.partition(":")
        if not (text.isascii() and text.isdigit()) or len(text) > 5:
            return _kept(node)
        port = int(text)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return _kept(node)
    if port > 65535:
        return None
    return str(address), port


def _kept(node: str) -> str | None:
    base = node.split(":", 1)[0]
    if base == "unknown" or _OBFUSCATED.fullmatch(base):
        return node
    return None


# -- applying headers to a scope ---------------------------------------------


def _split_list(values: list[bytes]) -> list[str]:
    return [part.strip() for value in values for part in value.decode("latin-1").split(",")]


def _hops(headers: list[tuple[bytes, bytes]]) -> list[dict[str, str]] | None:
    forwarded = [v for k, v in headers if k == b"forwarded"]
    if forwarded:
        return parse_forwarded(forwarded)
    xff = _split_list([v for k, v in headers if k == b"x-forwarded-for"])
    if not xff or len(xff) > MAX_HOPS:
        return None
    hops: list[dict[str, str]] = [{"for": node} for node in xff]
    for header, key in ((b"x-forwarded-proto", "proto"), (b"x-forwarded-host", "host")):
        values = _split_list([v for k, v in headers if k == header])
        if not values:
            continue
        # Align from the right with X-Forwarded-For; a shorter list was set by the first proxy.
        for offset in range(1, len(hops) + 1):
            hops[-offset][key] = values[-offset] if offset <= len(values) else values[0]
    return hops


def _client_hop(hops: list[dict[str, str]], trusted: TrustedProxies) -> tuple[dict[str, str], tuple[str, int] | str] | None:
    chosen: tuple[dict[str, str], tuple[str, int] | str] | None = None
    for hop in reversed(hops):
        node = parse_node(hop["for"]) if "for" in hop else None
        if node is None:
            return chosen if chosen is not None else None
        chosen = (hop, node)
        if isinstance(node, str) or node[0] not in trusted:
            return chosen
    return chosen


def apply_proxy_headers(scope: Scope, trusted: TrustedProxies) -> None:
    """Rewrite `client`, `scheme` and the `host` header of `scope` from a trusted proxy's headers."""
    client = scope.get("client")
    peer = client[0] if client else None
    if peer not in trusted:
        return
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    hops = _hops(headers)
    if not hops:
        return
    found = _client_hop(hops, trusted)
    if found is None:
        return
    hop, node = found
    scope["client"] = (node, 0) if isinstance(node, str) else node
    proto = hop.get("proto", "").lower()
    if proto in ("http", "https"):
        if scope["type"] == "websocket":
            scope["scheme"] = "wss" if proto == "https" else "ws"
        else:
            scope["scheme"] = proto
    host = hop.get("host")
    if host and host.isascii() and _HOST.fullmatch(host):
        raw = host.encode("ascii")
        scope["headers"] = [(k, v) for k, v in headers if k != b"host"] + [(b"host", raw)]


class ProxyHeadersMiddleware:
    """ASGI middleware applying `apply_proxy_headers` to every http and websocket scope."""

    __slots__ = ("app", "trusted")

    def __init__(self, app: ASGIApp, trusted: TrustedProxies | str) -> None:
        self.app = app
        self.trusted = parse_allow_list(trusted) if isinstance(trusted, str) else trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            apply_proxy_headers(scope, self.trusted)
        await self.app(scope, receive, send)
