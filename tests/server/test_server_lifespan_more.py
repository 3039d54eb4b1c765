"""The server side of the ASGI lifespan protocol: modes, failures, state, shutdown errors."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import pytest

from ferrule.server.lifespan import Lifespan, LifespanFailure
from ferrule.asgi_core.types import ASGIApp, Message, Receive, Scope, Send

pytestmark = pytest.mark.anyio


def scripted(
    on_startup: Message | Exception | None,
    on_shutdown: Message | Exception | None = None,
    seen: list[Any] | None = None,
) -> ASGIApp:
    """A lifespan app answering startup and shutdown with the given message (or raising)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for answer in (on_startup, on_shutdown):
            message = await receive()
            if seen is not None:
                seen.append(message["type"])
            if isinstance(answer, Exception):
                raise answer
            if answer is None:
                return
            await send(answer)
            if message["type"] == "lifespan.startup":
                scope["state"]["started"] = True

    return app


async def run_lifespan(lifespan: Lifespan) -> None:
    """Startup then shutdown, as serve() drives them (a failure raised outside the task group)."""
    failure: LifespanFailure | None = None
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            try:
                await lifespan.startup(tg)
            except LifespanFailure as exc:
                failure = exc
                tg.cancel_scope.cancel()
            else:
                await lifespan.shutdown()
    if failure is not None:
        raise failure


async def test_full_cycle_shares_the_state_and_answers_both_phases() -> None:
    seen: list[Any] = []
    app = scripted({"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}, seen)
    lifespan = Lifespan(app, "on")
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            await lifespan.startup(tg)
            assert lifespan.state == {"started": True}
            assert seen == ["lifespan.startup"]
            await lifespan.shutdown()
    assert seen == ["lifespan.startup", "lifespan.shutdown"]
    assert lifespan.supported


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"type": "lifespan.startup.failed", "message": "db down"}, "db down"),
        ({"type": "lifespan.startup.failed"}, "the app reported lifespan.startup.failed"),
    ],
)
async def test_startup_failed_is_a_lifespan_failure_with_the_apps_message(message: Message, expected: str) -> None:
    with pytest.raises(LifespanFailure, match=expected):
        await run_lifespan(Lifespan(scripted(message), "auto"))


async def test_raising_before_startup_fails_in_on_mode(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ferrule.server")
    with pytest.raises(LifespanFailure, match="exception in the lifespan protocol: ValueError\\('boom'\\)"):
        await run_lifespan(Lifespan(scripted(ValueError("boom")), "on"))
    assert any(r.levelno == logging.ERROR and r.exc_info for r in caplog.records)


async def test_raising_before_startup_means_unsupported_in_auto_mode(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="ferrule.server")
    lifespan = Lifespan(scripted(KeyError("lifespan")), "auto")
    await run_lifespan(lifespan)
    assert not lifespan.supported
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert "appears unsupported" in caplog.records[0].getMessage()


async def test_returning_without_startup(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(LifespanFailure, match="returned without completing lifespan startup"):
        await run_lifespan(Lifespan(scripted(None), "on"))

    caplog.set_level(logging.DEBUG, logger="ferrule.server")
    lifespan = Lifespan(scripted(None), "auto")
    await run_lifespan(lifespan)
    assert not lifespan.supported
    assert "without starting up" in caplog.records[-1].getMessage()


async def test_off_mode_never_calls_the_app() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("called")

    lifespan = Lifespan(app, "off")
    await run_lifespan(lifespan)
    assert not lifespan.supported
    assert lifespan.state == {}


@pytest.mark.parametrize(
    ("answer", "logged"),
    [
        ({"type": "lifespan.shutdown.failed", "message": "flush failed"}, "flush failed"),
        ({"type": "lifespan.shutdown.failed"}, "the app reported lifespan.shutdown.failed"),
        (OSError("disk"), "exception in the lifespan protocol: OSError('disk')"),
    ],
)
async def test_shutdown_failures_are_logged_never_raised(
    answer: Message | Exception, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ferrule.server")
    await run_lifespan(Lifespan(scripted({"type": "lifespan.startup.complete"}, answer), "on"))
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors[-1] == f"application shutdown failed: {logged}"


async def test_app_that_stops_after_startup_has_nothing_to_shut_down() -> None:
    seen: list[Any] = []
    lifespan = Lifespan(scripted({"type": "lifespan.startup.complete"}, None, seen), "on")
    await run_lifespan(lifespan)
    # It read the shutdown message and returned without answering: no hang.
    assert seen == ["lifespan.startup", "lifespan.shutdown"]


async def test_an_unknown_message_is_an_error_in_the_app() -> None:
    errors: list[BaseException] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        try:
            await send({"type": "lifespan.startup.maybe"})
        except RuntimeError as exc:
            errors.append(exc)
            raise

    with pytest.raises(LifespanFailure, match="unexpected lifespan message 'lifespan.startup.maybe'"):
        await run_lifespan(Lifespan(app, "on"))
    assert len(errors) == 1
