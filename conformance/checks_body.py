"""Request and response bodies: many writes, chunked framing, large bodies in flat memory.

The app reads the body message by message and only hashes it, and streams
large responses block by block, so neither side of the app holds a body: any
growth of the server process tree while 10-50 MB pass through is the server
buffering (measured as VmRSS of the process tree, sampled every 20 ms).
"""

from __future__ import annotations

import hashlib
import json
import socket
import time
from typing import Any

from .context import Context, MemorySampler
from .outcome import check, expect, server_expect
from .payload import blocks, sha256_of

BODY_SPEC = "ASGI www 2.5 §Request - receive event"
MIB = 1024 * 1024


def _post_body(ctx: Context, parts: Any, *, size: int, chunked: bool, pause: float = 0.0) -> dict[str, Any]:
    headers = [] if chunked else [("content-length", str(size))]
    with ctx.connect(timeout=120) as conn:
        conn.send_request("POST", "/body", headers=headers, body=parts, chunked=chunked, pause=pause)
        response = conn.read_response()
    expect(response.status == 200, f"POST /body answered {response.status}: {response.body[:200]!r}")
    data: dict[str, Any] = json.loads(response.body)
    return data


def _check_received(got: dict[str, Any], size: int) -> None:
    server_expect(
        got["size"] == size and got["sha256"] == sha256_of(size),
        f"the app received {got['size']} bytes (sha256 {got['sha256'][:12]}..), the client sent {size}",
    )
    server_expect(got["more_body_ok"], f"more_body was not True on every http.request but the last ({got['messages']} messages)")
    server_expect(not got["other_messages"], f"the body ended with {got['other_messages']} instead of more_body=False")


@check("body.many_writes", "a Content-Length body sent in 64 separate writes", f"{BODY_SPEC}: body, more_body")
def body_many_writes(ctx: Context) -> str | None:
    size = 64 * 4096 + 123
    got = _post_body(ctx, blocks(size, 4096), size=size, chunked=False, pause=0.002)
    _check_received(got, size)
    return f"{got['messages']} http.request messages"


@check("body.chunked", "Transfer-Encoding: chunked request de-chunked",
       f"{BODY_SPEC} (server handles chunked); RFC 9112 §7.1")
def body_chunked(ctx: Context) -> str | None:
    sizes = [1, 2, 3, 4096, 7, 65536, 1, 100_000, 13]
    payload = b"".join(blocks(sum(sizes)))
    parts, offset = [], 0
    for n in sizes:
        parts.append(payload[offset:offset + n])
        offset += n
    got = _post_body(ctx, parts, size=len(payload), chunked=True, pause=0.002)
    _check_received(got, len(payload))
    return f"{len(sizes)} chunks -> {got['messages']} http.request messages"


def _growth_note(sampler: MemorySampler) -> str:
    return f"RSS {sampler.baseline / MIB:.0f} MiB, peak +{sampler.growth / MIB:.1f} MiB"


@check("body.large_download", "large streamed response to a slow reader, server memory flat",
       "ASGI www 2.5 §Response Body; flow control: send() waits for the transport")
def body_large_download(ctx: Context) -> str | None:
    size = ctx.settings.large_body
    ctx.request("GET", "/health")
    digest = hashlib.sha256()
    received = 0
    with ctx.connect(timeout=120) as conn, MemorySampler(ctx.server.pid) as sampler:
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        conn.send_request("GET", f"/download?size={size}", headers=[("x-trace-id", ctx.token())])
        response = conn.read_head()
        expect(response.status == 200, f"GET /download answered {response.status}")
        next_pause = 256 * 1024
        for chunk in conn.iter_body(response, timeout=120):
            digest.update(chunk)
            received += len(chunk)
            if received >= next_pause:
                # A slow reader (4 ms per 256 KiB): without backpressure the body piles up in the server.
                time.sleep(0.004)
                next_pause += 256 * 1024
    server_expect(
        received == size and digest.hexdigest() == sha256_of(size),
        f"received {received} bytes of a {size}-byte stream (or different bytes)",
    )
    server_expect(
        sampler.growth <= ctx.settings.max_growth,
        f"server process tree grew by {sampler.growth / MIB:.1f} MiB streaming {size // MIB} MiB to a slow "
        f"reader from an app that holds one 64 KiB block (limit {ctx.settings.max_growth / MIB:.0f} MiB)",
    )
    return f"{size // MIB} MiB; {_growth_note(sampler)}"


@check("body.large_upload", "large request body streamed, server memory flat",
       f"{BODY_SPEC}: \"stream large incoming HTTP bodies in chunks\"")
def body_large_upload(ctx: Context) -> str | None:
    size = ctx.settings.large_body
    ctx.request("GET", "/health")  # warm up: first-request allocations are not the body's
    with MemorySampler(ctx.server.pid) as sampler:
        got = _post_body(ctx, blocks(size), size=size, chunked=False)
    _check_received(got, size)
    server_expect(
        sampler.growth <= ctx.settings.max_growth,
        f"server process tree grew by {sampler.growth / MIB:.1f} MiB while a {size // MIB} MiB body "
        f"passed through an app that keeps none of it (limit {ctx.settings.max_growth / MIB:.0f} MiB)",
    )
    return f"{size // MIB} MiB in {got['messages']} messages; {_growth_note(sampler)}"
