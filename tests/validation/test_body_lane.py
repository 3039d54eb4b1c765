"""The whole-body lane (one body parameter, not embedded) validates a present
body with the field's own schema: it must agree with the group validator it
replaces on every input, values and errors alike."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Annotated, Any, Literal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError

from ferrule.validation._models import GroupField, build_group, field_name, present_value_validator
from ferrule.validation.params import Undefined

KEY = "\x00body"


class Variant(BaseModel):
    sku: str
    size: int = Field(ge=0)


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []
    variants: list[Variant] = []


class Tree(BaseModel):
    value: int
    children: list[Tree] = []


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


# (annotation, Field options, default): the body declarations compared.
DECLARATIONS: list[tuple[Any, dict[str, Any], Any]] = [
    (Item, {}, Undefined),
    (Item | None, {}, None),
    (Tree, {}, Undefined),  # recursive: the schema comes with definitions
    (list[Item], {"max_length": 3}, Undefined),
    (list[int], {"min_length": 1}, [1]),
    (int, {"gt": 0, "le": 100}, 5),
    (str, {"pattern": "^[a-z]+$", "max_length": 8}, Undefined),
    (dict[str, float], {}, Undefined),
    (Annotated[Cat | Dog, Field(discriminator="kind")], {}, Undefined),
    (decimal.Decimal, {"max_digits": 5, "decimal_places": 2}, Undefined),
    (datetime.date, {}, Undefined),
    (uuid.UUID, {}, Undefined),
    (bool, {"strict": True}, Undefined),
    (Any, {}, Undefined),
]

json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
# Inputs shaped like the declarations, so that the success paths are compared too.
variants = st.fixed_dictionaries({"sku": json_scalars, "size": st.integers(-2, 5) | json_scalars})
items = st.fixed_dictionaries(
    {"name": json_scalars, "price": json_scalars},
    optional={"tags": st.lists(json_scalars, max_size=3), "variants": st.lists(variants, max_size=3)},
)
trees = st.recursive(
    st.fixed_dictionaries({"value": st.integers(-3, 3) | json_scalars}),
    lambda children: st.fixed_dictionaries({"value": st.integers(), "children": st.lists(children, max_size=3)}),
    max_leaves=8,
)
pets = st.fixed_dictionaries({"kind": st.sampled_from(["cat", "dog", "cow"]), "lives": json_values, "good": json_values})
strings = st.sampled_from(["2024-02-29", "2023-02-29", "12.345", "12.34", "abc", "ABC", "0" * 40, str(uuid.UUID(int=7))])
shaped = items | st.lists(items, max_size=5) | trees | pets | strings | st.lists(st.integers(-5, 5), max_size=3)


def _pair(index: int) -> tuple[Any, Any]:
    annotation, options, default = DECLARATIONS[index]
    group = build_group(
        f"lane{index}_body", [GroupField(KEY, annotation, dict(options), default, None, "body parameter 'x' of f")]
    )
    present = present_value_validator(group)
    assert present is not None, "the lane must cover this declaration"
    return group, present


PAIRS = [_pair(index) for index in range(len(DECLARATIONS))]


def _outcome_of_group(group: Any, value: Any) -> tuple[str, Any]:
    try:
        result = group.validate({KEY: value})[0][field_name(0)]
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        for error in errors:
            assert error["loc"][0] == KEY
            error["loc"] = error["loc"][1:]
        return "errors", errors
    return "value", (type(result), repr(result))


def _outcome_of_lane(present: Any, value: Any) -> tuple[str, Any]:
    try:
        result = present(value)
    except ValidationError as exc:
        return "errors", exc.errors(include_url=False)
    # repr: a text such as "nan" validates to a float or Decimal NaN on both sides, and NaN != NaN.
    return "value", (type(result), repr(result))


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, len(DECLARATIONS) - 1), value=json_values | shaped)
@example(index=0, value={"name": "x", "price": "nan"})  # lax float: the text "nan" is a NaN on both sides
@example(index=7, value={"value": "nan"})
def test_the_lane_agrees_with_the_group_validator(index: int, value: Any) -> None:
    group, present = PAIRS[index]
    assert _outcome_of_lane(present, value) == _outcome_of_group(group, value)


def test_the_default_is_not_applied_to_a_present_value() -> None:
    # The default acts only when the body is absent; a present null is validated.
    group, present = PAIRS[DECLARATIONS.index((int, {"gt": 0, "le": 100}, 5))]
    with pytest.raises(ValidationError) as info:
        present(None)
    assert info.value.errors(include_url=False)[0]["type"] == "int_type"
    assert _outcome_of_group(group, None)[0] == "errors"


def test_models_come_back_as_instances_and_attributes_are_read() -> None:
    _, present = PAIRS[0]

    class Row:  # from_attributes, as FastAPI validates every field
        name = "w"
        price = 1.5
        tags: list[str] = []
        variants: list[Variant] = []

    item = present(Row())
    assert type(item) is Item and item.price == 1.5
