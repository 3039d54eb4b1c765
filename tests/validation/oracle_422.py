"""The 422 cases of ``test_compile_errors`` as one app for both frameworks, and their requests.

``build(fw)`` mounts the endpoints of the 422 cases with ``fw``'s markers
(``test_compile_errors`` compiles the functions of ``build(ferrule)`` without
routing); ``REQUESTS`` holds, for every name of
``validation_reference.EXPECTED_422``, the raw request that case sends. Used by
``test_422_live`` (ferrule against FastAPI itself, live) and by
``tests/capture_fastapi.py`` (which writes ``validation_reference.py`` from
FastAPI's answers).
"""

# No `from __future__ import annotations`: the endpoints' annotations use `fw`'s markers.

import datetime
import decimal
import enum
import uuid
from typing import Annotated, Any, Literal, Optional, Union

from live_oracle import Sent, framework_app
from pydantic import BaseModel, ConfigDict, Field, field_validator


class Color(str, enum.Enum):
    red = "red"
    green = "green"


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


class Order(BaseModel):
    items: list[Item]
    note: Optional[str] = None


class FilterParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(100, gt=0, le=100)
    order_by: Literal["created_at", "updated_at"] = "created_at"
    tags: list[str] = []


class HeaderParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    x_token: str
    user_agent: str = "x"


class CookieParams(BaseModel):
    session_id: str
    tracker: Optional[str] = None


class Strict(BaseModel):
    v: int

    @field_validator("v")
    @classmethod
    def check(cls, v: int) -> int:
        if v == 13:
            raise ValueError("unlucky")
        return v


def build(fw: Any) -> Any:
    """One app with every endpoint of the 422 cases, under ``fw`` (ferrule or fastapi)."""
    Body, Cookie, File, Form, Header, Path, Query = fw.Body, fw.Cookie, fw.File, fw.Form, fw.Header, fw.Path, fw.Query
    UploadFile = fw.UploadFile
    app = framework_app(fw)

    @app.post("/q_int")
    def q_int(q: int) -> None: ...

    @app.post("/q_constraints")
    def q_constraints(
        n: Annotated[int, Query(gt=0, le=100)] = 1,
        s: Annotated[str, Query(min_length=2, max_length=4, pattern="^[a-z]+$")] = "ab",
    ) -> None: ...

    @app.post("/q_list")
    def q_list(ids: Annotated[list[int], Query()] = []) -> None: ...  # noqa: B006

    @app.post("/q_enum")
    def q_enum(color: Color, mode: Literal["a", "b"] = "a") -> None: ...

    @app.post("/q_types")
    def q_types(
        u: uuid.UUID,
        d: datetime.date,
        dt: Optional[datetime.datetime] = None,
        dec: Annotated[decimal.Decimal, Query(max_digits=4, decimal_places=2)] = decimal.Decimal("0"),
        flag: bool = False,
    ) -> None: ...

    @app.post("/q_union")
    def q_union(v: Union[int, datetime.date]) -> None: ...

    @app.post("/q_alias")
    def q_alias(item_query: Annotated[str, Query(alias="item-query")]) -> None: ...

    @app.post("/q_model")
    def q_model(f: Annotated[FilterParams, Query()]) -> None: ...

    @app.post("/h")
    def h(x_token: Annotated[str, Header()], count: Annotated[int, Header()] = 0) -> None: ...

    @app.post("/h_list")
    def h_list(x_num: Annotated[list[int], Header()]) -> None: ...

    @app.post("/h_model")
    def h_model(h: Annotated[HeaderParams, Header()]) -> None: ...

    @app.post("/c")
    def c(session: Annotated[str, Cookie()], n: Annotated[int, Cookie()] = 0) -> None: ...

    @app.post("/c_model")
    def c_model(c: Annotated[CookieParams, Cookie()]) -> None: ...

    @app.post("/p/{item_id}")
    def p(item_id: int) -> None: ...

    @app.post("/p2/{item_id}")
    def p2(item_id: Annotated[int, Path(ge=1)]) -> None: ...

    @app.post("/b_item")
    def b_item(item: Item) -> None: ...

    @app.post("/b_order")
    def b_order(order: Order) -> None: ...

    @app.post("/b_multi")
    def b_multi(item: Item, count: Annotated[int, Body()], note: Annotated[Optional[str], Body()] = None) -> None: ...

    @app.post("/b_embed")
    def b_embed(item: Annotated[Item, Body(embed=True)]) -> None: ...

    @app.post("/b_validator")
    def b_validator(s: Strict) -> None: ...

    @app.post("/b_list")
    def b_list(items: list[Item]) -> None: ...

    @app.post("/b_dict")
    def b_dict(d: dict[str, int]) -> None: ...

    @app.post("/all/{pid}")
    def all_(pid: int, q: int, x_h: Annotated[int, Header()], ck: Annotated[int, Cookie()], item: Item) -> None: ...

    @app.post("/form")
    def form(username: Annotated[str, Form()], age: Annotated[int, Form()] = 0) -> None: ...

    @app.post("/file")
    def file(f: Annotated[bytes, File()], up: UploadFile) -> None: ...

    @app.post("/form_list")
    def form_list(tags: Annotated[list[str], Form()]) -> None: ...

    return app


# The headers FastAPI's TestClient (httpx) sends with every request (the captured
# header-model outputs list them).
TESTCLIENT_HEADERS = (
    (b"host", b"testserver"),
    (b"accept", b"*/*"),
    (b"accept-encoding", b"gzip, deflate"),
    (b"connection", b"keep-alive"),
    (b"user-agent", b"testclient"),
)
JSON = ((b"content-type", b"application/json"),)
FORM = ((b"content-type", b"application/x-www-form-urlencoded"),)
BOUNDARY = "xyzBOUNDARYzyx"
MULTIPART = ((b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),)
FILE_BODY = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f"\r\n\r\ntext\r\n'
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="up"\r\n\r\nnot-a-file\r\n'
    f"--{BOUNDARY}--\r\n"
).encode()


def _s(path: str, query: bytes = b"", headers: tuple[tuple[bytes, bytes], ...] = (), body: bytes = b"") -> Sent:
    return Sent("POST", path, query, headers, body)


REQUESTS: dict[str, Sent] = {
    "query_missing": _s("/q_int"),
    "query_int_parsing": _s("/q_int", b"q=abc"),
    "query_empty_string": _s("/q_int", b"q="),
    "query_gt_le": _s("/q_constraints", b"n=0&s=a"),
    "query_le_pattern": _s("/q_constraints", b"n=101&s=ABCDE"),
    "query_pattern": _s("/q_constraints", b"s=AB"),
    "query_list_items": _s("/q_list", b"ids=1&ids=x&ids=3&ids=y"),
    "query_enum": _s("/q_enum", b"color=blue&mode=c"),
    "query_enum_missing": _s("/q_enum"),
    "query_types": _s("/q_types", b"u=nope&d=2020-13-01&dt=yesterday&dec=123.456&flag=maybe"),
    "query_decimal_digits": _s("/q_types", b"u=12345678-1234-5678-1234-567812345678&d=2020-01-01&dec=12.345"),
    "query_union": _s("/q_union", b"v=abc"),
    "query_alias_missing": _s("/q_alias", b"item_query=x"),
    "query_model_extra": _s("/q_model", b"limit=0&order_by=x&tool=plumbus"),
    "header_missing": _s("/h", headers=TESTCLIENT_HEADERS),
    "header_wrong_type": _s("/h", headers=((b"x-token", b"t"), (b"count", b"many"))),
    "header_list": _s("/h_list", headers=((b"x-num", b"1"), (b"x-num", b"b"))),
    "header_model_extra": _s("/h_model", headers=(*TESTCLIENT_HEADERS, (b"x-token", b"t"))),
    "header_model_missing": _s("/h_model", headers=TESTCLIENT_HEADERS),
    "cookie_missing": _s("/c"),
    "cookie_wrong_type": _s("/c", headers=((b"cookie", b"session=s; n=x"),)),
    "cookie_model_missing": _s("/c_model", headers=((b"cookie", b"other=1"),)),
    "path_int": _s("/p/abc"),
    "path_ge": _s("/p2/0"),
    "body_missing": _s("/b_item"),
    "body_missing_with_ct": _s("/b_item", headers=JSON),
    "body_fields_missing": _s("/b_item", headers=JSON, body=b"{}"),
    "body_wrong_types": _s("/b_item", headers=JSON, body=b'{"name": 1, "price": "cheap", "tags": "x"}'),
    "body_array_for_model": _s("/b_item", headers=JSON, body=b"[1, 2]"),
    "body_string_for_model": _s("/b_item", headers=JSON, body=b'"hello"'),
    "body_nested": _s(
        "/b_order", headers=JSON,
        body=b'{"items": [{"name": "a", "price": 1}, {"name": "b", "price": "x"}, {"price": 2}]}',
    ),
    "body_invalid_json": _s("/b_item", headers=JSON, body=b'{"name": '),
    "body_invalid_json2": _s("/b_item", headers=JSON, body=b"not json"),
    "body_invalid_json_extra": _s("/b_item", headers=JSON, body=b'{"name": "a", "price": 1} x'),
    "body_invalid_json_quote": _s("/b_item", headers=JSON, body=b"{'name': 'a'}"),
    "body_invalid_json_trailing_comma": _s("/b_item", headers=JSON, body=b'{"name": "a",}'),
    "body_invalid_json_ctrl": _s("/b_item", headers=JSON, body=b'{"name": "a\x01"}'),
    "body_no_content_type": _s("/b_item", body=b'{"name": "a", "price": 1}'),
    "body_text_plain": _s("/b_item", headers=((b"content-type", b"text/plain"),), body=b'{"name": "a", "price": 1}'),
    "body_multi_missing": _s("/b_multi", headers=JSON, body=b'{"item": {"name": "a"}}'),
    "body_multi_list": _s("/b_multi", headers=JSON, body=b"[1]"),
    "body_multi_none": _s("/b_multi"),
    "body_multi_no_ct": _s("/b_multi", body=b'{"count": 1}'),
    "body_embed_unwrapped": _s("/b_embed", headers=JSON, body=b'{"name": "a", "price": 1}'),
    "body_validator": _s("/b_validator", headers=JSON, body=b'{"v": 13}'),
    "body_list": _s("/b_list", headers=JSON, body=b'[{"name": "a", "price": 1}, {"name": "b"}]'),
    "body_list_object": _s("/b_list", headers=JSON, body=b'{"name": "a"}'),
    "body_dict": _s("/b_dict", headers=JSON, body=b'{"a": 1, "b": "x"}'),
    "all_locations": _s(
        "/all/x", b"q=y", headers=((b"x-h", b"z"), (b"content-type", b"application/json"), (b"cookie", b"ck=w")),
        body=b'{"name": 5}',
    ),
    "form_missing": _s("/form", headers=FORM, body=b"age=x"),
    "form_empty_string": _s("/form", headers=FORM, body=b"username=&age="),
    "form_json_sent": _s("/form", headers=JSON, body=b'{"username": "a"}'),
    "file_missing": _s("/file", headers=FORM, body=b"x=1"),
    "file_wrong": _s("/file", headers=MULTIPART, body=FILE_BODY),
    "form_list_missing": _s("/form_list", headers=FORM, body=b""),
}
