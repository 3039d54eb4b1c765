"""422 bodies, byte for byte FastAPI's: every case's expected ``detail`` is in ``validation_reference``.

The endpoints and requests are those of ``oracle_422`` (the app
``tests/capture_fastapi.py`` captured the outputs from), compiled here without
routing; ``test_422_live`` sends the same requests to ferrule and to FastAPI
itself, on whatever pydantic is installed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, Optional

import pytest

from ferrule.asgi_core.exceptions import MalformedInputError
from ferrule.asgi_core.request import Request
from ferrule.routing import APIRoute

from validation_helpers import JSON, TESTCLIENT_HEADERS, make_request, multipart, rendered_422, values_of
from validation_reference import EXPECTED_422

from oracle_422 import CookieParams, FilterParams, Item, build
from pinned import CAPTURED

import ferrule

pytestmark = pytest.mark.anyio



# The endpoints of oracle_422's app, by name: the very functions FastAPI answered (the
# capture and test_422_live), compiled here without routing.
E: dict[str, Callable[..., Any]] = {
    route.name: route.endpoint for route in build(ferrule).routes if isinstance(route, APIRoute)
}


FORM = [(b"content-type", b"application/x-www-form-urlencoded")]
ALL_HEADERS = [(b"x-h", b"z"), (b"content-type", b"application/json"), (b"cookie", b"ck=w")]

Case = tuple[Callable[..., Any], str, Callable[[], Request]]


def req(**kw: Any) -> Callable[[], Request]:
    return lambda: make_request(**kw)


def file_request() -> Request:
    headers, body = multipart([("f", None, b"text"), ("up", None, b"not-a-file")])
    return make_request(headers=headers, body=body)


CASES: dict[str, Case] = {
    "query_missing": (E["q_int"], "/", req()),
    "query_int_parsing": (E["q_int"], "/", req(query=b"q=abc")),
    "query_empty_string": (E["q_int"], "/", req(query=b"q=")),
    "query_gt_le": (E["q_constraints"], "/", req(query=b"n=0&s=a")),
    "query_le_pattern": (E["q_constraints"], "/", req(query=b"n=101&s=ABCDE")),
    "query_pattern": (E["q_constraints"], "/", req(query=b"s=AB")),
    "query_list_items": (E["q_list"], "/", req(query=b"ids=1&ids=x&ids=3&ids=y")),
    "query_enum": (E["q_enum"], "/", req(query=b"color=blue&mode=c")),
    "query_enum_missing": (E["q_enum"], "/", req()),
    "query_types": (E["q_types"], "/", req(query=b"u=nope&d=2020-13-01&dt=yesterday&dec=123.456&flag=maybe")),
    "query_decimal_digits": (
        E["q_types"],
        "/",
        req(query=b"u=12345678-1234-5678-1234-567812345678&d=2020-01-01&dec=12.345"),
    ),
    "query_union": (E["q_union"], "/", req(query=b"v=abc")),
    "query_alias_missing": (E["q_alias"], "/", req(query=b"item_query=x")),
    "query_model_extra": (E["q_model"], "/", req(query=b"limit=0&order_by=x&tool=plumbus")),
    "header_missing": (E["h"], "/", req(headers=TESTCLIENT_HEADERS)),
    "header_wrong_type": (E["h"], "/", req(headers=[(b"x-token", b"t"), (b"count", b"many")])),
    "header_list": (E["h_list"], "/", req(headers=[(b"x-num", b"1"), (b"x-num", b"b")])),
    "header_model_extra": (
        E["h_model"],
        "/",
        req(headers=[(b"host", b"testserver"), (b"accept", b"*/*"), (b"accept-encoding", b"gzip, deflate"),
                     (b"connection", b"keep-alive"), (b"user-agent", b"testclient"), (b"x-token", b"t")]),
    ),
    "header_model_missing": (E["h_model"], "/", req(headers=TESTCLIENT_HEADERS)),
    "cookie_missing": (E["c"], "/", req()),
    "cookie_wrong_type": (E["c"], "/", req(headers=[(b"cookie", b"session=s; n=x")])),
    "cookie_model_missing": (E["c_model"], "/", req(headers=[(b"cookie", b"other=1")])),
    "path_int": (E["p"], "/p/{item_id}", req(path_params={"item_id": "abc"})),
    "path_ge": (E["p2"], "/p2/{item_id}", req(path_params={"item_id": "0"})),
    "body_missing": (E["b_item"], "/", req()),
    "body_missing_with_ct": (E["b_item"], "/", req(headers=JSON)),
    "body_fields_missing": (E["b_item"], "/", req(headers=JSON, body=b"{}")),
    "body_wrong_types": (E["b_item"], "/", req(headers=JSON, body=b'{"name": 1, "price": "cheap", "tags": "x"}')),
    "body_array_for_model": (E["b_item"], "/", req(headers=JSON, body=b"[1, 2]")),
    "body_string_for_model": (E["b_item"], "/", req(headers=JSON, body=b'"hello"')),
    "body_nested": (
        E["b_order"],
        "/",
        req(headers=JSON, body=b'{"items": [{"name": "a", "price": 1}, {"name": "b", "price": "x"}, {"price": 2}]}'),
    ),
    "body_invalid_json": (E["b_item"], "/", req(headers=JSON, body=b'{"name": ')),
    "body_invalid_json2": (E["b_item"], "/", req(headers=JSON, body=b"not json")),
    "body_invalid_json_extra": (E["b_item"], "/", req(headers=JSON, body=b'{"name": "a", "price": 1} x')),
    "body_invalid_json_quote": (E["b_item"], "/", req(headers=JSON, body=b"{'name': 'a'}")),
    "body_invalid_json_trailing_comma": (E["b_item"], "/", req(headers=JSON, body=b'{"name": "a",}')),
    "body_invalid_json_ctrl": (E["b_item"], "/", req(headers=JSON, body=b'{"name": "a\x01"}')),
    "body_no_content_type": (E["b_item"], "/", req(body=b'{"name": "a", "price": 1}')),
    "body_text_plain": (E["b_item"], "/", req(headers=[(b"content-type", b"text/plain")], body=b'{"name": "a", "price": 1}')),
    "body_multi_missing": (E["b_multi"], "/", req(headers=JSON, body=b'{"item": {"name": "a"}}')),
    "body_multi_list": (E["b_multi"], "/", req(headers=JSON, body=b"[1]")),
    "body_multi_none": (E["b_multi"], "/", req()),
    "body_multi_no_ct": (E["b_multi"], "/", req(body=b'{"count": 1}')),
    "body_embed_unwrapped": (E["b_embed"], "/", req(headers=JSON, body=b'{"name": "a", "price": 1}')),
    "body_validator": (E["b_validator"], "/", req(headers=JSON, body=b'{"v": 13}')),
    "body_list": (E["b_list"], "/", req(headers=JSON, body=b'[{"name": "a", "price": 1}, {"name": "b"}]')),
    "body_list_object": (E["b_list"], "/", req(headers=JSON, body=b'{"name": "a"}')),
    "body_dict": (E["b_dict"], "/", req(headers=JSON, body=b'{"a": 1, "b": "x"}')),
    "all_locations": (E["all_"], "/all/{pid}", req(query=b"q=y", headers=ALL_HEADERS, body=b'{"name": 5}', path_params={"pid": "x"})),
    "form_missing": (E["form"], "/", req(headers=FORM, body=b"age=x")),
    "form_empty_string": (E["form"], "/", req(headers=FORM, body=b"username=&age=")),
    "form_json_sent": (E["form"], "/", req(headers=JSON, body=b'{"username": "a"}')),
    "file_missing": (E["file"], "/", req(headers=FORM, body=b"x=1")),
    "file_wrong": (E["file"], "/", file_request),
    "form_list_missing": (E["form_list"], "/", req(headers=FORM, body=b"")),
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
            E["b_item"], make_request(headers=[(b"content-type", content_type)], body=b'{"name": "a", "price": 1}')
        )
        assert values["item"] == Item(name="a", price=1.0)


async def test_repeated_scalar_query_key_takes_the_last_value() -> None:
    assert await values_of(E["q_int"], make_request(query=b"q=1&q=2")) == {"q": 2}


async def test_parameter_models_validate() -> None:
    values = await values_of(E["q_model"], make_request(query=b"limit=5&tags=a&tags=b"))
    assert values["f"] == FilterParams(limit=5, order_by="created_at", tags=["a", "b"])
    values = await values_of(E["c_model"], make_request(headers=[(b"cookie", b"session_id=abc")]))
    assert values["c"] == CookieParams(session_id="abc")


async def test_optional_body_absent_or_null_is_none() -> None:
    def b_optional(item: Optional[Item] = None) -> None: ...

    assert await values_of(b_optional, make_request()) == {"item": None}
    assert await values_of(b_optional, make_request(headers=JSON, body=b"null")) == {"item": None}


async def test_form_list_reads_repeated_fields() -> None:
    values = await values_of(E["form_list"], make_request(headers=FORM, body=b"tags=a&tags=b"))
    assert values == {"tags": ["a", "b"]}


async def test_invalid_utf8_json_is_fastapis_400() -> None:
    with pytest.raises(MalformedInputError, match="There was an error parsing the body") as info:
        await values_of(E["b_item"], make_request(headers=JSON, body=b'{"name": "\xff"}'))
    assert info.value.status_code == 400


async def test_json_invalid_error_keeps_the_text_as_body() -> None:
    from validation_helpers import compile_endpoint

    from ferrule.validation import RequestValidationError

    validator = compile_endpoint(E["b_item"])
    with pytest.raises(RequestValidationError) as info:
        await validator.validate(make_request(headers=JSON, body=b'{"name": '))
    assert info.value.body == '{"name": '
    assert json.dumps(info.value.errors()[0]["loc"]) == '["body", 9]'
