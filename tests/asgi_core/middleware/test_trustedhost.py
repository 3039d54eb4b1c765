"""TrustedHostMiddleware: exact and wildcard hosts, ports, IPv6, www redirect, websockets."""

from __future__ import annotations

import pytest
from _mw_asgi import Recorder, Result, http_scope, run, ws_messages

from ferrule.asgi_core.exceptions import FerruleError
from ferrule.asgi_core.middleware.trustedhost import TrustedHostMiddleware, host_without_port

pytestmark = pytest.mark.anyio


async def call(allowed: list[str] | None, host: str | None, **kw: object) -> Result:
    headers = [] if host is None else [("host", host)]
    mw = TrustedHostMiddleware(Recorder(), allowed_hosts=allowed, **kw)  # type: ignore[arg-type]
    return await run(mw, http_scope("/p", headers=headers, query_string=b"q=1"))


@pytest.mark.parametrize(
    ("allowed", "host", "ok"),
    [
        (None, "anything.example", True),
        (["*"], None, True),
        (["example.com"], "example.com", True),
        (["example.com"], "EXAMPLE.com:8000", True),
        (["example.com"], "example.com.", True),
        (["example.com"], "evil.com", False),
        (["example.com"], "example.com.evil.com", False),
        (["example.com"], "", False),
        (["example.com"], None, False),
        (["*.example.com"], "api.example.com", True),
        (["*.example.com"], "a.b.example.com:443", True),
        (["*.example.com"], "example.com", False),
        (["*.example.com"], "evilexample.com", False),
        (["[::1]"], "[::1]:8000", True),
        (["127.0.0.1"], "127.0.0.1:80", True),
    ],
)
async def test_host_matching(allowed: list[str] | None, host: str | None, ok: bool) -> None:
    result = await call(allowed, host)
    if ok:
        assert (result.status, result.body) == (200, b"inner")
    else:
        assert (result.status, result.text) == (400, "Invalid host header")


async def test_www_redirect() -> None:
    result = await call(["www.example.com"], "example.com:8080")
    assert result.status == 307
    assert result.headers["location"] == "http://www.example.com:8080/p?q=1"
    off = await call(["www.example.com"], "example.com", www_redirect=False)
    assert off.status == 400


@pytest.mark.parametrize("pattern", ["api.*.com", "*example.com", "ex*", "**.example.com"])
def test_bad_patterns_fail_at_startup(pattern: str) -> None:
    with pytest.raises(FerruleError, match="invalid trusted host pattern"):
        TrustedHostMiddleware(Recorder(), allowed_hosts=[pattern])


def test_a_string_is_refused() -> None:
    with pytest.raises(TypeError, match="must be a list of host names"):
        TrustedHostMiddleware(Recorder(), allowed_hosts="example.com")


async def test_websocket_refused_by_closing() -> None:
    inner = Recorder()
    mw = TrustedHostMiddleware(inner, allowed_hosts=["example.com"])
    sent = await ws_messages(mw, http_scope(scope_type="websocket", headers=[("host", "evil.com")]))
    assert sent == [{"type": "websocket.close", "code": 1008}]
    assert inner.scopes == []
    sent = await ws_messages(mw, http_scope(scope_type="websocket", headers=[("host", "example.com")]))
    assert sent == [{"type": "websocket.accept"}]


@pytest.mark.parametrize(
    ("value", "host"),
    [("a.com:80", "a.com"), ("[::1]:8000", "[::1]"), ("[::1]", "[::1]"), ("a.com", "a.com"), ("[bad", "[bad")],
)
def test_host_without_port(value: str, host: str) -> None:
    assert host_without_port(value) == host
