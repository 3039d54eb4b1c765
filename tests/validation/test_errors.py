"""Validation exceptions: FastAPI's attributes and text, the default 422 handler, endpoint context."""

from __future__ import annotations

import datetime
import decimal
import json
import math
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, field_validator
from validation_helpers import compile_endpoint, make_request

from ferrule.validation import (
    Body,
    EndpointContext,
    Query,
    RequestValidationError,
    ResponseValidationError,
    ValidationException,
    WebSocketRequestValidationError,
    request_validation_exception_handler,
)

pytestmark = pytest.mark.anyio


def endpoint_here() -> None: ...


def test_endpoint_context_from_a_function() -> None:
    ctx = EndpointContext.from_callable(endpoint_here, "GET /x")
    assert ctx.function == "endpoint_here"
    assert ctx.file is not None and ctx.file.endswith("test_errors.py")
    assert ctx.line == endpoint_here.__code__.co_firstlineno
    assert ctx.method_path == "GET /x"
    assert ctx.as_dict() == {"function": "endpoint_here", "file": ctx.file, "line": ctx.line, "path": "GET /x"}


def test_endpoint_context_of_objects_without_source() -> None:
    ctx = EndpointContext.from_callable(len, "GET /len")
    assert ctx == EndpointContext(function="len", file=None, line=None, method_path="GET /len")

    class Callable:
        def __call__(self) -> None: ...

    assert EndpointContext.from_callable(Callable()).function == "Callable"


def test_exception_attributes_and_text() -> None:
    errors = [{"type": "missing", "loc": ("query", "q"), "msg": "Field required", "input": None}]
    ctx = EndpointContext(function="read", file="app.py", line=3, method_path="GET /items")
    exc = RequestValidationError(errors, body=b"x", endpoint_ctx=ctx)
    assert isinstance(exc, ValidationException)
    assert exc.errors() == errors and exc.body == b"x" and exc.endpoint_ctx is ctx
    assert (exc.endpoint_function, exc.endpoint_path, exc.endpoint_file, exc.endpoint_line) == ("read", "GET /items", "app.py", 3)
    assert str(exc) == (
        "1 validation error:\n"
        "  {'type': 'missing', 'loc': ('query', 'q'), 'msg': 'Field required', 'input': None}\n"
        "\n"
        '  File "app.py", line 3, in read\n'
        "    GET /items"
    )
    partial = RequestValidationError(errors, endpoint_ctx=EndpointContext(function="read", method_path="GET /items"))
    assert str(partial).endswith("\n\n  Endpoint: GET /items")
    assert str(RequestValidationError([])) == "0 validation errors:"
    assert ResponseValidationError(errors, body=1).body == 1
    assert WebSocketRequestValidationError(errors).errors() == errors


class Checked(BaseModel):
    v: int

    @field_validator("v")
    @classmethod
    def check(cls, v: int) -> int:
        raise ValueError("nope")


async def test_handler_renders_fastapis_body() -> None:
    def endpoint(c: Checked) -> None: ...

    validator = compile_endpoint(endpoint)
    request = make_request(headers=[(b"content-type", b"application/json")], body=b'{"v": 1}')
    with pytest.raises(RequestValidationError) as info:
        await validator.validate(request)
    response = await request_validation_exception_handler(request, info.value)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    # The ValueError in ctx renders as {} (FastAPI's jsonable_encoder of an exception).
    assert json.loads(response.body) == {
        "detail": [{"type": "value_error", "loc": ["body", "v"], "msg": "Value error, nope", "input": 1, "ctx": {"error": {}}}]
    }


class Item(BaseModel):
    name: str


async def test_handler_survives_a_body_that_is_not_utf8() -> None:
    def endpoint(item: Item) -> None: ...

    request = make_request(headers=[(b"content-type", b"text/plain")], body=b"\xff\xfe{")
    with pytest.raises(RequestValidationError) as info:
        await compile_endpoint(endpoint).validate(request)
    response = await request_validation_exception_handler(request, info.value)
    assert json.loads(response.body)["detail"][0]["input"] == "\ufffd\ufffd{"


async def test_non_ascii_and_nested_inputs_render() -> None:
    def endpoint(tags: Annotated[list[int], Body(embed=True)]) -> None: ...

    request = make_request(headers=[(b"content-type", b"application/json")], body='{"tags": [1, "é"]}'.encode())
    with pytest.raises(RequestValidationError) as info:
        await compile_endpoint(endpoint).validate(request)
    response = await request_validation_exception_handler(request, info.value)
    assert response.body == (
        '{"detail":[{"type":"int_parsing","loc":["body","tags",1],'
        '"msg":"Input should be a valid integer, unable to parse string as an integer","input":"é"}]}'
    ).encode()


async def test_constraint_values_in_ctx_render_as_fastapi_does() -> None:
    """A Decimal or date bound in ``ctx`` takes jsonable_encoder's form (1, not "1")."""

    def endpoint(
        price: Annotated[decimal.Decimal, Query(ge=decimal.Decimal("1"))],
        day: Annotated[datetime.date, Query(gt=datetime.date(2024, 1, 31))],
        ratio: Annotated[float, Query(lt=0.5)],
    ) -> None: ...

    request = make_request(method="GET", query=b"price=0&day=2024-01-01&ratio=0.75")
    with pytest.raises(RequestValidationError) as info:
        await compile_endpoint(endpoint).validate(request)
    response = await request_validation_exception_handler(request, info.value)
    assert [error["ctx"] for error in json.loads(response.body)["detail"]] == [
        {"ge": 1}, {"gt": "2024-01-31"}, {"lt": 0.5}
    ]


async def test_non_finite_input_renders_as_text() -> None:
    def endpoint(count: Annotated[int, Body(embed=True)]) -> None: ...

    request = make_request(headers=[(b"content-type", b"application/json")], body=b'{"count": 1.5}')
    with pytest.raises(RequestValidationError) as info:
        await compile_endpoint(endpoint).validate(request)
    exc = RequestValidationError(
        [{**error, "input": value} for error, value in zip(info.value.errors() * 3, [math.inf, -math.inf, math.nan])]
    )
    response = await request_validation_exception_handler(request, exc)
    assert [error["input"] for error in json.loads(response.body)["detail"]] == ["Infinity", "-Infinity", "NaN"]


def test_errors_are_kept_as_given() -> None:
    errors: list[Any] = [{"type": "x", "loc": ("body",), "msg": "m", "input": None}]
    exc = RequestValidationError(errors)
    assert exc.errors() == errors and exc.body is None and exc.endpoint_ctx is None
