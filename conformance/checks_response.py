"""Responses on the wire: streaming, disconnects, HEAD, 204/304, Content-Length, background tasks.

Requests carry ``x-trace-id`` where blame matters: the app's own record of
what it sent (``/trace/{id}``) tells a ferrule mistake from a server's.
"""

from __future__ import annotations

import time
from typing import Any

from .app import TEXT_BODY
from .context import Context, describe_trace
from .httpclient import HTTPClientError, Response
from .outcome import CheckFailed, ServerFault, check, expect, server_expect

BODY_SPEC = "ASGI www 2.5 §Response Body"


def _sent_body_bytes(trace: list[dict[str, Any]]) -> int:
    return sum(e.get("len", 0) for e in trace if e["dir"] == "send" and e["type"] == "http.response.body")


def _app_start_headers(trace: list[dict[str, Any]]) -> dict[str, str]:
    for entry in trace:
        if entry["dir"] == "send" and entry["type"] == "http.response.start":
            return {k: v for k, v in entry["headers"]}
    return {}


def _well_formed(trace: list[dict[str, Any]]) -> None:
    """ferrule's side: start, then body messages, exactly one last, nothing after it."""
    sent = [e for e in trace if e["dir"] == "send"]
    expect(sent and sent[0]["type"] == "http.response.start", f"the app's first message: {describe_trace(trace)}")
    late = [e for e in sent if e.get("after_complete")]
    expect(not late, f"the app sent after the response was complete: {describe_trace(trace)}")


@check("response.streaming", "each more_body chunk reaches the client before the next exists",
       f"{BODY_SPEC}: \"servers must flush any data passed to them into the send buffer before returning\"")
def response_streaming(ctx: Context) -> str | None:
    token = trace_id = ctx.token()
    with ctx.connect() as conn:
        conn.send_request("GET", f"/stream/gated/{token}", headers=[("x-trace-id", trace_id)])
        response = conn.read_head(timeout=5)
        expect(response.status == 200, f"GET /stream/gated answered {response.status}")
        body = conn.iter_body(response, timeout=3)
        try:
            first = next(body)
        except (HTTPClientError, StopIteration) as exc:
            trace = ctx.trace(trace_id)
            ctx.request("POST", f"/gate/{token}")
            if any(e["dir"] == "send" and e.get("len") and e.get("more_body") for e in trace):
                raise ServerFault(f"the app sent its first chunk but none reached the client in 3 s ({exc}); "
                                  f"app: {describe_trace(trace)}") from None
            raise CheckFailed(f"no first chunk ({exc}); app: {describe_trace(trace)}") from None
        ctx.request("POST", f"/gate/{token}")
        rest = b"".join(conn.iter_body(response, timeout=10))
    whole = first + rest
    expect(whole == b"first chunk\nsecond chunk\nthird chunk\n", f"streamed body {whole!r}")
    _well_formed(ctx.trace(trace_id))
    framing = response.header("transfer-encoding")
    server_expect(
        framing == "chunked" and response.header("content-length") is None,
        f"a HTTP/1.1 stream without Content-Length should be chunked; transfer-encoding={framing!r}, "
        f"content-length={response.header('content-length')!r}",
    )
    return None


@check("response.disconnect", "client disconnect noticed during a long response; cleanup runs",
       "ASGI www 2.5 §Disconnect - receive event; §Disconnected Client - send exception")
def response_disconnect(ctx: Context) -> str | None:
    return ctx.reset_mid_response("/stream/forever/{token}", lambda seen: seen.count(b"\n") >= 3,
                                  "stream-cleanup", "the stream")


def _no_body_on_wire(ctx: Context, method: str, target: str, trace_id: str) -> tuple[Response, bytes, bool]:
    """(response, stray bytes after it, whether a second request on the connection worked)."""
    with ctx.connect() as conn:
        conn.send_request(method, target, headers=[("x-trace-id", trace_id)])
        response = conn.read_response()
        stray = conn.stray_bytes(0.3)
        reusable = False
        if not stray and conn.next_cycle():
            try:
                reusable = conn.request("GET", "/health").status == 200
            except (HTTPClientError, OSError):
                reusable = False
    return response, stray, reusable


def _blame_stray(ctx: Context, what: str, trace_id: str, stray: bytes) -> None:
    if not stray:
        return
    trace = ctx.trace(trace_id)
    if _sent_body_bytes(trace):
        raise CheckFailed(f"{what}: the app sent {_sent_body_bytes(trace)} body bytes; wire: {stray[:60]!r}")
    raise ServerFault(f"{what}: the app sent no body but {len(stray)} bytes followed the head: {stray[:60]!r}")


@check("http.head", "HEAD: GET's headers, no body bytes", "RFC 9110 §9.3.2; ASGI www 2.5 §Response Body")
def http_head(ctx: Context) -> str | None:
    get = ctx.request("GET", "/text")
    expected = str(len(TEXT_BODY.encode()))
    expect(get.header("content-length") == expected, f"GET /text content-length {get.header('content-length')!r}")
    for target in ("/text", "/download?size=5000"):
        trace_id = ctx.token()
        response, stray, reusable = _no_body_on_wire(ctx, "HEAD", target, trace_id)
        expect(response.status == 200, f"HEAD {target} answered {response.status}")
        _blame_stray(ctx, f"HEAD {target}", trace_id, stray)
        server_expect(reusable, f"after HEAD {target} the connection could not serve a second request")
        _well_formed(ctx.trace(trace_id))
    head = ctx.request("HEAD", "/text")
    expect(head.header("content-length") == expected,
           f"HEAD /text content-length {head.header('content-length')!r}, GET's is {expected}")
    return None


def _bodyless_status(ctx: Context, target: str, status: int) -> None:
    trace_id = ctx.token()
    response, stray, reusable = _no_body_on_wire(ctx, "GET", target, trace_id)
    expect(response.status == status, f"GET {target} answered {response.status}")
    _blame_stray(ctx, f"{status} response", trace_id, stray)
    app_headers = _app_start_headers(ctx.trace(trace_id))
    if status == 204:
        # SPEC: RFC 9110 §8.6 - no Content-Length in a 204.
        expect("content-length" not in app_headers, f"the app sent content-length {app_headers.get('content-length')!r} with 204")
        server_expect(response.header("content-length") is None,
                      f"204 carried content-length {response.header('content-length')!r} the app did not send")
    # SPEC: RFC 9112 §6.1 - no Transfer-Encoding in a 204 or 304 (or any 1xx).
    server_expect(response.header("transfer-encoding") is None,
                  f"{status} carried transfer-encoding {response.header('transfer-encoding')!r}")
    server_expect(reusable, f"after a {status} the connection could not serve a second request")


@check("http.204", "204: no body, no Content-Length", "RFC 9110 §15.3.5, §8.6; RFC 9112 §6.1")
def http_204(ctx: Context) -> str | None:
    _bodyless_status(ctx, "/no-content", 204)
    return None


@check("http.304", "304: no body", "RFC 9110 §15.4.5; RFC 9112 §6.1, §6.3")
def http_304(ctx: Context) -> str | None:
    _bodyless_status(ctx, "/not-modified", 304)
    return None


@check("http.content_length", "Content-Length equals the body; streams are chunked",
       "RFC 9110 §8.6; RFC 9112 §6.2, §6.3; ASGI www 2.5 §Response Start")
def http_content_length(ctx: Context) -> str | None:
    with ctx.connect() as conn:
        for target in ("/text", "/json", "/empty", "/file"):
            response = conn.request("GET", target)
            expect(response.status == 200, f"GET {target} answered {response.status}")
            lengths = response.header_all("content-length")
            server_expect(len(lengths) == 1, f"GET {target}: content-length headers {lengths}")
            expect(lengths[0] == str(len(response.body)),
                   f"GET {target}: content-length {lengths[0]} for a {len(response.body)}-byte body")
            server_expect(response.header("transfer-encoding") is None,
                          f"GET {target}: both content-length and transfer-encoding")
        stream = conn.request("GET", "/download?size=100000")
    server_expect(len(stream.body) == 100000, f"a 100000-byte stream arrived as {len(stream.body)} bytes")
    server_expect(stream.header("content-length") in (None, "100000"),
                  f"a stream got content-length {stream.header('content-length')!r}")
    return None


@check("background.after_response", "background task runs after the response is delivered",
       f"{BODY_SPEC}: more_body=False completes the response; FastAPI BackgroundTasks semantics")
def background_after_response(ctx: Context) -> str | None:
    token = trace_id = ctx.token()
    started = time.monotonic()
    response = ctx.request("POST", f"/background/{token}", headers=[("x-trace-id", trace_id)])
    elapsed = time.monotonic() - started
    expect(response.status == 200 and response.json() == {"queued": True}, f"POST /background: {response.status}")
    early = ctx.events(token)
    ok, events = ctx.wait_for_event(token, "bg-done", timeout=5)
    expect(ok, f"the background task did not finish within 5 s: {events}")
    trace = ctx.trace(trace_id)
    _well_formed(trace)
    if "bg-done" in early:
        final = [e for e in trace if e["dir"] == "send" and e["type"] == "http.response.body" and not e.get("more_body")]
        if final and final[0]["t"] < 0.25:
            raise ServerFault(f"the app completed the response at {final[0]['t']} s but the client got it after "
                              f"{elapsed:.2f} s, when the 0.5 s task had finished: {describe_trace(trace)}")
        raise CheckFailed(f"the response was sent after the background task: {describe_trace(trace)}")
    return f"response in {elapsed * 1000:.0f} ms, task done after"
