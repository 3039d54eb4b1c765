"""Load an ASGI app from an import string such as "main:app" or "pkg.api:create_app".

Rules: the string is `module:attribute` (the attribute may be dotted). A
module that is missing is an `AppImportError` naming it; an ImportError raised
*inside* the user's module (a missing dependency) propagates unchanged, so the
real cause is not hidden.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, cast

from ferrule.asgi_core.types import ASGIApp

from .config import ServerConfigError

__all__ = ["AppImportError", "import_app", "import_from_string"]


class AppImportError(ServerConfigError):
    """The import string does not lead to an object."""


def import_from_string(import_string: str) -> Any:
    """Return the object `module:attribute` names.

    Raises:
        AppImportError: malformed string, missing module or missing attribute.
    """
    module_name, sep, attrs = import_string.partition(":")
    if not sep or not module_name or not attrs:
        raise AppImportError(
            f"import string {import_string!r} must be in the form 'module:attribute', e.g. 'main:app'"
        )
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only our module (or a parent package of it) missing is our error.
        if exc.name is None or not (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise
        raise AppImportError(
            f"could not import module {module_name!r}: check the name and run from the directory "
            f"that contains it (or pass --app-dir)"
        ) from None
    obj: Any = module
    for attr in attrs.split("."):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            raise AppImportError(
                f"module {module_name!r} has no attribute {attrs!r}: "
                f"the app object must be defined at the module's top level"
            ) from None
    return obj


def import_app(import_string: str, *, factory: bool = False, app_dir: str | None = None) -> ASGIApp:
    """Import an ASGI app (or call an app factory) from `module:attribute`.

    Args:
        import_string: e.g. "main:app".
        factory: the attribute is a zero-argument callable returning the app.
        app_dir: directory put first on sys.path (default: the working directory).

    Raises:
        AppImportError: the string cannot be resolved, or the result is not callable.
    """
    directory = os.path.abspath(app_dir if app_dir is not None else os.getcwd())
    if directory not in sys.path:
        sys.path.insert(0, directory)
    obj = import_from_string(import_string)
    if factory:
        if not callable(obj):
            raise AppImportError(f"{import_string!r} is not callable: --factory needs a function returning the app")
        obj = obj()
    if not callable(obj):
        raise AppImportError(
            f"{import_string!r} is a {type(obj).__name__}, not an ASGI app"
            + ("" if factory else " (if it is a factory function, pass --factory)")
        )
    return cast(ASGIApp, obj)
