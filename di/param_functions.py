"""``Depends()`` and ``Security()``: the functions users write in signatures.

They build the marker objects of ``ferrule.di.markers`` but are typed
``-> Any``, so ``user: User = Depends(get_user)`` type-checks, as in FastAPI.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import markers
from .markers import DependencyScope

__all__ = ["Depends", "Security"]


def Depends(  # noqa: N802 - FastAPI's name
    dependency: Callable[..., Any] | None = None,
    *,
    use_cache: bool = True,
    scope: DependencyScope | None = None,
) -> Any:
    """Declare a dependency: the parameter gets the result of calling ``dependency``.

    Args:
        dependency: a function, async function, (async) generator, class,
            callable instance or ``functools.partial``; ``None`` uses the
            parameter's annotation.
        use_cache: call it once per request even if several dependants need it.
        scope: ``"function"``, ``"request"`` or ``"app"``: when a ``yield``
            dependency is torn down (see ``ferrule.di.markers``).

    Returns:
        A ``ferrule.params.Depends`` marker.
    """
    return markers.Depends(dependency, use_cache=use_cache, scope=scope)


def Security(  # noqa: N802 - FastAPI's name
    dependency: Callable[..., Any] | None = None,
    *,
    scopes: Sequence[str] | None = None,
    use_cache: bool = True,
) -> Any:
    """Declare a dependency that requires OAuth2 ``scopes``.

    Returns:
        A ``ferrule.params.Security`` marker.
    """
    return markers.Security(dependency, scopes=scopes, use_cache=use_cache)
