"""API key schemes: a key read from a query parameter, a header or a cookie."""

from __future__ import annotations

from typing import ClassVar, Literal

# COMPAT(fastapi): the `X as X` imports are importable from here, as from FastAPI's module.
from ferrule.asgi_core.exceptions import HTTPException as HTTPException
from ferrule.asgi_core.request import HTTPConnection
from ferrule.asgi_core.status import HTTP_401_UNAUTHORIZED as HTTP_401_UNAUTHORIZED

from ._scheme import CredentialScheme

__all__ = ["APIKeyBase", "APIKeyCookie", "APIKeyHeader", "APIKeyQuery"]


class APIKeyBase(CredentialScheme):
    """Shared behaviour of the API key schemes.

    Args:
        location: ``"query"``, ``"header"`` or ``"cookie"``.
        name: the key's name at that location.
        description: shown in OpenAPI.
        scheme_name: the scheme's name in OpenAPI (default: the class name).
        auto_error: answer 401 when the key is missing; ``False`` gives ``None``.
    """

    # SPEC: RFC 9110 §15.5.2 - a 401 must carry ``WWW-Authenticate``; API keys have
    # no standard scheme, so (like FastAPI) the challenge is ``APIKey``.
    challenge = "APIKey"

    def __init__(
        self,
        location: Literal["query", "header", "cookie"],
        name: str,
        description: str | None,
        scheme_name: str | None,
        auto_error: bool,
    ) -> None:
        self.name = name
        self.describe("apiKey", description, scheme_name, auto_error, **{"in": location, "name": name})

    def check_api_key(self, api_key: str | None) -> str | None:
        if not api_key:
            self.refuse()
            return None
        return api_key


class _APIKeyAt(APIKeyBase):
    """The constructor of the three API key schemes; each names its ``location``."""

    location: ClassVar[Literal["query", "header", "cookie"]]

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(self.location, name, description, scheme_name, auto_error)


class APIKeyQuery(_APIKeyAt):
    """An API key in the query string: ``Depends(APIKeyQuery(name="api_key"))`` gives the key."""

    location = "query"

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.query_params.get(self.name))


class APIKeyHeader(_APIKeyAt):
    """An API key in a header: ``Depends(APIKeyHeader(name="x-key"))`` gives the key."""

    location = "header"

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.headers.get(self.name))


class APIKeyCookie(_APIKeyAt):
    """An API key in a cookie: ``Depends(APIKeyCookie(name="session"))`` gives the key."""

    location = "cookie"

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.cookies.get(self.name))
