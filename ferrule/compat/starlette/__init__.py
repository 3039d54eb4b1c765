"""``import starlette`` in drop-in mode (``ferrule.compat.install()``).

The package itself only carries ``__version__``; ``starlette.X`` modules are
mapped by ``ferrule.compat._mapping`` (to ferrule's modules, or to the small
modules here that add the Starlette-only names). ``from starlette import status``
works too: a missing attribute is looked up as the mapped submodule.
"""

import importlib
from types import ModuleType

from ferrule.compat._mapping import STARLETTE, STARLETTE_VERSION

__version__ = STARLETTE_VERSION
__all__ = ["__version__"]


def __getattr__(name: str) -> ModuleType:
    target = STARLETTE.get("starlette." + name)
    if not target:
        raise AttributeError(f"module 'starlette' (ferrule's drop-in mode) has no attribute {name!r}")
    module = importlib.import_module(target)
    globals()[name] = module
    return module
