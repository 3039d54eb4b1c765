"""Dependency markers: ``Depends``, ``Security`` (the classes), ``SecurityScopes``, ``SecurityBase``.

These are FastAPI's ``fastapi.params.Depends`` / ``fastapi.params.Security``:
frozen, hashable values that say "call this to get the parameter's value". Users
normally write the functions of the same names (``ferrule.di.param_functions``),
which return these objects but are typed ``-> Any`` so that
``db: Session = Depends(get_db)`` type-checks.

Scopes of a dependency with ``yield`` (when its teardown runs):

* ``"function"``: right after the endpoint returns, before the response is sent;
* ``"request"`` (the default for ``yield`` dependencies): after the response is sent;
* ``"app"`` (ferrule only): created once per app lifespan, shared by all
  requests, torn down at shutdown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import DependencyConfigError

__all__ = ["DependencyScope", "Depends", "Security", "SecurityBase", "SecurityScopes"]

DependencyScope = Literal["function", "request", "app"]

_SCOPES = (None, "function", "request", "app")


@dataclass(frozen=True, eq=True)
class Depends:
    """Declare that a parameter's value is the result of calling ``dependency``.

    Args:
        dependency: the callable; ``None`` means "the parameter's annotation"
            (``item: Annotated[Item, Depends()]`` calls ``Item(...)``).
        use_cache: reuse the value when the same dependency appears several
            times in one request (the default); ``False`` calls it every time.
        scope: when a ``yield`` dependency is torn down (see the module
            docstring); ``None`` is ``"request"`` for ``yield`` dependencies.
    """

    dependency: Callable[..., Any] | None = None
    use_cache: bool = field(default=True, kw_only=True)
    scope: DependencyScope | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.scope not in _SCOPES:
            raise DependencyConfigError(
                f"Depends(scope={self.scope!r}) is not a dependency scope; "
                'use "function", "request", "app" or leave it unset'
            )
        if self.dependency is not None and not callable(self.dependency):
            raise DependencyConfigError(
                f"Depends() needs a callable, got {self.dependency!r} "
                f"({type(self.dependency).__name__}); pass the function or class itself, "
                "not the result of calling it"
            )

    def __repr__(self) -> str:
        name = getattr(self.dependency, "__name__", None) or repr(self.dependency)
        cache = "" if self.use_cache else ", use_cache=False"
        scope = f", scope={self.scope!r}" if self.scope else ""
        return f"{type(self).__name__}({'' if self.dependency is None else name}{cache}{scope})"


@dataclass(frozen=True, eq=True)
class Security(Depends):
    """A dependency that also declares OAuth2 scopes (see ``SecurityScopes``).

    Args:
        dependency: as for ``Depends``.
        scopes: the scopes this use of the dependency requires; they are added
            to the scopes required by the dependants above it.
        use_cache: as for ``Depends``.
    """

    scopes: Sequence[str] | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.scopes, str):
            raise DependencyConfigError(
                f"Security(scopes={self.scopes!r}) needs a list of scopes, not a string; "
                f"write scopes=[{self.scopes!r}]"
            )
        if self.scopes is not None:
            object.__setattr__(self, "scopes", tuple(self.scopes))


class SecurityScopes:
    """Inject this to read the OAuth2 scopes required by the dependants above.

    Attributes:
        scopes: the scopes, parents' first, without duplicates.
        scope_str: the scopes joined with spaces (the OAuth2 ``scope`` format).
    """

    __slots__ = ("scopes", "scope_str")

    def __init__(self, scopes: list[str] | None = None) -> None:
        self.scopes: list[str] = scopes or []
        self.scope_str: str = " ".join(self.scopes)

    def __repr__(self) -> str:
        return f"SecurityScopes({self.scopes!r})"


class SecurityBase:
    """Base class of security schemes (``OAuth2PasswordBearer``, ``HTTPBasic``...).

    A dependency that is an instance of this class is listed in the endpoint's
    OpenAPI ``security`` requirements.

    Attributes:
        model: the OpenAPI security scheme object, as JSON-ready data.
        scheme_name: the key of the scheme in ``components.securitySchemes``.
    """

    model: dict[str, Any]
    scheme_name: str
