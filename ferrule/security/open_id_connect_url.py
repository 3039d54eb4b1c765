"""OpenID Connect discovery (OpenAPI ``openIdConnect`` security scheme)."""

from __future__ import annotations

# COMPAT(fastapi): the `X as X` imports are importable from here, as from FastAPI's module.
from ferrule.asgi_core.exceptions import HTTPException as HTTPException
from ferrule.asgi_core.request import HTTPConnection as HTTPConnection
from ferrule.asgi_core.status import HTTP_401_UNAUTHORIZED as HTTP_401_UNAUTHORIZED

from ._scheme import CredentialScheme, raw_authorization

__all__ = ["OpenIdConnect"]


class OpenIdConnect(CredentialScheme):
    """OpenID Connect; gives the raw ``Authorization`` value (you verify it).

    Args:
        openIdConnectUrl: the provider's discovery URL.
        scheme_name: the scheme's name in OpenAPI (default: the class name).
        description: shown in OpenAPI.
        auto_error: answer 401 when the header is missing; ``False`` gives ``None``.
    """

    def __init__(
        self,
        *,
        openIdConnectUrl: str,  # noqa: N803 - FastAPI's (and OpenAPI's) name
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        self.describe("openIdConnect", description, scheme_name, auto_error, openIdConnectUrl=openIdConnectUrl)

    __call__ = raw_authorization
