"""HTTPSRedirectMiddleware: http → https (307), ports, websockets, secure requests untouched."""

from __future__ import annotations

import pytest
from _mw_asgi import Recorder, http_scope, run, ws_messages

from ferrule.asgi_core.middleware.httpsredirect import HTTPSRedirectMiddleware

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("host", "location"),
    [
        ("example.com", "https://example.com/a%20b?x=1"),
        ("example.com:80", "https://example.com/a%20b?x=1"),
        ("example.com:443", "https://example.com/a%20b?x=1"),
        ("example.com:8080", "https://example.com:8080/a%20b?x=1"),
        ("[::1]:80", "https://[::1]/a%20b?x=1"),
    ],
)
async def test_http_is_redirected(host: str, location: str) -> None:
    inner = Recorder()
    scope = http_scope("/a b", method="POST", headers=[("host", host)], query_string=b"x=1")
    result = await run(HTTPSRedirectMiddleware(inner), scope)
    assert result.status == 307
    assert result.headers["location"] == location
    assert inner.scopes == []


async def test_https_passes() -> None:
    inner = Recorder()
    result = await run(HTTPSRedirectMiddleware(inner), http_scope(scheme="https"))
    assert result.body == b"inner"


async def test_websockets() -> None:
    inner = Recorder()
    mw = HTTPSRedirectMiddleware(inner)
    assert await ws_messages(mw, http_scope(scope_type="websocket", scheme="ws")) == [
        {"type": "websocket.close", "code": 1008}
    ]
    assert await ws_messages(mw, http_scope(scope_type="websocket", scheme="wss")) == [{"type": "websocket.accept"}]
    assert len(inner.scopes) == 1
