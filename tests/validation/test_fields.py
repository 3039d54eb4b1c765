"""analyze_param: FastAPI's inference table and the startup errors for bad declarations."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import inspect
import uuid
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Optional, Union

import pytest
from pydantic import BaseModel, Field, Json

from ferrule.asgi_core.exceptions import FerruleError
from ferrule.validation import ParamConfigError, ParamLocation, UploadFile, analyze_param
from ferrule.validation.params import Body, Cookie, File, Form, Header, Path, Query

E = inspect.Parameter.empty


class Item(BaseModel):
    name: str


@dataclasses.dataclass
class DC:
    x: int


class Kind(enum.Enum):
    a = "a"


def analyze(name: str, annotation: Any, default: Any = E, path: str = "") -> Any:
    return analyze_param(name, annotation, default, path_param_names=frozenset(path.split()), owner="f (app.py:1)")


INFERENCE = [
    # (annotation, default, expected location, expected marker class)
    (int, E, ParamLocation.query, Query),
    (str, "x", ParamLocation.query, Query),
    (Optional[int], None, ParamLocation.query, Query),
    (Union[int, str], E, ParamLocation.query, Query),
    (bool, False, ParamLocation.query, Query),
    (float, E, ParamLocation.query, Query),
    (Kind, E, ParamLocation.query, Query),
    (Literal["a", "b"], E, ParamLocation.query, Query),
    (uuid.UUID, E, ParamLocation.query, Query),
    (datetime.datetime, E, ParamLocation.query, Query),
    (decimal.Decimal, E, ParamLocation.query, Query),
    (Annotated[int, Field(gt=1)], E, ParamLocation.query, Query),
    (Any, E, ParamLocation.query, Query),
    (Item, E, ParamLocation.body, Body),
    (Optional[Item], None, ParamLocation.body, Body),
    (DC, E, ParamLocation.body, Body),
    (dict[str, int], E, ParamLocation.body, Body),
    (list[Item], E, ParamLocation.body, Body),
    # COMPAT(fastapi): a bare list is a body; lists of query keys need Query().
    (list[int], E, ParamLocation.body, Body),
    (Sequence[str], E, ParamLocation.body, Body),
    (UploadFile, E, ParamLocation.body, File),
    (Optional[UploadFile], None, ParamLocation.body, File),
    (list[UploadFile], E, ParamLocation.body, File),
]


@pytest.mark.parametrize(("annotation", "default", "location", "marker"), INFERENCE)
def test_inference(annotation: Any, default: Any, location: ParamLocation, marker: type) -> None:
    field = analyze("p", annotation, default)
    assert field.location is location
    assert type(field.field_info) is marker
    assert field.alias == "p" and field.name == "p" and field.owner == "f (app.py:1)"
    assert field.required is (default is E)
    if default is not E:
        assert field.default == default


def test_name_in_the_path_template_is_a_path_param_even_with_a_default() -> None:
    field = analyze("item_id", int, 5, path="item_id")
    assert field.location is ParamLocation.path and isinstance(field.field_info, Path)
    assert field.required


def test_annotated_and_default_value_styles_are_equivalent() -> None:
    a = analyze("q", Annotated[int, Query(gt=1, alias="qq")], 3)
    b = analyze("q", int, Query(3, gt=1, alias="qq"))
    for field in (a, b):
        assert field.location is ParamLocation.query and field.alias == "qq"
        assert field.default == 3 and field.annotation is int
        assert field.field_info.metadata[0].gt == 1


def test_annotated_marker_is_copied_so_aliases_can_share_it() -> None:
    Shared = Annotated[str, Query(min_length=2)]
    first = analyze("a", Shared, "x1")
    second = analyze("b", Shared)
    assert first.default == "x1" and second.required
    assert first.field_info is not second.field_info


def test_other_annotated_metadata_is_kept() -> None:
    field = analyze("q", Annotated[int, Field(gt=1), Query()], 5)
    assert field.annotation.__metadata__[0].metadata[0].gt == 1
    assert not any(isinstance(meta, Query) for meta in field.annotation.__metadata__)


def test_headers_convert_underscores() -> None:
    assert analyze("x_token", Annotated[str, Header()]).alias == "x-token"
    assert analyze("x_token", Annotated[str, Header(convert_underscores=False)]).alias == "x_token"
    assert analyze("x_token", Annotated[str, Header(alias="X_Raw")]).alias == "X_Raw"
    assert analyze("x_token", Annotated[str, Cookie()]).alias == "x_token"


def test_validation_alias_is_the_request_key() -> None:
    assert analyze("q", Annotated[str, Query(alias="a", validation_alias="v")]).alias == "v"


def test_parameter_models() -> None:
    assert analyze("f", Annotated[Item, Query()]).param_model is Item
    assert analyze("f", Annotated[Optional[Item], Header()], None).param_model is Item
    assert analyze("f", Item).param_model is None  # a body
    assert analyze("f", Annotated[Json[Item], Query()]).param_model is None


def test_form_markers() -> None:
    field = analyze("name", Annotated[str, Form()])
    assert field.location is ParamLocation.body and field.is_form
    assert analyze("blob", Annotated[bytes, File()]).is_form


@pytest.mark.parametrize(
    ("name", "annotation", "default", "path", "message"),
    [
        ("q", Annotated[int, Query(3)], E, "", "default value cannot be set in `Annotated`"),
        ("q", Annotated[int, Query()], Query(3), "", "both in `Annotated` and as the default"),
        ("q", int, Field(3), "", "pydantic's Field\\(\\) cannot declare a request parameter"),
        ("item_id", int, Query(), "item_id", "it cannot use `Query\\(\\)`"),
        ("item_id", Annotated[int, Path()], 3, "item_id", "path parameters cannot have a default"),
        ("other", Annotated[int, Path()], E, "item_id", "the path template has no \\{other\\}"),
        ("item_id", Annotated[Item, Path()], E, "item_id", "path parameters must be scalars"),
        ("q", Annotated[dict[str, int], Query()], E, "", "query parameters must be scalars"),
        ("q", Annotated[list[Item], Query()], E, "", "query parameters must be scalars"),
        ("q", Annotated[str, Query(validation_alias=__import__("pydantic").AliasChoices("a", "b"))], E, "",
         "validation_alias=.* is not supported"),
    ],
)
def test_bad_declarations_are_startup_errors(name: str, annotation: Any, default: Any, path: str, message: str) -> None:
    with pytest.raises(ParamConfigError, match=message) as info:
        analyze(name, annotation, default, path=path)
    assert isinstance(info.value, FerruleError) and isinstance(info.value, ValueError)
    assert f"parameter {name!r} of f (app.py:1)" in str(info.value)


def test_path_marker_with_a_default_is_refused_at_declaration() -> None:
    with pytest.raises(ParamConfigError, match="cannot have a default"):
        Path(3)


def test_unsupported_type_is_a_startup_error_naming_the_parameter() -> None:
    from ferrule.validation import RequestConfig, compile_request

    class Opaque:
        pass

    field = analyze("thing", Annotated[Opaque, Query()])
    with pytest.raises(ParamConfigError, match="parameter 'thing' of f \\(app.py:1\\): pydantic cannot validate this type"):
        compile_request([field], config=RequestConfig(), endpoint_ctx=None)
