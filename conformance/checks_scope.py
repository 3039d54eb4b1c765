"""Checks of the HTTP connection scope (ASGI HTTP & WebSocket spec, "HTTP Connection Scope").

The app echoes the scope it was given (``/scope``): a wrong field there is
the server's doing (``ServerFault``); what ferrule derives from it (routing,
``request.url``) is ferrule's.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .context import Context
from .httpclient import raw_http10
from .outcome import NotSupported, ServerFault, check, expect, server_expect
from .servers import ROOT_PATH

SCOPE_SPEC = "ASGI www 2.5 §HTTP Connection Scope"


def _scope(ctx: Context, target: str = "/scope", method: str = "GET", **kwargs: Any) -> dict[str, Any]:
    response = ctx.request(method, target, **kwargs)
    expect(response.status == 200, f"{method} {target} answered {response.status}: {response.body[:200]!r}")
    data: dict[str, Any] = json.loads(response.body)
    return data


@check("scope.asgi", "type, asgi.version, asgi.spec_version", f"{SCOPE_SPEC}: type, asgi")
def scope_asgi(ctx: Context) -> str | None:
    scope = _scope(ctx)
    server_expect(scope["type"] == "http", f"scope type {scope['type']!r}, not 'http'")
    asgi = scope["asgi"]
    server_expect(asgi.get("version") == "3.0", f"asgi.version {asgi.get('version')!r}, not '3.0'")
    spec_version = asgi.get("spec_version")
    if spec_version is None:
        return "no asgi.spec_version (optional: assume 2.0)"
    server_expect(re.fullmatch(r"2\.\d+", str(spec_version)), f"asgi.spec_version {spec_version!r} is not 2.x")
    return f"spec_version {spec_version}"


@check("scope.http_version", "http_version is '1.1' / '1.0' as sent", f"{SCOPE_SPEC}: http_version")
def scope_http_version(ctx: Context) -> str | None:
    scope = _scope(ctx)
    server_expect(scope["http_version"] == "1.1", f"HTTP/1.1 request gave http_version {scope['http_version']!r}")
    head, body = raw_http10(ctx.host, ctx.port, "/scope")
    status_line = head.split(b"\r\n", 1)[0]
    expect(b" 200 " in status_line + b" ", f"HTTP/1.0 request answered {status_line!r}")
    version = json.loads(body)["http_version"]
    server_expect(version == "1.0", f"HTTP/1.0 request gave http_version {version!r}")
    return None


@check("scope.method", "method, uppercased", f"{SCOPE_SPEC}: method")
def scope_method(ctx: Context) -> str | None:
    with ctx.connect() as conn:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            response = conn.request(method, "/scope", body=b"" if method in ("POST", "PUT", "PATCH") else None)
            expect(response.status == 200, f"{method} /scope answered {response.status}")
            got = json.loads(response.body)["method"]
            server_expect(got == method, f"{method} request gave method {got!r}")
    return None


@check("scope.scheme", "scheme is 'http' on plain TCP", f"{SCOPE_SPEC}: scheme")
def scope_scheme(ctx: Context) -> str | None:
    scheme = _scope(ctx)["scheme"]
    server_expect(scheme == "http", f"scheme {scheme!r} on a plain TCP connection")
    return None


@check("scope.path", "path percent-decoded, raw_path as sent", f"{SCOPE_SPEC}: path, raw_path; RFC 3986 §2.1")
def scope_path(ctx: Context) -> str | None:
    raw = "/scope/caf%C3%A9%20x%2Fy"
    scope = _scope(ctx, raw)
    decoded = "/scope/café x/y"
    path = scope["path"]
    server_expect(
        path in (decoded, scope["root_path"] + decoded),
        f"request {raw!r} gave path {path!r}, expected {decoded!r} (optionally after root_path)",
    )
    expect(scope.get("rest") == "café x/y", f"ferrule routed it with rest={scope.get('rest')!r}")
    if not scope["has_raw_path"] or scope["raw_path"] is None:
        return "no raw_path (optional)"
    server_expect(
        scope["raw_path"].endswith(raw),
        f"raw_path {scope['raw_path']!r} is not the bytes sent ({raw!r}, optionally after root_path)",
    )
    return None


@check("routing.raw_path", "an encoded '/' stays in its segment: /p/a%2Fb -> param 'a/b'",
       f"{SCOPE_SPEC}: raw_path; RFC 3986 §2.2")
def routing_raw_path(ctx: Context) -> str | None:
    response = ctx.request("GET", "/p/a%2Fb")
    if response.status == 200 and json.loads(response.body) == {"param": "a/b"}:
        return None
    scope = _scope(ctx, "/scope/a%2Fb")
    if not scope["has_raw_path"] or scope["raw_path"] is None:
        raise NotSupported("no raw_path (optional): an encoded '/' cannot be told from a real one")
    expect(False, f"GET /p/a%2Fb answered {response.status} {response.body[:200]!r}, not {{'param': 'a/b'}}")
    return None


@check("scope.root_path", "root_path from --root-path and from a mount",
       f"{SCOPE_SPEC}: root_path (WSGI SCRIPT_NAME)")
def scope_root_path(ctx: Context) -> str | None:
    scope = _scope(ctx, "/scope/x")
    server_expect(
        scope["root_path"] == ROOT_PATH,
        f"started with root path {ROOT_PATH!r}, scope root_path is {scope['root_path']!r}",
    )
    expect(scope.get("rest") == "x", f"ferrule routed /scope/x with rest={scope.get('rest')!r}")
    url_path = scope["url"].split("//", 1)[1].split("/", 1)[1]
    expect("/" + url_path == f"{ROOT_PATH}/scope/x", f"request.url is {scope['url']!r}: the root path must appear once")
    mounted = _scope(ctx, "/mounted/deeper/scope")
    expect(
        mounted["root_path"] == f"{ROOT_PATH}/mounted/deeper",
        f"a mount's child got root_path {mounted['root_path']!r}, expected {ROOT_PATH + '/mounted/deeper'!r}",
    )
    convention = "path includes root_path" if scope["path"].startswith(ROOT_PATH) else "path excludes root_path"
    return convention


@check("scope.query_string", "query_string is the raw bytes after '?'", f"{SCOPE_SPEC}: query_string")
def scope_query_string(ctx: Context) -> str | None:
    query = "a=1&b=%20x&c=caf%C3%A9&a=2&empty=&flag&plus=a+b&pct=%25%3D"
    got = _scope(ctx, "/scope?" + query)["query_string"]
    server_expect(got == query, f"query_string {got!r}, sent {query!r}")
    return None


@check("scope.headers", "headers lowercased, value order and duplicates kept", f"{SCOPE_SPEC}: headers")
def scope_headers(ctx: Context) -> str | None:
    sent = [
        ("X-Dup", "one"),
        ("X-Order-A", "1"),
        ("X-MiXeD-Case", "Value Case"),
        ("X-Dup", "two"),
        ("X-Order-B", "2"),
        ("X-Dup", "three"),
    ]
    headers = _scope(ctx, headers=sent)["headers"]
    names = [k for k, _ in headers]
    upper = [k for k in names if k != k.lower()]
    server_expect(not upper, f"header names not lowercased: {upper}")
    dup = [v for k, v in headers if k == "x-dup"]
    server_expect(dup == ["one", "two", "three"], f"x-dup values {dup}, sent ['one', 'two', 'three']")
    mixed = [v for k, v in headers if k == "x-mixed-case"]
    server_expect(mixed == ["Value Case"], f"x-mixed-case value {mixed}, sent ['Value Case']")
    ours = [k for k in names if k.startswith("x-")]
    if ours != [k.lower() for k, _ in sent]:
        # SPEC: "order of header names is not important" - only the values' order is.
        return f"names reordered (allowed): {ours}"
    return None


def _address(value: Any, what: str) -> tuple[str, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise ServerFault(f"{what} is {value!r}, not [host, port]")
    host, port = value
    if not isinstance(port, int) or isinstance(port, bool):
        raise ServerFault(f"{what} port is {port!r} ({type(port).__name__}), the spec says int")
    return host, port


@check("scope.client", "client is [peer host, peer port]", f"{SCOPE_SPEC}: client")
def scope_client(ctx: Context) -> str | None:
    with ctx.connect() as conn:
        local = conn.local_address
        response = conn.request("GET", "/scope")
    client = json.loads(response.body)["client"]
    if client is None:
        return "client is None (optional)"
    host, port = _address(client, "client")
    server_expect((host, port) == local, f"client {client!r}, the connection came from {list(local)!r}")
    return None


@check("scope.server", "server is [listen host, listen port]", f"{SCOPE_SPEC}: server")
def scope_server(ctx: Context) -> str | None:
    server = _scope(ctx)["server"]
    if server is None:
        return "server is None (optional)"
    host, port = _address(server, "server")
    server_expect((host, port) == (ctx.host, ctx.port), f"server {server!r}, listening on {[ctx.host, ctx.port]!r}")
    return None


@check("scope.state", "state: a copy of the lifespan state", f"{SCOPE_SPEC}: state; ASGI lifespan 2.x §Lifespan State")
def scope_state(ctx: Context) -> str | None:
    ctx.request("GET", "/state/mutate")
    scope = _scope(ctx)
    if not scope["has_state"]:
        if ctx.lifespan_startups() == 0:
            raise NotSupported("the server does not run the lifespan protocol, so there is no state")
        raise NotSupported("no scope['state'] (optional: the server does not support lifespan state)")
    state = scope["state"]
    expect(state.get("started_by") == "lifespan", f"request state {state!r} lacks the lifespan's values")
    # SPEC: "a copy of the namespace": a key one request set must not reach the next.
    server_expect("leak" not in state, f"state {state!r} carries a key another request set: it is not copied")
    return None
