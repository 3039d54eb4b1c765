"""Drop-in mode: ``import fastapi`` / ``import starlette`` resolve to ferrule.

Extension libraries (slowapi, fastapi-users, httpx-oauth, fastapi-pagination)
import ``fastapi`` and ``starlette`` themselves, and their users cannot edit
those imports. In the tradition of ``pymysql.install_as_MySQLdb()``::

    import ferrule.compat
    ferrule.compat.install()      # before anything imports fastapi or starlette

or ``ferrule run --compat main:app``, or ``pytest --ferrule-compat``.

Rules:

* Opt-in only: nothing happens at import of ferrule.
* Refused when the real ``fastapi`` or ``starlette`` is installed or already
  imported (``CompatInstallError`` says which and where): the two frameworks'
  classes would be mixed (a starlette ``Request`` checked against ferrule's).
* ``fastapi.X`` is ``ferrule.X`` (the same module object, so ``fastapi.FastAPI``
  is ``ferrule.App``); ``starlette.X`` is the module the table in
  ``ferrule.compat._mapping`` names. A module with no counterpart fails with
  a ``ModuleNotFoundError`` that says it is not mapped and where the list is.
* ``fastapi.__version__`` and ``starlette.__version__`` are the releases whose
  surface ferrule follows (``FASTAPI_VERSION``, ``STARLETTE_VERSION``), for
  libraries that branch on them.
"""

from __future__ import annotations

import importlib.util
import sys

from ferrule.asgi_core.exceptions import FerruleError

from ._finder import CompatFinder
from ._mapping import FASTAPI_VERSION, STARLETTE_VERSION, UNMAPPED

__all__ = [
    "FASTAPI_VERSION",
    "STARLETTE_VERSION",
    "UNMAPPED",
    "CompatInstallError",
    "install",
    "is_installed",
    "uninstall",
]

_PACKAGES = ("fastapi", "starlette")


class CompatInstallError(FerruleError, RuntimeError):
    """The drop-in mode cannot be turned on (the real package is installed or imported)."""


def is_installed() -> bool:
    """Whether ``install()`` is in effect."""
    return any(isinstance(finder, CompatFinder) for finder in sys.meta_path)


def install() -> None:
    """Make ``import fastapi`` / ``import starlette`` (and submodules) resolve to ferrule.

    Idempotent.

    Raises:
        CompatInstallError: the real fastapi or starlette is installed or already imported.
    """
    if is_installed():
        return
    for name in _PACKAGES:
        module = sys.modules.get(name)
        if module is not None:
            raise CompatInstallError(
                f"cannot map {name!r} to ferrule: the real {name} is already imported "
                f"(from {getattr(module, '__file__', '?')}); call ferrule.compat.install() before "
                f"anything imports {name}, in an environment where it is not installed"
            )
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):  # a finder that hides it, or a broken install
            spec = None
        if spec is not None:
            raise CompatInstallError(
                f"cannot map {name!r} to ferrule: the real {name} is installed "
                f"({spec.origin or spec.submodule_search_locations}). The drop-in mode only "
                f"stands in for a missing package, so that the two frameworks' classes are "
                f"never mixed: uninstall it (`pip uninstall fastapi starlette`) in this "
                f"environment, or import from ferrule directly"
            )
    sys.meta_path.insert(0, CompatFinder())


def uninstall() -> None:
    """Undo ``install()``: remove the finder and the ``fastapi``/``starlette`` module aliases."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, CompatFinder)]
    for name in list(sys.modules):
        if name.split(".")[0] in _PACKAGES:
            del sys.modules[name]
