"""Body reading: media types, JSON decoding (vs the stdlib), embed rules, forms, files, limits.

Expected outputs marked "FastAPI:" were captured from fastapi 0.165.0 (pydantic 2.13.4).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict
from validation_helpers import JSON, compile_endpoint, make_request, multipart, rendered_422, values_of

from ferrule.asgi_core.exceptions import MalformedInputError, PayloadTooLargeError, UnsupportedMediaTypeError
from ferrule.asgi_core.forms import FormData, FormLimits
from ferrule.asgi_core.forms import UploadFile as ParserUploadFile
from ferrule.validation import Body, File, Form, RequestConfig, RequestValidationError, UploadFile
from ferrule.validation.body import decode_json, is_json_media_type, should_embed
from ferrule.validation.fields import analyze_param

pytestmark = pytest.mark.anyio


class Item(BaseModel):
    name: str


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    password: str


def item_endpoint(item: Item) -> None: ...


def pair_endpoint(a: Annotated[int, Body()], b: Annotated[int, Body()]) -> None: ...


# --- media types -----------------------------------------------------------------

MEDIA_TYPES = [
    (b"application/json", True),
    (b"application/json; charset=utf-8", True),
    (b"APPLICATION/JSON", True),
    (b" application/json ;x=y", True),
    (b"application/vnd.api+json", True),
    (b"application/problem+json; charset=utf-8", True),
    (b"application/json/x", False),
    (b"application/jsonx", False),
    (b"text/json", False),
    (b"text/plain", False),
    (b"json", False),
    (b"application/x-www-form-urlencoded", False),
    (b"multipart/form-data; boundary=x", False),
]


@pytest.mark.parametrize(("raw", "expected"), MEDIA_TYPES)
def test_json_media_types_as_email_parses_them(raw: bytes, expected: bool) -> None:
    assert is_json_media_type(raw) is expected


async def test_strict_content_type_off_parses_a_missing_type_as_json() -> None:
    config = RequestConfig(strict_content_type=False)
    # FastAPI (strict_content_type=False): no type -> JSON; text/plain is still not JSON.
    assert await values_of(item_endpoint, make_request(body=b'{"name": "a"}'), config=config) == {"item": Item(name="a")}
    assert await values_of(pair_endpoint, make_request(body=b'{"a": 1, "b": 2}'), config=config) == {"a": 1, "b": 2}
    body = await rendered_422(
        item_endpoint, make_request(headers=[(b"content-type", b"text/plain")], body=b'{"name": "a"}'), config=config
    )
    assert body == {
        "detail": [
            {"type": "model_attributes_type", "loc": ["body"], "msg": "Input should be a valid dictionary or object to extract fields from", "input": '{"name": "a"}'},
        ]
    }


async def test_empty_content_type_counts_as_missing() -> None:
    with pytest.raises(RequestValidationError) as info:
        await compile_endpoint(item_endpoint).validate(make_request(headers=[(b"content-type", b"")], body=b'{"name": "a"}'))
    assert info.value.body == b'{"name": "a"}'
    assert info.value.errors()[0]["type"] == "model_attributes_type"


async def test_raw_bytes_body_for_a_bytes_parameter() -> None:
    def endpoint(data: Annotated[bytes, Body()]) -> None: ...

    assert await values_of(endpoint, make_request(headers=[(b"content-type", b"application/octet-stream")], body=b"\x00\xff")) == {"data": b"\x00\xff"}


# --- JSON decoding -----------------------------------------------------------------


def _stdlib_outcome(raw: bytes) -> tuple[str, Any]:
    """The stdlib's outcome, under ferrule's stated policy: JSON that no response
    could carry back (NaN, Infinity, overflowing numbers, lone surrogates) is a 400."""
    try:
        value = json.loads(raw)
        if not _sendable_reference(value):
            return "400", None
        return "ok", value
    except json.JSONDecodeError as exc:
        return "json_invalid", (exc.pos, exc.msg, exc.doc)
    except (ValueError, RecursionError):
        return "400", None


def _sendable_reference(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return False
    return True


def _ferrule_outcome(raw: bytes) -> tuple[str, Any]:
    try:
        return "ok", decode_json(raw, None)
    except RequestValidationError as exc:
        (error,) = exc.errors()
        assert error["type"] == "json_invalid" and error["msg"] == "JSON decode error" and error["input"] == {}
        return "json_invalid", (error["loc"][1], error["ctx"]["error"], exc.body)
    except MalformedInputError as exc:
        assert exc.status_code == 400
        return "400", None


JSON_TEXTS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
).map(lambda value: json.dumps(value).encode())


def _mutations(data: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.just(data),
        st.integers(0, len(data)).map(lambda i: data[:i]),
        st.tuples(st.integers(0, len(data)), st.binary(min_size=1, max_size=3)).map(
            lambda t: data[: t[0]] + t[1] + data[t[0] :]
        ),
    )


@settings(max_examples=100, deadline=None)
@given(JSON_TEXTS.flatmap(_mutations))
@example(b"NaNnull")  # a constant then extra data: json_invalid, not the constant's 400
@example(b"[Infinity]")
def test_decoding_has_the_stdlib_outcome(raw: bytes) -> None:
    # Same value, or the same json_invalid position/message, or a 400 where json.loads fails otherwise.
    ours, theirs = _ferrule_outcome(raw), _stdlib_outcome(raw)
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        assert repr(ours[1]) == repr(theirs[1])
    else:
        assert ours[1] == theirs[1]


@pytest.mark.parametrize(
    "raw",
    [
        b'\xef\xbb\xbf{"a": 1}',  # UTF-8 BOM
        '{"é": 1}'.encode("utf-16"),  # UTF-16 with BOM
    ],
)
def test_inputs_pydantic_core_refuses_fall_back_to_the_stdlib(raw: bytes) -> None:
    assert repr(_ferrule_outcome(raw)) == repr(_stdlib_outcome(raw))
    assert _ferrule_outcome(raw)[0] == "ok"


@pytest.mark.parametrize("raw", [b'"\\ud800"', b'["\xed\xa0\x80"]', b"NaN", b"-Infinity", b"[1e999]", b'{"a": -1e400}'])
def test_json_no_response_could_carry_is_400(raw: bytes) -> None:
    # Stated policy (a difference from FastAPI, which accepts these and then
    # fails with a 500 when echoing them): refused on input.
    assert _ferrule_outcome(raw) == ("400", None)
    assert _stdlib_outcome(raw) == ("400", None)


def test_too_deep_json_is_400_not_500() -> None:
    with pytest.raises(MalformedInputError, match="There was an error parsing the body"):
        decode_json(b"[" * 100_000, None)


# --- embed rules ------------------------------------------------------------------


def _fields(*specs: tuple[str, Any]) -> list[Any]:
    from inspect import Parameter

    return [analyze_param(name, ann, Parameter.empty, path_param_names=frozenset(), owner="f") for name, ann in specs]


def test_should_embed_follows_fastapi() -> None:
    assert should_embed(_fields(("item", Item))) is False
    assert should_embed(_fields(("item", Item), ("n", Annotated[int, Body()]))) is True
    assert should_embed(_fields(("item", Annotated[Item, Body(embed=True)]))) is True
    assert should_embed(_fields(("name", Annotated[str, Form()]))) is True
    assert should_embed(_fields(("login", Annotated[Login, Form()]))) is False
    assert should_embed(_fields(("item", Item), ("item", Item))) is False  # the same name twice is one field


async def test_embedded_body_defaults_and_partial_objects() -> None:
    def endpoint(a: Annotated[int, Body()] = 1, b: Annotated[int, Body()] = 2) -> None: ...

    # FastAPI: {"b": 5} -> a=1, b=5; no body -> the defaults.
    assert await values_of(endpoint, make_request(headers=JSON, body=b'{"b": 5}')) == {"a": 1, "b": 5}
    assert await values_of(endpoint, make_request()) == {"a": 1, "b": 2}


async def test_embedded_body_that_is_not_an_object_makes_every_field_missing() -> None:
    def endpoint(a: Annotated[int, Body()] = 1, b: Annotated[int, Body()] = 2) -> None: ...

    body = await rendered_422(endpoint, make_request(headers=JSON, body=b"null"))
    assert body == {
        "detail": [
            {"type": "missing", "loc": ["body", "a"], "msg": "Field required", "input": None},
            {"type": "missing", "loc": ["body", "b"], "msg": "Field required", "input": None},
        ]
    }


def test_body_info_for_openapi() -> None:
    from ferrule.validation import compile_request

    def endpoint(item: Item, count: Annotated[int, Body(title="How many")], note: Annotated[Optional[str], Body()] = None) -> None: ...

    validator = compile_endpoint(endpoint)
    assert validator.needs_body and validator.body_embed and not validator.body_is_form
    assert validator.body_media_type == "application/json"
    assert [field.name for field in validator.body_fields] == ["item", "count", "note"]
    model = validator.body_model
    assert model is not None and model.__name__ == "Body_endpoint"
    schema = model.model_json_schema()
    assert schema["required"] == ["item", "count"]
    assert schema["properties"]["count"] == {"title": "How many", "type": "integer"}
    single = compile_request(_fields(("item", Item)), config=RequestConfig(), endpoint_ctx=None, body_model_name="Body_x")
    assert single.body_embed is False and single.body_model is None and single.body_model_name == "Body_x"


# --- limits ----------------------------------------------------------------------


async def test_body_over_the_limit_is_413() -> None:
    config = RequestConfig(max_body_size=10)
    with pytest.raises(PayloadTooLargeError) as info:
        await compile_endpoint(item_endpoint, config=config).validate(
            make_request(headers=JSON, body=[b'{"name": ', b'"0123456789"}'], max_body_size=None)
        )
    assert info.value.status_code == 413


async def test_413_wins_over_parameter_errors() -> None:
    def endpoint(q: int, item: Item) -> None: ...

    with pytest.raises(PayloadTooLargeError):
        await compile_endpoint(endpoint, config=RequestConfig(max_body_size=4)).validate(
            make_request(query=b"q=x", headers=JSON, body=b'{"name": "x"}')
        )


async def test_invalid_json_is_reported_alone() -> None:
    def endpoint(q: int, item: Item) -> None: ...

    body = await rendered_422(endpoint, make_request(query=b"q=x", headers=JSON, body=b"{"))
    assert body == {
        "detail": [
            {"type": "json_invalid", "loc": ["body", 1], "msg": "JSON decode error", "input": {}, "ctx": {"error": "Expecting property name enclosed in double quotes"}}
        ]
    }


# --- forms and files --------------------------------------------------------------

FORM = [(b"content-type", b"application/x-www-form-urlencoded")]


async def test_form_fields() -> None:
    def endpoint(username: Annotated[str, Form()], age: Annotated[int, Form()] = 0, tags: Annotated[list[str], Form()] = []) -> None: ...  # noqa: B006

    values = await values_of(endpoint, make_request(headers=FORM, body=b"username=u&age=3&tags=a&tags=&tags=b&x=1"))
    assert values == {"username": "u", "age": 3, "tags": ["a", "", "b"]}
    validator = compile_endpoint(endpoint)
    assert validator.body_is_form and validator.body_media_type == "application/x-www-form-urlencoded"


async def test_form_model() -> None:
    def endpoint(data: Annotated[Login, Form()]) -> None: ...

    assert await values_of(endpoint, make_request(headers=FORM, body=b"username=u&password=p")) == {
        "data": Login(username="u", password="p")
    }
    # FastAPI: the model's own keys are read; the rest are extras (forbidden here).
    assert await rendered_422(endpoint, make_request(headers=FORM, body=b"username=u&extra=e")) == {
        "detail": [
            {"type": "missing", "loc": ["body", "password"], "msg": "Field required", "input": {"username": "u", "extra": "e"}},
            {"type": "extra_forbidden", "loc": ["body", "extra"], "msg": "Extra inputs are not permitted", "input": "e"},
        ]
    }


async def test_files_bytes_uploads_and_lists() -> None:
    seen: dict[str, Any] = {}

    def endpoint(
        f: Annotated[bytes, File()],
        up: UploadFile,
        many: list[UploadFile],
        blobs: Annotated[list[bytes], File()],
        opt: Optional[UploadFile] = None,
    ) -> None: ...

    headers, body = multipart(
        [("f", "a.txt", b"AAA"), ("up", "b.txt", b"BBB"), ("many", "c1", b"1"), ("many", "c2", b"2"),
         ("blobs", "x", b"X"), ("blobs", "y", b"Y")]
    )
    request = make_request(headers=headers, body=body)
    values = await values_of(endpoint, request)
    seen.update(values)
    assert values["f"] == b"AAA"
    assert values["up"].filename == "b.txt" and await values["up"].read() == b"BBB"
    assert [upload.filename for upload in values["many"]] == ["c1", "c2"]
    assert values["blobs"] == [b"X", b"Y"]
    assert values["opt"] is None
    # The form stays on the request (routing closes it after the response).
    form = await request.form()
    assert isinstance(form, FormData) and form.getlist("many")[1] is values["many"][1]
    await request.close()
    validator = compile_endpoint(endpoint)
    assert validator.body_media_type == "multipart/form-data"


async def test_bytes_file_can_be_read_by_two_parameters() -> None:
    def endpoint(raw: Annotated[bytes, File(alias="f")], up: Annotated[UploadFile, File(alias="f")]) -> None: ...

    headers, body = multipart([("f", "a.txt", b"content")])
    request = make_request(headers=headers, body=body)
    values = await values_of(endpoint, request)
    assert values["raw"] == b"content"
    assert await values["up"].read() == b"content"
    await request.close()


async def test_empty_file_input_is_missing() -> None:
    def endpoint(f: Annotated[bytes, File()], many: list[UploadFile]) -> None: ...

    headers, body = multipart([("f", "", b""), ("many", "", b"")])
    assert await rendered_422(endpoint, make_request(headers=headers, body=body)) == {
        "detail": [
            {"type": "missing", "loc": ["body", "f"], "msg": "Field required", "input": None},
            {"type": "missing", "loc": ["body", "many"], "msg": "Field required", "input": None},
        ]
    }


async def test_form_limits_apply() -> None:
    def endpoint(a: Annotated[str, Form()]) -> None: ...

    config = RequestConfig(form_limits=FormLimits(max_fields=1))
    with pytest.raises(PayloadTooLargeError):
        await compile_endpoint(endpoint, config=config).validate(make_request(headers=FORM, body=b"a=1&b=2"))


async def test_malformed_multipart_is_400() -> None:
    def endpoint(a: Annotated[str, Form()]) -> None: ...

    request = make_request(headers=[(b"content-type", b"multipart/form-data; boundary=xx")], body=b"--xx\r\ngarbage")
    with pytest.raises(MalformedInputError) as info:
        await compile_endpoint(endpoint).validate(request)
    assert info.value.status_code == 400


def test_unsupported_media_type_is_what_asgi_core_raises_for_json_forms() -> None:
    # The COMPAT path in body.read turns this 415 into an empty form (FastAPI's 422).
    assert issubclass(UnsupportedMediaTypeError, Exception)


async def test_the_parsers_upload_class_works_as_an_annotation() -> None:
    def endpoint(up: ParserUploadFile, many: Optional[list[ParserUploadFile]] = None) -> None: ...

    validator = compile_endpoint(endpoint)
    assert validator.fields[0].annotation is UploadFile
    assert validator.fields[1].annotation == Optional[list[UploadFile]]
    headers, body = multipart([("up", "a.txt", b"A"), ("many", "b.txt", b"B")])
    request = make_request(headers=headers, body=body)
    values = await validator.validate(request)
    assert values[0].filename == "a.txt" and [u.filename for u in values[1]] == ["b.txt"]
    await request.close()
    # FastAPI's message for a form value that is not a file.
    assert await rendered_422(endpoint, make_request(headers=[(b"content-type", b"application/x-www-form-urlencoded")], body=b"up=text")) == {
        "detail": [
            {"type": "value_error", "loc": ["body", "up"], "msg": "Value error, Expected UploadFile, received: <class 'str'>", "input": "text", "ctx": {"error": {}}}
        ]
    }
    # And OpenAPI can describe it.
    assert validator.body_model is not None
    assert validator.body_model.model_json_schema()["properties"]["up"] == {
        "contentMediaType": "application/octet-stream", "title": "Up", "type": "string"
    }


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64) | st.text(alphabet="0123456789eE.-+ ab\"", max_size=40).map(str.encode))
def test_exponent_prefilter_matches_a_regex(raw: bytes) -> None:
    """The overflow prefilter finds exactly the digit-then-e/E pairs a regex would."""
    import re

    from ferrule.validation.json_body import _has_exponent

    assert _has_exponent(raw) == (re.search(rb"[0-9][eE]", raw) is not None)


def test_json_deeper_than_pydantic_cores_limit_is_400_not_the_stdlib_fallback() -> None:
    """Issue 18 item 10: one depth limit; the stdlib's ~990 levels gave a 500 when echoed."""
    with pytest.raises(MalformedInputError, match="There was an error parsing the body"):
        decode_json(b"[" * 300 + b"]" * 300, None)
