"""CORSMiddleware: preflights answered here, simple responses decorated, `*` vs credentials, Vary."""

from __future__ import annotations

from typing import Any

import pytest
from _mw_asgi import Recorder, Result, bytes_app, http_scope, run

from ferrule.asgi_core.middleware.cors import CORSMiddleware

pytestmark = pytest.mark.anyio

A = "https://a.example"
EVIL = "https://evil.example"


async def call(mw: CORSMiddleware, *headers: tuple[str, str], method: str = "GET") -> Result:
    return await run(mw, http_scope("/", method=method, headers=headers))


def cors(**options: Any) -> tuple[CORSMiddleware, Recorder]:
    inner = Recorder()
    return CORSMiddleware(inner, **options), inner


def preflight(method: str = "GET", headers: str | None = None, origin: str = A) -> list[tuple[str, str]]:
    out = [("origin", origin), ("access-control-request-method", method)]
    if headers is not None:
        out.append(("access-control-request-headers", headers))
    return out


async def test_no_origin_passes_untouched() -> None:
    mw, inner = cors(allow_origins=[A])
    result = await call(mw)
    assert result.body == b"inner"
    assert not any(k.startswith("access-control") for k in result.headers)
    assert "vary" not in result.headers
    assert len(inner.scopes) == 1


async def test_simple_request_from_allowed_origin() -> None:
    mw, _ = cors(allow_origins=[A], expose_headers=["X-Total"])
    result = await call(mw, ("origin", A))
    assert result.headers["access-control-allow-origin"] == A
    assert result.headers["access-control-expose-headers"] == "X-Total"
    assert result.headers["vary"] == "Origin"
    assert "access-control-allow-credentials" not in result.headers


async def test_simple_request_from_other_origin_still_served_without_cors_headers() -> None:
    mw, inner = cors(allow_origins=[A], allow_credentials=True)
    result = await call(mw, ("origin", EVIL))
    assert result.body == b"inner" and len(inner.scopes) == 1
    assert "access-control-allow-origin" not in result.headers
    assert "access-control-allow-credentials" not in result.headers
    assert result.headers["vary"] == "Origin"  # the answer depends on Origin


async def test_wildcard_without_credentials_is_star_and_no_vary() -> None:
    mw, _ = cors(allow_origins=["*"])
    result = await call(mw, ("origin", EVIL))
    assert result.headers["access-control-allow-origin"] == "*"
    assert "vary" not in result.headers


async def test_wildcard_with_credentials_echoes_origin() -> None:
    # Fetch: "*" is refused for credentialed requests, so the origin is echoed.
    mw, _ = cors(allow_origins=["*"], allow_credentials=True)
    result = await call(mw, ("origin", EVIL), ("cookie", "s=1"))
    assert result.headers["access-control-allow-origin"] == EVIL
    assert result.headers["access-control-allow-credentials"] == "true"
    assert result.headers["vary"] == "Origin"


async def test_vary_is_merged_with_the_apps() -> None:
    app = bytes_app(headers=[(b"vary", b"Accept-Encoding")])
    result = await run(CORSMiddleware(app, allow_origins=[A]), http_scope(headers=[("origin", A)]))
    assert result.headers.getlist("vary") == ["Accept-Encoding, Origin"]


async def test_origin_regex_must_match_fully() -> None:
    mw, _ = cors(allow_origin_regex=r"https://[a-z]+\.example\.org")
    ok = await call(mw, ("origin", "https://app.example.org"))
    assert ok.headers["access-control-allow-origin"] == "https://app.example.org"
    bad = await call(mw, ("origin", "https://app.example.org.evil.com"))
    assert "access-control-allow-origin" not in bad.headers


async def test_preflight_success_never_reaches_the_app() -> None:
    mw, inner = cors(allow_origins=[A], allow_methods=["GET", "POST"], allow_headers=["X-Token"], max_age=42)
    result = await call(mw, *preflight("POST", "x-token, Content-Type"), method="OPTIONS")
    assert (result.status, result.body) == (200, b"OK")
    assert inner.scopes == []
    assert result.headers["access-control-allow-origin"] == A
    assert result.headers["access-control-allow-methods"] == "GET, POST"
    assert result.headers["access-control-allow-headers"] == (
        "accept, accept-language, content-language, content-type, x-token"
    )
    assert result.headers["access-control-max-age"] == "42"
    assert result.headers["vary"] == "Origin"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (preflight(origin=EVIL), "Disallowed CORS origin"),
        (preflight("DELETE"), "Disallowed CORS method"),
        (preflight("GET", "x-secret"), "Disallowed CORS headers"),
        (preflight("PUT", "x-secret", origin=EVIL), "Disallowed CORS origin, method, headers"),
    ],
)
async def test_preflight_failures_are_400(headers: list[tuple[str, str]], expected: str) -> None:
    mw, inner = cors(allow_origins=[A])
    result = await call(mw, *headers, method="OPTIONS")
    assert (result.status, result.text) == (400, expected)
    assert inner.scopes == []
    if "origin" in expected:
        assert "access-control-allow-origin" not in result.headers


async def test_preflight_wildcards() -> None:
    mw, _ = cors(allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])
    result = await call(mw, *preflight("PURGE", "X-Anything, X-Else", origin=EVIL), method="OPTIONS")
    assert result.status == 200
    assert result.headers["access-control-allow-origin"] == "*"
    assert result.headers["access-control-allow-headers"] == "X-Anything, X-Else"
    assert "DELETE" in result.headers["access-control-allow-methods"]
    assert "vary" not in result.headers


async def test_preflight_with_credentials_echoes_origin() -> None:
    mw, _ = cors(allow_origins=["*"], allow_credentials=True)
    result = await call(mw, *preflight(origin=EVIL), method="OPTIONS")
    assert result.headers["access-control-allow-origin"] == EVIL
    assert result.headers["access-control-allow-credentials"] == "true"
    assert result.headers["vary"] == "Origin"


async def test_private_network_preflight() -> None:
    ask = ("access-control-request-private-network", "true")
    allowed, _ = cors(allow_origins=[A], allow_private_network=True)
    result = await call(allowed, *preflight(), ask, method="OPTIONS")
    assert result.status == 200
    assert result.headers["access-control-allow-private-network"] == "true"
    refused, _ = cors(allow_origins=[A])
    result = await call(refused, *preflight(), ask, method="OPTIONS")
    assert (result.status, result.text) == (400, "Disallowed CORS private network")
    assert "access-control-allow-private-network" not in result.headers


async def test_options_without_request_method_is_a_simple_request() -> None:
    mw, inner = cors(allow_origins=[A])
    result = await call(mw, ("origin", A), method="OPTIONS")
    assert result.body == b"inner" and len(inner.scopes) == 1
    assert result.headers["access-control-allow-origin"] == A


def test_a_string_instead_of_a_list_is_refused() -> None:
    with pytest.raises(TypeError, match="allow_origins must be a list of strings"):
        CORSMiddleware(Recorder(), allow_origins="https://a.example")


async def test_websocket_passes_through() -> None:
    mw, inner = cors(allow_origins=[A])
    sent: list[object] = []

    async def receive() -> dict[str, str]:
        return {"type": "websocket.connect"}

    async def send(message: object) -> None:
        sent.append(message)

    await mw(http_scope(scope_type="websocket", headers=[("origin", EVIL)]), receive, send)
    assert len(inner.scopes) == 1
    assert sent == [{"type": "websocket.accept"}]
