"""Attribute-style state containers (``app.state``, ``request.state``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

__all__ = ["Address", "State"]


class Address(NamedTuple):
    """A ``(host, port)`` peer address, as in the ASGI ``client`` field."""

    host: str
    port: int


class State:
    """A namespace over a dict: ``state.db`` reads ``state._state["db"]``.

    A missing attribute raises ``AttributeError`` naming it. ``copy.copy``
    copies the dict; ``copy.deepcopy`` and pickling copy it deeply.
    """

    _state: dict[str, Any]

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        object.__setattr__(self, "_state", {} if state is None else state)

    def __setattr__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def __getattr__(self, key: str) -> Any:
        # Read ``_state`` from the instance dict: copy/pickle probe attributes on
        # an instance built without __init__, where ``self._state`` would recurse.
        try:
            return self.__dict__["_state"][key]
        except KeyError:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute {key!r}") from None

    def __copy__(self) -> State:
        """A state over a copy of the dict (setting on one does not change the other)."""
        return type(self)(dict(self._state))

    def __delattr__(self, key: str) -> None:
        try:
            del self._state[key]
        except KeyError:
            raise AttributeError(key) from None

    def __contains__(self, key: str) -> bool:
        return key in self._state

    def __iter__(self) -> Iterator[str]:
        return iter(self._state)

    def __repr__(self) -> str:
        return f"State({self._state!r})"
