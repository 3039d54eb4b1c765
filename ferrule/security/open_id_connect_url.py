"""OpenID Connect discovery (OpenAPI ``openIdConnect`` security scheme)."""

from __future__ import annotations

from typing import Any

from ferrule.asgi_core.exceptions import HTTPException
from ferrule.asgi_core.request import HTTPConnection
from ferrule.asgi_core.status import HTTP_401_UNAUTHORIZED
from ferrule.di.markers import SecurityBase

__all__ = ["OpenIdConnect"]


class OpenIdConnect(SecurityBase):
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
        model: dict[str, Any] = {"type": "openIdConnect"}
        if description is not None:
            model["description"] = description
        model["openIdConnectUrl"] = openIdConnectUrl
        self.model = model
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    def make_not_authenticated_error(self) -> HTTPException:
        return HTTPException(
            status_code=HTTP_401_UNAUTHORIZED,
            detail="Not authenticated",
            headers={"WWW-Authenticate": "Bearer"},
        )

    async def __call__(self, request: HTTPConnection) -> str | None:
        authorization = request.headers.get("Authorization")
        if not authorization:
            if self.auto_error:
                raise self.make_not_authenticated_error()
            return None
        return authorization
