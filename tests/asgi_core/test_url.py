"""Tests for ferrule.asgi_core.url: percent-decoding, QueryParams and URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule.asgi_core.url import URL, QueryParams, parse_query_last, percent_decode

# Text biased towards the characters that matter to the parsers.
_query_text = st.text(alphabet=st.sampled_from("ab=&+%;#é 0123456789ACFacfz\x00/?"), max_size=40)
_escape_heavy = st.lists(
    st.one_of(st.sampled_from(["%", "%C3", "%A9", "%E2%82", "%zz", "%4", "%25", "+"]), st.characters()),
    max_size=15,
).map("".join)
_pair_text = st.text(st.characters(codec="utf-8"), max_size=12)


# --- percent_decode -------------------------------------------------------


@settings(max_examples=200)
@given(st.one_of(_escape_heavy, st.text(max_size=30)))
def test_percent_decode_matches_urllib_unquote(value: str) -> None:
    assert percent_decode(value) == unquote(value)


@settings(max_examples=100)
@given(st.text(st.characters(codec="utf-8"), max_size=30))
def test_percent_decode_inverts_quote(value: str) -> None:
    from urllib.parse import quote

    assert percent_decode(quote(value, safe="")) == value


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("%zz", "%zz"),
        ("%", "%"),
        ("%4", "%4"),
        ("100%", "100%"),
        ("%C3%A9", "é"),
        ("%c3%a9", "é"),
        ("%C3", "\ufffd"),  # truncated UTF-8
        ("%FF%FE", "\ufffd\ufffd"),  # never valid UTF-8
        ("%C3x%A9", "\ufffdx\ufffd"),
        ("%2525", "%25"),  # decoded once only
        ("a+b", "a+b"),  # '+' is only a space in form data
    ],
)
def test_percent_decode_hostile_escapes(raw: str, decoded: str) -> None:
    assert percent_decode(raw) == decoded


# --- QueryParams: parsing against urllib.parse.parse_qsl ---------------------


@settings(max_examples=200)
@given(_query_text)
def test_query_string_parse_matches_parse_qsl(query: str) -> None:
    assert QueryParams(query).multi_items() == parse_qsl(query, keep_blank_values=True)


@settings(max_examples=200)
@given(st.binary(max_size=40))
def test_query_bytes_never_raise_and_decode_as_utf8(raw: bytes) -> None:
    params = QueryParams(raw)
    expected = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
    assert params.multi_items() == expected


@settings(max_examples=200)
@given(st.lists(st.tuples(_pair_text, _pair_text), max_size=6))
def test_str_round_trips_through_parse(pairs: list[tuple[str, str]]) -> None:
    params = QueryParams(pairs)
    assert QueryParams(str(params)).multi_items() == pairs
    assert QueryParams(str(params).encode("ascii")).multi_items() == pairs


@settings(max_examples=100)
@given(st.lists(st.tuples(st.sampled_from("abc"), _pair_text), max_size=8))
def test_multidict_model(pairs: list[tuple[str, str]]) -> None:
    params = QueryParams(pairs)
    for key in "abcd":
        values = [v for k, v in pairs if k == key]
        assert params.getlist(key) == values
        assert params.get(key) == (values[-1] if values else None)
        assert (key in params) == bool(values)
    assert list(params) == list(dict.fromkeys(k for k, _ in pairs))
    assert len(params) == len({k for k, _ in pairs})


@settings(max_examples=200)
@given(st.one_of(_query_text.map(lambda text: text.encode("utf-8")), st.binary(max_size=40)))
def test_parse_query_last_is_the_query_params_dict(raw: bytes) -> None:
    # The fast path (no '%' or '+') and the decoding path agree with QueryParams
    # and with parse_qsl: last value wins, keys in order of first appearance.
    expected = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    got = parse_query_last(raw)
    assert got == dict(QueryParams(raw).items()) == expected
    assert list(got) == list(expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", {}),
        (b"a=1&b&a=2&&c=", {"a": "2", "b": "", "c": ""}),
        (b"a=1;b=2", {"a": "1;b=2"}),
        (b"q=x+y%2By&q=%zz", {"q": "%zz"}),
        (b"q=caf\xc3\xa9&r=\xff", {"q": "caf\u00e9", "r": "\ufffd"}),
        (b"%71=1&q=2", {"q": "2"}),
    ],
)
def test_parse_query_last_examples(raw: bytes, expected: dict[str, str]) -> None:
    assert parse_query_last(raw) == expected


def test_repeated_keys_blank_values_and_last_value_wins() -> None:
    params = QueryParams("a=1&b=&a=2&c&a=3")
    assert params.getlist("a") == ["1", "2", "3"]
    assert params["a"] == "3"  # COMPAT(fastapi): Starlette's ImmutableMultiDict
    assert params.get("a") == "3"
    assert params["b"] == ""
    assert params["c"] == ""
    assert params.getlist("missing") == []
    assert params.get("missing", "dflt") == "dflt"
    assert list(params.keys()) == ["a", "b", "c"]
    assert list(params.values()) == ["3", "", ""]
    assert list(params.items()) == [("a", "3"), ("b", ""), ("c", "")]
    assert params.multi_items() == [("a", "1"), ("b", ""), ("a", "2"), ("c", ""), ("a", "3")]
    with pytest.raises(KeyError):
        params["missing"]


def test_only_ampersand_separates_and_plus_is_space() -> None:
    params = QueryParams("a=1;b=2&c=x+y%2By&&")
    assert params.multi_items() == [("a", "1;b=2"), ("c", "x y+y")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"q=%zz", [("q", "%zz")]),
        (b"q=%", [("q", "%")]),
        (b"q=%ff", [("q", "\ufffd")]),
        (b"q=\xff\xfe", [("q", "\ufffd\ufffd")]),
        (b"q=caf\xc3\xa9", [("q", "café")]),
        (b"%00=%0d%0a", [("\x00", "\r\n")]),
        (b"=", [("", "")]),
        (b"&&&", []),
    ],
)
def test_hostile_query_strings_never_raise(raw: bytes, expected: list[tuple[str, str]]) -> None:
    assert QueryParams(raw).multi_items() == expected


def test_constructors_and_equality() -> None:
    from_str = QueryParams("a=1&b=2")
    assert QueryParams({"a": "1", "b": "2"}) == from_str
    assert QueryParams([("b", "2"), ("a", "1")]) == from_str  # order-insensitive, like Starlette
    assert QueryParams(from_str) == from_str
    assert QueryParams(a="1", b="2") == from_str
    assert QueryParams() == QueryParams("")
    assert QueryParams("a=1") != QueryParams("a=1&a=1")
    assert (QueryParams("a=1") == "a=1") is False
    assert str(QueryParams([("a b", "c&d"), ("é", "/")])) == "a+b=c%26d&%C3%A9=%2F"
    assert repr(QueryParams("a=1")) == "QueryParams('a=1')"


# --- URL ------------------------------------------------------------------


def test_url_components() -> None:
    url = URL("https://user:secret@example.com:8443/a/b?x=1&y=2#frag")
    assert url.scheme == "https"
    assert url.netloc == "user:secret@example.com:8443"
    assert url.path == "/a/b"
    assert url.query == "x=1&y=2"
    assert url.fragment == "frag"
    assert url.username == "user"
    assert url.password == "secret"
    assert url.hostname == "example.com"
    assert url.port == 8443
    assert url.is_secure
    assert not URL("http://example.com/").is_secure
    assert URL("wss://example.com/").is_secure
    assert "secret" not in repr(url)
    assert url == "https://user:secret@example.com:8443/a/b?x=1&y=2#frag"
    assert url == URL(str(url))
    assert hash(url) == hash(URL(str(url)))
    assert (url == 3) is False


def test_url_from_components_and_replace() -> None:
    assert URL(scheme="http", netloc="example.com", path="/p", query="a=1") == "http://example.com/p?a=1"
    url = URL("http://example.com:8000/p?a=1")
    assert url.replace(scheme="https") == "https://example.com:8000/p?a=1"
    assert url.replace(path="/q") == "http://example.com:8000/q?a=1"
    assert url.replace(port=9000) == "http://example.com:9000/p?a=1"
    assert url.replace(port=None) == "http://example.com/p?a=1"
    assert url.replace(hostname="other.org") == "http://other.org:8000/p?a=1"
    assert url.replace(username="u", password="p") == "http://u:p@example.com:8000/p?a=1"
    assert URL("http://[::1]:80/").replace(port=81) == "http://[::1]:81/"
    with pytest.raises(TypeError, match="either 'url' or components"):
        URL("http://x/", path="/y")


def test_url_query_param_helpers() -> None:
    url = URL("http://example.com/p?a=1&b=2&a=3#f")
    assert url.include_query_params(a="9", c=["x", "y"]) == "http://example.com/p?b=2&a=9&c=x&c=y#f"
    assert url.replace_query_params(z="a b") == "http://example.com/p?z=a+b#f"
    assert url.remove_query_params("a") == "http://example.com/p?b=2#f"
    assert url.remove_query_params(["a", "b"]) == "http://example.com/p#f"


def _scope(**overrides: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "scheme": "http",
        "path": "/items",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "server": ("10.0.0.1", 8000),
    }
    scope.update(overrides)
    return scope


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"headers": [(b"host", b"example.com")]}, "http://example.com/items"),
        ({"headers": [(b"host", b"example.com:8080")]}, "http://example.com:8080/items"),
        ({"headers": [(b"host", b"example.com:80")]}, "http://example.com/items"),
        ({"scheme": "https", "headers": [(b"host", b"example.com:443")]}, "https://example.com/items"),
        ({"headers": [(b"host", b"[::1]:8000")]}, "http://[::1]:8000/items"),
        ({}, "http://10.0.0.1:8000/items"),
        ({"server": ("10.0.0.1", 80)}, "http://10.0.0.1/items"),
        ({"server": ("::1", 8000)}, "http://[::1]:8000/items"),
        ({"server": None}, "http://localhost/items"),
        ({"query_string": b"a=1&b=%20"}, "http://10.0.0.1:8000/items?a=1&b=%20"),
        ({"query_string": b"a=\xff#x"}, "http://10.0.0.1:8000/items?a=%FF%23x"),
        ({"root_path": "/api", "path": "/items"}, "http://10.0.0.1:8000/api/items"),
        ({"root_path": "/api", "path": "/api/items"}, "http://10.0.0.1:8000/api/items"),
        ({"root_path": "/api", "path": "/apiary"}, "http://10.0.0.1:8000/api/apiary"),
        ({"type": "websocket", "scheme": "ws", "server": ("h", 80)}, "ws://h/items"),
        ({"type": "websocket", "scheme": "wss", "server": ("h", 443)}, "wss://h/items"),
        ({"type": "websocket", "scheme": None, "server": ("h", 8000)}, "ws://h:8000/items"),
        ({"path": "/a?b#c\r\n"}, "http://10.0.0.1:8000/a%3Fb%23c%0D%0A"),
        ({"path": "/caf\u00e9 x"}, "http://10.0.0.1:8000/caf\u00e9 x"),
    ],
)
def test_url_from_scope(overrides: dict[str, Any], expected: str) -> None:
    assert URL(scope=_scope(**overrides)) == expected


@pytest.mark.parametrize(
    "host",
    [
        b"evil.com/path",
        b"user@evil.com",
        b"evil.com evil",
        b"evil.com\r\nX-Injected: 1",
        b"ex\xe4mple.com",
        b"example.com:99999",
        b"example.com:http",
        b"example.com:",
        b"[::1",
        b"",
        b"evil.com?x",
        b"evil.com#x",
        b"evil.com\\x",
    ],
)
def test_malformed_host_header_falls_back_to_server(host: bytes) -> None:
    url = URL(scope=_scope(headers=[(b"host", host)]))
    assert url == "http://10.0.0.1:8000/items"
    assert URL(scope=_scope(headers=[(b"host", host)], server=None)) == "http://localhost/items"


@settings(max_examples=200)
@given(st.binary(max_size=30))
def test_any_host_header_yields_a_well_formed_url(host: bytes) -> None:
    url = URL(scope=_scope(headers=[(b"host", host)], path="/p"))
    parts = urlsplit(str(url))
    assert parts.path == "/p"
    assert parts.query == "" and parts.fragment == "" and parts.username is None
    assert all(c.isascii() and c not in "/@ \\\r\n\t?#" for c in parts.netloc)
    assert parts.netloc == "10.0.0.1:8000" or host.decode("latin-1").startswith(parts.netloc)


def test_url_is_parsed_lazily() -> None:
    url = URL("http://[bad")  # urlsplit would raise ValueError
    assert str(url) == "http://[bad"
    with pytest.raises(ValueError):
        url.hostname  # noqa: B018
