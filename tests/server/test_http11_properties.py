"""Property tests over real sockets: random pipelined requests split at random points, and
random response message sequences, against simple reference models.

Reference for requests: the list of bodies sent (each request's body is echoed,
in order, whatever the framing and however the bytes were cut). Reference for
responses: the concatenation of the app's body messages, framed so that the
raw client in `srv_helpers` (not h11) reads exactly that.
"""

from __future__ import annotations

from typing import Any

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferrule.asgi_core.types import Message, Receive, Scope, Send

from srv_helpers import RawClient, running
from test_chunked import encode as encode_chunked


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    body = b""
    while True:
        message = await receive()
        assert message["type"] == "http.request"
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": scope["method"].encode() + b":" + body})


requests = st.lists(
    st.tuples(st.sampled_from(["none", "length", "chunked"]), st.lists(st.binary(max_size=30), max_size=4)),
    min_size=1,
    max_size=5,
)


def raw_request(framing: str, pieces: list[bytes]) -> tuple[bytes, bytes]:
    body = b"".join(pieces)
    if framing == "none":
        return b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"GET:"
    if framing == "length":
        head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
        return head + body, b"POST:" + body
    head = b"PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    return head + encode_chunked(pieces), b"PUT:" + body


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reqs=requests, cuts=st.lists(st.integers(min_value=1, max_value=2000), max_size=6))
def test_pipelined_requests_split_anywhere_are_answered_in_order(
    reqs: list[tuple[str, list[bytes]]], cuts: list[int]
) -> None:
    wire = b""
    expected = []
    for framing, pieces in reqs:
        raw, answer = raw_request(framing, pieces)
        wire += raw
        expected.append(answer)

    async def main() -> list[bytes]:
        async with running(echo) as srv:
            client = await RawClient.connect(srv.port)
            start = 0
            for cut in sorted({min(c, len(wire)) for c in cuts} | {len(wire)}):
                await client.send(wire[start:cut])
                start = cut
                await anyio.sleep(0)
            return [(await client.read_response()).body for _ in expected]

    assert anyio.run(main) == expected


messages = st.lists(st.tuples(st.binary(max_size=20), st.booleans()), min_size=1, max_size=5)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=messages,
    declared=st.booleans(),
    version=st.sampled_from([b"1.1", b"1.0"]),
    method=st.sampled_from([b"GET", b"HEAD"]),
)
def test_response_framing_carries_the_app_body(
    parts: list[tuple[bytes, bool]], declared: bool, version: bytes, method: bytes
) -> None:
    body = b"".join(p for p, _ in parts)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-length", str(len(body)).encode())] if declared else []
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for index, (piece, pause) in enumerate(parts):
            if pause:
                await anyio.sleep(0)  # lets a held-back head go out first
            message: Message = {"type": "http.response.body", "body": piece, "more_body": index < len(parts) - 1}
            await send(message)

    async def main() -> Any:
        async with running(app) as srv:
            client = await RawClient.connect(srv.port)
            await client.send(method + b" / HTTP/" + version + b"\r\nHost: x\r\n\r\n")
            response = await client.read_response(head_request=method == b"HEAD")
            closed = await client.is_closed(timeout=1) if version == b"1.0" else None
            return response, closed

    response, closed = anyio.run(main)
    assert response.status == 200
    if method == b"HEAD":
        assert response.body == b"" and response.header("content-length") in (None, str(len(body)))
    else:
        assert response.body == body
        assert not (version == b"1.0" and response.chunked)
    if version == b"1.0":
        assert closed
