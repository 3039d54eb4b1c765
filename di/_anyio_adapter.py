"""The one use of an anyio private in ferrule, with its fallback.

``outside_cancel_scopes()`` tells whether surely no anyio cancel scope
encloses the running task. Then the teardowns of ``yield`` dependencies need
no shielding scope (``di.teardown``): anyio cancels a task only through a
cancelled scope that encloses it, and a shield cannot stop a native
``Task.cancel()`` anyway. Scopes nest, so none can come to enclose the request
later. Under uvicorn, hypercorn or granian (plain asyncio tasks) this is the
common case; under ferrule's server (anyio task groups), a route timeout or
trio there is a scope, and teardowns are shielded.

anyio has no public way to ask this. Its asyncio backend keeps, per task, a
record of the innermost cancel scope (``anyio._backends._asyncio._task_states``,
a ``WeakKeyDictionary`` of ``TaskState`` objects with a ``cancel_scope``
slot). It is read here only, and checked when this module is imported: if
anyio's layout is not the expected one, ``TASK_STATES`` is ``None`` and
``outside_cancel_scopes()`` answers False, so ferrule shields as it does under
trio (the fallback: correct, a few microseconds slower per request with a
``yield`` dependency). ``tests/di/test_anyio_adapter.py`` asserts the layout
is recognised with the installed anyio (so CI's minimum and latest anyio runs
notice a change) and runs the fallback.

PERF: bench ``deps`` - entering and exiting a public ``anyio.CancelScope`` costs
~3 µs of a ~14 µs request (measured with process CPU time).
"""

from __future__ import annotations

import asyncio
from typing import Any
from weakref import WeakKeyDictionary

__all__ = ["TASK_STATES", "outside_cancel_scopes"]


def _asyncio_task_states() -> Any:
    """anyio's per-task record of the innermost cancel scope (asyncio backend), or None."""
    try:
        from anyio._backends import _asyncio as backend

        states = backend._task_states
        state_type = backend.TaskState
    except (ImportError, AttributeError):
        return None
    if not isinstance(states, WeakKeyDictionary) or "cancel_scope" not in getattr(state_type, "__slots__", ()):
        return None
    return states


#: anyio's task states, or None when its layout is not recognised (the fallback).
TASK_STATES: Any = _asyncio_task_states()


def outside_cancel_scopes() -> bool:
    """True when surely no anyio cancel scope encloses the running task (asyncio only).

    False when it cannot tell: under trio, or with an anyio layout this module
    does not recognise.
    """
    states = TASK_STATES
    if states is None:
        return False
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no asyncio loop in this thread: trio
        return False
    if task is None:
        return False
    state = states.get(task)
    return state is None or state.cancel_scope is None
