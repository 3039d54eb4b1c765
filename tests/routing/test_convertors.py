"""Built-in convertors, the helper constructors and the registry."""

from __future__ import annotations

import re
import sys
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule.routing import convertors as conv_module
from ferrule.routing.convertors import (
    BUILTIN_CONVERTORS,
    FloatConvertor,
    IntConvertor,
    check_convertor,
    convertor_from_functions,
    convertor_from_regex,
    default_convertors,
    example_text,
    register_convertor,
)
from ferrule.routing.errors import RouteConfigError


def accepts(name: str, text: str) -> bool:
    return re.fullmatch(BUILTIN_CONVERTORS[name].regex, text, re.DOTALL) is not None


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("str", ["a", " ", "%2F", "é", "\n", "a.b"], ["", "a/b", "/"]),
        ("path", ["", "a", "a/b/", "/", "\n/x"], []),
        ("int", ["0", "007", "123"], ["", "-1", "+1", "1.0", " 1", "1 ", "١", "²", "0x1", "1_0"]),
        ("float", ["0", "1.5", "10.25"], ["", ".5", "1.", "-1.5", "1e5", "inf", "nan", "1.5.5", "1,5"]),
        (
            "uuid",
            ["12345678-1234-5678-1234-567812345678", "ABCDEF01-ABCD-ABCD-ABCD-ABCDEF012345"],
            [
                "12345678123456781234567812345678",
                "{12345678-1234-5678-1234-567812345678}",
                "12345678-1234-5678-1234-56781234567",
                "g2345678-1234-5678-1234-567812345678",
                "urn:uuid:12345678-1234-5678-1234-567812345678",
            ],
        ),
    ],
)
def test_builtin_regexes(name: str, good: list[str], bad: list[str]) -> None:
    for text in good:
        assert accepts(name, text), text
        BUILTIN_CONVERTORS[name].convert(text)  # never raises on accepted text
    for text in bad:
        assert not accepts(name, text), text


def test_builtin_values() -> None:
    assert BUILTIN_CONVERTORS["int"].convert("007") == 7
    assert BUILTIN_CONVERTORS["float"].convert("1.50") == 1.5
    assert BUILTIN_CONVERTORS["uuid"].convert("ABCDEF01-ABCD-ABCD-ABCD-ABCDEF012345") == uuid.UUID(
        "abcdef01-abcd-abcd-abcd-abcdef012345"
    )
    assert BUILTIN_CONVERTORS["str"].convert("x") == "x"
    assert BUILTIN_CONVERTORS["path"].to_string("a/b") == "a/b"


def test_int_past_the_digit_limit_raises_value_error() -> None:
    limit = getattr(sys.int_info, "default_max_str_digits", 0) or 4300
    with pytest.raises(ValueError):
        IntConvertor().convert("9" * (limit + 1))


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=10**200))
def test_int_round_trip(value: int) -> None:
    text = IntConvertor().to_string(value)
    assert accepts("int", text)
    assert IntConvertor().convert(text) == value


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=0, allow_nan=False, allow_infinity=False) | st.integers(min_value=0, max_value=10**300))
def test_float_round_trip(value: float) -> None:
    text = FloatConvertor().to_string(value)
    assert accepts("float", text), text
    assert FloatConvertor().convert(text) == float(value)


@settings(max_examples=50, deadline=None)
@given(st.uuids())
def test_uuid_round_trip(value: uuid.UUID) -> None:
    convertor = BUILTIN_CONVERTORS["uuid"]
    assert convertor.convert(convertor.to_string(value)) == value
    assert convertor.convert(convertor.to_string(str(value).upper())) == value


def test_convertor_from_regex() -> None:
    slug = convertor_from_regex("[a-z]+")
    assert slug.regex == "[a-z]+"
    assert slug.convert("abc") == "abc"
    assert slug.to_string("abc") == "abc"
    with pytest.raises(RouteConfigError, match=r"convertor_from_regex: invalid convertor regex '\[a-': "):
        convertor_from_regex("[a-")
    with pytest.raises(RouteConfigError, match="must be a str, got int"):
        convertor_from_regex(5)  # type: ignore[arg-type]


def test_convertor_from_functions() -> None:
    hexa = convertor_from_functions(lambda s: int(s, 16), lambda v: format(v, "x"), regex="[0-9a-f]+")
    assert hexa.convert("ff") == 255
    assert hexa.to_string(255) == "ff"
    assert convertor_from_functions(int, str).regex == "[^/]+"
    with pytest.raises(RouteConfigError, match="needs two callables"):
        convertor_from_functions(int, "str")  # type: ignore[arg-type]
    with pytest.raises(RouteConfigError, match="invalid convertor regex"):
        convertor_from_functions(int, str, regex="(")


class Year:
    regex = "[0-9]{4}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return f"{value:04d}"


def test_register_convertor() -> None:
    year = Year()
    assert "test_routing_year" not in default_convertors()
    register_convertor("test_routing_year", year)
    try:
        assert default_convertors()["test_routing_year"] is year
        register_convertor("test_routing_year", year)  # same object again: fine
        with pytest.raises(RouteConfigError, match=r"'test_routing_year' is already registered \(regex '\[0-9\]\{4\}'\)"):
            register_convertor("test_routing_year", Year())
        with pytest.raises(TypeError):
            default_convertors()["x"] = year  # type: ignore[index]
    finally:
        conv_module._registry.pop("test_routing_year", None)


@pytest.mark.parametrize(
    ("name", "convertor", "message"),
    [
        ("int", Year(), "'int' is built in and cannot be replaced"),
        ("my-conv", Year(), "must be a Python identifier"),
        ("noregex", object(), "a convertor regex must be a str, got NoneType"),
        ("badregex", convertor_from_regex("a").__class__("(", str, str), "invalid convertor regex '\\('"),
    ],
)
def test_register_convertor_errors(name: str, convertor: Any, message: str) -> None:
    with pytest.raises(RouteConfigError, match=message):
        register_convertor(name, convertor)
    assert default_convertors().get(name) is BUILTIN_CONVERTORS.get(name)


def test_check_convertor_needs_methods() -> None:
    class NoConvert:
        regex = "x"

        def to_string(self, value: str) -> str:
            return value

    with pytest.raises(RouteConfigError, match=r"it has no convert\(\) method"):
        check_convertor("nc", NoConvert())


def test_example_text() -> None:
    assert example_text(BUILTIN_CONVERTORS["int"]) == "1"
    assert example_text(Year()) == "2024"
    assert example_text(convertor_from_regex("[a-z]{3}")) == "abc"
    odd_only = convertor_from_functions(lambda s: int(s) if int(s) % 2 else int("x"), str, regex="[0-9]+")
    assert example_text(odd_only) == "1"
    evens = convertor_from_functions(lambda s: int(s) if int(s) % 2 == 0 else int("x"), str, regex="[0-9]+")
    assert example_text(evens) == "0"
    assert example_text(convertor_from_regex("#+")) is None
