"""Tests for ferrule.asgi_core.cookies: Cookie parsing and Set-Cookie building."""

from __future__ import annotations

import http.cookies
import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule.asgi_core.cookies import (
    build_set_cookie,
    parse_cookie_header,
    quote_cookie_value,
    unquote_cookie_value,
)
from ferrule.asgi_core.headers import check_header

_latin1_value = st.text(st.characters(max_codepoint=0xFF, exclude_characters="\r\n\x00;"), max_size=20)
_RESERVED: frozenset[str] = frozenset(http.cookies.Morsel._reserved)  # type: ignore[attr-defined]
_simple_name: st.SearchStrategy[str] = st.text(st.sampled_from("abcdefghXYZ"), min_size=1, max_size=6).filter(
    lambda n: n.lower() not in _RESERVED
)
_simple_value = st.text(st.sampled_from("abc019!#$%&'*+-.^_`|~:"), max_size=8)


# --- parse_cookie_header ---------------------------------------------------------


@settings(max_examples=200)
@given(st.dictionaries(_simple_name, _simple_value, max_size=5))
def test_parse_matches_simplecookie_on_well_formed_headers(cookies: dict[str, str]) -> None:
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    reference = http.cookies.SimpleCookie()
    reference.load(header)
    assert parse_cookie_header(header) == {k: m.value for k, m in reference.items()}


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_parse_never_raises(header: str) -> None:
    result = parse_cookie_header(header)
    assert all(k == k.strip() for k in result)


@settings(max_examples=200)
@given(st.text(st.sampled_from('ab"\\01234567;, '), max_size=20))
def test_unquote_matches_stdlib(value: str) -> None:
    assert unquote_cookie_value(value) == http.cookies._unquote(value)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1; b=2", {"a": "1", "b": "2"}),
        ("a=1;b=2;", {"a": "1", "b": "2"}),
        ("  a  =  1  ;  b=2", {"a": "1", "b": "2"}),
        ("a=1; a=2", {"a": "1"}),  # first (most specific path) wins: RFC 6265 §5.4
        ("token", {"": "token"}),  # no '=': empty name, like browsers
        ("a=x=y", {"a": "x=y"}),
        ("a=", {"a": ""}),
        ("=", {}),
        (";;;", {}),
        ("", {}),
        ('a="quoted value"', {"a": "quoted value"}),
        ('a="x\\054y\\"z"', {"a": 'x,y"z'}),
        ('a="unterminated', {"a": '"unterminated'}),
        ('a="', {"a": '"'}),
        ("a=caf\u00e9; b=\x00", {"a": "caf\u00e9", "b": "\x00"}),
        ("a=1, b=2", {"a": "1, b=2"}),  # ',' is not a separator
    ],
)
def test_parse_lenient_cases(header: str, expected: dict[str, str]) -> None:
    assert parse_cookie_header(header) == expected


# --- quoting ---------------------------------------------------------------


@settings(max_examples=200)
@given(_latin1_value)
def test_quoted_value_round_trips_through_both_parsers(value: str) -> None:
    coded = quote_cookie_value(value)
    assert parse_cookie_header(f"k={coded}") == {"k": value}
    reference = http.cookies.SimpleCookie()
    reference.load(f"k={coded}")
    assert reference["k"].value == value


@pytest.mark.parametrize(
    ("value", "coded"),
    [
        ("abc", "abc"),
        ("a/b=c?d@e[f]", "a/b=c?d@e[f]"),  # all RFC 6265 cookie-octets: not quoted
        ("", '""'),  # COMPAT(fastapi): Starlette writes an empty value as ""
        ("a b", '"a\\040b"'),
        ("a,b", '"a\\054b"'),
        ('a"b', '"a\\"b"'),
        ("a\\b", '"a\\\\b"'),
        ("caf\u00e9", '"caf\\351"'),
    ],
)
def test_quote_cookie_value(value: str, coded: str) -> None:
    assert quote_cookie_value(value) == coded


def test_quote_refuses_characters_outside_latin1() -> None:
    with pytest.raises(ValueError, match="outside latin-1"):
        quote_cookie_value("\u65e5\u672c")


# --- build_set_cookie ------------------------------------------------------


def test_defaults_match_starlette_format() -> None:
    assert build_set_cookie("session", "abc") == "session=abc; Path=/; SameSite=lax"


def test_all_attributes_in_starlette_order() -> None:
    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    header = build_set_cookie(
        "k",
        "v",
        max_age=60,
        expires=when,
        path="/app",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="strict",
        partitioned=True,
    )
    assert header == (
        "k=v; Domain=example.com; expires=Wed, 02 Jan 2030 03:04:05 GMT; HttpOnly; "
        "Max-Age=60; Path=/app; SameSite=strict; Secure; Partitioned"
    )


def test_no_optional_attributes() -> None:
    assert build_set_cookie("k", "v", path=None, samesite=None) == "k=v"


@pytest.mark.parametrize("samesite", ["lax", "Strict", "NONE"])
def test_samesite_values_are_case_insensitive(samesite: str) -> None:
    assert build_set_cookie("k", samesite=samesite).endswith(f"SameSite={samesite}")


@pytest.mark.parametrize("samesite", ["", "relaxed", "lax; Domain=evil"])
def test_bad_samesite_raises(samesite: str) -> None:
    with pytest.raises(ValueError, match="invalid samesite"):
        build_set_cookie("k", samesite=samesite)


def _expires_of(header: str) -> datetime:
    match = re.search(r"expires=([^;]+)", header)
    assert match is not None
    return parsedate_to_datetime(match.group(1))


def test_expires_forms() -> None:
    naive = datetime(2030, 1, 2, 3, 4, 5)
    assert _expires_of(build_set_cookie("k", expires=naive)) == naive.replace(tzinfo=timezone.utc)
    offset = datetime(2030, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert "expires=Wed, 02 Jan 2030 03:04:05 GMT" in build_set_cookie("k", expires=offset)
    in_an_hour = _expires_of(build_set_cookie("k", expires=3600))
    delta = in_an_hour - datetime.now(timezone.utc)
    assert timedelta(minutes=59) < delta <= timedelta(hours=1)
    assert "expires=Thu, 01 Jan 1970 00:00:00 GMT;" in build_set_cookie("k", expires="Thu, 01 Jan 1970 00:00:00 GMT")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": "a b"}, "invalid cookie name"),
        ({"key": "a=b"}, "invalid cookie name"),
        ({"key": "a;b"}, "invalid cookie name"),
        ({"key": "a\r\nSet-Cookie: x"}, "invalid cookie name"),
        ({"key": ""}, "invalid cookie name"),
        ({"value": "x\r\nSet-Cookie: evil=1"}, "CR, LF, NUL and ';'"),
        ({"value": "x\nb"}, "CR, LF, NUL and ';'"),
        ({"value": "x\x00"}, "CR, LF, NUL and ';'"),
        ({"value": "x; Domain=evil.com"}, "CR, LF, NUL and ';'"),
        ({"path": "/; Domain=evil.com"}, "invalid cookie path"),
        ({"path": "/\r\nX: y"}, "invalid cookie path"),
        ({"path": "/caf\u00e9"}, "invalid cookie path"),
        ({"domain": "evil.com; Secure"}, "invalid cookie domain"),
        ({"domain": "a.com\r\n"}, "invalid cookie domain"),
        ({"domain": "a b.com"}, "invalid cookie domain"),
        ({"expires": "Thu; Domain=x"}, "invalid cookie expires"),
        ({"value": "\u2603"}, "outside latin-1"),
    ],
)
def test_injection_and_bad_input_raise_value_error(kwargs: dict[str, str], message: str) -> None:
    args = {"key": "k", "value": "v"} | kwargs
    key, value = args.pop("key"), args.pop("value")
    with pytest.raises(ValueError, match=re.escape(message)):
        build_set_cookie(key, value, **args)  # type: ignore[arg-type]


@settings(max_examples=200)
@given(_latin1_value, st.sampled_from(["/", "/app/x", None]), st.booleans())
def test_built_header_is_safe_and_readable(value: str, path: str | None, secure: bool) -> None:
    header = build_set_cookie("name", value, path=path, secure=secure, max_age=10)
    check_header("set-cookie", header)  # never carries CR, LF or NUL
    reference = http.cookies.SimpleCookie()
    reference.load(header)
    assert reference["name"].value == value
    assert reference["name"]["max-age"] == "10"
    if path is not None:
        assert reference["name"]["path"] == path


_hostile = st.text(st.sampled_from("ab=; \r\n\x00\"\\,\u00e9\u2603"), max_size=8)


@settings(max_examples=200)
@given(_hostile, _hostile)
def test_build_never_lets_an_injection_through(key: str, value: str) -> None:
    try:
        header = build_set_cookie(key, value)
    except ValueError:
        bad_key = not key or any(c not in "ab" for c in key)
        bad_value = any(c in "\r\n\x00;\u2603" for c in value)
        assert bad_key or bad_value
        return
    check_header("set-cookie", header)
    first, _, attributes = header.partition(";")
    assert attributes == " Path=/; SameSite=lax"
    assert parse_cookie_header(first) == {key: value}
