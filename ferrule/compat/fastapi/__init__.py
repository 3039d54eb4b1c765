"""``import fastapi`` in drop-in mode: ferrule's public names, FastAPI's ``__version__``.

``fastapi.FastAPI`` is ``ferrule.App``; every other name is ferrule's object of
the same name (looked up lazily, as ``ferrule`` itself does).
"""

from typing import Any

import ferrule
from ferrule.compat._mapping import FASTAPI_VERSION

__version__ = FASTAPI_VERSION
__all__ = list(ferrule.__all__)


def __getattr__(name: str) -> Any:
    value = getattr(ferrule, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
