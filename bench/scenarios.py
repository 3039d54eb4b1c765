"""The benchmark scenarios: one request each, and the check its response must pass.

Every framework module in `bench.apps` builds one small app per scenario
(`APPS[scenario.app](**scenario.params)`), written the way that framework's
users write it. The request below is sent to all of them, and before any
timing the response is checked once: the status (`status`, or the
framework's idiomatic one from `status_overrides`) and the body (`check`).
A check raises `CheckFailed`; a broken app is reported, never timed.

Shared data (`ITEM`, `big_items()`, sizes) lives here so the apps cannot
drift apart: an app that returns other data fails its check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "CheckFailed",
    "Scenario",
    "SCENARIOS",
    "ROUTER_SIZES",
    "ITEM",
    "BAD_ITEM",
    "STREAM_ITEMS",
    "BIG_ITEMS",
    "UPLOAD_SIZE",
    "OTHER_ROUTES",
    "big_items",
    "select",
]

#: Routes registered besides the measured one in `path_int`.
OTHER_ROUTES: Final = 100
#: Route counts of `router_scale_<n>`; the last route is requested.
ROUTER_SIZES: Final = (10, 100, 1_000, 10_000)
#: Events per `sse` response and lines per `jsonl` response.
STREAM_ITEMS: Final = 10_000
#: Items in the `big_json` response list.
BIG_ITEMS: Final = 10_000
#: Size of the file in the `upload` multipart body.
UPLOAD_SIZE: Final = 5 * 1024 * 1024
#: Size of each `http.request` body message (a server's read size).
CHUNK_SIZE: Final = 64 * 1024

#: The `body` scenario's request, echoed back: six fields, one a nested list of models.
ITEM: Final[dict[str, Any]] = {
    "name": "widget",
    "price": 9.5,
    "quantity": 3,
    "in_stock": True,
    "tags": ["blue", "small"],
    "variants": [{"sku": "w-1", "size": 1}, {"sku": "w-2", "size": 2}],
}
#: The `error422` request: `price` is not a number.
BAD_ITEM: Final[dict[str, Any]] = {**ITEM, "price": "not-a-number"}

HELLO: Final = "Hello, world!"
JSON_DATA: Final[dict[str, Any]] = {"message": "Hello, world!", "id": 1, "ok": True}
QUERY_RESULT: Final[dict[str, Any]] = {"q": "widgets", "limit": 20, "offset": 40}
DEPS_RESULT: Final[dict[str, Any]] = {"user": "alice", "app": "bench", "db": "open"}
UPLOAD_BOUNDARY: Final = "----benchboundary7MA4YWxkTrZu0gW"


class CheckFailed(Exception):
    """A response that is not what the scenario asks for."""


def big_items() -> list[dict[str, Any]]:
    """The `big_json` response, as plain data (apps turn it into their models)."""
    return [
        {"id": i, "name": f"item-{i}", "price": i + 0.5, "tags": ["x", "y"]}
        for i in range(BIG_ITEMS)
    ]


def stream_line(i: int) -> dict[str, Any]:
    """Item `i` of the `jsonl` stream (and the data of SSE event `i`: `{"i": i}`)."""
    return {"i": i, "name": f"line-{i}"}


Check = Callable[[bytes, Mapping[str, str]], None]


@dataclass(frozen=True)
class Scenario:
    """One request and the check of its response.

    Attributes:
        name: the scenario's name in tables and on the command line.
        app: the builder name in each framework module's `APPS`.
        method, path, query: the request line.
        headers: extra request headers (lowercase names).
        body: the request body, sent in `CHUNK_SIZE` messages.
        status: the expected status; `status_overrides` maps a framework to
            its idiomatic status where it differs (Litestar's 400 for 422).
        check: raises `CheckFailed` unless body and headers are right.
        items: events/lines per response for streams (reported per second), else 0.
        params: keyword arguments for the app builder.
    """

    name: str
    app: str
    method: str
    path: str
    check: Check
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    status: int = 200
    status_overrides: Mapping[str, int] = field(default_factory=dict)
    items: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)

    def expected_status(self, framework: str) -> int:
        return self.status_overrides.get(framework, self.status)


# --- checks -----------------------------------------------------------------


def _content_type(headers: Mapping[str, str], prefix: str) -> None:
    got = headers.get("content-type", "")
    if not got.startswith(prefix):
        raise CheckFailed(f"content-type {got!r}, expected {prefix}")


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise CheckFailed(f"body is not JSON: {body[:80]!r}") from exc


def _equals_json(expected: Any) -> Check:
    def check(body: bytes, headers: Mapping[str, str]) -> None:
        _content_type(headers, "application/json")
        got = _json(body)
        if got != expected:
            raise CheckFailed(f"body {str(got)[:120]}, expected {str(expected)[:120]}")

    return check


def _check_hello(body: bytes, headers: Mapping[str, str]) -> None:
    _content_type(headers, "text/plain")
    if body != HELLO.encode():
        raise CheckFailed(f"body {body[:80]!r}, expected {HELLO!r}")


def _check_error(body: bytes, headers: Mapping[str, str]) -> None:
    # Error shapes differ by framework (FastAPI's detail list, Litestar's
    # extra, pydantic's list); each must name the bad field.
    if b"price" not in body:
        raise CheckFailed(f"error body does not name the bad field 'price': {body[:120]!r}")


def _check_sse(body: bytes, headers: Mapping[str, str], *, text_too: bool = False) -> None:
    _content_type(headers, "text/event-stream")
    datas = [line for line in body.splitlines() if line.startswith(b"data:")]
    if len(datas) != STREAM_ITEMS:
        raise CheckFailed(f"{len(datas)} data lines, expected {STREAM_ITEMS}")
    for index in (0, STREAM_ITEMS - 1):
        got = _json(datas[index][5:].strip())
        if text_too and isinstance(got, str):
            got = _json(got.encode())
        if got != {"i": index}:
            raise CheckFailed(f"event {index} data {got!r}, expected {{'i': {index}}}")


def _check_sse_text(body: bytes, headers: Mapping[str, str]) -> None:
    """As `_check_sse`, but the data may also be the JSON text as a JSON string.

    `sse_str` endpoints yield the text `{"i": i}`: Litestar, BlackSheep and
    Starlette send it as is; FastAPI and ferrule JSON-encode every item (a
    quoted string), which this check decodes once more.
    """
    _check_sse(body, headers, text_too=True)


def _check_jsonl(body: bytes, headers: Mapping[str, str]) -> None:
    _content_type(headers, "application/")
    lines = [line for line in body.split(b"\n") if line.strip()]
    if len(lines) != STREAM_ITEMS:
        raise CheckFailed(f"{len(lines)} lines, expected {STREAM_ITEMS}")
    for index in (0, STREAM_ITEMS - 1):
        got = _json(lines[index])
        if got != stream_line(index):
            raise CheckFailed(f"line {index} is {got!r}, expected {stream_line(index)!r}")


def _check_big(body: bytes, headers: Mapping[str, str]) -> None:
    _content_type(headers, "application/json")
    got = _json(body)
    if not isinstance(got, list) or len(got) != BIG_ITEMS:
        raise CheckFailed(f"expected a list of {BIG_ITEMS} items, got {str(got)[:80]}")
    expected = big_items()
    for index in (0, BIG_ITEMS // 2, BIG_ITEMS - 1):
        if got[index] != expected[index]:
            raise CheckFailed(f"item {index} is {got[index]!r}, expected {expected[index]!r}")


def _multipart_body() -> bytes:
    payload = bytes(range(256)) * (UPLOAD_SIZE // 256)
    head = (
        f"--{UPLOAD_BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="data.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + payload + f"\r\n--{UPLOAD_BOUNDARY}--\r\n".encode()


def _build() -> list[Scenario]:
    json_body = json.dumps(ITEM).encode()
    json_headers = (("content-type", "application/json"),)
    scenarios = [
        Scenario("hello", "hello", "GET", "/hello", _check_hello),
        Scenario("json", "json", "GET", "/json", _equals_json(JSON_DATA)),
        Scenario("path_int", "path_int", "GET", "/items/42", _equals_json({"item_id": 42})),
    ]
    for size in ROUTER_SIZES:
        scenarios.append(
            Scenario(
                f"router_scale_{size}",
                "router_scale",
                "GET",
                f"/r{size - 1}/items/7",
                _equals_json({"route": size - 1, "item_id": 7}),
                params={"routes": size},
            )
        )
    scenarios += [
        Scenario(
            "query", "query", "GET", "/query", _equals_json(QUERY_RESULT),
            query="q=widgets&limit=20&offset=40",
        ),
        Scenario(
            "body", "body", "POST", "/items", _equals_json(ITEM),
            headers=json_headers, body=json_body,
        ),
        Scenario(
            "error422", "body", "POST", "/items", _check_error,
            headers=json_headers, body=json.dumps(BAD_ITEM).encode(), status=422,
            # Litestar and BlackSheep answer invalid input with 400 by design.
            status_overrides={"litestar": 400, "blacksheep": 400},
        ),
        Scenario("deps", "deps", "GET", "/deps", _equals_json(DEPS_RESULT)),
        Scenario("sse", "sse", "GET", "/sse", _check_sse, items=STREAM_ITEMS),
        Scenario("sse_model", "sse_model", "GET", "/sse", _check_sse, items=STREAM_ITEMS),
        Scenario("sse_str", "sse_str", "GET", "/sse", _check_sse_text, items=STREAM_ITEMS),
        Scenario("jsonl", "jsonl", "GET", "/jsonl", _check_jsonl, items=STREAM_ITEMS),
        Scenario(
            "upload", "upload", "POST", "/upload",
            _equals_json({"filename": "data.bin", "size": UPLOAD_SIZE}),
            headers=(("content-type", f"multipart/form-data; boundary={UPLOAD_BOUNDARY}"),),
            body=_multipart_body(),
        ),
        Scenario("big_json", "big_json", "GET", "/big", _check_big),
    ]
    return scenarios


SCENARIOS: Final[dict[str, Scenario]] = {s.name: s for s in _build()}


def select(names: list[str] | None) -> list[Scenario]:
    """Scenarios by name; a name also selects its variants (`router_scale` -> all sizes).

    Raises:
        ValueError: a name that matches no scenario.
    """
    if not names:
        return list(SCENARIOS.values())
    chosen: list[Scenario] = []
    for name in names:
        matches = [s for s in SCENARIOS.values() if s.name == name]
        if not matches:  # a family name: router_scale -> router_scale_10, ...
            matches = [s for s in SCENARIOS.values() if s.name.startswith(name + "_")]
        if not matches:
            raise ValueError(
                f"unknown scenario {name!r}; choose from: {', '.join(SCENARIOS)} (or router_scale)"
            )
        chosen += [s for s in matches if s not in chosen]
    return chosen
