"""API key schemes: a key read from a query parameter, a header or a cookie."""

from __future__ import annotations

from typing import Any, Literal

from ferrule.asgi_core.exceptions import HTTPException
from ferrule.asgi_core.request import HTTPConnection
from ferrule.asgi_core.status import HTTP_401_UNAUTHORIZED
from ferrule.di.markers import SecurityBase

__all__ = ["APIKeyBase", "APIKeyCookie", "APIKeyHeader", "APIKeyQuery"]


class APIKeyBase(SecurityBase):
    """Shared behaviour of the API key schemes.

    Args:
        location: ``"query"``, ``"header"`` or ``"cookie"``.
        name: the key's name at that location.
        description: shown in OpenAPI.
        scheme_name: the scheme's name in OpenAPI (default: the class name).
        auto_error: answer 401 when the key is missing; ``False`` gives ``None``.
    """

    def __init__(
        self,
        location: Literal["query", "header", "cookie"],
        name: str,
        description: str | None,
        scheme_name: str | None,
        auto_error: bool,
    ) -> None:
        self.auto_error = auto_error
        self.name = name
        model: dict[str, Any] = {"type": "apiKey"}
        if description is not None:
            model["description"] = description
        model["in"] = location
        model["name"] = name
        self.model = model
        self.scheme_name = scheme_name or type(self).__name__

    def make_not_authenticated_error(self) -> HTTPException:
        """401 with a custom ``APIKey`` challenge.

        SPEC: RFC 9110 §15.5.2 - a 401 must carry ``WWW-Authenticate``; API
        keys have no standard scheme, so (like FastAPI) the challenge is ``APIKey``.
        """
        return HTTPException(
            status_code=HTTP_401_UNAUTHORIZED,
            detail="Not authenticated",
            headers={"WWW-Authenticate": "APIKey"},
        )

    def check_api_key(self, api_key: str | None) -> str | None:
        if not api_key:
            if self.auto_error:
                raise self.make_not_authenticated_error()
            return None
        return api_key


class APIKeyQuery(APIKeyBase):
    """An API key in the query string: ``Depends(APIKeyQuery(name="api_key"))`` gives the key."""

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__("query", name, description, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.query_params.get(self.name))


class APIKeyHeader(APIKeyBase):
    """An API key in a header: ``Depends(APIKeyHeader(name="x-key"))`` gives the key."""

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__("header", name, description, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.headers.get(self.name))


class APIKeyCookie(APIKeyBase):
    """An API key in a cookie: ``Depends(APIKeyCookie(name="session"))`` gives the key."""

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__("cookie", name, description, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.cookies.get(self.name))
