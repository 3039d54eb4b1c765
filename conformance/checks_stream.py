"""Server-Sent Events through the server: events, keepalive comments, disconnect."""

from __future__ import annotations

import json
import time

from .app import SSE_PING_INTERVAL
from .context import Context, describe_trace
from .httpclient import HTTPClientError
from .outcome import CheckFailed, ServerFault, check, expect

SSE_SPEC = "WHATWG HTML §9.2 Server-sent events (event stream format)"


def _split_blocks(buffer: bytes) -> tuple[list[list[str]], bytes]:
    """Complete blocks (lists of lines) of an event stream, and the unfinished rest."""
    text = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    *done, rest = text.split(b"\n\n")
    return [block.decode("utf-8").split("\n") for block in done], rest


@check("sse.keepalive", "SSE events then ': ping' comments while idle",
       f"{SSE_SPEC}; ASGI www 2.5 §Response Body (each chunk flushed)")
def sse_keepalive(ctx: Context) -> str | None:
    token = trace_id = ctx.token()
    events: list[dict[str, str]] = []
    pings: list[float] = []
    with ctx.connect() as conn:
        conn.send_request("GET", f"/sse/{token}?count=2",
                          headers=[("accept", "text/event-stream"), ("x-trace-id", trace_id)])
        response = conn.read_head(timeout=5)
        expect(response.status == 200, f"GET /sse answered {response.status}")
        expect((response.header("content-type") or "").startswith("text/event-stream"),
               f"content-type {response.header('content-type')!r}")
        expect(response.header("cache-control") == "no-cache", f"cache-control {response.header('cache-control')!r}")
        buffer = b""
        started = time.monotonic()
        body = conn.iter_body(response, timeout=5)
        try:
            while len(pings) < 3:
                buffer += next(body)
                blocks, buffer = _split_blocks(buffer)
                for block in blocks:
                    if all(line.startswith(":") for line in block):
                        pings.append(time.monotonic() - started)
                    else:
                        events.append(dict(line.split(": ", 1) for line in block if ": " in line))
        except (HTTPClientError, StopIteration) as exc:
            trace = ctx.trace(trace_id)
            sent = sum(1 for e in trace if e["dir"] == "send" and e.get("len"))
            if sent > len(events) + len(pings):
                raise ServerFault(f"the app sent {sent} chunks, {len(events)} events and {len(pings)} pings "
                                  f"arrived ({exc}); app: {describe_trace(trace)}") from None
            raise CheckFailed(f"{len(events)} events and {len(pings)} pings, then: {exc}") from None
        finally:
            conn.abort()
    expect([e.get("event") for e in events] == ["tick", "tick"], f"events {events}")
    expect([json.loads(e["data"]) for e in events] == [{"n": 1}, {"n": 2}], f"event data {events}")
    expect([e.get("id") for e in events] == ["1", "2"], f"event ids {events}")
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    expect(all(g < SSE_PING_INTERVAL * 5 for g in gaps), f"pings {SSE_PING_INTERVAL} s apart arrived at {pings}")
    return f"3 pings in {pings[-1]:.2f} s"


@check("sse.disconnect", "SSE: client disconnect stops the generator (cleanup runs)",
       f"{SSE_SPEC}; ASGI www 2.5 §Disconnect - receive event")
def sse_disconnect(ctx: Context) -> str | None:
    return ctx.reset_mid_response("/sse/{token}?count=1", bool, "sse-cleanup", "the generator",
                                  f" (pings every {SSE_PING_INTERVAL} s)")
