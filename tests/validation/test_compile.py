"""compile_request: values, defaults, parameter models, one validation per location, WebSocket variant.

Expected outputs marked "FastAPI:" were captured from fastapi 0.165.0 (pydantic 2.13.4).
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Annotated, Any, Literal, Optional, Union

import pytest
from pydantic import BaseModel, ConfigDict, Field, conint
from validation_helpers import (
    JSON,
    TESTCLIENT_HEADERS,
    compile_endpoint,
    make_request,
    make_websocket_conn,
    rendered_422,
    values_of,
)

from ferrule.validation import (
    Body,
    Cookie,
    EndpointContext,
    Header,
    Path,
    Query,
    RequestConfig,
    RequestValidationError,
    WebSocketRequestValidationError,
    analyze_param,
    compile_request,
)

pytestmark = pytest.mark.anyio


class Kind(enum.Enum):
    a = "a"
    b = "b"


class FilterParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = 10


class Loose(BaseModel):
    a: int = 1
    b: list[int] = []


class HP(BaseModel):
    x_token: str


class Item(BaseModel):
    name: str


async def test_scalar_types_from_strings() -> None:
    def endpoint(
        u: uuid.UUID,
        d: datetime.date,
        t: datetime.time,
        dt: datetime.datetime,
        dec: decimal.Decimal,
        k: Kind,
        lit: Literal["x", "y"],
        opt: Optional[int] = None,
        un: Union[int, str] = 0,
        small: conint(ge=0, le=3) = 0,  # type: ignore[valid-type]
        flag: bool = False,
    ) -> None: ...

    query = (
        b"u=12345678-1234-5678-1234-567812345678&d=2020-01-02&t=10:20&dt=2020-01-02T03:04:05Z"
        b"&dec=1.50&k=b&lit=y&un=abc&small=3&flag=yes"
    )
    values = await values_of(endpoint, make_request(query=query))
    assert values == {
        "u": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "d": datetime.date(2020, 1, 2),
        "t": datetime.time(10, 20),
        "dt": datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        "dec": decimal.Decimal("1.50"),
        "k": Kind.b,
        "lit": "y",
        "opt": None,
        "un": "abc",
        "small": 3,
        "flag": True,
    }


async def test_lists_from_repeated_query_keys_and_headers() -> None:
    def endpoint(
        ids: Annotated[list[int], Query()],
        tags: Annotated[set[str], Query()] = set(),  # noqa: B006
        x_num: Annotated[list[int], Header()] = [],  # noqa: B006
        one: Annotated[str, Header()] = "",
    ) -> None: ...

    request = make_request(
        query=b"ids=3&ids=1&ids=3&tags=a&tags=a",
        headers=[(b"x-num", b"1"), (b"one", b"first"), (b"x-num", b"2"), (b"one", b"second")],
    )
    values = await values_of(endpoint, request)
    # Repeated scalar header: the FIRST value (Starlette's Headers.get).
    assert values == {"ids": [3, 1, 3], "tags": {"a"}, "x_num": [1, 2], "one": "first"}


async def test_defaults_default_factory_and_validate_default() -> None:
    def endpoint(
        a: Annotated[list[int], Query(default_factory=lambda: [1, 2])],
        b: Optional[list[str]] = Query(None),
        c: Annotated[int, Query(validate_default=True, ge=5)] = 1,
    ) -> None: ...

    # FastAPI: GET /defaults -> 422 with the default's input, GET ?a=7&b=x&c=9 -> values.
    assert await rendered_422(endpoint, make_request()) == {
        "detail": [
            {"type": "greater_than_equal", "loc": ["query", "c"], "msg": "Input should be greater than or equal to 5", "input": 1, "ctx": {"ge": 5}},
        ]
    }
    assert await values_of(endpoint, make_request(query=b"a=7&b=x&c=9")) == {"a": [7], "b": ["x"], "c": 9}


async def test_default_list_is_not_shared_between_requests() -> None:
    def endpoint(ids: Annotated[list[int], Query()] = []) -> None: ...  # noqa: B006

    first = (await values_of(endpoint, make_request()))["ids"]
    first.append(1)
    assert (await values_of(endpoint, make_request()))["ids"] == []


async def test_optional_list_query() -> None:
    def endpoint(ids: Annotated[Optional[list[int]], Query()] = None) -> None: ...

    assert await values_of(endpoint, make_request()) == {"ids": None}
    assert await values_of(endpoint, make_request(query=b"ids=1&ids=2")) == {"ids": [1, 2]}


async def test_aliases_in_values_and_errors() -> None:
    def endpoint(x: Annotated[str, Header()], y_alias: Annotated[int, Header(alias="X-Custom")]) -> None: ...

    # FastAPI: the header alias (as declared) is the loc.
    request = make_request(headers=[(b"x", b"first"), (b"x", b"second"), (b"x-custom", b"nope")])
    assert await rendered_422(endpoint, request) == {
        "detail": [
            {"type": "int_parsing", "loc": ["header", "X-Custom"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "nope"},
        ]
    }
    assert await values_of(endpoint, make_request(headers=[(b"x", b"v"), (b"X-CUSTOM".lower(), b"5")])) == {"x": "v", "y_alias": 5}


async def test_errors_follow_parameter_order_within_a_location() -> None:
    def endpoint(b: int, a: int, c: Annotated[int, Header()]) -> None: ...

    assert await rendered_422(endpoint, make_request(query=b"a=x&b=y")) == {
        "detail": [
            {"type": "int_parsing", "loc": ["query", "b"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "y"},
            {"type": "int_parsing", "loc": ["query", "a"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"},
            {"type": "missing", "loc": ["header", "c"], "msg": "Field required", "input": None},
        ]
    }


async def test_query_model_forbids_the_other_query_parameters() -> None:
    def endpoint(q: str, f: Annotated[FilterParams, Query()]) -> None: ...

    # FastAPI passes every other query key to the model as an extra.
    assert await rendered_422(endpoint, make_request(query=b"q=x&limit=3")) == {
        "detail": [{"type": "extra_forbidden", "loc": ["query", "q"], "msg": "Extra inputs are not permitted", "input": "x"}]
    }


async def test_optional_query_model() -> None:
    def endpoint(f: Annotated[Optional[Loose], Query()] = None) -> None: ...

    assert await values_of(endpoint, make_request()) == {"f": None}
    assert await values_of(endpoint, make_request(query=b"a=5&b=1&b=2")) == {"f": Loose(a=5, b=[1, 2])}
    assert await rendered_422(endpoint, make_request(query=b"a=x")) == {
        "detail": [{"type": "int_parsing", "loc": ["query", "a"], "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"}]
    }


async def test_header_model_without_convert_underscores() -> None:
    def endpoint(h: Annotated[HP, Header(convert_underscores=False)]) -> None: ...

    assert await values_of(endpoint, make_request(headers=[(b"x_token", b"t")])) == {"h": HP(x_token="t")}
    # FastAPI: the missing error's input lists every header (gathered only after the failure).
    request = make_request(headers=[*TESTCLIENT_HEADERS, (b"x-token", b"t")])
    assert await rendered_422(endpoint, request) == {
        "detail": [
            {
                "type": "missing",
                "loc": ["header", "x_token"],
                "msg": "Field required",
                "input": {"host": "testserver", "accept": "*/*", "accept-encoding": "gzip, deflate", "connection": "keep-alive", "user-agent": "testclient", "x-token": "t"},
            },
        ]
    }


async def test_path_and_cookie_values() -> None:
    def endpoint(item_id: int, kind: Kind, session: Annotated[str, Cookie()], n: Annotated[int, Cookie()] = 7) -> None: ...

    request = make_request(path_params={"item_id": "42", "kind": "a"}, headers=[(b"cookie", b"session=abc")])
    values = await values_of(endpoint, request, "/items/{item_id}/{kind}")
    assert values == {"item_id": 42, "kind": Kind.a, "session": "abc", "n": 7}


async def test_path_params_already_converted_by_routing() -> None:
    def endpoint(item_id: Annotated[int, Path(ge=1)]) -> None: ...

    assert await values_of(endpoint, make_request(path_params={"item_id": 5}), "/{item_id:int}") == {"item_id": 5}


async def test_values_are_aligned_with_fields_even_with_shared_aliases() -> None:
    # Two parameters (say, of an endpoint and of its dependency) read the same key.
    fields = [
        analyze_param("q", int, 0, path_param_names=frozenset(), owner="dep"),
        analyze_param("x", Annotated[str, Header()], "", path_param_names=frozenset(), owner="endpoint"),
        analyze_param("q", str, "", path_param_names=frozenset(), owner="endpoint"),
        analyze_param("q", Annotated[list[str], Query()], [], path_param_names=frozenset(), owner="other"),
    ]
    validator = compile_request(fields, config=RequestConfig(), endpoint_ctx=None)
    values = await validator.validate(make_request(query=b"q=1&q=2", headers=[(b"x", b"h")]))
    assert values == [2, "h", "2", ["1", "2"]]
    with pytest.raises(RequestValidationError) as info:
        await validator.validate(make_request(query=b"q=a"))
    assert info.value.errors() == [
        {"type": "int_parsing", "loc": ("query", "q"), "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "a"}
    ]


async def test_one_pydantic_validation_per_location_and_one_for_the_body() -> None:
    def endpoint(
        a: int,
        b: str,
        c: float,
        h1: Annotated[str, Header()],
        h2: Annotated[str, Header()],
        k: Annotated[str, Cookie()],
        item: Item,
        n: Annotated[int, Body()],
    ) -> None: ...

    validator = compile_endpoint(endpoint)
    calls: list[str] = []
    groups = [(location.location.value, location.group) for location in validator._locations]
    assert validator._body is not None
    groups.append(("body", validator._body.group))
    for name, group in groups:
        original = group.validate

        def counting(data: Any, _name: str = name, _original: Any = original) -> Any:
            calls.append(_name)
            return _original(data)

        group.validate = counting
    request = make_request(
        query=b"a=1&b=x&c=1.5",
        headers=[(b"h1", b"1"), (b"h2", b"2"), (b"cookie", b"k=v"), *JSON],
        body=b'{"item": {"name": "i"}, "n": 3}',
    )
    values = await validator.validate(request)
    assert values == [1, "x", 1.5, "1", "2", "v", Item(name="i"), 3]
    assert calls == ["query", "header", "cookie", "body"]


async def test_body_is_read_once_and_kept_on_the_request() -> None:
    def endpoint(item: Item) -> None: ...

    request = make_request(headers=JSON, body=[b'{"na', b'me": "x"}'])
    values = await values_of(endpoint, request)
    assert values == {"item": Item(name="x")}
    assert len(request.scope["test.receive_calls"]) == 2
    assert await request.body() == b'{"name": "x"}'
    assert len(request.scope["test.receive_calls"]) == 2


async def test_errors_of_all_locations_are_collected_with_the_body() -> None:
    def endpoint(q: int, item: Item) -> None: ...

    validator = compile_endpoint(endpoint)
    with pytest.raises(RequestValidationError) as info:
        await validator.validate(make_request(query=b"q=x", headers=JSON, body=b'{"name": 1}'))
    assert [error["loc"] for error in info.value.errors()] == [("query", "q"), ("body", "name")]
    assert info.value.body == {"name": 1}
    assert info.value.endpoint_ctx is not None and info.value.endpoint_ctx.function == "endpoint"


async def test_websocket_connections_validate_and_raise_their_own_error() -> None:
    def endpoint(room: str, token: Annotated[str, Query()], x_client: Annotated[int, Header()] = 0) -> None: ...

    validator = compile_endpoint(endpoint, "/ws/{room}")
    conn = make_websocket_conn(query=b"token=t", headers=[(b"x-client", b"3")], path_params={"room": "r1"})
    assert await validator.validate(conn) == ["r1", "t", 3]
    with pytest.raises(WebSocketRequestValidationError) as info:
        await validator.validate(make_websocket_conn(path_params={"room": "r1"}, headers=[(b"x-client", b"no")]))
    assert info.value.errors() == [
        {"type": "missing", "loc": ("query", "token"), "msg": "Field required", "input": None},
        {"type": "int_parsing", "loc": ("header", "x-client"), "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "no"},
    ]


async def test_endpoint_without_parameters_validates_to_empty_list() -> None:
    validator = compile_request([], config=RequestConfig(), endpoint_ctx=EndpointContext("f"))
    assert await validator.validate(make_request()) == []
    assert validator.needs_body is False and validator.body_media_type is None


async def test_constrained_field_from_pydantic_field_in_annotated() -> None:
    def endpoint(n: Annotated[int, Field(gt=2)] = 5) -> None: ...

    assert await values_of(endpoint, make_request()) == {"n": 5}
    body = await rendered_422(endpoint, make_request(query=b"n=1"))
    assert body["detail"] == [
        {"type": "greater_than", "loc": ["query", "n"], "msg": "Input should be greater than 2", "input": "1", "ctx": {"gt": 2}}
    ]


def test_validate_params_is_the_sync_path_for_bodyless_endpoints() -> None:
    def endpoint(q: int, h: Annotated[str, Header()] = "d") -> None: ...

    validator = compile_endpoint(endpoint)
    assert validator.validate_params(make_request(query=b"q=3")) == [3, "d"]
    with pytest.raises(RequestValidationError):
        validator.validate_params(make_request(query=b"q=x"))

    def with_body(item: Item) -> None: ...

    with pytest.raises(RuntimeError, match="reads a body"):
        compile_endpoint(with_body).validate_params(make_request())


def test_fields_of_one_location_need_not_be_contiguous() -> None:
    from ferrule.validation._locations import contiguous

    assert contiguous((0, 1, 2)) == slice(0, 3)
    assert contiguous((2, 3)) == slice(2, 4)
    assert contiguous((0, 2)) is None and contiguous(()) is None

    def endpoint(a: int, h: Annotated[int, Header()], b: int) -> None: ...

    validator = compile_endpoint(endpoint)
    assert validator.validate_params(make_request(query=b"b=2&a=1", headers=[(b"h", b"9")])) == [1, 9, 2]


# --- property: extraction follows a simple reference model -------------------------

from urllib.parse import urlencode  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PAIRS = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "other"]), st.text(alphabet="xyz019 &=%+é", max_size=4)),
    max_size=8,
)


def reference_endpoint(
    a: str = "x",
    b: Annotated[list[str], Query()] = [],  # noqa: B006
    c: Optional[str] = None,
    x_one: Annotated[Optional[str], Header()] = None,
    x_many: Annotated[list[str], Header()] = [],  # noqa: B006
) -> None: ...


REFERENCE_VALIDATOR = compile_endpoint(reference_endpoint)


@settings(max_examples=100, deadline=None)
@given(PAIRS, st.lists(st.tuples(st.sampled_from(["x-one", "X-One", "x-many", "other"]), st.text(alphabet="abc 1", max_size=3)), max_size=6))
def test_query_and_header_extraction_matches_reference(
    pairs: list[tuple[str, str]], header_pairs: list[tuple[str, str]]
) -> None:
    request = make_request(
        query=urlencode(pairs).encode(),
        headers=[(name.lower().encode(), value.encode()) for name, value in header_pairs],
    )
    values = REFERENCE_VALIDATOR.validate_params(request)

    def last(key: str) -> Any:
        found = [value for name, value in pairs if name == key]
        return found[-1] if found else None

    ones = [value for name, value in header_pairs if name.lower() == "x-one"]
    many = [value for name, value in header_pairs if name == "x-many"]
    b_values = [value for name, value in pairs if name == "b"]
    assert values == [
        "x" if last("a") is None else last("a"),
        b_values,
        last("c"),
        ones[0] if ones else None,
        many,
    ]


# --- query strings read straight from the scope (no QueryParams) ---------------------

HOSTILE_QUERY = b"q=a+b%2Bc&q=x+y%zz&s=caf\xc3\xa9%ff&n=1&n=2&&=&t"


async def test_query_scalars_read_from_the_raw_query_string() -> None:
    # Scalar-only endpoint (the fast collector): last value wins, '+' is a space,
    # invalid escapes are kept, invalid UTF-8 becomes U+FFFD.
    def endpoint(q: str, s: str, n: int, t: str, u: str = "d") -> None: ...

    assert await values_of(endpoint, make_request(query=HOSTILE_QUERY)) == {
        "q": "x y%zz", "s": "café\ufffd", "n": 2, "t": "", "u": "d"
    }
    assert await values_of(endpoint, make_request(query=b"q=1&s=2&n=3&t=4")) == {
        "q": "1", "s": "2", "n": 3, "t": "4", "u": "d"
    }


async def test_query_sequences_and_aliases_read_from_the_raw_query_string() -> None:
    def direct(q: Annotated[list[str], Query()], n: int) -> None: ...

    def aliased(
        first: Annotated[list[str], Query(alias="q")], last: Annotated[str, Query(alias="q")], n: Annotated[list[int], Query()] = []  # noqa: B006
    ) -> None: ...

    assert await values_of(direct, make_request(query=HOSTILE_QUERY)) == {"q": ["a b+c", "x y%zz"], "n": 2}
    assert await values_of(aliased, make_request(query=HOSTILE_QUERY)) == {
        "first": ["a b+c", "x y%zz"], "last": "x y%zz", "n": [1, 2]
    }
    assert await values_of(aliased, make_request(query=b"q=1")) == {"first": ["1"], "last": "1", "n": []}
