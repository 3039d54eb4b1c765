"""HTTP/1.1 over real sockets: keep-alive, pipelining, chunked, 100-continue, disconnects, limits, errors."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ferrule.server import ClientDisconnected
from ferrule.server.accesslog import escape, format_access_line
from ferrule.asgi_core.types import Message, Receive, Scope, Send

from srv_helpers import RawClient, request, running

pytestmark = pytest.mark.anyio


async def read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    messages = []
    body = b""
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] == "http.disconnect":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    return body, messages


async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    body, _ = await read_body(receive)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": scope["method"].encode() + b" " + scope["path"].encode() + b" " + body})


async def test_scope_and_simple_response() -> None:
    scopes: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)
        await echo_app(scope, receive, send)

    async with running(app, root_path="/api") as srv:
        r = await request(srv.port, b"GET /items/caf%C3%A9?q=1&r=%20 HTTP/1.1\r\nHost: example\r\nX-Thing: A\r\n\r\n")
    assert r.status == 200 and r.reason == "OK"
    assert r.body == "GET /api/items/café ".encode()
    assert r.header("content-length") == str(len(r.body))  # single body message: no chunking
    assert r.header("server") == "ferrule" and r.header("date") is not None
    (scope,) = scopes
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1" and scope["scheme"] == "http"
    assert scope["raw_path"] == b"/api/items/caf%C3%A9" and scope["query_string"] == b"q=1&r=%20"
    assert scope["root_path"] == "/api"
    assert (b"x-thing", b"A") in scope["headers"] and (b"host", b"example") in scope["headers"]
    assert scope["server"] == ("127.0.0.1", srv.port)
    assert scope["client"][0] == "127.0.0.1" and isinstance(scope["client"][1], int)


async def test_keep_alive_serves_several_requests_on_one_connection() -> None:
    clients: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        clients.append(scope["client"])
        await echo_app(scope, receive, send)

    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        for i in range(3):
            await client.send(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
            r = await client.read_response()
            assert r.body == b"GET /%d " % i
            assert r.header("connection") is None
        await client.aclose()
    assert len(set(clients)) == 1


async def test_keep_alive_alternates_inline_reads_and_reader_reads() -> None:
    """Between requests the request loop reads the socket itself while the reader
    task is parked; after an app read its body, the reader (watching for a
    disconnect) has the next request's bytes. Both hand-overs keep every byte."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body = (await read_body(receive))[0] if scope["path"].startswith("/read") else b""
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["path"].encode() + b":" + body})

    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        for i in range(8):
            if i % 2:
                payload = b"x" * i
                await client.send(b"POST /read%d HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (i, i))
                await client.send(payload)
                expected = b"/read%d:" % i + payload
            else:
                head = b"GET /skip%d HTTP/1.1\r\nHost: x\r\n\r\n" % i
                await client.send(head[:9])  # a head in two writes
                await client.send(head[9:])
                expected = b"/skip%d:" % i
            assert (await client.read_response()).body == expected
        await client.aclose()


async def test_pipelined_requests_answered_in_order() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body, _ = await read_body(receive)
        if scope["path"] == "/slow":
            for _ in range(20):
                await anyio.lowlevel.checkpoint()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        # several body messages: the first response is chunked and slow
        await send({"type": "http.response.body", "body": scope["path"].encode(), "more_body": True})
        await send({"type": "http.response.body", "body": b":" + body})

    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(
            b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            b"GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        bodies = [(await client.read_response()).body for _ in range(4)]
        assert bodies == [b"/slow:", b"/post:hello", b"/chunked:abc", b"/last:"]
        assert await client.is_closed()


async def test_chunked_request_body_streams_in_several_messages() -> None:
    seen: list[list[Message]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        messages = []
        first = await receive()
        messages.append(first)
        # answer after the first chunk so the client can send the rest afterwards
        body = first["body"]
        while messages[-1].get("more_body"):
            messages.append(await receive())
            body += messages[-1]["body"]
        seen.append(messages)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        for _ in range(10):
            await anyio.lowlevel.checkpoint()
        await client.send(b"6\r\n world\r\n0\r\n\r\n")
        r = await client.read_response()
        await client.aclose()
    assert r.body == b"hello world"
    (messages,) = seen
    assert messages[-1] == {"type": "http.request", "body": messages[-1]["body"], "more_body": False}
    assert all(m["type"] == "http.request" for m in messages)


async def test_large_body_streams_both_ways_in_bounded_chunks() -> None:
    sizes: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while True:
            message = await receive()
            sizes.append(len(message["body"]))
            await send({"type": "http.response.body", "body": message["body"], "more_body": True})
            if not message["more_body"]:
                break
        await send({"type": "http.response.body", "body": b""})

    payload = bytes(range(256)) * 1200  # 300 KiB
    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.send, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(payload) + payload)
            r = await client.read_response()
        await client.aclose()
    assert r.chunked and r.body == payload
    assert len(sizes) >= 5 and max(sizes) <= 64 * 1024


async def test_expect_100_continue() -> None:
    async with running(echo_app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        interim = await client.read_until(b"\r\n\r\n")
        assert interim.startswith(b"HTTP/1.1 100 ")
        await client.send(b"data")
        r = await client.read_response()
        assert r.body == b"POST /up data"
        await client.aclose()


async def test_expect_100_continue_not_sent_when_app_answers_without_reading() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 413, "headers": []})
        await send({"type": "http.response.body", "body": b"too big"})

    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\nExpect: 100-continue\r\n\r\n")
        r = await client.read_response()
        assert r.status == 413 and r.body == b"too big"
        assert await client.is_closed()  # body never read: the connection cannot be reused


async def test_unread_body_is_drained_and_connection_reused() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": scope["path"].encode()})

    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await client.read_response()).body == b"/a"
        assert (await client.read_response()).body == b"/b"
        await client.aclose()


async def test_http10_client_gets_close_delimited_or_sized_response() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part1-", "more_body": True})
        await send({"type": "http.response.body", "body": scope["http_version"].encode()})

    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"GET / HTTP/1.0\r\n\r\n")
        r = await client.read_response()
        assert r.http_version == "1.1" and not r.chunked  # HTTP/1.0 cannot take chunked framing
        assert r.body == b"part1-1.0"
        assert await client.is_closed()


async def test_head_response_has_length_but_no_body() -> None:
    async with running(echo_app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /g HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await client.read_response(head_request=True)
        assert head.header("content-length") == str(len(b"HEAD /h "))
        nxt = await client.read_response()  # would be garbage if HEAD had leaked a body
        assert nxt.body == b"GET /g "
        await client.aclose()


async def test_disconnect_delivered_as_soon_as_peer_closes() -> None:
    got: list[Message] = []
    started = anyio.Event()
    finished = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_body(receive)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"streaming...", "more_body": True})
        started.set()
        got.append(await receive())  # blocks until the client goes away
        finished.set()
        with pytest.raises(ClientDisconnected):
            for _ in range(1000):  # the write side fails soon after a close
                await send({"type": "http.response.body", "body": b"x" * 1024, "more_body": True})
                await anyio.sleep(0.001)

    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        with anyio.fail_after(5):
            await started.wait()
        await client.aclose()
        with anyio.fail_after(5):
            await finished.wait()
    assert got == [{"type": "http.disconnect"}]


async def test_receive_after_response_complete_returns_disconnect() -> None:
    after: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await read_body(receive)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        with anyio.fail_after(5):
            after.append(await receive())

    async with running(app) as srv:
        r = await request(srv.port, b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert r.status == 204 and r.header("content-length") is None
    assert after == [{"type": "http.disconnect"}]


@pytest.mark.parametrize(
    ("raw", "status", "fragment"),
    [
        (b"NOT HTTP AT ALL\r\n\r\n", 400, b"bad request"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400, b"bad request"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, b"bad request"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n", 431, b"too large"),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(12)) + b"\r\n", 431, b"too many"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000, 431, b"too large"),  # incomplete
    ],
    ids=["garbage", "no-colon", "double-length", "big-head", "many-headers", "big-incomplete-head"],
)
async def test_bad_http_gets_4xx_and_close_without_traceback(
    raw: bytes, status: int, fragment: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    called = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        called.append(scope)

    caplog.set_level(logging.DEBUG, logger="ferrule")
    async with running(app, max_header_count=10) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(raw)
        r = await client.read_response()
        assert await client.is_closed()
    assert r.status == status and r.header("connection") == "close"
    assert fragment in r.body and r.header("content-type") == "text/plain; charset=utf-8"
    assert called == []
    assert not [rec for rec in caplog.records if rec.exc_info or rec.levelno >= logging.ERROR]


async def test_slow_header_gets_408() -> None:
    async with running(echo_app, header_timeout=0.2) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n")  # head never finishes
        r = await client.read_response(timeout=3)
        assert r.status == 408
        assert await client.is_closed()


async def test_connection_without_any_bytes_is_closed_after_header_timeout() -> None:
    async with running(echo_app, header_timeout=0.2) as srv:
        client = await RawClient.connect(srv.port)
        assert await client.is_closed(timeout=3)


async def test_idle_keep_alive_connection_closed_after_timeout() -> None:
    async with running(echo_app, keep_alive_timeout=0.2) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await client.read_response()).status == 200
        assert await client.is_closed(timeout=3)


async def test_max_connections_refuses_with_503() -> None:
    async with running(echo_app, max_connections=1) as srv:
        first = await RawClient.connect(srv.port)
        await first.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await first.read_response()).status == 200  # now surely counted
        second = await RawClient.connect(srv.port)
        r = await second.read_response()
        assert r.status == 503 and await second.is_closed()
        await first.send(b"GET /again HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await first.read_response()).body == b"GET /again "
        await first.aclose()
        await second.aclose()


async def test_a_flood_of_refused_connections_logs_one_line(caplog: pytest.LogCaptureFixture) -> None:
    # Issue 18 item 9: one WARNING per refused connection was a log flood an attacker controls.
    async with running(echo_app, max_connections=1) as srv:
        first = await RawClient.connect(srv.port)
        await first.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await first.read_response()).status == 200
        for _ in range(20):
            refused = await RawClient.connect(srv.port)
            assert (await refused.read_response()).status == 503
            await refused.aclose()
        await first.aclose()
    lines = [r.getMessage() for r in caplog.records if "max_connections" in r.getMessage()]
    assert lines == ["refusing connections: max_connections=1 reached"]


async def test_app_error_before_start_gives_500(caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("boom")

    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        r = await client.read_response()
        assert await client.is_closed()
    assert r.status == 500 and r.body == b"Internal Server Error\n"
    assert r.header("content-type") == "text/plain; charset=utf-8"
    assert any(rec.exc_info and "boom" in str(rec.exc_info[1]) for rec in caplog.records)


async def test_app_error_after_start_closes_connection(caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ValueError("late boom")

    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        raw = await client.read_to_eof()
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n") and b"transfer-encoding: chunked" in raw.lower()
    assert raw.endswith(b"7\r\npartial\r\n")  # cut short: no terminating 0-size chunk
    assert any(rec.exc_info for rec in caplog.records)


@pytest.mark.parametrize(
    "messages",
    [
        [],  # returns without a response
        [{"type": "http.response.body", "body": b"x"}],  # body before start
        [{"type": "http.response.start", "status": 200, "headers": [(b"bad\nname", b"v")]}, {"type": "http.response.body"}],
        [{"type": "http.response.start", "status": 99, "headers": []}],
    ],
)
async def test_invalid_app_behaviour_gives_500(messages: list[Message]) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in messages:
            await send(message)

    async with running(app) as srv:
        r = await request(srv.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert r.status == 500


async def test_access_log_line_per_request(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ferrule.access")
    async with running(echo_app) as srv:
        await request(srv.port, b"GET /a?b=%22c HTTP/1.1\r\nHost: x\r\n\r\n")
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "ferrule.access"]
    assert len(lines) == 1
    assert lines[0].startswith("127.0.0.1:") and '"GET /a?b=%22c HTTP/1.1" 200' in lines[0]


def test_access_log_escapes_control_characters() -> None:
    line = format_access_line(("1.2.3.4", 5), b"GET", b'/x\x1b[31m"\n\\\xff', "1.1", 200, 0.0015)
    assert line == '1.2.3.4:5 - "GET /x\\x1b[31m\\x22\\x0a\\x5c\\xff HTTP/1.1" 200 1.5ms'
    assert escape("é\r") == "\\xc3\\xa9\\x0d"
    assert all(0x20 <= ord(c) < 0x7F for c in line)


@given(st.binary(max_size=64) | st.text(max_size=32))
def test_access_log_escape_matches_the_byte_by_byte_model(raw: bytes | str) -> None:
    data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
    model = "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\x{b:02x}" for b in data)
    assert escape(raw) == model


async def test_no_access_log_when_disabled(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ferrule.access")
    async with running(echo_app, access_log=False) as srv:
        await request(srv.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert not [rec for rec in caplog.records if rec.name == "ferrule.access"]


def test_access_log_as_json_lines() -> None:
    import io
    import json as json_module
    import types

    from ferrule.server.accesslog import AccessJSONFormatter, log_access

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(AccessJSONFormatter())
    logger = logging.getLogger("ferrule.access")
    logger.addHandler(handler)
    old_level, logger.level = logger.level, logging.INFO
    try:
        line = types.SimpleNamespace(method=b"GET", target=b'/x\n{"forged": 1}\x1b[31m\xff', http_version=b"1.1")
        log_access(("1.2.3.4", 5), line, 404, 0.0015)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    (line,) = stream.getvalue().splitlines()
    assert line.isascii()
    record = json_module.loads(line)
    assert record["target"] == '/x\n{"forged": 1}\x1b[31m\xff'
    assert {k: record[k] for k in ("client", "method", "http_version", "status", "duration_ms")} == {
        "client": "1.2.3.4:5", "method": "GET", "http_version": "1.1", "status": 404, "duration_ms": 1.5,
    }
    assert record["time"].endswith("Z")
