"""Response side: compile_response and serialize_without_model, bodies pinned to FastAPI's.

Every expected body below is what fastapi 0.165.0 (pydantic 2.13.4) sent for
an endpoint returning the same value with the same options.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import pathlib
import uuid
from collections.abc import Iterator
from typing import Any, Optional, Union

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from ferrule.asgi_core.response import HTMLResponse, JSONResponse, Response
from ferrule.validation import (
    EndpointContext,
    ResponseConfigError,
    ResponseValidationError,
    compile_response,
    jsonable_encoder,
    serialize_without_model,
)


class User(BaseModel):
    name: str
    age: int = 0
    nick: Optional[str] = None
    tags: list[str] = Field(default_factory=list, alias="labels")


class UserIn(User):
    password: str


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    when: datetime.datetime


class ORM:
    def __init__(self) -> None:
        self.id = 1
        self.when = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        self.secret = "s"


@dataclasses.dataclass
class DC:
    x: int
    when: datetime.date


UTC_DT = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)


def dump(annotation: Any, value: Any, **options: Any) -> bytes:
    serializer = compile_response(annotation, **options)
    assert serializer is not None
    return serializer.to_json(value)


MODEL_CASES = [
    # (response model, returned value, options, FastAPI's body)
    (User, UserIn(name="a", password="secret", labels=["x"]), {}, b'{"name":"a","age":0,"nick":null,"labels":["x"]}'),
    (User, UserIn(name="a", password="secret"), {}, b'{"name":"a","age":0,"nick":null,"labels":[]}'),
    (User, {"name": "a", "password": "p", "labels": ["t"]}, {}, b'{"name":"a","age":0,"nick":null,"labels":["t"]}'),
    (User, User(name="a", nick=None), {"exclude_unset": True}, b'{"name":"a","nick":null}'),
    (User, User(name="a", age=0, nick="n"), {"exclude_defaults": True}, b'{"name":"a","nick":"n"}'),
    (User, User(name="a"), {"exclude_none": True}, b'{"name":"a","age":0,"labels":[]}'),
    (User, User(name="a", age=3), {"include": {"name"}}, b'{"name":"a"}'),
    (User, User(name="a", age=3), {"exclude": {"age"}}, b'{"name":"a","nick":null,"labels":[]}'),
    (User, User(name="a", labels=["q"]), {"by_alias": False}, b'{"name":"a","age":0,"nick":null,"tags":["q"]}'),
    (Out, ORM(), {}, b'{"id":1,"when":"2020-01-02T03:04:05Z"}'),
    (list[User], [{"name": "a"}, User(name="b")], {},
     b'[{"name":"a","age":0,"nick":null,"labels":[]},{"name":"b","age":0,"nick":null,"labels":[]}]'),
    (Any, {"d": UTC_DT, "dec": decimal.Decimal("1.50"), "td": datetime.timedelta(seconds=90)}, {},
     b'{"d":"2020-01-02T03:04:05Z","dec":"1.50","td":"PT1M30S"}'),
    (dict, {"d": UTC_DT}, {}, b'{"d":"2020-01-02T03:04:05Z"}'),
    (dict[str, float], {"x": float("nan")}, {}, b'{"x":null}'),
]


@pytest.mark.parametrize(("annotation", "value", "options", "expected"), MODEL_CASES)
def test_model_bodies_match_fastapi(annotation: Any, value: Any, options: dict[str, Any], expected: bytes) -> None:
    assert dump(annotation, value, **options) == expected


def test_secure_clone_never_leaks_subclass_fields() -> None:
    body = json.loads(dump(User, UserIn(name="a", password="secret")))
    assert "password" not in body
    serializer = compile_response(User)
    assert serializer is not None
    assert "password" not in serializer.to_python(UserIn(name="a", password="secret"))


def test_exact_instance_skips_validation() -> None:
    serializer = compile_response(User)
    assert serializer is not None
    # A constructed (unvalidated) instance is trusted as FastAPI trusts it: pydantic
    # returns instances of the exact type unchanged.
    sneaky = User.model_construct(name="a", age="not an int")
    calls: list[Any] = []
    original = serializer._validate

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    serializer._validate = counting
    assert serializer.to_json(User(name="b")) == b'{"name":"b","age":0,"nick":null,"labels":[]}'
    assert calls == []
    assert serializer.validate(sneaky) is sneaky


def test_revalidating_models_are_validated_even_when_exact() -> None:
    class Strict(BaseModel):
        model_config = ConfigDict(revalidate_instances="always")
        n: int

    serializer = compile_response(Strict)
    assert serializer is not None
    with pytest.raises(ResponseValidationError):
        serializer.to_json(Strict.model_construct(n="x"))


def test_response_validation_error_has_fastapis_errors_and_context() -> None:
    def bad() -> None: ...

    ctx = EndpointContext.from_callable(bad, "GET /bad")
    serializer = compile_response(User, endpoint_ctx=ctx)
    assert serializer is not None
    with pytest.raises(ResponseValidationError) as info:
        serializer.to_json({"age": "x"})
    assert info.value.errors() == [
        {"type": "missing", "loc": ("response", "name"), "msg": "Field required", "input": {"age": "x"}},
        {"type": "int_parsing", "loc": ("response", "age"), "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"},
    ]
    assert info.value.body == {"age": "x"}
    assert info.value.endpoint_ctx is ctx
    text = str(info.value)
    assert text.startswith("2 validation errors:\n  {'type': 'missing', 'loc': ('response', 'name')")
    assert text.endswith(f'\n\n  File "{ctx.file}", line {ctx.line}, in bad\n    GET /bad')


def test_list_item_errors_have_the_index() -> None:
    serializer = compile_response(list[User])
    assert serializer is not None
    with pytest.raises(ResponseValidationError) as info:
        serializer.to_json([{"name": "a"}, {"name": 1}])
    assert info.value.errors() == [
        {"type": "string_type", "loc": ("response", 1, "name"), "msg": "Input should be a valid string", "input": 1}
    ]


def test_to_python_for_stream_items() -> None:
    serializer = compile_response(User, exclude={"nick"})
    assert serializer is not None
    assert serializer.to_python({"name": "x", "labels": ["a"]}) == {"name": "x", "age": 0, "labels": ["a"]}
    with pytest.raises(ResponseValidationError):
        serializer.to_python({"name": None})


@pytest.mark.parametrize("annotation", [None, type(None), Response, JSONResponse, HTMLResponse])
def test_no_serializer_without_a_model(annotation: Any) -> None:
    assert compile_response(annotation) is None


def test_union_with_a_response_is_a_startup_error() -> None:
    with pytest.raises(ResponseConfigError, match="response_model=None"):
        compile_response(Union[Response, dict])


def test_json_schema_for_openapi() -> None:
    serializer = compile_response(User)
    assert serializer is not None and serializer.model is User
    assert serializer.json_schema()["properties"]["labels"]["type"] == "array"
    assert compile_response(list[User]).model is None  # type: ignore[union-attr]


# --- no model ----------------------------------------------------------------------


def gen() -> Iterator[int]:
    yield from (1, 2)


NO_MODEL = {
    "d": UTC_DT,
    "dec": decimal.Decimal("1.50"),
    "deci": decimal.Decimal("3"),
    "td": datetime.timedelta(seconds=90),
    "s": {1},
    "u": uuid.UUID(int=1),
    "p": pathlib.PurePosixPath("/a/b"),
    "dc": DC(1, datetime.date(2020, 1, 1)),
    "m": User(name="z"),
    "t": (1, 2),
    "b": b"hi",
    "e": "é",
    "n": None,
}
# FastAPI's body for NO_MODEL (json.dumps(jsonable_encoder(...)), compact, UTF-8).
NO_MODEL_FASTAPI = (
    '{"d":"2020-01-02T03:04:05+00:00","dec":1.5,"deci":3,"td":90.0,"s":[1],'
    '"u":"00000000-0000-0000-0000-000000000001","p":"/a/b","dc":{"x":1,"when":"2020-01-01"},'
    '"m":{"name":"z","age":0,"nick":null,"labels":[]},"t":[1,2],"b":"hi","e":"é","n":null}'
).encode()


def test_without_model_matches_fastapi() -> None:
    assert serialize_without_model(NO_MODEL) == NO_MODEL_FASTAPI


def test_without_model_small_exponents_are_the_same_json_number() -> None:
    # FastAPI writes 1e-07 (Python's repr); pydantic-core writes 1e-7.
    assert json.loads(serialize_without_model({"f": 1e-7})) == {"f": 1e-7}


def test_without_model_refuses_nan_like_fastapi() -> None:
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        serialize_without_model({"x": [float("nan")]})
    assert serialize_without_model({"s": "NaN Infinity"}) == b'{"s":"NaN Infinity"}'


def test_without_model_keys_generators_and_sqlalchemy_state() -> None:
    value = {1: "a", None: "b", False: "c", 1.5: "d", "_sa_state": 1, "g": gen()}
    assert serialize_without_model(value) == b'{"1":"a","null":"b","false":"c","1.5":"d","g":[1,2]}'


JSONABLE = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text() | st.dates() | st.datetimes() | st.decimals(allow_nan=False, allow_infinity=False, places=3)
    | st.uuids() | st.timedeltas(),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner) | st.frozensets(st.integers(), max_size=3)
    | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=15,
)


@settings(max_examples=100, deadline=None)
@given(JSONABLE)
def test_without_model_equals_jsonable_encoder_then_json(value: Any) -> None:
    expected = json.dumps(jsonable_encoder(value), ensure_ascii=False, allow_nan=False)
    assert json.loads(serialize_without_model(value)) == json.loads(expected)
