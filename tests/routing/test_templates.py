"""Template parsing (segments, errors) and URL building with Template.format."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ferrule.asgi_core.exceptions import FerruleError
from ferrule.routing.convertors import BUILTIN_CONVERTORS, Convertor, convertor_from_functions, convertor_from_regex
from ferrule.routing.errors import RouteConfigError, TemplateFormatError
from ferrule.routing.templates import Param, Template

CONVERTORS: dict[str, Convertor[Any]] = {**BUILTIN_CONVERTORS, "slug": convertor_from_regex("[a-z-]+")}


def shape(template: Template) -> list[list[str]]:
    """Segments as lists of 'text' / '{name:conv}' strings."""
    return [
        [part if isinstance(part, str) else "{%s:%s}" % (part.name, part.convertor_name) for part in segment]
        for segment in template.segments
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("/", [[]]),
        ("/a", [["a"]]),
        ("/a/", [["a"], []]),
        ("/a//b", [["a"], [], ["b"]]),
        ("/items/{id}", [["items"], ["{id:str}"]]),
        ("/items/{id:int}/x", [["items"], ["{id:int}"], ["x"]]),
        ("/files/{stem}.{ext}", [["files"], ["{stem:str}", ".", "{ext:str}"]]),
        ("/v{version:int}/items", [["v", "{version:int}"], ["items"]]),
        ("/{a:uuid}-{b:float}.x", [["{a:uuid}", "-", "{b:float}", ".x"]]),
        ("/static/{p:path}", [["static"], ["{p:path}"]]),
        ("/dl/v{rest:path}", [["dl"], ["v", "{rest:path}"]]),
        ("/x/{s:slug}", [["x"], ["{s:slug}"]]),
        ("/é/日本/{ключ}", [["é"], ["日本"], ["{ключ:str}"]]),
        ("/a b/%20/:x", [["a b"], ["%20"], [":x"]]),
    ],
)
def test_parse_segments(source: str, expected: list[list[str]]) -> None:
    template = Template.parse(source, convertors=CONVERTORS)
    assert shape(template) == expected
    assert template.source == source
    assert template.is_static == ("{" not in source)
    assert template.has_tail == (":path}" in source)


def test_parse_collects_params_in_order() -> None:
    template = Template.parse("/a/{x:int}/{y}.{z:uuid}/{rest:path}")
    assert template.param_names == ("x", "y", "z", "rest")
    assert [p.convertor_name for p in template.params] == ["int", "str", "uuid", "path"]
    assert all(isinstance(p, Param) and p.convertor is BUILTIN_CONVERTORS[p.convertor_name] for p in template.params)
    assert template.path_format == "/a/{x}/{y}.{z}/{rest}"
    assert template.patterns[0] is None and template.patterns[1] is None
    pattern = template.patterns[2]
    assert pattern is not None
    found = pattern.fullmatch("q." + str(uuid.UUID(int=5)))
    assert found is not None and found.group("_fp0") == "q"


@pytest.mark.parametrize(
    ("source", "segments", "path_format"),
    [("/api", [["api"]], "/api"), ("/api/", [["api"]], "/api"), ("/", [], ""), ("", [], ""), ("/a/{x}//", [["a"], ["{x:str}"]], "/a/{x}")],
)
def test_parse_prefix(source: str, segments: list[list[str]], path_format: str) -> None:
    template = Template.parse(source, prefix=True)
    assert template.prefix
    assert shape(template) == segments
    assert template.path_format == path_format


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", r"must start with '/'"),
        ("items", r"must start with '/' \(e\.g\. '/items'\)"),
        ("/items/{id", r"unbalanced '\{' at position 7"),
        ("/items/{id/x}", r"unbalanced '\{' at position 7.*cannot contain '/'"),
        ("/items/id}", r"unbalanced '\}' at position 9"),
        ("/items/{a{b}}", r"'\{' inside a parameter at position 9"),
        ("/items/{}", r"empty name"),
        ("/items/{:int}", r"empty name"),
        ("/items/{1a}", r"'1a' is not a Python identifier"),
        ("/items/{a b}", r"'a b' is not a Python identifier"),
        ("/items/{id:}", r"unknown convertor '' .*known convertors: float, int, path, slug, str, uuid"),
        ("/items/{id:integer}", r"unknown convertor 'integer' in '\{id:integer\}'; known convertors: float, int, path"),
        ("/items/{id}/{id}", r"duplicate parameter name 'id'; each parameter needs its own name"),
        ("/{a}/{b}/{a}/{b}/{c}", r"duplicate parameter names 'a' and 'b';"),
        ("/{a}/{b}/{c}/{a}.{b}.{c}", r"duplicate parameter names 'a', 'b' and 'c';"),
        ("/{p:path}/x", r"path parameter 'p' must be the last part"),
        ("/{p:path}.x", r"path parameter 'p' must be the last part"),
        ("/{p:path}/{q}", r"path parameter 'p' must be the last part"),
        ("/{a}{b}", r"parameters 'a' and 'b' touch in segment '\{a\}\{b\}'; put literal text between them"),
        ("/x{a:int}{p:path}", r"parameters 'a' and 'p' touch"),
    ],
)
def test_parse_errors(source: str, message: str) -> None:
    with pytest.raises(RouteConfigError, match=message) as info:
        Template.parse(source, convertors=CONVERTORS)
    assert isinstance(info.value, FerruleError) and isinstance(info.value, ValueError)
    assert info.value.template == source
    assert repr(source) in str(info.value)


def test_parse_rejects_non_str_and_path_in_prefix() -> None:
    with pytest.raises(RouteConfigError, match="must be a str, got bytes"):
        Template.parse(b"/a")  # type: ignore[arg-type]
    with pytest.raises(RouteConfigError, match="mount prefix cannot hold the path parameter 'p'"):
        Template.parse("/static/{p:path}", prefix=True)
    with pytest.raises(RouteConfigError, match="must start with '/'"):
        Template.parse("api", prefix=True)


def test_parse_rejects_convertor_regexes_that_do_not_combine() -> None:
    grouped = convertor_from_regex("(?P<n>[0-9])")
    convertors = {**BUILTIN_CONVERTORS, "grouped": grouped}
    assert Template.parse("/{a:grouped}", convertors=convertors).param_names == ("a",)
    with pytest.raises(RouteConfigError, match="do not combine into one pattern"):
        Template.parse("/{a:grouped}-{b:grouped}", convertors=convertors)


# --- format -----------------------------------------------------------------------------

U = uuid.UUID("12345678-1234-5678-1234-567812345678")


@pytest.mark.parametrize(
    ("source", "params", "expected"),
    [
        ("/", {}, "/"),
        ("/a/", {}, "/a/"),
        ("/items/{id}", {"id": "x y"}, "/items/x y"),
        ("/items/{id}", {"id": 5}, "/items/5"),
        ("/items/{id:int}", {"id": 0}, "/items/0"),
        ("/f/{x:float}", {"x": 1.5}, "/f/1.5"),
        ("/f/{x:float}", {"x": 2}, "/f/2.0"),
        ("/f/{x:float}", {"x": 1e22}, "/f/10000000000000000000000"),
        ("/f/{x:float}", {"x": 1.5e-7}, "/f/0.00000015"),
        ("/u/{u:uuid}", {"u": U}, f"/u/{U}"),
        ("/u/{u:uuid}", {"u": str(U).upper()}, f"/u/{U}"),
        ("/files/{stem}.{ext}", {"stem": "a", "ext": "b"}, "/files/a.b"),
        ("/s/{p:path}", {"p": "a/b/c"}, "/s/a/b/c"),
        ("/s/{p:path}", {"p": ""}, "/s/"),
        ("/v{n:int}/x{p:path}", {"n": 2, "p": "/y"}, "/v2/x/y"),
        ("/x/{s:slug}", {"s": "a-b"}, "/x/a-b"),
    ],
)
def test_format(source: str, params: dict[str, Any], expected: str) -> None:
    assert Template.parse(source, convertors=CONVERTORS).format(**params) == expected


def test_format_prefix_template() -> None:
    assert Template.parse("/api/{v:int}/", prefix=True).format(v=1) == "/api/1"


@pytest.mark.parametrize(
    ("source", "params", "message", "param"),
    [
        ("/items/{id}", {}, r"from '/items/\{id\}': missing parameter 'id'$", "id"),
        ("/{a}/{b}/{c}", {"b": 1}, r"missing parameters 'a' and 'c'$", "a"),
        ("/items/{id}", {"id": 1, "x": 2}, r"unexpected parameter 'x' \(the template has 'id'\)", "x"),
        ("/items", {"x": 2, "y": 3}, r"unexpected parameters 'x' and 'y' \(the template has no parameters\)", "x"),
        ("/items/{id:int}", {"id": "7"}, r"parameter 'id' \(int\) cannot take '7': expected an int, got str", "id"),
        ("/items/{id:int}", {"id": True}, r"expected an int, got bool", "id"),
        ("/items/{id:int}", {"id": -1}, r"expected a non-negative int, got -1", "id"),
        ("/f/{x:float}", {"x": float("nan")}, r"expected a finite non-negative float", "x"),
        ("/f/{x:float}", {"x": -0.5}, r"expected a finite non-negative float", "x"),
        ("/f/{x:float}", {"x": 10**400}, r"too large for a float", "x"),
        ("/f/{x:float}", {"x": "1.5"}, r"expected a float, got str", "x"),
        ("/u/{u:uuid}", {"u": "nope"}, r"parameter 'u' \(uuid\) cannot take 'nope'", "u"),
        ("/u/{u:uuid}", {"u": 5}, r"expected a uuid.UUID, got int", "u"),
        ("/items/{id}", {"id": "a/b"}, r"cannot contain '/'", "id"),
        ("/items/{id}", {"id": ""}, r"cannot be empty", "id"),
        ("/x/{s:slug}", {"s": "A"}, r"'A' does not match the convertor's regex '\[a-z-\]\+'", "s"),
    ],
)
def test_format_errors(source: str, params: dict[str, Any], message: str, param: str) -> None:
    template = Template.parse(source, convertors=CONVERTORS)
    with pytest.raises(TemplateFormatError, match=message) as info:
        template.format(**params)
    assert isinstance(info.value, FerruleError) and isinstance(info.value, ValueError)
    assert info.value.template == source
    assert info.value.param == param


def test_format_checks_custom_to_string_output() -> None:
    slashing = convertor_from_functions(str, lambda v: f"{v}/x", regex=".+")
    not_text = convertor_from_functions(int, lambda v: v, regex="[0-9]+")  # type: ignore[arg-type,return-value]
    convertors = {**BUILTIN_CONVERTORS, "slashing": slashing, "not_text": not_text}
    with pytest.raises(TemplateFormatError, match=r"'a/x' contains '/', which only a path parameter may hold"):
        Template.parse("/{v:slashing}", convertors=convertors).format(v="a")
    with pytest.raises(TemplateFormatError, match=r"to_string\(\) returned int, not str"):
        Template.parse("/{v:not_text}", convertors=convertors).format(v=3)


def test_repr() -> None:
    assert repr(Template.parse("/a/{b}")) == "Template('/a/{b}')"
