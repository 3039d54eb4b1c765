"""jsonable_encoder: outputs pinned to FastAPI's (captured from fastapi 0.165 with pydantic 2.13.4)."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import decimal
import enum
import ipaddress
import json
import pathlib
import re
import uuid
from collections.abc import Iterator
from typing import Any, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AnyUrl, BaseModel, Field, SecretStr, TypeAdapter

from ferrule.validation import jsonable_encoder


class Color(enum.Enum):
    red = "r"
    tup = (1, 2)


class N(enum.IntEnum):
    one = 1


class Sub(BaseModel):
    a: int = 1
    b: Optional[str] = None


class M(BaseModel):
    name: str
    when: datetime.datetime
    sub: Sub = Sub()
    alias_f: int = Field(0, alias="aliasF")
    none_f: Optional[int] = None


@dataclasses.dataclass
class DC:
    x: int
    d: datetime.date
    tags: list[Any] = dataclasses.field(default_factory=list)


class Obj:
    def __init__(self) -> None:
        self.a = 1
        self._sa_instance_state = "x"
        self.when = datetime.time(1, 2)


def gen() -> Iterator[Any]:
    yield 1
    yield decimal.Decimal("2.5")


def encode_all() -> dict[str, Any]:
    m = M(name="n", when=datetime.datetime(2021, 5, 6, 7, 8, 9, 123456), aliasF=5)
    cases: dict[str, Any] = {

        "scalars": [1, 1.5, "s", None, True],
        "datetime_utc": datetime.datetime(2020,1,2,3,4,5, tzinfo=datetime.timezone.utc),
        "datetime_naive_us": datetime.datetime(2020,1,2,3,4,5,600),
        "date": datetime.date(2020,1,2),
        "time": datetime.time(10, 20, 30),
        "timedelta": datetime.timedelta(days=1, seconds=1, microseconds=5),
        "decimals": [decimal.Decimal("1.50"), decimal.Decimal("3"), decimal.Decimal("1E+2"), decimal.Decimal("-0.001")],
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "enum": [Color.red, Color.tup, N.one],
        "path": pathlib.PurePosixPath("/a/b"),
        "set_frozenset": [{3}, frozenset({4})],
        "deque_tuple": [collections.deque([1, 2]), (3, 4)],
        "generator": gen(),
        "bytes": b"bytes",
        "pattern": re.compile("^a+$"),
        "ip": [ipaddress.IPv4Address("10.0.0.1"), ipaddress.IPv6Network("::/64")],
        "secret": SecretStr("hunter2"),
        "url": TypeAdapter(AnyUrl).validate_python("https://example.com/x"),
        "model": m,
        "model_list": [Sub(a=2), Sub()],
        "dataclass": DC(1, datetime.date(2020, 1, 1), [datetime.time(1)]),
        "object_vars": Obj(),
        "dict_keys": {1: "a", Color.red: "b", "_sa_x": 1, "k": None, datetime.date(2020,1,1): 2},
        "nested": {"a": [{"b": {1, 2}}, (datetime.date(2000,1,1),)]},
    }
    out = {k: jsonable_encoder(v) for k, v in cases.items()}
    out["model_exclude_unset"] = jsonable_encoder(m, exclude_unset=True)
    out["model_exclude_none"] = jsonable_encoder(m, exclude_none=True)
    out["model_by_alias_false"] = jsonable_encoder(m, by_alias=False)
    out["model_include"] = jsonable_encoder(m, include={"name", "sub"})
    out["model_exclude_defaults"] = jsonable_encoder(Sub(a=1, b="x"), exclude_defaults=True)
    out["dict_include_exclude"] = jsonable_encoder({"a": 1, "b": 2, "c": 3}, include=["a", "b"], exclude={"b"})  # type: ignore[arg-type]
    out["dict_exclude_none"] = jsonable_encoder({"a": None, "b": {"c": None}}, exclude_none=True)
    out["list_include"] = jsonable_encoder([{"a": 1, "b": 2}], include={"a"})
    out["custom"] = jsonable_encoder({"d": datetime.date(2020,1,1), "dt": datetime.datetime(2020,1,1)}, custom_encoder={datetime.date: lambda d: "DATE"})
    out["custom_exact"] = jsonable_encoder({"dt": datetime.datetime(2020,1,1)}, custom_encoder={datetime.date: lambda d: "DATE", datetime.datetime: lambda d: "DT"})
    out["sqlalchemy_unsafe"] = jsonable_encoder({"_sa_x": 1}, sqlalchemy_safe=False)
    out["dataclass_exclude_none"] = jsonable_encoder(DC(1, datetime.date(2020,1,1), [None]), exclude_none=True)
    return out


# fmt: off
EXPECTED = {'scalars': [1, 1.5, 's', None, True], 'datetime_utc': '2020-01-02T03:04:05+00:00', 'datetime_naive_us': '2020-01-02T03:04:05.000600', 'date': '2020-01-02', 'time': '10:20:30', 'timedelta': 86401.000005, 'decimals': [1.5, 3, 100, -0.001], 'uuid': '12345678-1234-5678-1234-567812345678', 'enum': ['r', (1, 2), 1], 'path': '/a/b', 'set_frozenset': [[3], [4]], 'deque_tuple': [[1, 2], [3, 4]], 'generator': [1, 2.5], 'bytes': 'bytes', 'pattern': '^a+$', 'ip': ['10.0.0.1', '::/64'], 'secret': '**********', 'url': 'https://example.com/x', 'model': {'name': 'n', 'when': '2021-05-06T07:08:09.123456', 'sub': {'a': 1, 'b': None}, 'aliasF': 5, 'none_f': None}, 'model_list': [{'a': 2, 'b': None}, {'a': 1, 'b': None}], 'dataclass': {'x': 1, 'd': '2020-01-01', 'tags': ['01:00:00']}, 'object_vars': {'a': 1, 'when': '01:02:00'}, 'dict_keys': {1: 'a', 'r': 'b', 'k': None, '2020-01-01': 2}, 'nested': {'a': [{'b': [1, 2]}, ['2000-01-01']]}, 'model_exclude_unset': {'name': 'n', 'when': '2021-05-06T07:08:09.123456', 'aliasF': 5}, 'model_exclude_none': {'name': 'n', 'when': '2021-05-06T07:08:09.123456', 'sub': {'a': 1}, 'aliasF': 5}, 'model_by_alias_false': {'name': 'n', 'when': '2021-05-06T07:08:09.123456', 'sub': {'a': 1, 'b': None}, 'alias_f': 5, 'none_f': None}, 'model_include': {'name': 'n', 'sub': {'a': 1, 'b': None}}, 'model_exclude_defaults': {'b': 'x'}, 'dict_include_exclude': {'a': 1}, 'dict_exclude_none': {'b': {}}, 'list_include': [{'a': 1}], 'custom': {'d': 'DATE', 'dt': 'DATE'}, 'custom_exact': {'dt': 'DT'}, 'sqlalchemy_unsafe': {'_sa_x': 1}, 'dataclass_exclude_none': {'x': 1, 'd': '2020-01-01', 'tags': [None]}, 'error': '[TypeError("\'object\' object is not iterable"), TypeError(\'vars() argument must have __dict__ attribute\')]'}
# fmt: on


def test_outputs_match_fastapi() -> None:
    got = encode_all()
    expected = dict(EXPECTED)
    expected.pop("error")
    for key, value in expected.items():
        assert got[key] == value, key
        # Same types too (e.g. Decimal("3") -> int 3, Enum tuple value stays a tuple).
        assert repr(got[key]) == repr(value), key


def test_unknown_object_is_value_error_listing_both_failures() -> None:
    with pytest.raises(ValueError) as info:
        jsonable_encoder(object())
    assert str(info.value) == EXPECTED["error"]


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ({"a": [1, 2.5, True, None, "x"]}, True),
        ((1, "é"), True),
        ({"a": float("nan")}, False),
        ([float("inf")], False),
        ({1: "int key"}, False),
        ({"_sa_instance_state": 1}, False),
        ("\ud800", False),
        ({"when": __import__("datetime").date(2020, 1, 1)}, False),
    ],
)
def test_is_plain_json_only_accepts_what_jsonable_encoder_leaves_alone(value: object, plain: bool) -> None:
    from ferrule.validation.encoders import is_plain_json

    assert is_plain_json(value) is plain
    if plain:
        assert jsonable_encoder(value) == (list(value) if isinstance(value, tuple) else value)


_JSON_DATA = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_JSON_DATA)
def test_json_sendable_agrees_with_what_json_can_encode(value: Any) -> None:
    """The one walker the body decoder and the no-model serializer share, against
    the stdlib: strict JSON (no NaN/Infinity) that UTF-8 can encode."""
    from ferrule.validation.encoders import json_sendable

    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
        expected = True
    except (ValueError, UnicodeEncodeError):
        expected = False
    assert json_sendable(value) is expected
    # Without the string check only non-finite floats count.
    try:
        json.dumps(value, allow_nan=False)
        finite = True
    except ValueError:
        finite = False
    assert json_sendable(value, check_strings=False) is finite


def test_json_sendable_walks_deep_data_without_recursion() -> None:
    from ferrule.validation.encoders import json_sendable

    deep: Any = [1.0]
    for _ in range(100_000):
        deep = [deep]
    assert json_sendable(deep)
    assert not json_sendable({"a": [deep, {"\ud800": 1}]})
    assert json_sendable({"a": [deep, {"\ud800": 1}]}, check_strings=False)
