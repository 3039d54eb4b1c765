"""``DependencyOverrides``: ``app.dependency_overrides``, a dict that counts its changes.

Plans compile with the overrides present at that time and remember the
``version``; per request they compare one integer and recompile lazily when
it changed. Every mutating dict method bumps the version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, overload

__all__ = ["DependencyOverrides"]

_Call = Callable[..., Any]


class DependencyOverrides(dict[_Call, _Call]):
    """Maps a dependency as declared in the code to the callable used instead.

    ``app.dependency_overrides[get_db] = get_test_db`` makes every endpoint
    that depends on ``get_db`` (directly or not) call ``get_test_db``.
    """

    __slots__ = ("version",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.version = 0

    def __setitem__(self, key: _Call, value: _Call) -> None:
        if not callable(value):
            raise TypeError(
                f"dependency_overrides[{key!r}] must be a callable, got {value!r}; "
                "assign the replacement function itself, not its result"
            )
        super().__setitem__(key, value)
        self.version += 1

    def __delitem__(self, key: _Call) -> None:
        super().__delitem__(key)
        self.version += 1

    def clear(self) -> None:
        super().clear()
        self.version += 1

    @overload
    def pop(self, key: _Call, /) -> _Call: ...
    @overload
    def pop(self, key: _Call, default: Any, /) -> Any: ...

    def pop(self, key: _Call, *default: Any) -> Any:
        self.version += 1
        return super().pop(key, *default)

    def popitem(self) -> tuple[_Call, _Call]:
        self.version += 1
        return super().popitem()

    def setdefault(self, key: _Call, default: _Call | None = None) -> _Call:
        if key not in self:
            self[key] = default  # type: ignore[assignment]
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value
        self.version += 1

    def __ior__(self, other: Mapping[_Call, _Call] | Iterable[tuple[_Call, _Call]]) -> DependencyOverrides:  # type: ignore[override,misc]
        self.update(other)
        return self

    def __reduce__(self) -> Any:
        return (type(self), (dict(self),))

