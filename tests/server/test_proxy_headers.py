"""Proxy headers: the RFC 7239 parser against a reference model, hostile input, the trust rules,
and the client's view over a real socket from a trusted and an untrusted peer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule import App, Request
from ferrule.asgi_core.types import Receive, Scope, Send
from ferrule.server import ServerConfigError, ServerConfig
from ferrule.server.proxy_headers import (
    MAX_HOPS,
    apply_proxy_headers,
    parse_allow_list,
    parse_forwarded,
    parse_node,
)

from srv_helpers import request, running

TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
tokens = st.text(alphabet=TCHARS, min_size=1, max_size=12)
# Any latin-1 text without controls other than HTAB can be carried by a quoted-string.
quotable = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_categories=("Cc",)) | st.just("\t"),
    max_size=12,
)
elements = st.dictionaries(tokens.map(str.lower), quotable, min_size=1, max_size=4)


def reference_serialize(hops: list[dict[str, str]], draw_quote: list[bool], ows: list[str]) -> bytes:
    """A straightforward RFC 7239 encoder: token when the value is a token, else a quoted-string."""
    out = []
    k = 0
    for hop in hops:
        pairs = []
        for name, value in hop.items():
            is_token = value != "" and all(c in TCHARS for c in value)
            if is_token and not draw_quote[k % len(draw_quote)]:
                pairs.append(f"{name}={value}")
            else:
                escaped = "".join("\\" + c if c in '"\\' else c for c in value)
                pairs.append(f'{name}="{escaped}"')
            k += 1
        out.append(";".join(pairs))
    sep = "," + ows[0]
    return (ows[1] + sep.join(out) + ows[1]).encode("latin-1")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(elements, min_size=1, max_size=6),
    st.lists(st.booleans(), min_size=1, max_size=8),
    st.lists(st.sampled_from(["", " ", "\t", "  "]), min_size=2, max_size=2),
)
def test_parse_forwarded_matches_reference_model(hops: list[dict[str, str]], quote: list[bool], ows: list[str]) -> None:
    raw = reference_serialize(hops, quote, ows)
    assert parse_forwarded([raw]) == hops


@settings(max_examples=100, deadline=None)
@given(st.lists(elements, min_size=2, max_size=6), st.integers(min_value=1, max_value=5))
def test_multiple_fields_are_one_list(hops: list[dict[str, str]], cut: int) -> None:
    cut = min(cut, len(hops) - 1)
    first = reference_serialize(hops[:cut], [True], ["", ""])
    second = reference_serialize(hops[cut:], [True], ["", ""])
    assert parse_forwarded([first, second]) == hops


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=200))
def test_parse_forwarded_never_raises_and_is_stable(raw: bytes) -> None:
    parsed = parse_forwarded([raw])
    if parsed:
        again = reference_serialize(parsed, [True], ["", ""])
        assert parse_forwarded([again]) == parsed


@pytest.mark.parametrize(
    "raw",
    [
        b'for="unterminated',
        b"for=1.2.3.4;for=5.6.7.8",  # a parameter twice in one element
        b"for = 1.2.3.4",  # no whitespace around '='
        b"for=1.2.3.4 proto=https",
        b"for=",
        b"=1.2.3.4",
        b'for="a\\\x00"',  # quoted-pair of a control byte
        b'for="a\x01"',
        b"for=1.2.3.4\r\nx-injected: 1",
        b"for=[::1]",  # '[' is not a tchar: must be quoted
        ",".join(["for=1.1.1.1"] * (MAX_HOPS + 1)).encode(),
    ],
)
def test_hostile_forwarded_is_refused_whole(raw: bytes) -> None:
    assert parse_forwarded([raw]) is None


def test_empty_elements_and_ows_are_allowed() -> None:
    assert parse_forwarded([b" ,for=a ; ;proto=https , , "]) == [{"for": "a", "proto": "https"}]


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ("1.2.3.4", ("1.2.3.4", 0)),
        ("1.2.3.4:8080", ("1.2.3.4", 8080)),
        ("[2001:db8::1]:443", ("2001:db8::1", 443)),
        ("[2001:db8::1]", ("2001:db8::1", 0)),
        ("2001:db8::1", ("2001:db8::1", 0)),
        ("unknown", "unknown"),
        ("_hidden", "_hidden"),
        ("_hidden:_port", "_hidden:_port"),
        ("example.com", None),
        ("1.2.3.4:99999", None),
        ("[::1", None),
        ("", None),
    ],
)
def test_parse_node(node: str, expected: Any) -> None:
    assert parse_node(node) == expected


def scope_for(peer: str | None, headers: list[tuple[bytes, bytes]], kind: str = "http") -> dict[str, Any]:
    return {
        "type": kind,
        "scheme": "http" if kind == "http" else "ws",
        "client": (peer, 5000) if peer else None,
        "headers": [(b"host", b"internal:8000"), *headers],
    }


def test_untrusted_peer_headers_are_ignored() -> None:
    scope = scope_for("203.0.113.9", [(b"x-forwarded-for", b"1.1.1.1"), (b"x-forwarded-proto", b"https")])
    before = json.dumps(scope, default=repr)
    apply_proxy_headers(scope, parse_allow_list("127.0.0.1"))
    assert json.dumps(scope, default=repr) == before


def test_x_forwarded_from_trusted_peer() -> None:
    scope = scope_for(
        "127.0.0.1",
        [(b"x-forwarded-for", b"198.51.100.7"), (b"x-forwarded-proto", b"https"), (b"x-forwarded-host", b"api.example.com")],
    )
    apply_proxy_headers(scope, parse_allow_list("127.0.0.1"))
    assert scope["client"] == ("198.51.100.7", 0)
    assert scope["scheme"] == "https"
    assert (b"host", b"api.example.com") in scope["headers"] and (b"host", b"internal:8000") not in scope["headers"]


def test_spoofed_leftmost_hop_is_not_believed() -> None:
    # The client sent X-Forwarded-For: 6.6.6.6 itself; the trusted proxy appended the real address.
    scope = scope_for("10.0.0.2", [(b"x-forwarded-for", b"6.6.6.6, 198.51.100.7, 10.0.0.1")])
    apply_proxy_headers(scope, parse_allow_list("10.0.0.0/8"))
    assert scope["client"] == ("198.51.100.7", 0)


def test_all_hops_trusted_gives_leftmost() -> None:
    scope = scope_for("10.0.0.2", [(b"x-forwarded-for", b"10.0.0.5, 10.0.0.1")])
    apply_proxy_headers(scope, parse_allow_list("10.0.0.0/8"))
    assert scope["client"] == ("10.0.0.5", 0)


def test_forwarded_wins_and_carries_proto_and_host_of_the_client_hop() -> None:
    scope = scope_for(
        "127.0.0.1",
        [
            (b"x-forwarded-for", b"9.9.9.9"),
            (b"forwarded", b'for="[2001:db8::7]:4711";proto=https;host=shop.example, for=127.0.0.1;proto=http'),
        ],
        kind="websocket",
    )
    apply_proxy_headers(scope, parse_allow_list("127.0.0.1"))
    assert scope["client"] == ("2001:db8::7", 4711)
    assert scope["scheme"] == "wss"
    assert (b"host", b"shop.example") in scope["headers"]


@pytest.mark.parametrize(
    "headers",
    [
        [(b"forwarded", b'for="unterminated'), (b"x-forwarded-for", b"9.9.9.9")],
        [(b"x-forwarded-for", b"not-an-address")],
        [(b"x-forwarded-for", b",".join([b"1.1.1.1"] * (MAX_HOPS + 1)))],
    ],
)
def test_malformed_chain_leaves_the_peer(headers: list[tuple[bytes, bytes]]) -> None:
    scope = scope_for("127.0.0.1", headers)
    apply_proxy_headers(scope, parse_allow_list("127.0.0.1"))
    assert scope["client"] == ("127.0.0.1", 5000)


def test_bad_proto_and_host_are_ignored() -> None:
    scope = scope_for(
        "127.0.0.1",
        [(b"x-forwarded-for", b"1.2.3.4"), (b"x-forwarded-proto", b"javascript"), (b"x-forwarded-host", b"a b/c")],
    )
    apply_proxy_headers(scope, parse_allow_list("127.0.0.1"))
    assert scope["client"] == ("1.2.3.4", 0)
    assert scope["scheme"] == "http"
    assert (b"host", b"internal:8000") in scope["headers"]


def test_allow_list() -> None:
    trusted = parse_allow_list(" 10.0.0.0/8, ::1 ,unix")
    assert "10.2.3.4" in trusted and "::1" in trusted and None in trusted
    assert "11.0.0.1" not in trusted and "::ffff:11.0.0.1" not in trusted and "garbage" not in trusted
    assert "::ffff:10.0.0.1" in trusted
    assert "8.8.8.8" in parse_allow_list("*")
    assert None not in parse_allow_list("127.0.0.1")
    with pytest.raises(ServerConfigError, match="'10.0.0.300' is not an IP address or network"):
        ServerConfig(forwarded_allow_ips="10.0.0.300")


# -- over a real socket -------------------------------------------------------------------------


async def echo_view(scope: Scope, receive: Receive, send: Send) -> None:
    host = dict(scope["headers"]).get(b"host", b"").decode()
    body = json.dumps({"client": scope["client"], "scheme": scope["scheme"], "host": host}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


FORWARDED_REQUEST = (
    b"GET / HTTP/1.1\r\nHost: internal\r\nX-Forwarded-For: 198.51.100.7\r\n"
    b"X-Forwarded-Proto: https\r\nX-Forwarded-Host: api.example.com\r\n\r\n"
)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_trusted_peer_over_a_socket(anyio_backend: str) -> None:
    async with running(echo_view, proxy_headers=True) as srv:  # default allow list: loopback
        r = await request(srv.port, FORWARDED_REQUEST)
    assert json.loads(r.body) == {"client": ["198.51.100.7", 0], "scheme": "https", "host": "api.example.com"}


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_untrusted_peer_over_a_socket(anyio_backend: str) -> None:
    async with running(echo_view, proxy_headers=True, forwarded_allow_ips="10.0.0.1") as srv:
        r = await request(srv.port, FORWARDED_REQUEST)
    view = json.loads(r.body)
    assert view["client"][0] == "127.0.0.1" and view["client"][1] != 0
    assert view["scheme"] == "http" and view["host"] == "internal"


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_proxy_headers_off_by_default(anyio_backend: str) -> None:
    async with running(echo_view) as srv:
        r = await request(srv.port, FORWARDED_REQUEST)
    assert json.loads(r.body)["scheme"] == "http"


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_redirect_uses_the_clients_view(anyio_backend: str) -> None:
    app = App()

    @app.get("/new", name="new")
    def new() -> dict[str, str]:
        return {}

    @app.get("/where")
    def where(request: Request) -> dict[str, str]:
        return {"url": str(request.url), "redirect": str(request.url_for("new"))}

    async with running(app, proxy_headers=True) as srv:
        r = await request(srv.port, FORWARDED_REQUEST.replace(b"GET / ", b"GET /where "))
    assert json.loads(r.body) == {"url": "https://api.example.com/where", "redirect": "https://api.example.com/new"}
