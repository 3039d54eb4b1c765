"""Issue 18 item 10: deep JSON gets one clear 400 (never a 500), and Request.json() refuses
what the README says is refused (NaN, Infinity, overflowing numbers)."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

from ferrule import App, Body, Request
from ferrule.testclient import TestClient


def _app() -> App:
    app = App()

    @app.post("/echo")
    async def echo(body: Annotated[Any, Body()]) -> Any:
        return body

    @app.post("/raw")
    async def raw(request: Request) -> Any:
        return await request.json()

    return app


@pytest.mark.parametrize("depth", [150, 201, 202, 500, 990])
def test_nested_json_is_echoed_or_refused_with_400(depth: int) -> None:
    body = b"[" * depth + b"]" * depth
    with TestClient(_app(), raise_server_exceptions=False) as client:
        r = client.post("/echo", content=body, headers={"content-type": "application/json"})
    if depth <= 201:  # pydantic-core decodes 201 levels, not 202
        assert r.status_code == 200
    else:
        assert r.status_code == 400 and r.json() == {"detail": "There was an error parsing the body"}


@pytest.mark.parametrize("body", [b"NaN", b"[Infinity]", b'{"a": -Infinity}', b"1e999", b"[1, -2E400]"])
def test_request_json_refuses_values_no_response_can_carry(body: bytes) -> None:
    with TestClient(_app(), raise_server_exceptions=False) as client:
        r = client.post("/raw", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400


def test_request_json_accepts_ordinary_numbers() -> None:
    with TestClient(_app()) as client:
        r = client.post("/raw", content=b'[1.5e3, -2, 0.25, "e"]')
    assert r.status_code == 200 and r.json() == [1500.0, -2, 0.25, "e"]
