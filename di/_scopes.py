"""Cancel scopes for the request's teardowns: made cheaply, and only when needed.

Request-scoped teardowns run under one shielded anyio cancel scope, entered
before the first async generator's setup (``solve.request_exits``). Making
and entering a scope costs a few microseconds per request; this module makes
it directly from the backend's class, and tells when no scope is needed at all.
"""

from __future__ import annotations

from asyncio import _get_running_loop, current_task
from typing import Any
from weakref import WeakKeyDictionary

from anyio import CancelScope

__all__ = ["new_cancel_scope", "outside_cancel_scopes"]


_asyncio_scope_type: type[CancelScope] | None = None


def new_cancel_scope() -> CancelScope:
    """``anyio.CancelScope()``, made directly from the backend's class under asyncio.

    PERF: bench `deps` - ``CancelScope()`` asks sniffio for the running library
    and builds the scope through ``create_cancel_scope`` (running ``__init__``
    twice) on every call; the asyncio backend's class is remembered instead.
    """
    global _asyncio_scope_type
    scope_type = _asyncio_scope_type
    if scope_type is None or _get_running_loop() is None:
        scope = CancelScope()
        # Remembered only when anyio chose its asyncio backend for this loop.
        if scope_type is None and _get_running_loop() is not None and type(scope).__module__.endswith("._asyncio"):
            _asyncio_scope_type = type(scope)
        return scope
    return scope_type()


def _asyncio_task_states() -> Any:
    """anyio's per-task record of the innermost cancel scope (asyncio backend), or None.

    It is private to anyio: read defensively, once; if its shape is not the
    expected one, ``outside_cancel_scopes`` says False and ferrule shields as always.
    """
    try:
        from anyio._backends import _asyncio as backend

        states = backend._task_states
        state_type = backend.TaskState
    except (ImportError, AttributeError):  # pragma: no cover - another anyio layout
        return None
    if not isinstance(states, WeakKeyDictionary) or "cancel_scope" not in getattr(state_type, "__slots__", ()):
        return None  # pragma: no cover - another anyio layout
    return states


_TASK_STATES: Any = _asyncio_task_states()


def outside_cancel_scopes() -> bool:
    """True when surely no anyio cancel scope encloses the running task (asyncio only).

    Then teardowns need no shield: anyio cancels a task only through a
    cancelled scope that encloses it, and a shield cannot stop a native
    ``Task.cancel()`` anyway. Scopes nest, so none can come to enclose the
    request later. Under uvicorn, hypercorn or granian (plain asyncio tasks)
    this is the common case; under ferrule's server (anyio task groups) or a
    route timeout there is a scope, and teardowns are shielded. False when it
    cannot tell (trio, another anyio layout).
    """
    states = _TASK_STATES
    if states is None or _get_running_loop() is None:
        return False
    task = current_task()
    if task is None:
        return False
    state = states.get(task)
    return state is None or state.cancel_scope is None
