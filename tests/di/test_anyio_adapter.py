"""``di._anyio_adapter``: the one anyio private ferrule reads, and its fallback.

The adapter tells whether any anyio cancel scope encloses the request, so the
teardowns of ``yield`` dependencies are shielded only where something could
cancel them. When anyio's layout is not recognised (``TASK_STATES is None``)
it answers "cannot tell" and teardowns are always shielded: these tests run
the teardown rules both ways.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest
from di_helpers import Recorder, make_request, plan_for
from test_teardown import _cancel_mid_request, deps

import ferrule.di.context as context_module
from ferrule.di import Depends, SolveContext
from ferrule.di import _anyio_adapter as adapter


def _in_a_plain_asyncio_task(fn: Any) -> Any:
    """Run ``fn()`` in a task no anyio cancel scope encloses (as under uvicorn)."""

    async def main() -> Any:
        return await asyncio.get_running_loop().create_task(fn())

    return asyncio.run(main())


@pytest.fixture(params=["recognised", "fallback"])
def layout(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "fallback":
        monkeypatch.setattr(adapter, "TASK_STATES", None)
    return str(request.param)


def test_the_installed_anyio_layout_is_recognised() -> None:
    # CI runs this with the minimum and the latest anyio: a layout change fails here
    # (and ferrule would still be correct, through the fallback tested below).
    assert adapter.TASK_STATES is not None, f"anyio {anyio.__version__}: its task states moved"


def test_outside_cancel_scopes_tells_whether_a_scope_encloses_the_task(layout: str) -> None:
    async def probe() -> list[bool]:
        seen = [adapter.outside_cancel_scopes()]
        with anyio.CancelScope():
            seen.append(adapter.outside_cancel_scopes())
        seen.append(adapter.outside_cancel_scopes())
        async with anyio.create_task_group() as tg:
            inner: list[bool] = []

            async def child() -> None:
                inner.append(adapter.outside_cancel_scopes())

            tg.start_soon(child)
        return [*seen, *inner]

    expected = [True, False, True, False] if layout == "recognised" else [False] * 4
    assert _in_a_plain_asyncio_task(probe) == expected


def test_under_trio_it_cannot_tell() -> None:
    async def probe() -> bool:
        return adapter.outside_cancel_scopes()

    assert anyio.run(probe, backend="trio") is False


@pytest.mark.parametrize("enclosed", [False, True], ids=["plain-task", "inside-a-scope"])
def test_a_shield_scope_is_entered_only_when_a_scope_may_enclose_the_request(
    enclosed: bool, layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered: list[Any] = []
    real = context_module.CancelScope

    def counting() -> Any:
        scope = real()
        entered.append(scope)
        return scope

    monkeypatch.setattr(context_module, "CancelScope", counting)
    rec = Recorder()
    c = deps(rec)["c"]

    async def endpoint(x: str = Depends(c)) -> str:
        return x

    async def request() -> str:
        async with AsyncExitStack() as stack:
            return await plan_for(endpoint).solve(make_request(), SolveContext(stack))

    async def run() -> str:
        if not enclosed:
            return await request()
        with anyio.CancelScope():
            return await request()

    assert _in_a_plain_asyncio_task(run) == "abc"
    assert len(entered) == (1 if enclosed or layout == "fallback" else 0)
    assert rec.events[-3:] == ["teardown c", "teardown b", "teardown a"]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_teardowns_inside_a_cancelled_scope_are_still_shielded(layout: str, backend: str) -> None:
    # The case the shield exists for: the request's enclosing scope is cancelled
    # while it runs; awaiting teardowns still finish.
    rec = Recorder()
    if backend == "asyncio":
        _in_a_plain_asyncio_task(lambda: _cancel_mid_request(rec))
    else:
        anyio.run(_cancel_mid_request, rec, backend="trio")
    assert rec.count("setup") == rec.count("teardown") == 4
