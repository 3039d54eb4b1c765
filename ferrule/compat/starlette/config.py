"""``starlette.config`` in drop-in mode: ``Config``, settings from the environment and a ``.env`` file.

Rules (Starlette's behaviour, written for ferrule):

* ``config(key, cast=None, default=undefined)`` looks ``env_prefix + key`` up in
  ``environ`` first, then in the env file, then takes ``default``; missing with
  no default is a ``KeyError`` naming the key.
* ``cast=bool`` accepts ``true``/``1`` and ``false``/``0`` (any case); any other
  cast is called with the value; a failing cast is a ``ValueError`` naming the
  key, the value and the cast. ``None`` (as a default) is never cast.
* The env file holds ``KEY=VALUE`` lines; ``#`` comment lines and lines without
  ``=`` are skipped; one pair of matching quotes around the value is removed.
  A missing file warns (``UserWarning``), as in Starlette.
* ``Environ`` refuses to change a key after it was read (a setting read at
  import would not see the change).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

__all__ = ["Config", "Environ", "EnvironError", "environ", "undefined"]


class undefined:  # noqa: N801 - Starlette's name for the "no default" marker
    """No default given."""


class EnvironError(Exception):
    """An environment key was changed or deleted after it had been read."""


class Environ(MutableMapping[str, str]):
    """``os.environ`` that remembers which keys were read and refuses to change them afterwards."""

    def __init__(self, environ: MutableMapping[str, str] = os.environ) -> None:
        self._environ = environ
        self._has_been_read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self._has_been_read.add(key)
        return self._environ.__getitem__(key)

    def __setitem__(self, key: str, value: str) -> None:
        if key in self._has_been_read:
            raise EnvironError(f"Attempting to set environ['{key}'], but the value has already been read.")
        self._environ.__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        if key in self._has_been_read:
            raise EnvironError(f"Attempting to delete environ['{key}'], but the value has already been read.")
        self._environ.__delitem__(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._environ)

    def __len__(self) -> int:
        return len(self._environ)


environ = Environ()


def _read_env_file(path: str | os.PathLike[str], encoding: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in Path(path).read_text(encoding=encoding).splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


class Config:
    """Typed settings from the environment, an env file and defaults.

    Args:
        env_file: a ``.env``-style file (optional; a missing one warns).
        environ: where environment variables are read (default: ``environ``).
        env_prefix: prepended to every key looked up.
        encoding: the env file's encoding.
    """

    def __init__(
        self,
        env_file: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] = environ,
        env_prefix: str = "",
        encoding: str = "utf-8",
    ) -> None:
        self.environ = environ
        self.env_prefix = env_prefix
        self.file_values: dict[str, str] = {}
        if env_file is not None:
            if os.path.isfile(env_file):
                self.file_values = _read_env_file(env_file, encoding)
            else:
                warnings.warn(f"Config file '{env_file}' not found.", UserWarning, stacklevel=2)

    def __call__(self, key: str, cast: Callable[[Any], Any] | None = None, default: Any = undefined) -> Any:
        return self.get(key, cast, default)

    def get(self, key: str, cast: Callable[[Any], Any] | None = None, default: Any = undefined) -> Any:
        """The value of ``key`` (see the module rules)."""
        key = self.env_prefix + key
        if key in self.environ:
            return self._perform_cast(key, self.environ[key], cast)
        if key in self.file_values:
            return self._perform_cast(key, self.file_values[key], cast)
        if default is not undefined:
            return self._perform_cast(key, default, cast)
        raise KeyError(f"Config '{key}' is missing, and has no default.")

    def _perform_cast(self, key: str, value: Any, cast: Callable[[Any], Any] | None) -> Any:
        if cast is None or value is None:
            return value
        if cast is bool and isinstance(value, str):
            lowered = value.lower()
            if lowered in ("true", "1"):
                return True
            if lowered in ("false", "0"):
                return False
            raise ValueError(f"Config '{key}' has value '{value}'. Not a valid bool.")
        try:
            return cast(value)
        except (TypeError, ValueError):
            raise ValueError(f"Config '{key}' has value '{value}'. Not a valid {cast.__name__}.") from None
