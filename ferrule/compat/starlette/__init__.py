"""``import starlette`` in drop-in mode (``ferrule.compat.install()``).

The package itself only carries ``__version__``; ``starlette.X`` modules are
mapped by ``ferrule.compat._mapping`` (to ferrule's modules, or to the small
modules here that add the Starlette-only names).
"""

from ferrule.compat._mapping import STARLETTE_VERSION

__version__ = STARLETTE_VERSION
__all__ = ["__version__"]
