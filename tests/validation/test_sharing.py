"""Validators shared between endpoints (a startup-time cache): shared only when
the two endpoints surely validate identically, never when they could differ."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, TypeAdapter
from validation_helpers import compile_endpoint, make_request

from ferrule.validation import Query, RequestValidationError
from ferrule.validation.serialize import compile_response

pytestmark = pytest.mark.anyio


def _query_groups(*endpoints: Any) -> list[Any]:
    return [compile_endpoint(endpoint)._locations[0].group for endpoint in endpoints]


def test_identical_parameter_groups_share_one_validator() -> None:
    def first(limit: int = 10) -> None: ...

    def second(limit: int = 10) -> None: ...

    a, b = _query_groups(first, second)
    assert a is b


@pytest.mark.parametrize(
    ("first_default", "second_default"), [(1, True), (1, 1.0), (0, False), (None, "None")]
)
def test_equal_but_differently_typed_defaults_are_not_shared(first_default: Any, second_default: Any) -> None:
    def first(flag: Any = first_default) -> None: ...

    def second(flag: Any = second_default) -> None: ...

    first.__annotations__["flag"] = int
    second.__annotations__["flag"] = int
    a, b = _query_groups(first, second)
    assert a is not b


async def test_equal_defaults_of_another_type_come_back_as_declared() -> None:
    def whole(n: float = 1) -> Any: ...

    def fractional(n: float = 1.0) -> Any: ...

    request = make_request(method="GET")
    values = [(await compile_endpoint(endpoint).validate(request))[0] for endpoint in (whole, fractional)]
    assert [(type(value), value) for value in values] == [(int, 1), (float, 1.0)]


def test_generic_and_mutable_parts_are_never_shared() -> None:
    def first(tags: Annotated[list[str], Query()] = []) -> None: ...  # noqa: B006

    def second(tags: Annotated[list[str], Query()] = []) -> None: ...  # noqa: B006

    a, b = _query_groups(first, second)
    assert a is not b


class Item(BaseModel):
    name: str


def test_response_adapters_are_shared_for_plain_types_only() -> None:
    assert compile_response(dict[str, Any]).type_adapter is compile_response(dict[str, Any]).type_adapter  # type: ignore[union-attr]
    assert compile_response(list[Item]).type_adapter is compile_response(list[Item]).type_adapter  # type: ignore[union-attr]
    # Literal[1] == Literal[True] for typing, yet they validate differently.
    one = compile_response(Literal[1])
    true = compile_response(Literal[True])
    assert one is not None and true is not None and one.type_adapter is not true.type_adapter
    # Each has its own schema, pydantic's for that literal (pydantic < 2.10 adds
    # `enum: [1]` beside `const`, so the expectation is pydantic's own output).
    assert one.json_schema() == TypeAdapter(Literal[1]).json_schema()
    assert true.json_schema() == TypeAdapter(Literal[True]).json_schema()
    assert (one.json_schema()["const"], one.json_schema()["type"]) == (1, "integer")
    assert (true.json_schema()["const"], true.json_schema()["type"]) == (True, "boolean")
    # A string annotation means whatever its module says: never shared.
    assert compile_response("int").type_adapter is not compile_response("int").type_adapter  # type: ignore[union-attr]


class Payload(BaseModel):
    name: str


def test_endpoints_with_the_same_whole_body_share_its_validator() -> None:
    def first(item: Payload) -> None: ...

    def second(item: Payload) -> None: ...

    a, b = (compile_endpoint(endpoint)._body for endpoint in (first, second))
    assert a is not None and b is not None
    assert a.group is b.group
    assert a._present is not None and a._present is b._present  # built once per group
