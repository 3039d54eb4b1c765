"""Tests for ferrule.asgi_core.headers: Headers and MutableHeaders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule.asgi_core.headers import HeaderValueError, Headers, MutableHeaders, check_header

_TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_names = st.text(st.sampled_from(_TCHARS), min_size=1, max_size=12)
# Names h11 interprets (framing, host) would make the reference parser reject valid maps.
_FRAMING = {"host", "content-length", "transfer-encoding"}
_plain_names = _names.filter(lambda n: n.lower() not in _FRAMING)
# SPEC: RFC 9110 §5.5 field-value: VCHAR / obs-text, with SP/HTAB inside, none at the ends.
_values = st.text(
    st.sampled_from([chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0x80, 0x100)] + ["\t"]),
    max_size=20,
).map(lambda v: v.strip(" \t"))
_raw_pairs = st.lists(
    st.tuples(_plain_names.map(lambda n: n.encode("latin-1")), _values.map(lambda v: v.encode("latin-1"))),
    max_size=8,
)


def _serialize(raw: list[tuple[bytes, bytes]]) -> bytes:
    head = b"GET / HTTP/1.1\r\nhost: example.com\r\n"
    return head + b"".join(name + b": " + value + b"\r\n" for name, value in raw) + b"\r\n"


def _parse(data: bytes) -> Headers:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    event = conn.next_event()
    assert isinstance(event, h11.Request)
    return Headers(raw=[(k, v) for k, v in event.headers][1:])  # drop the host we added


# --- round trip and lookup -------------------------------------------------------


@settings(max_examples=100)
@given(_raw_pairs)
def test_parse_of_serialized_headers_round_trips(raw: list[tuple[bytes, bytes]]) -> None:
    headers = Headers(raw=raw)
    assert _parse(_serialize(headers.raw)) == headers
    assert Headers(raw=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]) == headers


@settings(max_examples=100)
@given(_raw_pairs, st.data())
def test_lookup_ignores_case_and_getlist_keeps_order(raw: list[tuple[bytes, bytes]], data: st.DataObject) -> None:
    headers = Headers(raw=raw)
    for name, _ in raw:
        key = name.decode("latin-1")
        expected = [v.decode("latin-1") for n, v in raw if n.lower() == name.lower()]
        spelled = data.draw(st.sampled_from([key, key.upper(), key.lower(), key.swapcase()]))
        assert spelled in headers
        assert headers[spelled] == expected[0]
        assert headers.get(spelled) == expected[0]
        assert headers.getlist(spelled) == expected
        assert headers.get_raw(name.lower()) == expected[0].encode("latin-1")
    assert len(headers) == len(raw)
    assert headers.keys() == [n.decode("latin-1").lower() for n, _ in raw]
    assert headers.values() == [v.decode("latin-1") for _, v in raw]


@settings(max_examples=100)
@given(st.dictionaries(_names, _values, max_size=6))
def test_mapping_and_raw_constructors_agree(mapping: dict[str, str]) -> None:
    unique = {k.lower(): v for k, v in mapping.items()}
    from_mapping = Headers(headers=unique)
    from_raw = Headers(raw=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in unique.items()])
    assert from_mapping == from_raw
    assert MutableHeaders(headers=unique) == from_raw
    assert dict(from_mapping.items()) == unique


def test_basic_mapping_behaviour() -> None:
    headers = Headers(raw=[(b"Content-Type", b"text/plain"), (b"x-a", b"1"), (b"X-A", b"2")])
    assert headers["content-type"] == "text/plain"
    assert headers["CONTENT-TYPE"] == "text/plain"
    assert headers.getlist("x-a") == ["1", "2"]
    assert headers.items() == [("content-type", "text/plain"), ("x-a", "1"), ("x-a", "2")]
    assert list(headers) == ["content-type", "x-a", "x-a"]
    assert "missing" not in headers
    not_a_str: object = 1
    assert not_a_str not in headers
    assert headers.get("missing") is None
    assert headers.getlist("missing") == []
    assert headers.get_raw(b"missing") is None
    with pytest.raises(KeyError):
        headers["missing"]
    assert headers == Headers(raw=[(b"x-a", b"1"), (b"content-type", b"text/plain"), (b"x-a", b"2")])
    assert headers != Headers(raw=[(b"x-a", b"1")])
    assert (headers == {"x-a": "1"}) is False
    assert Headers() == Headers(raw=[])
    assert repr(Headers(headers={"a": "b"})) == "Headers({'a': 'b'})"
    assert "raw=" in repr(headers)


def test_names_outside_latin1_match_nothing() -> None:
    # Regression: lookups used to encode with errors="replace", so "\u2603" became b"?".
    headers = MutableHeaders(raw=[(b"?", b"x")])
    assert "\u2603" not in headers
    assert headers.get("\u2603") is None
    assert headers.getlist("\u2603") == []
    del headers["\u2603"]
    assert headers.raw == [(b"?", b"x")]


def test_only_one_source_is_accepted() -> None:
    with pytest.raises(TypeError, match="only one of"):
        Headers(headers={"a": "b"}, raw=[])


def test_scope_headers_are_shared_not_copied() -> None:
    raw = [(b"a", b"1")]
    assert Headers(scope={"headers": raw}).raw is raw
    assert Headers(scope={"headers": ((b"a", b"1"),)})["a"] == "1"
    assert Headers(scope={}) == Headers()


def test_mutable_headers_from_scope_edit_the_message_in_place() -> None:
    # COMPAT(fastapi): pure-ASGI middleware does `MutableHeaders(scope=message)` on
    # "http.response.start" and expects its edits to reach the server.
    message: dict[str, Any] = {"type": "http.response.start", "headers": ((b"a", b"1"),)}
    headers = MutableHeaders(scope=message)
    headers.append("x-extra", "yes")
    headers["a"] = "2"
    assert list(message["headers"]) == [(b"a", b"2"), (b"x-extra", b"yes")]


# --- MutableHeaders --------------------------------------------------------------


def test_setitem_replaces_every_value_in_place_of_the_first() -> None:
    headers = MutableHeaders(raw=[(b"a", b"1"), (b"b", b"x"), (b"a", b"2")])
    headers["A"] = "3"
    assert headers.raw == [(b"a", b"3"), (b"b", b"x")]
    headers["c"] = "new"
    assert headers.raw[-1] == (b"c", b"new")


def test_mutation_methods() -> None:
    headers = MutableHeaders()
    headers.append("Set-Cookie", "a=1")
    headers.append("set-cookie", "b=2")
    assert headers.getlist("set-cookie") == ["a=1", "b=2"]
    assert headers.setdefault("set-cookie", "c=3") == "a=1"
    assert headers.setdefault("x-new", "v") == "v"
    del headers["SET-COOKIE"]
    assert "set-cookie" not in headers
    del headers["never-there"]  # COMPAT(fastapi): Starlette ignores a missing key
    headers.update({"x-a": "1"}, x_b="2")
    headers.update([("x-c", "3")])
    assert headers["x-a"] == "1" and headers["x_b"] == "2" and headers["x-c"] == "3"
    merged = headers | {"x-a": "9"}
    assert merged["x-a"] == "9" and headers["x-a"] == "1"
    headers |= {"x-d": "4"}
    assert headers["x-d"] == "4"
    headers.add_vary_header("Origin")
    headers.add_vary_header("accept-encoding")
    headers.add_vary_header("origin")
    assert headers["vary"] == "Origin, accept-encoding"


def test_mutablecopy_is_independent() -> None:
    original = Headers(raw=[(b"a", b"1")])
    copy = original.mutablecopy()
    copy["a"] = "2"
    assert original["a"] == "1"
    assert copy == MutableHeaders(headers={"a": "2"})


_WRITES: list[Callable[[MutableHeaders, str, str], object]] = [
    lambda h, k, v: h.__setitem__(k, v),
    lambda h, k, v: h.append(k, v),
    lambda h, k, v: h.setdefault(k, v),
    lambda h, k, v: h.update({k: v}),
    lambda h, k, v: h.__ior__({k: v}),
    lambda h, k, v: MutableHeaders(headers={k: v}),
]


@pytest.mark.parametrize("write", _WRITES)
@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\x00b", "\r\n"])
def test_cr_lf_nul_in_values_are_refused(write: Callable[[MutableHeaders, str, str], object], value: str) -> None:
    headers = MutableHeaders()
    with pytest.raises(HeaderValueError, match="CR, LF and NUL are not allowed"):
        write(headers, "x-test", value)
    assert "x-test" not in headers


@pytest.mark.parametrize("write", _WRITES)
@pytest.mark.parametrize("name", ["", "x y", "x:y", "x\r\ny", "x\x00", "(x)", "x/y"])
def test_non_token_names_are_refused(write: Callable[[MutableHeaders, str, str], object], name: str) -> None:
    with pytest.raises(HeaderValueError, match="must be an RFC 9110 token"):
        write(MutableHeaders(), name, "v")


def test_values_outside_latin1_are_refused() -> None:
    with pytest.raises(HeaderValueError, match="outside latin-1"):
        MutableHeaders()["x"] = "\u2603"
    with pytest.raises(HeaderValueError, match="outside latin-1"):
        MutableHeaders()["\u2603"] = "x"


@settings(max_examples=200)
@given(st.text(max_size=12), st.text(max_size=12))
def test_checked_writes_raise_only_header_value_error(name: str, value: str) -> None:
    headers = MutableHeaders()
    try:
        headers[name] = value
    except HeaderValueError:
        return
    ((raw_name, raw_value),) = headers.raw
    assert raw_name == name.lower().encode("latin-1")
    assert not set(raw_value) & {0x0D, 0x0A, 0x00}
    assert check_header(name, value) == (raw_name, raw_value)
