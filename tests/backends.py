"""The suite's async backend: asyncio, or trio with ``pytest --async-backend trio``.

``tests/conftest.py`` reads the option. Under trio, every ``TestClient`` the
suite builds without naming a ``backend`` runs the app on trio, the
``anyio_backend`` fixture of ``@pytest.mark.anyio`` tests answers ``"trio"``
(files that pin their own ``anyio_backend`` keep it), and tests marked
``asyncio_only`` are deselected. ``running_backend()`` lets a test check which
loop it is really on, so the trio run cannot silently fall back to asyncio.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from ferrule.testclient import TestClient

OPTION = "--async-backend"
BACKENDS = ("asyncio", "trio")


def running_backend() -> str:
    """``"trio"`` inside a trio run loop, else ``"asyncio"`` (call it from async code)."""
    try:
        import trio
    except ImportError:  # pragma: no cover - trio is in the test extra
        return "asyncio"
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return "asyncio"
    return "trio"


def default_testclient_backend(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    """Make ``TestClient(app)`` (no ``backend`` given) run on ``backend``."""
    original = TestClient.__init__
    signature = inspect.signature(original)

    def __init__(self: TestClient, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, *args, **kwargs)
        bound.arguments.setdefault("backend", backend)
        original(*bound.args, **bound.kwargs)

    monkeypatch.setattr(TestClient, "__init__", __init__)


def all_tasks() -> set[object]:
    """Every task of the running event loop, asyncio's or trio's (call it from async code)."""
    if running_backend() == "asyncio":
        import asyncio

        return set(asyncio.all_tasks())
    import trio

    found: set[object] = set()
    todo = [trio.lowlevel.current_root_task()]
    while todo:
        task = todo.pop()
        if task is None or task in found:
            continue
        found.add(task)
        for nursery in task.child_nurseries:
            todo.extend(nursery.child_tasks)
    return found
