"""The immutable multi-dict behind ``QueryParams`` and ``FormData``.

Both keep every ``(key, value)`` pair in the order the client sent them and
answer the ``Mapping`` API with the LAST value of each key (COMPAT:
Starlette's ``ImmutableMultiDict``, which FastAPI users index into);
``getlist`` gives every value of a key and ``multi_items`` every pair.
Subclasses build the pair list and define equality and text forms.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import TypeVar

__all__ = ["ImmutableMultiDict"]

V = TypeVar("V")


class ImmutableMultiDict(Mapping[str, V]):
    """Pairs in order plus a last-value-wins dict (key order: first appearance)."""

    __slots__ = ("_list", "_dict")

    _list: list[tuple[str, V]]
    _dict: dict[str, V]

    def _set_items(self, items: Iterable[tuple[str, V]]) -> None:
        self._list = list(items)
        # Last value wins, key order is first appearance: a dict does both.
        self._dict = dict(self._list)

    def getlist(self, key: str) -> list[V]:
        """Every value of ``key`` in order (an empty list when absent)."""
        return [value for name, value in self._list if name == key]

    def multi_items(self) -> list[tuple[str, V]]:
        """Every ``(key, value)`` pair, repeated keys included, in order."""
        return list(self._list)

    def keys(self) -> KeysView[str]:
        """The distinct keys, in order of first appearance."""
        return self._dict.keys()

    def values(self) -> ValuesView[V]:
        """The last value of each key."""
        return self._dict.values()

    def items(self) -> ItemsView[str, V]:
        """``(key, last value)`` for each distinct key."""
        return self._dict.items()

    def __getitem__(self, key: str) -> V:
        return self._dict[key]

    def __contains__(self, key: object) -> bool:
        return key in self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    __hash__ = None  # type: ignore[assignment]
