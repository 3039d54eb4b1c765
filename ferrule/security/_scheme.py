"""What every security scheme shares: its OpenAPI object, its name, its 401 and its header reads.

Rules:
- ``model`` is the OpenAPI Security Scheme Object (OpenAPI 3.1 §4.8.27) in FastAPI's key
  order: ``type``, then ``description`` when one is given, then the scheme's own fields;
  a field whose value is ``None`` is left out.
- ``scheme_name`` defaults to the class name (the key in ``components.securitySchemes``).
- Missing or unusable credentials: a 401 "Not authenticated" carrying the scheme's
  ``WWW-Authenticate`` challenge under ``auto_error``; else the dependency gives ``None``.

PERF: the helpers run only when credentials are missing (``refuse``) or replace a read the
scheme did inline (``scheme_param``, ``raw_authorization``): no call is added on the way
to the credentials.
"""

from __future__ import annotations

from typing import Any

from ferrule.asgi_core.exceptions import HTTPException
from ferrule.asgi_core.request import HTTPConnection
from ferrule.asgi_core.status import HTTP_401_UNAUTHORIZED
from ferrule.di.markers import SecurityBase

from .utils import get_authorization_scheme_param

__all__ = ["CredentialScheme", "raw_authorization"]


class CredentialScheme(SecurityBase):
    """The base of ferrule's schemes; a subclass's constructor calls ``describe`` once."""

    auto_error: bool
    #: The auth-scheme of the 401's ``WWW-Authenticate`` challenge.
    challenge = "Bearer"  # SPEC: RFC 6750 §3 - OAuth2 and OpenID Connect resources answer Bearer

    def describe(
        self, kind: str, description: str | None, scheme_name: str | None, auto_error: bool, **fields: Any
    ) -> None:
        """Set ``model`` (OpenAPI ``type`` ``kind`` plus ``fields``), ``scheme_name`` and ``auto_error``."""
        model: dict[str, Any] = {"type": kind}
        if description is not None:
            model["description"] = description
        model.update((key, value) for key, value in fields.items() if value is not None)
        self.model = model
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    def make_authenticate_headers(self) -> dict[str, str]:
        """The 401's headers: ``WWW-Authenticate: <challenge>`` (SPEC: RFC 9110 §11.6.1)."""
        return {"WWW-Authenticate": self.challenge}

    def make_not_authenticated_error(self) -> HTTPException:
        """401 "Not authenticated" with ``make_authenticate_headers()``."""
        return HTTPException(
            status_code=HTTP_401_UNAUTHORIZED,
            detail="Not authenticated",
            headers=self.make_authenticate_headers(),
        )

    def refuse(self) -> None:
        """Credentials are missing: raise the 401 under ``auto_error``; else return (the caller gives ``None``)."""
        if self.auto_error:
            raise self.make_not_authenticated_error()

    def scheme_param(self, request: HTTPConnection, scheme: str) -> str | None:
        """The credentials after ``Authorization: <scheme>`` (any case), else ``refuse()`` and ``None``."""
        found, param = get_authorization_scheme_param(request.headers.get("Authorization"))
        if found.lower() != scheme:
            self.refuse()
            return None
        return param


async def raw_authorization(self: CredentialScheme, request: HTTPConnection) -> str | None:
    """``__call__`` of the schemes that give the raw ``Authorization`` value (OAuth2, OpenID Connect)."""
    authorization = request.headers.get("Authorization")
    if not authorization:
        self.refuse()
        return None
    return authorization
