"""``starlette.datastructures`` in drop-in mode: ferrule's, plus ``Secret``,
``CommaSeparatedStrings`` and ``URLPath`` (Starlette-only helpers, written here)."""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Sequence
from typing import overload

from ferrule.datastructures import URL as URL
from ferrule.datastructures import Address as Address
from ferrule.datastructures import FormData as FormData
from ferrule.datastructures import Headers as Headers
from ferrule.datastructures import ImmutableMultiDict as ImmutableMultiDict
from ferrule.datastructures import MutableHeaders as MutableHeaders
from ferrule.datastructures import QueryParams as QueryParams
from ferrule.datastructures import State as State
from ferrule.datastructures import UploadFile as UploadFile

__all__ = [
    "URL",
    "Address",
    "CommaSeparatedStrings",
    "FormData",
    "Headers",
    "ImmutableMultiDict",
    "MutableHeaders",
    "QueryParams",
    "Secret",
    "State",
    "URLPath",
    "UploadFile",
]


class Secret:
    """A string that hides itself in ``repr`` (for values read with ``Config``)."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return f"{type(self).__name__}('**********')"

    def __str__(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)


class CommaSeparatedStrings(Sequence[str]):
    """``"a, b, 'c d'"`` -> ``["a", "b", "c d"]``; a sequence passes through as a list."""

    def __init__(self, value: str | Sequence[str]) -> None:
        if isinstance(value, str):
            lexer = shlex.shlex(value, posix=True)
            lexer.whitespace = ","
            lexer.whitespace_split = True
            self._items = [item.strip() for item in lexer]
        else:
            self._items = list(value)

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        return self._items[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"

    def __str__(self) -> str:
        return ", ".join(repr(item) for item in self._items)


class URLPath(str):
    """A path from ``url_path_for``, with the scheme kind (``http``/``websocket``) and host."""

    protocol: str
    host: str

    def __new__(cls, path: str, protocol: str = "", host: str = "") -> URLPath:
        if protocol not in ("http", "websocket", ""):
            raise ValueError(f"URLPath protocol must be 'http', 'websocket' or '', not {protocol!r}")
        obj = str.__new__(cls, path)
        obj.protocol = protocol
        obj.host = host
        return obj

    def make_absolute_url(self, base_url: str | URL) -> URL:
        """This path on ``base_url`` (its scheme turned to ws/wss for a websocket path)."""
        base = base_url if isinstance(base_url, URL) else URL(str(base_url))
        scheme = base.scheme
        if self.protocol == "websocket":
            scheme = "wss" if scheme in ("https", "wss") else "ws"
        elif self.protocol == "http":
            scheme = "https" if scheme in ("https", "wss") else "http"
        netloc = self.host or base.netloc
        return URL(f"{scheme}://{netloc}{base.path.rstrip('/')}{str(self)}")
