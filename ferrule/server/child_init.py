"""What a `--reload` or `--workers` child runs before it imports the app.

Rules: the environment variable `CHILD_INIT_ENV` lists `module:function` names,
comma-separated; the child (`python -m ferrule.server`) calls each, in order,
before its first import of the app. The children inherit the variable from the
process that starts them. `ferrule run --compat` adds `ferrule.compat:install`,
so a child resolves `import fastapi` as the parent does. The server stays free
of the tools above it: it calls names it is given and imports nothing of them
by itself.
"""

from __future__ import annotations

import os

from .config import ServerConfigError
from .importer import import_from_string

__all__ = ["CHILD_INIT_ENV", "add_child_init", "run_child_init"]

CHILD_INIT_ENV = "FERRULE_CHILD_INIT"


def _names() -> list[str]:
    return [name for name in (part.strip() for part in os.environ.get(CHILD_INIT_ENV, "").split(",")) if name]


def add_child_init(name: str) -> None:
    """Have every child started from now on call `name` (`module:function`) first."""
    names = _names()
    if name not in names:
        os.environ[CHILD_INIT_ENV] = ",".join([*names, name])


def run_child_init() -> None:
    """Call the hooks `CHILD_INIT_ENV` names, in order.

    Raises:
        AppImportError: a name that is malformed or does not import.
        ServerConfigError: a name that is not callable.
    """
    for name in _names():
        hook = import_from_string(name)
        if not callable(hook):
            raise ServerConfigError(f"{CHILD_INIT_ENV} names {name!r}, which is not callable")
        hook()
