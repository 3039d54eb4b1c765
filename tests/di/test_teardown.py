"""``yield`` dependencies: setup/teardown order, scopes, exceptions, disconnects, cancellation."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest
from di_helpers import Recorder, make_request, plan_for, solve

from ferrule.asgi_core.exceptions import ClientDisconnect, HTTPException
from ferrule.asgi_core.request import Request
from ferrule.di import DependencyRuntimeError, Depends, EndpointPlan, FastAPIError, SolveContext

pytestmark = pytest.mark.anyio


class Boom(Exception):
    pass


def deps(rec: Recorder) -> dict[str, Any]:
    """Three yield dependencies (async, sync, async) recording setup, teardown and what was thrown in."""

    async def a() -> AsyncIterator[str]:
        rec("setup a")
        try:
            yield "a"
        except Exception as exc:
            rec(f"caught a {type(exc).__name__}")
            raise
        finally:
            rec("teardown a")

    def b(x: str = Depends(a)) -> Iterator[str]:
        rec("setup b")
        try:
            yield x + "b"
        except Exception as exc:
            rec(f"caught b {type(exc).__name__}")
            raise
        finally:
            rec("teardown b")

    async def c(x: str = Depends(b)) -> AsyncIterator[str]:
        rec("setup c")
        try:
            yield x + "c"
        finally:
            rec("teardown c")

    return {"a": a, "b": b, "c": c}


async def test_request_scope_tears_down_after_the_stack_closes_in_reverse_order() -> None:
    rec = Recorder()
    c = deps(rec)["c"]

    async def endpoint(x: str = Depends(c)) -> str:
        rec("endpoint")
        return x

    async with AsyncExitStack() as stack:
        result = await plan_for(endpoint).solve(make_request(), SolveContext(stack))
        rec("response sent")
    assert result == "abc"
    assert rec.events == [
        "setup a", "setup b", "setup c", "endpoint", "response sent",
        "teardown c", "teardown b", "teardown a",
    ]


async def test_function_scope_tears_down_before_solve_returns() -> None:
    rec = Recorder()

    async def fn_dep() -> AsyncIterator[str]:
        rec("setup fn")
        yield "fn"
        rec("teardown fn")

    def fn_sync() -> Iterator[str]:
        rec("setup fn-sync")
        yield "fs"
        rec("teardown fn-sync")

    async def req_dep() -> AsyncIterator[str]:
        rec("setup req")
        yield "req"
        rec("teardown req")

    async def endpoint(
        r: str = Depends(req_dep),
        f: str = Depends(fn_dep, scope="function"),
        s: str = Depends(fn_sync, scope="function"),
    ) -> str:
        rec("endpoint")
        return r + f + s

    async with AsyncExitStack() as stack:
        assert await plan_for(endpoint).solve(make_request(), SolveContext(stack)) == "reqfnfs"
        rec("response sent")
    assert rec.events == [
        "setup req", "setup fn", "setup fn-sync", "endpoint",
        "teardown fn-sync", "teardown fn", "response sent", "teardown req",
    ]


async def test_endpoint_exception_is_thrown_into_generators() -> None:
    rec = Recorder()
    c = deps(rec)["c"]

    async def endpoint(x: str = Depends(c)) -> None:
        raise Boom("endpoint failed")

    with pytest.raises(Boom, match="endpoint failed"):
        await solve(plan_for(endpoint))
    assert rec.events == [
        "setup a", "setup b", "setup c",
        "teardown c", "caught b Boom", "teardown b", "caught a Boom", "teardown a",
    ]


@pytest.mark.parametrize("scope", ["request", "function"])
@pytest.mark.parametrize("sync", [False, True], ids=["async", "sync"])
async def test_swallowed_exception_is_a_clear_error(scope: str, sync: bool) -> None:
    if sync:

        def swallower() -> Iterator[None]:
            try:
                yield
            except Exception:
                pass

    else:

        async def swallower() -> AsyncIterator[None]:  # type: ignore[misc]
            try:
                yield
            except Exception:
                pass

    async def endpoint(x: None = Depends(swallower, scope=scope)) -> None:  # type: ignore[arg-type]
        raise Boom("lost")

    with pytest.raises(FastAPIError) as info:
        await solve(plan_for(endpoint))
    # COMPAT(fastapi): FastAPI's class and wording (its tutorial008c test checks this phrase) ...
    message = info.value.args[0]
    assert message.startswith("Response not awaited. ")
    assert "raising an exception and a dependency with yield" in message
    # ... then which dependency swallowed what.
    assert isinstance(info.value, DependencyRuntimeError)
    assert info.value.dependency == "swallower"
    assert "dependency 'swallower' caught Boom: lost and did not re-raise it" in message
    assert isinstance(info.value.__cause__, Boom)


async def test_generator_may_translate_the_exception() -> None:
    async def translate() -> AsyncIterator[None]:
        try:
            yield
        except Boom as exc:
            raise HTTPException(409, "conflict") from exc

    async def endpoint(x: None = Depends(translate)) -> None:
        raise Boom()

    with pytest.raises(HTTPException) as info:
        await solve(plan_for(endpoint))
    assert info.value.status_code == 409


async def test_http_exception_in_setup_propagates_and_earlier_ones_tear_down() -> None:
    rec = Recorder()
    a = deps(rec)["a"]

    async def guard(x: str = Depends(a)) -> AsyncIterator[None]:
        rec("setup guard")
        raise HTTPException(401, "no")
        yield  # pragma: no cover

    def later() -> None:
        rec("later")

    async def endpoint(g: None = Depends(guard), y: None = Depends(later)) -> None:
        rec("endpoint")

    with pytest.raises(HTTPException) as info:
        await solve(plan_for(endpoint))
    assert info.value.status_code == 401
    assert rec.events == ["setup a", "setup guard", "caught a HTTPException", "teardown a"]


async def test_teardown_error_after_success_propagates() -> None:
    async def bad() -> AsyncIterator[None]:
        yield
        raise Boom("teardown failed")

    async def endpoint(x: None = Depends(bad)) -> str:
        return "ok"

    with pytest.raises(Boom, match="teardown failed"):
        await solve(plan_for(endpoint))


async def test_yielding_twice_or_never_is_an_error() -> None:
    async def twice() -> AsyncIterator[int]:
        yield 1
        yield 2

    def twice_sync() -> Iterator[int]:
        yield 1
        yield 2

    async def never() -> AsyncIterator[int]:
        if False:  # pragma: no cover
            yield 1

    def never_sync() -> Iterator[int]:
        if False:  # pragma: no cover
            yield 1

    for dep, message in [
        (twice, "'twice' yielded more than once"),
        (twice_sync, "'twice_sync' yielded more than once"),
        (never, "'never' returned without yielding"),
        (never_sync, "'never_sync' returned without yielding"),
    ]:
        plan = plan_for(lambda x=Depends(dep): x)
        with pytest.raises(DependencyRuntimeError, match=message):
            await solve(plan)


async def test_client_disconnect_tears_everything_down() -> None:
    rec = Recorder()
    c = deps(rec)["c"]

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def endpoint(request: Request, x: str = Depends(c)) -> bytes:
        return await request.body()

    with pytest.raises(ClientDisconnect):
        await solve(plan_for(endpoint), make_request(receive=receive))
    assert rec.count("setup") == rec.count("teardown") == 3
    assert "caught a ClientDisconnect" in rec.events


def _cancellable_plan(rec: Recorder, started: anyio.Event) -> EndpointPlan:
    async def shielded_async() -> AsyncIterator[None]:
        rec("setup async")
        try:
            yield
        finally:
            await anyio.sleep(0)  # would raise if teardown were not shielded
            rec("teardown async")

    def sync_gen() -> Iterator[None]:
        rec("setup sync")
        try:
            yield
        finally:
            rec("teardown sync")

    async def function_scoped() -> AsyncIterator[None]:
        rec("setup function")
        try:
            yield
        finally:
            await anyio.sleep(0)
            rec("teardown function")

    async def owns_a_cancel_scope() -> AsyncIterator[None]:
        rec("setup scope-owner")
        with anyio.CancelScope():
            try:
                yield
            finally:
                rec("teardown scope-owner")

    async def endpoint(
        a: None = Depends(shielded_async),
        b: None = Depends(sync_gen),
        c: None = Depends(function_scoped, scope="function"),
        d: None = Depends(owns_a_cancel_scope),
    ) -> None:
        started.set()
        await anyio.sleep_forever()

    return plan_for(endpoint)


async def _cancel_mid_request(rec: Recorder) -> None:
    """Start a request of _cancellable_plan in a task group, cancel the group once the endpoint runs."""
    started = anyio.Event()
    plan = _cancellable_plan(rec, started)

    async def request() -> None:
        async with AsyncExitStack() as stack:
            await plan.solve(make_request(), SolveContext(stack))

    async with anyio.create_task_group() as tg:
        tg.start_soon(request)
        await started.wait()
        tg.cancel_scope.cancel()


async def test_cancellation_tears_everything_down() -> None:
    rec = Recorder()
    await _cancel_mid_request(rec)
    assert rec.count("setup") == 4
    assert rec.count("teardown") == 4
    assert rec.events.index("teardown function") < rec.events.index("teardown scope-owner")


async def test_cancellation_during_sync_setup_still_tears_down() -> None:
    rec = Recorder()
    in_setup = threading.Event()
    release = threading.Event()

    def slow_setup() -> Iterator[None]:
        rec("setup")
        in_setup.set()
        release.wait(5)
        try:
            yield
        finally:
            rec("teardown")

    async def endpoint(x: None = Depends(slow_setup)) -> None:
        await anyio.sleep_forever()

    plan = plan_for(endpoint)

    async def request() -> None:
        async with AsyncExitStack() as stack:
            await plan.solve(make_request(), SolveContext(stack))

    async with anyio.create_task_group() as tg:
        tg.start_soon(request)
        await anyio.to_thread.run_sync(in_setup.wait, 5)
        tg.cancel_scope.cancel()
        release.set()
    assert rec.events == ["setup", "teardown"]


async def test_many_requests_setups_match_teardowns() -> None:
    rec = Recorder()
    c = deps(rec)["c"]
    gate = anyio.Event()

    async def endpoint(x: str = Depends(c), fail: bool = False) -> str:
        await gate.wait()
        if fail:
            raise Boom()
        return x

    plan = plan_for(endpoint)
    outcomes: list[str] = []

    async def one(fail: bool) -> None:
        try:
            await solve(plan, make_request(query=b"fail=true" if fail else b""))
            outcomes.append("ok")
        except Boom:
            outcomes.append("boom")

    async with anyio.create_task_group() as tg:
        for i in range(10):
            tg.start_soon(one, i % 2 == 0)
        await anyio.wait_all_tasks_blocked()
        gate.set()
    assert sorted(outcomes) == ["boom"] * 5 + ["ok"] * 5
    assert rec.count("setup") == rec.count("teardown") == 30


async def test_a_given_cleanup_scope_is_used_for_shielding() -> None:
    rec = Recorder()
    started = anyio.Event()
    plan = _cancellable_plan(rec, started)

    async def request() -> None:
        with anyio.CancelScope() as outer:
            async with AsyncExitStack() as stack:
                ctx = SolveContext(stack, cleanup_scope=outer)
                await plan.solve(make_request(), ctx)

    async with anyio.create_task_group() as tg:
        tg.start_soon(request)
        await started.wait()
        tg.cancel_scope.cancel()
    assert rec.count("setup") == rec.count("teardown") == 4


class TeardownError(Exception):
    pass


async def test_teardown_exceptions_chain_as_async_exit_stack_does() -> None:
    # Request-scoped teardowns run as one entry of the request stack; what
    # escapes must be what separate AsyncExitStack entries would give: the
    # last teardown's exception, its __context__ the previous one's, then the
    # endpoint's, and every teardown still runs.
    rec = Recorder()

    async def first() -> AsyncIterator[str]:
        try:
            yield "1"
        finally:
            rec("teardown first")
            raise TeardownError("first")

    async def second(x: str = Depends(first)) -> AsyncIterator[str]:
        try:
            yield x + "2"
        finally:
            rec("teardown second")
            raise TeardownError("second")

    async def third(x: str = Depends(second)) -> AsyncIterator[str]:
        try:
            yield x + "3"
        except Boom:
            rec("third saw Boom")
            raise

    async def endpoint(x: str = Depends(third)) -> str:
        raise Boom("endpoint")

    with pytest.raises(TeardownError, match="first") as info:
        async with AsyncExitStack() as stack:
            await plan_for(endpoint).solve(make_request(), SolveContext(stack))
    assert rec.events == ["third saw Boom", "teardown second", "teardown first"]
    second_exc = info.value.__context__
    assert isinstance(second_exc, TeardownError) and str(second_exc) == "second"
    assert isinstance(second_exc.__context__, Boom)
