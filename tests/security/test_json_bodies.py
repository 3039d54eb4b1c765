"""Hostile JSON bodies, and CSRF through bodies that are not sent as JSON.

Stated policies (FastAPI's, which decodes with the stdlib):

* Nesting: any depth the decoders refuse (pydantic-core's limit, then the
  stdlib's RecursionError) is 400 "There was an error parsing the body".
* Numbers: integers of more than 4300 digits are 400 (CPython's int/str
  conversion limit, CVE-2020-10735); floats beyond double range become
  ``inf``; ``NaN``/``Infinity`` literals are accepted, as the stdlib does.
* Text: a body that is not valid UTF-8/16/32 is 400.
* Duplicate keys: the last one wins (RFC 8259 §4 leaves it open; this is
  the stdlib's and pydantic-core's choice, so a model and a dict agree).
* CSRF: with ``strict_content_type`` on (the default) a body is decoded as
  JSON only when its Content-Type says JSON; the CORS-safelisted types a
  cross-site form can send (``text/plain``, urlencoded, multipart) never are.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from pydantic import BaseModel

from ferrule import App, Body
from sec_driver import drive

pytestmark = pytest.mark.anyio

JSON = (b"content-type", b"application/json")
PARSE_ERROR = {"detail": "There was an error parsing the body"}


class Item(BaseModel):
    name: str
    value: Any = None


def json_app(**app_options: Any) -> App:
    app = App(**app_options)

    @app.post("/item")
    async def item(item: Item) -> dict[str, Any]:
        return {"name": item.name, "value_type": type(item.value).__name__}

    @app.post("/any")
    async def anything(payload: Any = Body()) -> dict[str, str]:
        return {"type": type(payload).__name__}

    @app.post("/dict")
    async def mapping(payload: dict[str, int] = Body()) -> dict[str, int]:
        return payload

    @app.post("/echo", response_model=None)
    async def echo(payload: Any = Body()) -> Any:
        return payload

    @app.post("/count")
    async def count(n: int = Body(embed=True)) -> dict[str, int]:
        return {"digits": len(str(n))}

    return app


# --- nesting ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/any", b"[" * 100_000 + b"]" * 100_000),
        ("/any", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
        ("/any", b"[" * 100_000),
        ("/item", b'{"name": "x", "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("/any", b'[{"a":' * 50_000 + b"1" + b"}]" * 50_000),
    ],
    ids=["arrays", "objects", "unclosed", "inside-a-model", "mixed"],
)
async def test_100000_levels_of_nesting_is_400_not_a_crash(path: str, body: bytes) -> None:
    """Bug class: stack exhaustion by deeply nested JSON (RecursionError -> 500, or a crashed worker).

    Advisory class: recursive-descent decoders without a depth limit crash
    or raise an unhandled RecursionError on ``[[[[...`` (the long list of
    JSON library advisories for stack exhaustion, e.g. CVE-2020-36518 for
    jackson-databind). 100,000 levels: 400 with FastAPI's message, fast.
    """
    start = time.thread_time()
    outcome = await drive(json_app(), "POST", path, [JSON], body)
    assert time.thread_time() - start < 1.0
    assert outcome.error is None
    assert (outcome.status, outcome.json()) == (400, PARSE_ERROR)


async def test_nesting_that_validation_allows_is_still_fine() -> None:
    """The control: ordinary nesting (50 levels) is decoded and validated."""
    outcome = await drive(json_app(), "POST", "/item", [JSON], b'{"name": "x", "value": ' + b"[" * 50 + b"]" * 50 + b"}")
    assert (outcome.status, outcome.json()) == (200, {"name": "x", "value_type": "list"})


# --- numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("digits", [4301, 100_000, 1_000_000])
async def test_huge_integers_are_400_in_linear_time(digits: int) -> None:
    """Bug class: quadratic int/str conversion of huge numbers (CPU DoS).

    Advisory: CPython's decimal int parsing is quadratic, so a JSON body of
    one 1,000,000-digit number cost seconds of CPU in every JSON decoder
    built on ``int()`` (CVE-2020-10735; CPython now refuses more than 4300
    digits). ferrule answers 400 for such numbers without the quadratic
    conversion: a megabyte of digits is refused in well under a second.
    """
    start = time.thread_time()
    outcome = await drive(json_app(), "POST", "/count", [JSON], b'{"n": ' + b"7" * digits + b"}")
    assert time.thread_time() - start < 0.5
    assert (outcome.status, outcome.json()) == (400, PARSE_ERROR)


async def test_large_but_allowed_integers_are_exact() -> None:
    """The control: 4300 digits is still a number, kept exactly."""
    outcome = await drive(json_app(), "POST", "/count", [JSON], b'{"n": ' + b"7" * 4300 + b"}")
    assert (outcome.status, outcome.json()) == (200, {"digits": 4300})


@pytest.mark.parametrize(
    ("number", "echoed"),
    [(b"1e999999", "Infinity"), (b"-1e400", "-Infinity"), (b"NaN", "NaN"), (b"1" + b"0" * 400 + b".5", "Infinity")],
)
async def test_non_finite_numbers_in_a_422_are_sent_as_text_not_a_500(number: bytes, echoed: str) -> None:
    """Bug class: a validation error that cannot be rendered (hostile input turns a 422 into a 500).

    ``1e999`` overflows to ``inf`` and ``NaN`` is accepted by the stdlib; a 422
    echoing them cannot be JSON, so FastAPI's handler fails with a 500
    (``allow_nan=False``). ferrule refuses such bodies on input (400); the
    422 handler would still send them as text (``echoed``) as a second line.
    """
    outcome = await drive(json_app(), "POST", "/count", [JSON], b'{"n": ' + number + b"}")
    assert outcome.status == 400
    assert outcome.error is None
    assert "There was an error parsing the body" in outcome.json()["detail"]


@pytest.mark.parametrize("text", [b'"\\ud800"', b'"\xed\xa0\x80"', b'["a", {"k": "\\udfff"}]'])
async def test_lone_surrogates_in_a_422_are_replaced_not_a_500(text: bytes) -> None:
    """Bug class: the same, for strings no UTF-8 encoder accepts.

    The escaped lone surrogate ``\\ud800`` (valid JSON syntax) and the
    invalid UTF-8 ``ED A0 80`` (let through by the stdlib fallback's
    ``surrogatepass``) become a ``str`` that cannot be encoded; echoed in a
    422 they made it a 500. ferrule refuses such bodies on input (400).
    """
    outcome = await drive(json_app(), "POST", "/count", [JSON], b'{"n": ' + text + b"}")
    assert outcome.status == 400
    assert outcome.error is None
    assert "There was an error parsing the body" in outcome.json()["detail"]


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
async def test_non_finite_numbers_never_cause_a_500(literal: bytes) -> None:
    """Bug class: input the framework accepts but cannot send back (500 on echo).

    ``NaN``/``Infinity`` are not JSON (RFC 8259 §6) and ``1e999`` overflows
    to ``inf``; FastAPI accepts them like the stdlib, and an endpoint echoing
    its input then answers 500. ferrule's policy: refuse them on input (400).
    """
    outcome = await drive(json_app(), "POST", "/echo", [JSON], b"[" + literal + b"]")
    assert outcome.status == 400
    assert "There was an error parsing the body" in outcome.json()["detail"]


# --- text ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "\xff\xfe"}',
        b'{"name": "\xc0\xaf"}',  # overlong "/"
        b'{"name": "\xe2\x82"}',  # truncated sequence
        b'{"name": "\xf8\x88\x80\x80\x80"}',  # 5-byte form
        b'{"name": "\xf4\x90\x80\x80"}',  # above U+10FFFF
        b"\xff\xfe\x00",  # a UTF-16 BOM then garbage
    ],
)
async def test_invalid_utf8_is_400(body: bytes) -> None:
    """Bug class: invalid UTF-8 decoded leniently into strings (parser differentials, 500s later).

    Advisory class: decoders that replace or pass through invalid bytes
    create strings other components read differently (e.g. overlong ``/``
    passing a path filter, the classic CVE-2000-0884 family). A body that is
    not valid UTF-8 is refused with 400.
    """
    outcome = await drive(json_app(), "POST", "/item", [JSON], body)
    assert (outcome.status, outcome.json()) == (400, PARSE_ERROR)


@pytest.mark.parametrize("body", [b'["\xed\xa0\x80"]', b'["\\ud800"]'])
async def test_surrogates_never_become_unencodable_strings(body: bytes) -> None:
    """Bug class: invalid UTF-8 (encoded surrogates, ``ED A0 80``) accepted as text.

    The stdlib fallback decodes bytes with ``surrogatepass``, so the
    invalid sequence ``ED A0 80`` (and the escaped lone surrogate ``\\ud800``)
    become a ``str`` that cannot be encoded again: echoing it is a 500 in
    FastAPI. ferrule's policy: refuse them on input (400).
    """
    outcome = await drive(json_app(), "POST", "/echo", [JSON], body)
    assert outcome.status == 400
    assert "There was an error parsing the body" in outcome.json()["detail"]


# --- duplicate keys -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/dict", "/any"])
async def test_duplicate_keys_last_one_wins(path: str) -> None:
    """Stated policy: duplicate object keys, last one wins, everywhere.

    Bug class: parser differentials on duplicate keys (a WAF or a signature
    checker reads the first, the app the last). ferrule's two decoders
    (pydantic-core, then the stdlib) and the model path agree: last wins.
    """
    outcome = await drive(json_app(), "POST", path, [JSON], b'{"a": 1, "a": 2}')
    assert outcome.status == 200
    if path == "/dict":
        assert outcome.json() == {"a": 2}
    model = await drive(json_app(), "POST", "/item", [JSON], b'{"name": "first", "name": "last"}')
    assert model.json()["name"] == "last"
    fallback = await drive(json_app(), "POST", "/dict", [JSON], b'\xef\xbb\xbf{"a": 1, "a": 2}')
    assert fallback.json() == {"a": 2}


# --- CSRF ---------------------------------------------------------------------------------------------

CROSS_SITE_TYPES = [
    b"text/plain",
    b"text/plain; charset=utf-8",
    b"TEXT/PLAIN",
    b"text/plain; charset=application/json",
    b"text/plain; application/json",
    b"application/x-www-form-urlencoded",
    b"multipart/form-data; boundary=x",
    b"application/jsonx",
    b"application/json-seq",
]


@pytest.mark.parametrize("content_type", [*CROSS_SITE_TYPES, None])
async def test_json_endpoints_never_parse_bodies_not_sent_as_json(content_type: bytes | None) -> None:
    """Bug class: CSRF against JSON APIs through "simple" cross-site requests.

    Advisory: FastAPI parsed a request body as JSON whatever its
    Content-Type, so a cross-site HTML form or ``fetch`` with ``text/plain``
    (which browsers send without a CORS preflight) could POST JSON to an API
    using cookie auth (CVE-2021-32677). With ``strict_content_type`` on (the
    default) such a body stays bytes and the endpoint gets FastAPI's 422;
    the JSON inside is never decoded.
    """
    headers = [] if content_type is None else [(b"content-type", content_type)]
    outcome = await drive(json_app(), "POST", "/item", headers, b'{"name": "csrf"}')
    assert outcome.status == 422
    assert outcome.json()["detail"][0]["type"] == "model_attributes_type"


async def test_lenient_mode_still_refuses_cross_site_types() -> None:
    """With ``strict_content_type=False`` only a missing Content-Type is read as JSON, never ``text/plain``."""
    app = json_app(strict_content_type=False)
    missing = await drive(app, "POST", "/item", [], b'{"name": "x"}')
    assert missing.status == 200
    plain = await drive(app, "POST", "/item", [(b"content-type", b"text/plain")], b'{"name": "x"}')
    assert plain.status == 422


@pytest.mark.parametrize("content_type", [b"application/json", b"application/json; charset=utf-8", b"Application/JSON", b"application/vnd.api+json"])
async def test_json_content_types_are_parsed(content_type: bytes) -> None:
    """The control: real JSON types are decoded."""
    outcome = await drive(json_app(), "POST", "/item", [(b"content-type", content_type)], b'{"name": "ok"}')
    assert (outcome.status, outcome.json()["name"]) == (200, "ok")
