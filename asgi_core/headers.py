"""HTTP header collections over ASGI's raw ``(name, value)`` byte pairs.

Rules:

* ``Headers`` is an immutable, case-insensitive multi-map. It keeps the raw
  list it was given and decodes (latin-1, RFC 9110 §5.5) only the values that
  are asked for, so an endpoint that never reads a header pays nothing.
* Names in an ASGI scope are already lowercase (ASGI HTTP spec, "headers");
  names given any other way are lowercased once, on construction.
* ``MutableHeaders`` is what responses carry. Every name and value written
  through it is checked: a name must be an RFC 9110 token and a value must not
  contain CR, LF or NUL, so response splitting cannot happen through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Self

from .types import Scope

__all__ = ["HeaderValueError", "Headers", "MutableHeaders", "check_header"]

# SPEC: RFC 9110 §5.6.2 token = 1*tchar
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# SPEC: RFC 9110 §5.5 - field values never carry CR, LF or NUL.
_FORBIDDEN_IN_VALUE = re.compile(rb"[\r\n\x00]")


class HeaderValueError(ValueError):
    """A header name or value that must not be sent (CR, LF, NUL, non-token name)."""


def _encode(text: str | bytes, what: str) -> bytes:
    if isinstance(text, bytes):
        return text
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        raise HeaderValueError(
            f"header {what} {text[:80]!r} has characters outside latin-1; "
            "percent-encode it or use RFC 8187 encoding"
        ) from None


def _lookup_name(key: str) -> bytes | None:
    """The byte name to look ``key`` up by; ``None`` (matches nothing) outside latin-1."""
    try:
        return key.lower().encode("latin-1")
    except UnicodeEncodeError:
        return None


def check_header(name: str | bytes, value: str | bytes) -> tuple[bytes, bytes]:
    """Encode and validate one header for output.

    Returns:
        The ``(lowercased name, value)`` byte pair.

    Raises:
        HeaderValueError: the name is not a token or the value holds CR, LF or NUL.
    """
    raw_name = _encode(name, "name").lower()
    raw_value = _encode(value, "value")
    if _TOKEN.fullmatch(raw_name) is None:
        raise HeaderValueError(f"invalid header name {raw_name[:80]!r}: must be an RFC 9110 token")
    if _FORBIDDEN_IN_VALUE.search(raw_value) is not None:
        raise HeaderValueError(
            f"invalid value for header {raw_name.decode('latin-1')!r}: "
            f"CR, LF and NUL are not allowed (got {raw_value[:80]!r})"
        )
    return raw_name, raw_value


class Headers(Mapping[str, str]):
    """An immutable, case-insensitive multi-map of HTTP headers.

    Build it from exactly one of: a ``Mapping`` of str to str, ``raw`` byte
    pairs, or an ASGI ``scope`` (its ``headers``). With no argument it is empty.
    """

    __slots__ = ("_list",)

    _list: list[tuple[bytes, bytes]]

    def __init__(
        self,
        headers: Mapping[str, str] | None = None,
        raw: Iterable[tuple[bytes, bytes]] | None = None,
        scope: Scope | None = None,
    ) -> None:
        if (headers is not None) + (raw is not None) + (scope is not None) > 1:
            raise TypeError("Headers() takes only one of 'headers', 'raw' or 'scope'")
        if scope is not None:
            self._list = self._from_scope(scope)
        elif raw is not None:
            self._list = self._from_raw(raw)
        elif headers is not None:
            self._list = self._from_mapping(headers)
        else:
            self._list = []

    # One method per source, so that MutableHeaders changes only what differs.

    def _from_scope(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        # ASGI guarantees lowercase names; keep the server's list as is.
        scope_headers = scope.get("headers", ())
        return scope_headers if isinstance(scope_headers, list) else list(scope_headers)

    def _from_raw(self, raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        return [(k.lower(), v) for k, v in raw]

    def _from_mapping(self, headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
        return [(_encode(k, "name").lower(), _encode(v, "value")) for k, v in headers.items()]

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        """The underlying ``(name, value)`` byte pairs, in order."""
        return self._list

    def keys(self) -> list[str]:  # type: ignore[override]
        return [k.decode("latin-1") for k, _ in self._list]

    def values(self) -> list[str]:  # type: ignore[override]
        return [v.decode("latin-1") for _, v in self._list]

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in self._list]

    def getlist(self, key: str) -> list[str]:
        """Every value of ``key``, in order (an empty list when absent)."""
        name = _lookup_name(key)
        return [v.decode("latin-1") for k, v in self._list if k == name]

    def get_raw(self, key: bytes) -> bytes | None:
        """The first raw value for a lowercase byte name, without decoding."""
        for k, v in self._list:
            if k == key:
                return v
        return None

    def __getitem__(self, key: str) -> str:
        name = _lookup_name(key)
        for k, v in self._list:
            if k == name:
                return v.decode("latin-1")
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        name = _lookup_name(key)
        return any(k == name for k, _ in self._list)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return sorted(self._list) == sorted(other._list)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        items = self.items()
        if len({k for k, _ in items}) == len(items):
            return f"{type(self).__name__}({dict(items)!r})"
        return f"{type(self).__name__}(raw={self._list!r})"

    def mutablecopy(self) -> MutableHeaders:
        """A ``MutableHeaders`` holding a copy of these headers."""
        return MutableHeaders(raw=list(self._list))

    @classmethod
    def _wrap(cls, raw: list[tuple[bytes, bytes]]) -> Self:
        """Share ``raw`` (already lowercase and valid) without copying; ferrule-internal."""
        obj = cls.__new__(cls)
        obj._list = raw
        return obj


class MutableHeaders(Headers):
    """Response headers: like ``Headers`` but writable, and checked on write."""

    __slots__ = ()

    def _from_scope(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        # COMPAT(fastapi): like Starlette, edits reach the scope/message
        # (pure-ASGI middleware edits "http.response.start" this way).
        shared = list(scope.get("headers", ()))
        scope["headers"] = shared
        return shared

    def _from_raw(self, raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        if not isinstance(raw, list):
            return super()._from_raw(raw)
        # COMPAT(starlette): a raw list is shared, not copied, so edits reach it: pure-ASGI
        # middleware wraps a held "http.response.start" message's headers and edits them
        # in place (slowapi does this). Names are lowercased in place, as ASGI wants them.
        raw[:] = [(k.lower(), v) for k, v in raw]
        return raw

    def _from_mapping(self, headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
        return [check_header(k, v) for k, v in headers.items()]

    def __setitem__(self, key: str, value: str) -> None:
        """Set ``key`` to a single value, replacing every earlier value."""
        name, raw_value = check_header(key, value)
        found = -1
        kept: list[tuple[bytes, bytes]] = []
        for index, (k, v) in enumerate(self._list):
            if k == name:
                if found < 0:
                    found = index
                    kept.append((name, raw_value))
            else:
                kept.append((k, v))
        if found < 0:
            kept.append((name, raw_value))
        self._list[:] = kept

    def __delitem__(self, key: str) -> None:
        name = _lookup_name(key)
        self._list[:] = [(k, v) for k, v in self._list if k != name]

    def clear(self) -> None:
        """Remove every header (as ``dict.clear``; httpx's client headers allow it)."""
        del self._list[:]

    def pop(self, key: str, *default: str) -> str:
        """Remove ``key`` and return its first value (``default``, or ``KeyError`` when absent)."""
        name = _lookup_name(key)
        for k, v in self._list:
            if k == name:
                del self[key]
                return v.decode("latin-1")
        if default:
            return default[0]
        raise KeyError(key)

    def __ior__(self, other: Mapping[str, str]) -> MutableHeaders:
        self.update(other)
        return self

    def __or__(self, other: Mapping[str, str]) -> MutableHeaders:
        new = self.mutablecopy()
        new.update(other)
        return new

    def setdefault(self, key: str, value: str) -> str:
        """Set ``key`` unless present; return its (first) value."""
        name, raw_value = check_header(key, value)
        for k, v in self._list:
            if k == name:
                return v.decode("latin-1")
        self._list.append((name, raw_value))
        return value

    def update(self, other: Mapping[str, str] | Iterable[tuple[str, str]] = (), **kwargs: str) -> None:
        pairs: Iterable[tuple[str, str]] = other.items() if isinstance(other, Mapping) else other
        for key, value in pairs:
            self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    def append(self, key: str, value: str) -> None:
        """Add a value for ``key``, keeping the earlier ones (e.g. ``Set-Cookie``)."""
        self._list.append(check_header(key, value))

    def extend_raw(self, pairs: Sequence[tuple[bytes, bytes]]) -> None:
        """Append already-validated raw pairs (ferrule-internal fast path)."""
        self._list.extend(pairs)

    def add_vary_header(self, vary: str) -> None:
        """Add ``vary`` to the ``Vary`` header, keeping what is there."""
        existing = self.get("vary")
        if existing is None:
            self["vary"] = vary
            return
        present = {part.strip().lower() for part in existing.split(",")}
        if vary.lower() not in present:
            self["vary"] = f"{existing}, {vary}"

