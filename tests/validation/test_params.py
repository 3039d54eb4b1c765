"""The markers: FastAPI's options, defaults and classes; no warnings for deprecated spellings."""

from __future__ import annotations

import inspect
import re
import warnings
from typing import Any

import pytest
from pydantic import Field

from ferrule.exceptions import FastAPIDeprecationWarning

from ferrule.validation import Body, Cookie, File, Form, Header, Path, Query, param_functions, params
from ferrule.validation.params import ParamTypes


def test_functions_return_the_marker_classes() -> None:
    assert type(Query()) is params.Query and Query().in_ is ParamTypes.query
    assert type(Path()) is params.Path and Path().in_ is ParamTypes.path
    assert type(Header()) is params.Header and Header().in_ is ParamTypes.header
    assert type(Cookie()) is params.Cookie and Cookie().in_ is ParamTypes.cookie
    assert type(Body()) is params.Body
    assert type(Form()) is params.Form and isinstance(Form(), params.Body)
    assert type(File()) is params.File and isinstance(File(), params.Form)


def test_defaults_and_required() -> None:
    assert Query().is_required() and Path().is_required() and Body().is_required()
    assert Query(3).default == 3 and not Query(3).is_required()
    assert Query(default_factory=list).get_default(call_default_factory=True) == []
    assert Query(None).default is None


def test_body_options() -> None:
    assert Body().embed is None and Body(embed=True).embed is True
    assert Body().media_type == "application/json"
    assert Form().media_type == "application/x-www-form-urlencoded" and Form().embed is None
    assert File().media_type == "multipart/form-data"
    assert Body(media_type="application/vnd.api+json").media_type == "application/vnd.api+json"


def test_header_convert_underscores() -> None:
    assert Header().convert_underscores is True
    assert Header(convert_underscores=False).convert_underscores is False


def test_field_options_reach_pydantic() -> None:
    marker = Query(
        1,
        alias="a",
        title="T",
        description="D",
        gt=0,
        ge=0,
        lt=10,
        le=10,
        multiple_of=1,
        examples=[1],
        deprecated=True,
        strict=True,
        json_schema_extra={"x": 1},
    )
    assert marker.alias == "a" and marker.validation_alias == "a" and marker.serialization_alias == "a"
    assert marker.title == "T" and marker.description == "D" and marker.examples == [1]
    assert marker.deprecated is True and marker.json_schema_extra == {"x": 1}
    assert {type(m).__name__ for m in marker.metadata} >= {"Gt", "Ge", "Lt", "Le", "MultipleOf", "Strict"}
    assert marker.field_kwargs["gt"] == 0 and "default" not in marker.field_kwargs


def test_openapi_only_options() -> None:
    with pytest.warns(FastAPIDeprecationWarning, match="`example` has been deprecated"):
        marker = Query(include_in_schema=False, openapi_examples={"one": {"value": 1}}, example=5)
    assert marker.include_in_schema is False
    assert marker.openapi_examples == {"one": {"value": 1}}
    assert marker.example == 5
    assert Query().include_in_schema is True


def test_deprecated_spellings_work_and_warn_as_in_fastapi() -> None:
    with pytest.warns(FastAPIDeprecationWarning) as record:
        marker = Query(regex="^a+$", example="aa")
    assert [str(w.message) for w in record] == [
        "`regex` has been deprecated, please use `pattern` instead",
        "`example` has been deprecated, please use `examples` instead",
    ]
    assert all(w.filename == __file__ for w in record)  # the user's line
    assert isinstance(record[0].message, UserWarning)  # FastAPI's base: shown by default
    assert marker.field_kwargs["pattern"] == "^a+$"
    assert any(getattr(m, "pattern", None) == "^a+$" for m in marker.metadata)
    with pytest.warns(FastAPIDeprecationWarning):
        assert Query(pattern="^b", regex="^a").field_kwargs["pattern"] == "^b"
    for marker_function in (Path, Header, Cookie, Body, Form, File):
        with pytest.warns(FastAPIDeprecationWarning, match="regex"):
            marker_function(regex="^x")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Query(pattern="^a", examples=["a"])  # the current spellings: silent


def test_length_and_pattern_options() -> None:
    marker = Query(min_length=1, max_length=3, pattern=re.compile("^x"))
    assert marker.field_kwargs["min_length"] == 1 and marker.field_kwargs["max_length"] == 3


@pytest.mark.parametrize("name", ["Path", "Query", "Header", "Cookie", "Body", "Form", "File"])
def test_function_signatures_take_fastapis_options(name: str) -> None:
    function = getattr(param_functions, name)
    signature = inspect.signature(function)
    assert "default" in signature.parameters
    options = set(params.FieldOptions.__annotations__)
    assert options >= {
        "default_factory", "alias", "alias_priority", "validation_alias", "serialization_alias", "title",
        "description", "gt", "ge", "lt", "le", "min_length", "max_length", "pattern", "regex", "discriminator",
        "strict", "multiple_of", "allow_inf_nan", "max_digits", "decimal_places", "examples", "openapi_examples",
        "deprecated", "include_in_schema", "json_schema_extra", "validate_default", "union_mode", "fail_fast",
    }
    extra: dict[str, Any] = {
        "Header": {"convert_underscores"},
        "Body": {"embed", "media_type"},
        "Form": {"media_type"},
        "File": {"media_type"},
    }
    assert set(signature.parameters) - {"default", "options"} == extra.get(name, set())


def test_markers_are_pydantic_field_infos() -> None:
    from pydantic.fields import FieldInfo

    assert isinstance(Query(), FieldInfo) and isinstance(Body(), FieldInfo)
    assert not isinstance(Field(), params.Param)
