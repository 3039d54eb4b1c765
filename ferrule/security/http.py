"""HTTP authentication schemes: Basic, Bearer, Digest (RFC 9110 §11, RFC 7617, RFC 6750)."""

from __future__ import annotations

import binascii
from base64 import b64decode

from pydantic import BaseModel

# COMPAT(fastapi): the `X as X` imports are importable from here, as from FastAPI's module.
from ferrule.asgi_core.request import HTTPConnection
from ferrule.asgi_core.status import HTTP_401_UNAUTHORIZED as HTTP_401_UNAUTHORIZED

from ._scheme import CredentialScheme
from .utils import get_authorization_scheme_param

__all__ = [
    "HTTPAuthorizationCredentials",
    "HTTPBase",
    "HTTPBasic",
    "HTTPBasicCredentials",
    "HTTPBearer",
    "HTTPDigest",
]


class HTTPBasicCredentials(BaseModel):
    """The user name and password of HTTP Basic authentication."""

    username: str
    password: str


class HTTPAuthorizationCredentials(BaseModel):
    """An ``Authorization`` header split into its scheme and credentials."""

    scheme: str
    credentials: str


class HTTPBase(CredentialScheme):
    """Any HTTP ``Authorization`` scheme; gives ``HTTPAuthorizationCredentials``.

    Args:
        scheme: the auth-scheme name (shown in OpenAPI and the 401 challenge).
        scheme_name: the scheme's name in OpenAPI (default: the class name).
        description: shown in OpenAPI.
        auto_error: answer 401 when the header is missing; ``False`` gives ``None``.
    """

    def __init__(
        self,
        *,
        scheme: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        self.scheme = scheme
        self.describe("http", description, scheme_name, auto_error, scheme=scheme)

    def make_authenticate_headers(self) -> dict[str, str]:
        # SPEC: RFC 9110 §11.6.1 - the challenge names the auth-scheme.
        return {"WWW-Authenticate": self.scheme.title()}

    def _credentials(self, request: HTTPConnection, required_scheme: str | None) -> HTTPAuthorizationCredentials | None:
        authorization = request.headers.get("Authorization")
        scheme, credentials = get_authorization_scheme_param(authorization)
        if not (authorization and scheme and credentials) or (
            required_scheme is not None and scheme.lower() != required_scheme
        ):
            self.refuse()
            return None
        return HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        return self._credentials(request, None)


class HTTPBasic(HTTPBase):
    """HTTP Basic authentication (RFC 7617); gives ``HTTPBasicCredentials``.

    Args:
        scheme_name: the scheme's name in OpenAPI (default: the class name).
        realm: the protection space named in the 401 challenge.
        description: shown in OpenAPI.
        auto_error: answer 401 when the header is missing or not Basic;
            ``False`` gives ``None`` (undecodable credentials are always a 401).
    """

    def __init__(
        self,
        *,
        scheme_name: str | None = None,
        realm: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(scheme="basic", scheme_name=scheme_name, description=description, auto_error=auto_error)
        self.realm = realm

    def make_authenticate_headers(self) -> dict[str, str]:
        # SPEC: RFC 7617 §2 - challenge = "Basic" realm
        if self.realm:
            return {"WWW-Authenticate": f'Basic realm="{self.realm}"'}
        return {"WWW-Authenticate": "Basic"}

    async def __call__(self, request: HTTPConnection) -> HTTPBasicCredentials | None:  # type: ignore[override]
        param = self.scheme_param(request, "basic")
        if param is None:
            return None
        try:
            data = b64decode(param).decode("ascii")
        except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
            # COMPAT(fastapi): malformed credentials are a 401 even without auto_error.
            raise self.make_not_authenticated_error() from exc
        # SPEC: RFC 7617 §2 - user-id and password are separated by the first ':'.
        username, separator, password = data.partition(":")
        if not separator:
            raise self.make_not_authenticated_error()
        return HTTPBasicCredentials(username=username, password=password)


class HTTPBearer(HTTPBase):
    """A bearer token in ``Authorization`` (RFC 6750 §2.1); gives ``HTTPAuthorizationCredentials``.

    Args:
        bearerFormat: a hint for OpenAPI (e.g. ``"JWT"``).
        scheme_name: the scheme's name in OpenAPI (default: the class name).
        description: shown in OpenAPI.
        auto_error: answer 401 when the header is missing or not Bearer.
    """

    def __init__(
        self,
        *,
        bearerFormat: str | None = None,  # noqa: N803 - FastAPI's (and OpenAPI's) name
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(scheme="bearer", scheme_name=scheme_name, description=description, auto_error=auto_error)
        if bearerFormat is not None:
            self.model["bearerFormat"] = bearerFormat

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        return self._credentials(request, "bearer")


class HTTPDigest(HTTPBase):
    """HTTP Digest (RFC 7616): gives the raw ``HTTPAuthorizationCredentials``; you verify them.

    Args:
        scheme_name: the scheme's name in OpenAPI (default: the class name).
        description: shown in OpenAPI.
        auto_error: answer 401 when the header is missing or not Digest.
    """

    def __init__(
        self,
        *,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(scheme="digest", scheme_name=scheme_name, description=description, auto_error=auto_error)

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        return self._credentials(request, "digest")
