"""accept.py and AsyncioWire's deadline timer: plain connection tasks, their cancellation, lazy timers.

The timer is checked two ways: over real sockets (a keep-alive deadline that
moves with every request, an earlier header deadline after a later one), and
as a property against a reference model on a fake clock: a wait returns False
exactly when its deadline passes before bytes arrive, whatever timer the
previous waits left armed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ferrule.asgi_core.types import Receive, Scope, Send
from ferrule.di._anyio_adapter import outside_cancel_scopes
from ferrule.server.accept import NativeTasks
from ferrule.server.wire import AsyncioWire

from srv_helpers import RawClient, running

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


# -- connection tasks --------------------------------------------------------------------------


async def test_the_app_runs_outside_anyio_cancel_scopes_on_asyncio() -> None:
    # Rule 1: as under uvicorn, so di needs no shielding scope for yield-dependency teardowns.
    seen: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(outside_cancel_scopes())
        await ok_app(scope, receive, send)

    async with running(app) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(GET)
        assert (await client.read_response()).status == 200
    assert seen == [True]


async def test_shutdown_cancels_an_app_that_swallows_one_cancellation() -> None:
    # Rule 2: a native Task.cancel() is delivered once; cancel_all() repeats it.
    cancellations = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal cancellations
        try:
            await anyio.sleep_forever()
        except asyncio.CancelledError:
            cancellations += 1
        try:
            await anyio.sleep_forever()
        finally:
            cancellations += 1

    with anyio.fail_after(5):
        async with running(app, shutdown_timeout=0.1) as srv:
            client = await RawClient.connect(srv.port)
            await client.send(GET)
            await anyio.wait_all_tasks_blocked()
            srv.stop.set()
            assert await client.is_closed()
    assert cancellations == 2


async def test_a_failing_connection_task_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    tasks = NativeTasks(asyncio.get_running_loop())

    async def broken() -> None:
        raise ValueError("boom")

    tasks.spawn(broken)
    for _ in range(3):
        await asyncio.sleep(0)
    assert len(tasks) == 0
    await tasks.cancel_all()  # nothing left to cancel: returns at once
    assert any("connection task failed" in r.message and r.exc_info for r in caplog.records)


async def test_connections_opened_at_once_are_all_served() -> None:
    async with running(ok_app) as srv:
        clients = [await RawClient.connect(srv.port) for _ in range(40)]
        for client in clients:
            await client.send(GET)
        for client in clients:
            assert (await client.read_response()).body == b"ok"


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_trio_serves_through_the_anyio_accept_loop_and_stops(anyio_backend: str) -> None:
    # Trio has no asyncio loop: connections are accepted by the anyio loop and run in the task group.
    cancelled = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/stuck":
            try:
                await anyio.sleep_forever()
            finally:
                cancelled.set()
        await ok_app(scope, receive, send)

    with anyio.fail_after(10):
        async with running(app, shutdown_timeout=0.2) as srv:
            client = await RawClient.connect(srv.port)
            for _ in range(2):
                await client.send(GET)
                assert (await client.read_response()).body == b"ok"
            await srv.stop_during(b"GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n")
    assert cancelled.is_set()


# -- the lazy deadline timer over sockets ----------------------------------------------------------


async def test_keep_alive_deadline_moves_with_every_request() -> None:
    # Requests 0.15 s apart for 0.9 s on a 0.4 s keep-alive: the timer armed for the first
    # deadline must not close the connection when it fires (it re-arms for the current one).
    async with running(ok_app, keep_alive_timeout=0.4) as srv:
        client = await RawClient.connect(srv.port)
        for _ in range(6):
            await client.send(GET)
            assert (await client.read_response()).status == 200
            await anyio.sleep(0.15)
        started = time.monotonic()
        assert await client.is_closed(timeout=3)
        assert 0.1 < time.monotonic() - started < 2.0


async def test_a_header_deadline_earlier_than_the_armed_keep_alive_timer_is_kept() -> None:
    # After a request the wire waits with keep_alive_timeout (60 s) armed; a partial head then
    # needs header_timeout (0.3 s): an earlier deadline must re-arm the timer.
    async with running(ok_app, keep_alive_timeout=60, header_timeout=0.3) as srv:
        client = await RawClient.connect(srv.port)
        await client.send(GET)
        assert (await client.read_response()).status == 200
        await anyio.sleep(0.5)  # past the first request's header deadline: only the 60 s timer is armed
        await client.send(b"GET / HTTP/1.1\r\nHo")
        r = await client.read_response(timeout=3)
        assert r.status == 408


# -- the lazy deadline timer against a model -------------------------------------------------------


class FakeClockLoop:
    """The parts of a loop AsyncioWire's timer uses, on a clock the test moves."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.now = 0.0
        self.timers: list[tuple[float, int, Any]] = []
        self.armed = 0  # call_at calls: the cost the laziness saves
        self._seq = 0

    def time(self) -> float:
        return self.now

    def create_future(self) -> asyncio.Future[Any]:
        return self.loop.create_future()

    def call_at(self, when: float, callback: Any) -> Any:
        self.armed += 1
        self._seq += 1
        entry = [when, self._seq, callback, False]
        self.timers.append(entry)  # type: ignore[arg-type]

        class Handle:
            def cancel(self) -> None:
                entry[3] = True

        return Handle()

    def advance(self, to: float) -> None:
        """Move the clock to `to`, running due timers in order (a timer may arm another)."""
        while True:
            due = [t for t in self.timers if not t[3] and t[0] <= to]  # type: ignore[index]
            if not due:
                break
            first = min(due, key=lambda t: (t[0], t[1]))  # type: ignore[index]
            first[3] = True  # type: ignore[index]
            self.now = max(self.now, first[0])  # type: ignore[index]
            first[2]()  # type: ignore[index]
        self.now = to


class _Transport:
    def set_write_buffer_limits(self, high: int) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass


# Each step: a wait with a deadline `span` after now, then either bytes arrive after `arrive`
# seconds or the clock runs on past the deadline (`arrive` None).
steps = st.lists(
    st.tuples(st.floats(min_value=0.01, max_value=10), st.one_of(st.none(), st.floats(min_value=0, max_value=10))),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(steps=steps)
def test_waits_time_out_exactly_as_the_model_says(steps: list[tuple[float, float | None]]) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        wire = AsyncioWire(1 << 16, lambda w: None)
        fake = FakeClockLoop(loop)
        wire._loop = fake  # type: ignore[assignment]
        wire.connection_made(_Transport())  # type: ignore[arg-type]
        for span, arrive in steps:
            deadline = fake.now + span
            waiting = loop.create_task(wire.wait(deadline))
            await asyncio.sleep(0)  # the wait is armed
            # Model: bytes arriving strictly before the deadline end the wait with True.
            if arrive is not None and arrive < span - 0.002:
                fake.advance(fake.now + arrive)
                wire.data_received(b"x")
                expected = True
            else:
                fake.advance(deadline + 0.0005)
                expected = False
            for _ in range(3):
                await asyncio.sleep(0)
            assert waiting.done(), f"wait({deadline}) still pending at {fake.now}"
            assert waiting.result() is expected
            wire.take()
        # PERF (wire rule 5): never more than one timer armed per wait.
        assert fake.armed <= 2 * len(steps)
        assert sum(1 for t in fake.timers if not t[3]) <= 1  # type: ignore[index]

    asyncio.run(scenario())
