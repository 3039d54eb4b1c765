"""The meta-path finder behind ``ferrule.compat.install()``.

For ``fastapi[.X]`` / ``starlette[.X]`` it imports the ferrule module that
stands in (``_mapping.target``) and hands that very module object to the
import system, which stores it under the requested name too. So
``sys.modules["fastapi.routing"] is sys.modules["ferrule.routing"]``: one
class per concept, whatever name the code imported it by.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
from collections.abc import Sequence
from types import ModuleType


from ._mapping import target

__all__ = ["CompatFinder"]


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, module: ModuleType) -> None:
        self.module = module

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self.module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the ferrule module is already imported."""


class CompatFinder(importlib.abc.MetaPathFinder):
    """Finds ``fastapi``/``starlette`` modules among ferrule's."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target_module: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        top = fullname.split(".", 1)[0]
        if top not in ("fastapi", "starlette"):
            return None
        name = target(fullname)
        if name is None:
            raise ModuleNotFoundError(
                f"ferrule's drop-in mode does not map {fullname!r}: ferrule has no counterpart "
                "(see ferrule.compat.UNMAPPED and the README's porting section)",
                name=fullname,
            )
        module = importlib.import_module(name)
        spec = importlib.machinery.ModuleSpec(fullname, _AliasLoader(module), is_package=hasattr(module, "__path__"))
        spec.submodule_search_locations = list(getattr(module, "__path__", [])) or None
        return spec

    def __repr__(self) -> str:
        return "<ferrule.compat finder: fastapi, starlette -> ferrule>"


