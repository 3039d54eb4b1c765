"""serve(): graceful shutdown, connection limits at stop time, lifespan startup/shutdown."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest

from ferrule.server import LifespanFailure, ServerConfig, ServerConfigError, serve
from ferrule.asgi_core.types import Message, Receive, Scope, Send

from srv_helpers import RawClient, request, running

pytestmark = pytest.mark.anyio


async def ok(send: Send, body: bytes = b"ok") -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def wait_refused(port: int) -> None:
    """Poll (bounded) until the listener is closed."""
    with anyio.fail_after(5):
        while True:
            try:
                stream = await anyio.connect_tcp("127.0.0.1", port)
            except OSError:
                return
            await stream.aclose()
            await anyio.sleep(0.01)


async def test_graceful_shutdown_finishes_in_flight_request() -> None:
    entered, release = anyio.Event(), anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        entered.set()
        await release.wait()
        await ok(send, b"finished")

    async with running(app, shutdown_timeout=10) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        with anyio.fail_after(5):
            await entered.wait()
        srv.stop.set()
        await wait_refused(srv.port)  # no longer accepting...
        release.set()  # ...but the request in flight completes
        r = await client.read_response()
        assert r.body == b"finished" and r.header("connection") == "close"
        assert await client.is_closed()


async def test_shutdown_timeout_cancels_stuck_requests() -> None:
    cancelled = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.set()

    with anyio.fail_after(5):
        async with running(app, shutdown_timeout=0.2) as srv:
            await srv.stop_during(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert cancelled.is_set()


async def test_idle_keep_alive_connections_close_at_once_on_shutdown() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await ok(send)

    with anyio.fail_after(3):  # far below keep_alive_timeout and shutdown_timeout
        async with running(app, keep_alive_timeout=60, shutdown_timeout=60) as srv:
            client = await RawClient.connect(srv.port)
            await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert (await client.read_response()).status == 200
            srv.stop.set()
            assert await client.is_closed()


def lifespan_app(events: list[str], *, fail: str | None = None) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            assert scope["asgi"]["version"] == "3.0"
            message = await receive()
            assert message == {"type": "lifespan.startup"}
            if fail:
                await send({"type": "lifespan.startup.failed", "message": fail})
                return
            scope["state"]["db"] = "connected"
            events.append("startup")
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            assert message == {"type": "lifespan.shutdown"}
            events.append("shutdown")
            await send({"type": "lifespan.shutdown.complete"})
            return
        events.append(f"request state={scope['state']['db']}")
        scope["state"]["db"] = "changed"  # a per-request copy: must not leak
        await ok(send)

    return app


async def test_lifespan_startup_state_and_shutdown_order() -> None:
    events: list[str] = []
    async with running(lifespan_app(events), lifespan="auto") as srv:
        assert events == ["startup"]
        await request(srv.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await request(srv.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert events == ["startup", "request state=connected", "request state=connected", "shutdown"]


async def test_failing_startup_stops_the_server_with_the_apps_message() -> None:
    config = ServerConfig(host="127.0.0.1", port=0)
    with anyio.fail_after(5), pytest.raises(LifespanFailure, match="database is down"):
        await serve(lifespan_app([], fail="database is down"), config, shutdown_trigger=anyio.Event())


async def test_app_without_lifespan_is_tolerated(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ferrule.server")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"unsupported scope {scope['type']}")
        assert "state" not in scope
        await ok(send)

    async with running(app, lifespan="auto") as srv:
        r = await request(srv.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert r.status == 200
    records = [rec for rec in caplog.records if "lifespan" in rec.getMessage()]
    assert records and all(rec.levelno == logging.DEBUG for rec in records)


async def test_lifespan_on_requires_support() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("no lifespan here")

    config = ServerConfig(host="127.0.0.1", port=0, lifespan="on")
    with anyio.fail_after(5), pytest.raises(LifespanFailure, match="no lifespan here"):
        await serve(app, config, shutdown_trigger=anyio.Event())


async def test_lifespan_off_never_calls_app_with_lifespan() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])
        await ok(send)

    async with running(app, lifespan="off") as srv:
        await request(srv.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert seen == ["http"]


async def test_shutdown_waits_for_requests_before_lifespan_shutdown() -> None:
    events: list[str] = []
    entered, release = anyio.Event(), anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            events.append("lifespan.shutdown")
            await send({"type": "lifespan.shutdown.complete"})
            return
        entered.set()
        await release.wait()
        events.append("request done")
        await ok(send)

    async with running(app, lifespan="on") as srv:
        client = await RawClient.connect(srv.port)
        await client.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        with anyio.fail_after(5):
            await entered.wait()
        srv.stop.set()
        await anyio.wait_all_tasks_blocked()
        assert events == []
        release.set()
        await client.read_response()
    assert events == ["request done", "lifespan.shutdown"]


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"port": 70000}, "port=70000 is not a TCP port"),
        ({"root_path": "api/"}, "must start with '/'"),
        ({"log_level": "loud"}, "log_level='loud' is unknown"),
        ({"max_connections": 0}, "max_connections=0 must be a positive integer"),
        ({"keep_alive_timeout": -1}, "keep_alive_timeout=-1 must be a positive number"),
        ({"lifespan": "maybe"}, "lifespan='maybe' is unknown"),
    ],
)
def test_config_errors_say_what_to_fix(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ServerConfigError, match=match):
        ServerConfig(**options)


def test_config_defaults_are_limits_on() -> None:
    config = ServerConfig()
    assert (config.host, config.port) == ("127.0.0.1", 8000)
    assert config.max_head_bytes == 16 * 1024 and config.max_header_count == 100
    assert config.ws_max_message_size == 16 * 1024 * 1024
    assert config.python_log_level == logging.INFO
