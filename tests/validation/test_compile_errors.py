"""422 bodies, byte for byte FastAPI's: every case's expected ``detail`` is in ``validation_reference``.

The endpoints and requests are those of ``oracle_422`` (the app
``tests/capture_fastapi.py`` captured the outputs from), compiled here without
routing; ``test_422_live`` sends the same requests to ferrule and to FastAPI
itself, on whatever pydantic is installed.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
import sys
from collections.abc import Callable
from typing import Annotated, Any, Literal, Optional, Union

import pytest

from ferrule.asgi_core.exceptions import MalformedInputError
from ferrule.asgi_core.request import Request
from ferrule.validation import Body, Cookie, File, Form, Header, Path, Query, UploadFile

from validation_helpers import JSON, TESTCLIENT_HEADERS, make_request, multipart, rendered_422, values_of
from validation_reference import EXPECTED_422

from oracle_422 import Color, CookieParams, FilterParams, HeaderParams, Item, Order, Strict
from pinned import CAPTURED

pytestmark = pytest.mark.anyio



def q_int(q: int) -> None: ...
def q_constraints(
    n: Annotated[int, Query(gt=0, le=100)] = 1,
    s: Annotated[str, Query(min_length=2, max_length=4, pattern="^[a-z]+$")] = "ab",
) -> None: ...
def q_list(ids: Annotated[list[int], Query()] = []) -> None: ...  # noqa: B006
def q_enum(color: Color, mode: Literal["a", "b"] = "a") -> None: ...
def q_types(
    u: uuid.UUID,
    d: datetime.date,
    dt: Optional[datetime.datetime] = None,
    dec: Annotated[decimal.Decimal, Query(max_digits=4, decimal_places=2)] = decimal.Decimal("0"),
    flag: bool = False,
) -> None: ...
def q_union(v: Union[int, datetime.date]) -> None: ...
def q_alias(item_query: Annotated[str, Query(alias="item-query")]) -> None: ...
def q_model(f: Annotated[FilterParams, Query()]) -> None: ...
def h(x_token: Annotated[str, Header()], count: Annotated[int, Header()] = 0) -> None: ...
def h_list(x_num: Annotated[list[int], Header()]) -> None: ...
def h_model(h: Annotated[HeaderParams, Header()]) -> None: ...
def c(session: Annotated[str, Cookie()], n: Annotated[int, Cookie()] = 0) -> None: ...
def c_model(c: Annotated[CookieParams, Cookie()]) -> None: ...
def p(item_id: int) -> None: ...
def p2(item_id: Annotated[int, Path(ge=1)]) -> None: ...
def b_item(item: Item) -> None: ...
def b_order(order: Order) -> None: ...
def b_multi(item: Item, count: Annotated[int, Body()], note: Annotated[Optional[str], Body()] = None) -> None: ...
def b_embed(item: Annotated[Item, Body(embed=True)]) -> None: ...
def b_validator(s: Strict) -> None: ...
def b_list(items: list[Item]) -> None: ...
def b_dict(d: dict[str, int]) -> None: ...
def all_(pid: int, q: int, x_h: Annotated[int, Header()], ck: Annotated[int, Cookie()], item: Item) -> None: ...
def form(username: Annotated[str, Form()], age: Annotated[int, Form()] = 0) -> None: ...
def file(f: Annotated[bytes, File()], up: UploadFile) -> None: ...
def form_list(tags: Annotated[list[str], Form()]) -> None: ...


FORM = [(b"content-type", b"application/x-www-form-urlencoded")]
ALL_HEADERS = [(b"x-h", b"z"), (b"content-type", b"application/json"), (b"cookie", b"ck=w")]

Case = tuple[Callable[..., Any], str, Callable[[], Request]]


def req(**kw: Any) -> Callable[[], Request]:
    return lambda: make_request(**kw)


def file_request() -> Request:
    headers, body = multipart([("f", None, b"text"), ("up", None, b"not-a-file")])
    return make_request(headers=headers, body=body)


CASES: dict[str, Case] = {
    "query_missing": (q_int, "/", req()),
    "query_int_parsing": (q_int, "/", req(query=b"q=abc")),
    "query_empty_string": (q_int, "/", req(query=b"q=")),
    "query_gt_le": (q_constraints, "/", req(query=b"n=0&s=a")),
    "query_le_pattern": (q_constraints, "/", req(query=b"n=101&s=ABCDE")),
    "query_pattern": (q_constraints, "/", req(query=b"s=AB")),
    "query_list_items": (q_list, "/", req(query=b"ids=1&ids=x&ids=3&ids=y")),
    "query_enum": (q_enum, "/", req(query=b"color=blue&mode=c")),
    "query_enum_missing": (q_enum, "/", req()),
    "query_types": (q_types, "/", req(query=b"u=nope&d=2020-13-01&dt=yesterday&dec=123.456&flag=maybe")),
    "query_decimal_digits": (
        q_types,
        "/",
        req(query=b"u=12345678-1234-5678-1234-567812345678&d=2020-01-01&dec=12.345"),
    ),
    "query_union": (q_union, "/", req(query=b"v=abc")),
    "query_alias_missing": (q_alias, "/", req(query=b"item_query=x")),
    "query_model_extra": (q_model, "/", req(query=b"limit=0&order_by=x&tool=plumbus")),
    "header_missing": (h, "/", req(headers=TESTCLIENT_HEADERS)),
    "header_wrong_type": (h, "/", req(headers=[(b"x-token", b"t"), (b"count", b"many")])),
    "header_list": (h_list, "/", req(headers=[(b"x-num", b"1"), (b"x-num", b"b")])),
    "header_model_extra": (
        h_model,
        "/",
        req(headers=[(b"host", b"testserver"), (b"accept", b"*/*"), (b"accept-encoding", b"gzip, deflate"),
                     (b"connection", b"keep-alive"), (b"user-agent", b"testclient"), (b"x-token", b"t")]),
    ),
    "header_model_missing": (h_model, "/", req(headers=TESTCLIENT_HEADERS)),
    "cookie_missing": (c, "/", req()),
    "cookie_wrong_type": (c, "/", req(headers=[(b"cookie", b"session=s; n=x")])),
    "cookie_model_missing": (c_model, "/", req(headers=[(b"cookie", b"other=1")])),
    "path_int": (p, "/p/{item_id}", req(path_params={"item_id": "abc"})),
    "path_ge": (p2, "/p2/{item_id}", req(path_params={"item_id": "0"})),
    "body_missing": (b_item, "/", req()),
    "body_missing_with_ct": (b_item, "/", req(headers=JSON)),
    "body_fields_missing": (b_item, "/", req(headers=JSON, body=b"{}")),
    "body_wrong_types": (b_item, "/", req(headers=JSON, body=b'{"name": 1, "price": "cheap", "tags": "x"}')),
    "body_array_for_model": (b_item, "/", req(headers=JSON, body=b"[1, 2]")),
    "body_string_for_model": (b_item, "/", req(headers=JSON, body=b'"hello"')),
    "body_nested": (
        b_order,
        "/",
        req(headers=JSON, body=b'{"items": [{"name": "a", "price": 1}, {"name": "b", "price": "x"}, {"price": 2}]}'),
    ),
    "body_invalid_json": (b_item, "/", req(headers=JSON, body=b'{"name": ')),
    "body_invalid_json2": (b_item, "/", req(headers=JSON, body=b"not json")),
    "body_invalid_json_extra": (b_item, "/", req(headers=JSON, body=b'{"name": "a", "price": 1} x')),
    "body_invalid_json_quote": (b_item, "/", req(headers=JSON, body=b"{'name': 'a'}")),
    "body_invalid_json_trailing_comma": (b_item, "/", req(headers=JSON, body=b'{"name": "a",}')),
    "body_invalid_json_ctrl": (b_item, "/", req(headers=JSON, body=b'{"name": "a\x01"}')),
    "body_no_content_type": (b_item, "/", req(body=b'{"name": "a", "price": 1}')),
    "body_text_plain": (b_item, "/", req(headers=[(b"content-type", b"text/plain")], body=b'{"name": "a", "price": 1}')),
    "body_multi_missing": (b_multi, "/", req(headers=JSON, body=b'{"item": {"name": "a"}}')),
    "body_multi_list": (b_multi, "/", req(headers=JSON, body=b"[1]")),
    "body_multi_none": (b_multi, "/", req()),
    "body_multi_no_ct": (b_multi, "/", req(body=b'{"count": 1}')),
    "body_embed_unwrapped": (b_embed, "/", req(headers=JSON, body=b'{"name": "a", "price": 1}')),
    "body_validator": (b_validator, "/", req(headers=JSON, body=b'{"v": 13}')),
    "body_list": (b_list, "/", req(headers=JSON, body=b'[{"name": "a", "price": 1}, {"name": "b"}]')),
    "body_list_object": (b_list, "/", req(headers=JSON, body=b'{"name": "a"}')),
    "body_dict": (b_dict, "/", req(headers=JSON, body=b'{"a": 1, "b": "x"}')),
    "all_locations": (all_, "/all/{pid}", req(query=b"q=y", headers=ALL_HEADERS, body=b'{"name": 5}', path_params={"pid": "x"})),
    "form_missing": (form, "/", req(headers=FORM, body=b"age=x")),
    "form_empty_string": (form, "/", req(headers=FORM, body=b"username=&age=")),
    "form_json_sent": (form, "/", req(headers=JSON, body=b'{"username": "a"}')),
    "file_missing": (file, "/", req(headers=FORM, body=b"x=1")),
    "file_wrong": (file, "/", file_request),
    "form_list_missing": (form_list, "/", req(headers=FORM, body=b"")),
}


def test_every_reference_case_is_exercised() -> None:
    assert set(CASES) == set(EXPECTED_422)
    assert len(CASES) >= 20


@CAPTURED
@pytest.mark.parametrize("name", sorted(CASES))
async def test_422_body_is_fastapis(name: str) -> None:
    endpoint, template, make = CASES[name]
    body = await rendered_422(endpoint, make(), template)
    expected = await _on_this_python(EXPECTED_422[name], make())
    assert body == {"detail": expected}
    # Same key order as FastAPI's output too (type, loc, msg, input, ctx).
    assert [list(error) for error in body["detail"]] == [list(error) for error in expected]


async def _on_this_python(expected: list[dict[str, Any]], request: Any) -> list[dict[str, Any]]:
    """The captured errors, with a JSON decode error's position and message taken
    from this Python's ``json`` module, as FastAPI takes them: the stdlib decoder
    reports a different position on 3.13 (``{"name": "a",}``: 13 on 3.11, 12 on 3.13)."""
    if not any(error["type"] == "json_invalid" for error in expected):
        return expected
    raw = await request.body()
    try:
        json.loads(raw)
    except json.JSONDecodeError as exc:
        position, message = exc.pos, exc.msg
    else:
        raise AssertionError(f"{raw!r} is valid JSON")
    return [
        {**error, "loc": [error["loc"][0], position], "ctx": {"error": message}}
        if error["type"] == "json_invalid" else error
        for error in expected
    ]


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="the 422 bodies were captured on Python 3.11")
async def test_captured_json_errors_are_the_stdlibs() -> None:
    # The stdlib-derived expectation above equals the captured one where it was captured.
    for name, errors in EXPECTED_422.items():
        endpoint, template, make = CASES[name]
        assert await _on_this_python(errors, make()) == errors, name


async def test_json_body_decodes_like_fastapi() -> None:
    for content_type in (b"application/vnd.api+json", b"application/json; charset=utf-8", b"Application/JSON"):
        values = await values_of(
            b_item, make_request(headers=[(b"content-type", content_type)], body=b'{"name": "a", "price": 1}')
        )
        assert values["item"] == Item(name="a", price=1.0)


async def test_repeated_scalar_query_key_takes_the_last_value() -> None:
    assert await values_of(q_int, make_request(query=b"q=1&q=2")) == {"q": 2}


async def test_parameter_models_validate() -> None:
    values = await values_of(q_model, make_request(query=b"limit=5&tags=a&tags=b"))
    assert values["f"] == FilterParams(limit=5, order_by="created_at", tags=["a", "b"])
    values = await values_of(c_model, make_request(headers=[(b"cookie", b"session_id=abc")]))
    assert values["c"] == CookieParams(session_id="abc")


async def test_optional_body_absent_or_null_is_none() -> None:
    def b_optional(item: Optional[Item] = None) -> None: ...

    assert await values_of(b_optional, make_request()) == {"item": None}
    assert await values_of(b_optional, make_request(headers=JSON, body=b"null")) == {"item": None}


async def test_form_list_reads_repeated_fields() -> None:
    values = await values_of(form_list, make_request(headers=FORM, body=b"tags=a&tags=b"))
    assert values == {"tags": ["a", "b"]}


async def test_invalid_utf8_json_is_fastapis_400() -> None:
    with pytest.raises(MalformedInputError, match="There was an error parsing the body") as info:
        await values_of(b_item, make_request(headers=JSON, body=b'{"name": "\xff"}'))
    assert info.value.status_code == 400


async def test_json_invalid_error_keeps_the_text_as_body() -> None:
    from validation_helpers import compile_endpoint

    from ferrule.validation import RequestValidationError

    validator = compile_endpoint(b_item)
    with pytest.raises(RequestValidationError) as info:
        await validator.validate(make_request(headers=JSON, body=b'{"name": '))
    assert info.value.body == '{"name": '
    assert json.dumps(info.value.errors()[0]["loc"]) == '["body", 9]'
