"""WebSocket through the server: scope, accept (subprotocol, headers), echo, close both ways, denial."""

from __future__ import annotations

import json
import time
from typing import Any

from .context import Context
from .outcome import CheckFailed, NotSupported, ServerFault, check, expect, server_expect
from .wsclient import Closed, Denied, Message, WebSocketClient, WSProtocolError, connect

WS_SPEC = "ASGI www 2.5 §WebSocket"


def spec_version(scope: dict[str, Any]) -> tuple[int, int]:
    """The server's ``asgi.spec_version`` as numbers ("2.0" when absent, as the spec says)."""
    text = str(scope["asgi"].get("spec_version") or "2.0")
    major, _, minor = text.partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        raise ServerFault(f"asgi.spec_version {text!r} is not a version") from None


def _version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def _open(ctx: Context, target: str, **kwargs: Any) -> tuple[WebSocketClient, dict[str, Any]]:
    """Connect to the echo endpoint; return the client and the scope the app saw."""
    ws = connect(ctx.host, ctx.port, target, **kwargs)
    if isinstance(ws, Denied):
        raise CheckFailed(f"handshake to {target} answered {ws.response.status}: {ws.response.body[:200]!r}")
    first = ws.receive()
    if not isinstance(first, Message) or first.kind != "text":
        ws.close()
        raise CheckFailed(f"expected the scope as the first text message, got {first!r}")
    return ws, json.loads(first.data)


def _ws_scope(ctx: Context) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        ws, scope = _open(ctx, "/ws/echo?token=probe")
        ws.send_close(1000)
        ws.wait_closed()
        ws.close()
        return scope

    scope: dict[str, Any] = ctx.fact("ws_scope", compute)
    return scope


@check("ws.scope", "websocket scope: type, scheme, path, query, headers, subprotocols",
       f"{WS_SPEC} Connection Scope")
def ws_scope(ctx: Context) -> str | None:
    ws, scope = _open(ctx, "/ws/echo?token=scope&x=caf%C3%A9", subprotocols=["conformance.v1", "other.proto"],
                      headers=[("X-Ws-Custom", "Yes"), ("X-Ws-Custom", "again")])
    try:
        ws.send_close(1000)
        ws.wait_closed()
    finally:
        ws.close()
    server_expect(scope["type"] == "websocket", f"type {scope['type']!r}")
    server_expect(scope["asgi"].get("version") == "3.0", f"asgi {scope['asgi']!r}")
    # SPEC: scheme is optional (default "ws") but must not be empty.
    if "scheme" in scope["keys"]:
        server_expect(scope["scheme"] == "ws", f"scheme {scope['scheme']!r}")
    server_expect(scope["path"].endswith("/ws/echo"), f"path {scope['path']!r}")
    server_expect(scope["query_string"] == "token=scope&x=caf%C3%A9", f"query_string {scope['query_string']!r}")
    custom = [v for k, v in scope["headers"] if k == "x-ws-custom"]
    server_expect(custom == ["Yes", "again"], f"x-ws-custom values {custom}: the client sent two fields 'Yes' and "
                                                "'again' (duplicates must be kept as received, names lowercased)")
    server_expect(scope["subprotocols"] == ["conformance.v1", "other.proto"], f"subprotocols {scope['subprotocols']}")
    return f"spec_version {scope['asgi'].get('spec_version', 'absent')}"


@check("ws.accept", "accept with a subprotocol and extra headers",
       f"{WS_SPEC} Accept - send event (headers: spec 2.1); RFC 6455 §4.2.2")
def ws_accept(ctx: Context) -> str | None:
    ws, _scope = _open(ctx, "/ws/echo", subprotocols=["other.proto", "conformance.v1"])
    try:
        protocol = ws.subprotocol
        extra = ws.response.header("x-conformance")
        ws.send_close(1000)
        ws.wait_closed()
    finally:
        ws.close()
    server_expect(protocol == "conformance.v1", f"sec-websocket-protocol {protocol!r}, the app chose 'conformance.v1'")
    if extra is None:
        version = spec_version(_ws_scope(ctx))
        if version < (2, 1):
            raise NotSupported(f"subprotocol ok; spec_version {_version_text(version)} predates accept headers (2.1)")
        raise ServerFault(f"the handshake lacks the x-conformance header the app sent in websocket.accept "
                          f"(the server claims spec_version {_version_text(version)}; headers are 2.1)")
    server_expect(extra == "accepted", f"x-conformance {extra!r}")
    return None


@check("ws.echo", "text and bytes messages round trip, types kept", f"{WS_SPEC} Receive/Send events; RFC 6455 §5.6")
def ws_echo(ctx: Context) -> str | None:
    token = ctx.token()
    ws, _scope = _open(ctx, f"/ws/echo?token={token}")
    cases: list[tuple[str, str | bytes]] = [
        ("text", "héllo ✓"),
        ("bytes", bytes(range(256))),
        ("text", "x" * 70_000),
        ("bytes", bytes(200_000)),
        ("text", ""),
        ("bytes", b""),
    ]
    try:
        for kind, data in cases:
            if isinstance(data, str):
                ws.send_text(data)
            else:
                ws.send_bytes(data)
            label = f"a {kind} message of {len(data)}"
            try:
                got = ws.receive(timeout=3)
            except WSProtocolError as exc:
                events = ctx.events(token)
                if f"ws-recv:{kind}:{len(data)}" not in events:
                    raise ServerFault(f"{label} never reached the app ({exc}); app saw {events[-3:]}") from None
                if f"ws-sent:{kind}:{len(data)}" in events:
                    raise ServerFault(f"the app echoed {label} but no frame came back ({exc})") from None
                raise CheckFailed(f"the app received {label} and did not echo it: {events[-3:]}") from None
            server_expect(isinstance(got, Message), f"{label}: got {got!r}")
            assert isinstance(got, Message)
            server_expect(got.kind == kind, f"{label}: came back as {got.kind}")
            server_expect(got.data == data, f"{label}: came back different ({len(got.data)} long)")
        ws.send_close(1000)
        ws.wait_closed()
    finally:
        ws.close()
    return None


@check("ws.close_by_app", "app closes with code and reason", f"{WS_SPEC} Close - send event (reason: spec 2.3); RFC 6455 §7.4")
def ws_close_by_app(ctx: Context) -> str | None:
    token = ctx.token()
    ws, _scope = _open(ctx, f"/ws/echo?token={token}")
    try:
        ws.send_text("close:4001:bye from app")
        got = ws.receive()
    finally:
        ws.close()
    server_expect(isinstance(got, Closed), f"expected a close frame, got {got!r}")
    assert isinstance(got, Closed)
    server_expect(got.code == 4001, f"close code {got.code}, the app sent 4001")
    if got.reason != "bye from app":
        version = spec_version(_ws_scope(ctx))
        if got.reason == "" and version < (2, 3):
            raise NotSupported(f"code 4001 delivered; no reason (spec_version {_version_text(version)}; "
                               "the close reason is 2.3)")
        raise ServerFault(f"close reason {got.reason!r}, the app sent 'bye from app' "
                          f"(spec_version {_version_text(version)})")
    ok, events = ctx.wait_for_event(token, "ws-closed-by-app", timeout=3)
    expect(ok, f"app events {events}")
    return None


@check("ws.close_by_client", "client's close code and reason reach the app",
       f"{WS_SPEC} Disconnect - receive event (reason: spec 2.5); RFC 6455 §5.5.1")
def ws_close_by_client(ctx: Context) -> str | None:
    token = ctx.token()
    ws, _scope = _open(ctx, f"/ws/echo?token={token}")
    try:
        ws.send_close(4002, "bye from client")
        reply = ws.wait_closed()
    finally:
        ws.close()
    prefix = "ws-disconnect:"
    disconnects: list[str] = []
    for _ in range(60):
        disconnects = [e for e in ctx.events(token) if e.startswith(prefix)]
        if disconnects:
            break
        time.sleep(0.05)
    server_expect(disconnects, "the app never received websocket.disconnect")
    _, code, reason = disconnects[0].split(":", 2)
    if code != "4002":
        raise ServerFault(f"websocket.disconnect code {code}, the client sent close 4002 'bye from client' "
                          f"(and the server's close frame answered {reply.code} {reply.reason!r})")
    if reason != "bye from client":
        version = spec_version(_ws_scope(ctx))
        if reason == "<absent>" and version < (2, 5):
            raise NotSupported(f"code 4002 delivered; no reason (spec_version {_version_text(version)}; "
                               "the disconnect reason is 2.5)")
        raise ServerFault(f"websocket.disconnect reason {reason!r}, the client sent 'bye from client' "
                          f"(spec_version {_version_text(version)})")
    return None


@check("ws.denial", "denial response (status, headers, body) before accept",
       "ASGI extensions §WebSocket Denial Response; ASGI www 2.5 §Close (403 without it)")
def ws_denial(ctx: Context) -> str | None:
    advertised = "websocket.http.response" in _ws_scope(ctx)["extensions"]
    result = connect(ctx.host, ctx.port, "/ws/deny")
    if isinstance(result, WebSocketClient):
        result.close()
        raise CheckFailed("the handshake to /ws/deny was accepted")
    response = result.response
    if not advertised:
        server_expect(response.status == 403, f"close before accept answered {response.status}, the spec says 403")
        raise NotSupported("no websocket.http.response extension; the fallback close answered 403")
    server_expect(response.status == 401, f"denial status {response.status}, the app sent 401")
    server_expect(response.header("x-denied") == "yes", f"denial headers {response.headers}")
    server_expect(response.body == b"denied by the app", f"denial body {response.body!r}")
    return None
