"""The benchmark harness rejects broken apps, and every ferrule scenario app answers right.

Not a timing test: `Settings` here runs a handful of requests, only to
exercise the timed loop's own status check. The peers' apps need the
benchmark venv; these tests use only the raw floor and ferrule's apps.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import pytest

# bench/ is a repository folder, not an installed package.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.apps import ferrule_app, raw_app  # noqa: E402
from bench.harness import (  # noqa: E402
    Cell,
    Exchange,
    Settings,
    body_messages,
    check_response,
    measure_app,
    request_once,
)
from bench.loadgen import ResponseReader  # noqa: E402
from bench.scenarios import SCENARIOS, CheckFailed, Scenario  # noqa: E402

pytestmark = pytest.mark.anyio

TINY = Settings(repeats=1, target=0.0, warmup=0.0, max_iterations=3)
HELLO = SCENARIOS["hello"]
Message = MutableMapping[str, Any]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _plain_app(status: int, body: bytes, content_type: bytes = b"text/plain; charset=utf-8") -> Any:
    async def app(scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise RuntimeError("no lifespan")
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": body})

    return app


# --- broken apps are reported, never timed ------------------------------------------------


@pytest.mark.parametrize(
    ("app", "needle"),
    [
        (_plain_app(200, b"Goodbye"), "expected 'Hello, world!'"),
        (_plain_app(500, b"Hello, world!"), "status 500, expected 200"),
        (_plain_app(200, b"Hello, world!", b"application/json"), "content-type 'application/json'"),
    ],
)
async def test_wrong_response_is_bad_not_timed(app: Any, needle: str) -> None:
    cell = await measure_app(app, "raw", HELLO, TINY)
    assert cell.status == "bad"
    assert needle in cell.message
    assert cell.median_us is None and cell.iterations == 0


async def test_unfinished_response_is_bad() -> None:
    async def app(scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"Hello, world!", "more_body": True})

    cell = await measure_app(app, "raw", HELLO, TINY)
    assert (cell.status, cell.message) == ("bad", "response never finished (no final http.response.body)")


async def test_app_that_breaks_after_the_check_is_caught_by_the_timed_loop() -> None:
    good, calls = _plain_app(200, b"Hello, world!"), 0

    async def app(scope: Message, receive: Any, send: Any) -> None:
        nonlocal calls
        calls += 1
        if calls > 2:  # the checked request and one warm-up request pass
            await send({"type": "http.response.start", "status": 500, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await good(scope, receive, send)

    cell = await measure_app(app, "raw", HELLO, TINY)
    assert cell.status == "bad"
    assert "timed responses had status {500:" in cell.message


async def test_raising_app_is_an_error_cell() -> None:
    async def app(scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raise KeyError("boom")

    cell = await measure_app(app, "raw", HELLO, TINY)
    assert (cell.status, cell.message) == ("error", "KeyError: 'boom'")


async def test_hanging_app_is_an_error_cell() -> None:
    never = asyncio.Event()

    async def app(scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await never.wait()

    cell = await measure_app(app, "raw", HELLO, TINY, timeout=0.05)
    assert (cell.status, cell.message) == ("error", "no response within 0.05 s")


async def test_framework_specific_status_is_honoured() -> None:
    scenario = SCENARIOS["error422"]
    app = _plain_app(400, b'{"price": "bad"}', b"application/json")
    assert (await measure_app(app, "litestar", scenario, TINY)).status == "ok"
    assert (await measure_app(app, "fastapi", scenario, TINY)).status == "bad"


async def test_good_app_is_timed() -> None:
    cell = await measure_app(raw_app.hello(), "raw", HELLO, TINY)
    assert cell.status == "ok"
    assert cell.median_us is not None
    assert cell.iterations >= 1 and len(cell.repeats_us) == 1


# --- the request the apps see ---------------------------------------------------------------------


async def test_receive_reports_disconnect_only_after_the_response() -> None:
    exchange = Exchange(body_messages(b"abc"), keep=True)
    assert await exchange.receive() == {"type": "http.request", "body": b"abc", "more_body": False}
    waiting = asyncio.ensure_future(exchange.receive())
    await asyncio.sleep(0)
    assert not waiting.done()
    await exchange.send({"type": "http.response.start", "status": 200, "headers": []})
    await exchange.send({"type": "http.response.body", "body": b"x"})
    assert await waiting == {"type": "http.disconnect"}


def test_body_is_sent_in_server_sized_chunks() -> None:
    messages = body_messages(b"x" * (64 * 1024 * 2 + 1))
    assert [len(m["body"]) for m in messages] == [65536, 65536, 1]
    assert [m["more_body"] for m in messages] == [True, True, False]


# --- every ferrule scenario app answers correctly ---------------------------------------------------

# The 1,000 and 10,000 route apps run the same builder as 10 and 100; building them takes a while.
FERRULE_SCENARIOS = [s for s in SCENARIOS.values() if s.params.get("routes", 0) <= 100]


@pytest.mark.parametrize("scenario", FERRULE_SCENARIOS, ids=lambda s: s.name)
async def test_ferrule_app_answers(scenario: Scenario) -> None:
    app = ferrule_app.APPS[scenario.app](**scenario.params)
    check_response(await request_once(app, scenario), scenario, "ferrule")


@pytest.mark.parametrize("scenario", FERRULE_SCENARIOS, ids=lambda s: s.name)
async def test_raw_app_answers(scenario: Scenario) -> None:
    app = raw_app.APPS[scenario.app](**scenario.params)
    check_response(await request_once(app, scenario), scenario, "raw")


async def test_check_rejects_a_stream_with_missing_events() -> None:
    exchange = await request_once(raw_app.sse(), SCENARIOS["sse"])
    exchange.chunks = exchange.chunks[:-10]  # drop the last events
    with pytest.raises(CheckFailed, match="data lines, expected 10000"):
        check_response(exchange, SCENARIOS["sse"], "raw")


# --- reporting and the load generator's framing ----------------------------------------------------


def test_ratio_labels() -> None:
    assert report.ratio_label(10.0, 25.0) == "2.50x faster"
    assert report.ratio_label(20.0, 10.0) == "2.00x slower"


def test_ratio_table_names_the_failing_side() -> None:
    cells = [
        Cell("ferrule", "hello", "ok", median_us=10.0),
        Cell("fastapi", "hello", "ok", median_us=30.0),
        Cell("litestar", "hello", "error", "ImportError: x"),
    ]
    table = report.ratios_table(cells, ["hello"], ["ferrule", "fastapi", "litestar"])
    assert "3.00x faster" in table and "litestar error" in table


def test_response_reader_frames_chunked_and_content_length_byte_by_byte() -> None:
    wire = (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n"
        b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\nconnection: close\r\n\r\nno"
    )
    reader = ResponseReader(keep_body=True)
    seen = []
    for byte in wire:
        if reader.feed(bytes([byte])):
            seen.append((reader.status, bytes(reader.body), reader.close))
            reader.next_response()
    assert seen == [(200, b"abcde", False), (404, b"no", True)]


def test_router_build_estimate_extrapolates_the_growth_of_smaller_sizes() -> None:
    from bench.run import estimate_build

    cells = [
        Cell("litestar", "router_scale_100", "ok", build_s=0.1),
        Cell("litestar", "router_scale_1000", "ok", build_s=4.0),
        Cell("ferrule", "router_scale_1000", "ok", build_s=2.0),
    ]
    estimate = estimate_build(cells, "litestar", SCENARIOS["router_scale_10000"])
    assert estimate is not None
    assert estimate[0] == pytest.approx(160.0)  # 40x per 10x routes, once more
    assert estimate[1] == "1,000 routes took 4.0 s"
    one_point = estimate_build(cells, "ferrule", SCENARIOS["router_scale_10000"])
    assert one_point is not None and one_point[0] == pytest.approx(20.0)  # linear with one point
    assert estimate_build(cells, "litestar", SCENARIOS["hello"]) is None


def test_validation_modes_validate_alike() -> None:
    """`python -m bench validation` times two validators that must agree value for value."""
    from bench.validation_modes import _per_location

    ours, per_parameter = _per_location(10)
    # Even-numbered parameters are required and given; odd ones default to 5
    # unless given (i % 4 == 1).
    expected = [i * 7 if i % 2 == 0 or i % 4 == 1 else 5 for i in range(10)]
    assert ours() == per_parameter() == expected
