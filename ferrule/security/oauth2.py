"""OAuth2 schemes (RFC 6749) and the password-flow form.

The bearer schemes read ``Authorization: Bearer <token>`` (RFC 6750 §2.1) and
give the token; they do not verify it (your dependency does).
"""

# No `from __future__ import annotations` here: the form's Annotated[..., Form()]
# markers stay objects, so analysing the dependency evaluates nothing.

from collections.abc import Mapping
from typing import Annotated, Any, Final, Union

# COMPAT(fastapi): the `X as X` imports are importable from here, as from FastAPI's module.
from ferrule.asgi_core.request import HTTPConnection
from ferrule.asgi_core.status import HTTP_401_UNAUTHORIZED as HTTP_401_UNAUTHORIZED
from ferrule.di.markers import SecurityScopes
from ferrule.validation.param_functions import Form

from ._scheme import CredentialScheme, raw_authorization

__all__ = [
    "OAuth2",
    "OAuth2AuthorizationCodeBearer",
    "OAuth2PasswordBearer",
    "OAuth2PasswordRequestForm",
    "OAuth2PasswordRequestFormStrict",
    "SecurityScopes",
]

# OpenAPI 3.1 §4.8.29 OAuth Flows Object: flow name -> its required URL fields.
_FLOW_URLS: Final[dict[str, tuple[str, ...]]] = {
    "implicit": ("authorizationUrl",),
    "password": ("tokenUrl",),
    "clientCredentials": ("tokenUrl",),
    "authorizationCode": ("authorizationUrl", "tokenUrl"),
}


def _flow(name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """One OAuth Flow Object in OpenAPI key order (refreshUrl, scopes, URLs, extras)."""
    for key in _FLOW_URLS.get(name, ()):
        if not data.get(key):
            raise ValueError(f"the OAuth2 {name!r} flow needs {key!r}; pass {key}=...")
    flow: dict[str, Any] = {}
    if data.get("refreshUrl") is not None:
        flow["refreshUrl"] = data["refreshUrl"]
    flow["scopes"] = dict(data.get("scopes") or {})
    for key in _FLOW_URLS.get(name, ()):
        flow[key] = data[key]
    for key, value in data.items():
        if key not in flow and key != "refreshUrl" and value is not None:
            flow[key] = value
    return flow


def _flows(flows: Any) -> dict[str, Any]:
    if hasattr(flows, "model_dump"):  # an OpenAPI model object
        flows = flows.model_dump(by_alias=True, exclude_none=True)
    if not isinstance(flows, Mapping):
        raise TypeError(f"OAuth2(flows=...) must be a mapping of flow name to flow, got {flows!r}")
    known = [name for name in _FLOW_URLS if flows.get(name) is not None]
    others = [name for name in flows if name not in _FLOW_URLS and flows[name] is not None]
    return {name: _flow(name, flows[name]) for name in (*known, *others)}


class OAuth2(CredentialScheme):
    """Any OAuth2 flow; gives the raw ``Authorization`` value (or ``None``).

    Args:
        flows: the OpenAPI OAuth Flows Object (``{"password": {"tokenUrl": ...}}``).
        scheme_name: the scheme's name in OpenAPI (default: the class name).
        description: shown in OpenAPI.
        auto_error: answer 401 when the header is missing; ``False`` gives ``None``.
    """

    def __init__(
        self,
        *,
        flows: Any = None,
        scheme_name: Union[str, None] = None,
        description: Union[str, None] = None,
        auto_error: bool = True,
    ) -> None:
        self.describe("oauth2", description, scheme_name, auto_error, flows=_flows(flows if flows is not None else {}))

    __call__ = raw_authorization


class OAuth2PasswordBearer(OAuth2):
    """The OAuth2 password flow: a bearer token obtained at ``tokenUrl``; gives the token.

    Args:
        tokenUrl: where clients post ``OAuth2PasswordRequestForm`` to get a token
            (relative URLs are fine).
        scheme_name: the scheme's name in OpenAPI (default: the class name).
        scopes: available scopes and their descriptions.
        description: shown in OpenAPI.
        auto_error: answer 401 when there is no bearer token; ``False`` gives ``None``.
        refreshUrl: where tokens are refreshed.
    """

    def __init__(
        self,
        tokenUrl: str,  # noqa: N803 - FastAPI's (and OpenAPI's) name
        scheme_name: Union[str, None] = None,
        scopes: Union[dict[str, str], None] = None,
        description: Union[str, None] = None,
        auto_error: bool = True,
        refreshUrl: Union[str, None] = None,  # noqa: N803
    ) -> None:
        super().__init__(
            flows={"password": {"tokenUrl": tokenUrl, "refreshUrl": refreshUrl, "scopes": scopes or {}}},
            scheme_name=scheme_name,
            description=description,
            auto_error=auto_error,
        )

    async def __call__(self, request: HTTPConnection) -> Union[str, None]:
        return self.scheme_param(request, "bearer")


class OAuth2AuthorizationCodeBearer(OAuth2):
    """The OAuth2 authorization-code flow; gives the bearer token.

    Args:
        authorizationUrl: where users authorize the client.
        tokenUrl: where the code is exchanged for a token.
        refreshUrl: where tokens are refreshed.
        scheme_name: the scheme's name in OpenAPI (default: the class name).
        scopes: available scopes and their descriptions.
        description: shown in OpenAPI.
        auto_error: answer 401 when there is no bearer token; ``False`` gives ``None``.
    """

    def __init__(
        self,
        authorizationUrl: str,  # noqa: N803
        tokenUrl: str,  # noqa: N803
        refreshUrl: Union[str, None] = None,  # noqa: N803
        scheme_name: Union[str, None] = None,
        scopes: Union[dict[str, str], None] = None,
        description: Union[str, None] = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(
            flows={
                "authorizationCode": {
                    "authorizationUrl": authorizationUrl,
                    "tokenUrl": tokenUrl,
                    "refreshUrl": refreshUrl,
                    "scopes": scopes or {},
                }
            },
            scheme_name=scheme_name,
            description=description,
            auto_error=auto_error,
        )

    async def __call__(self, request: HTTPConnection) -> Union[str, None]:
        return self.scheme_param(request, "bearer")


class OAuth2PasswordRequestForm:
    """The form of the OAuth2 password grant (RFC 6749 §4.3.2), as a class dependency.

    ``form: Annotated[OAuth2PasswordRequestForm, Depends()]`` reads
    ``username``, ``password`` and the optional ``grant_type`` (``"password"``),
    ``scope`` (space-separated; split into ``scopes``), ``client_id`` and
    ``client_secret`` from an ``application/x-www-form-urlencoded`` body.
    """

    def __init__(
        self,
        *,
        grant_type: Annotated[Union[str, None], Form(pattern="^password$")] = None,
        username: Annotated[str, Form()],
        password: Annotated[str, Form(json_schema_extra={"format": "password"})],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[Union[str, None], Form()] = None,
        client_secret: Annotated[Union[str, None], Form(json_schema_extra={"format": "password"})] = None,
    ) -> None:
        self.grant_type = grant_type
        self.username = username
        self.password = password
        # SPEC: RFC 6749 §3.3 - scope is a list of space-delimited strings.
        self.scopes = scope.split()
        self.client_id = client_id
        self.client_secret = client_secret


class OAuth2PasswordRequestFormStrict(OAuth2PasswordRequestForm):
    """``OAuth2PasswordRequestForm`` with ``grant_type`` required (it must be ``"password"``)."""

    def __init__(
        self,
        grant_type: Annotated[str, Form(pattern="^password$")],
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[Union[str, None], Form()] = None,
        client_secret: Annotated[Union[str, None], Form()] = None,
    ) -> None:
        super().__init__(
            grant_type=grant_type,
            username=username,
            password=password,
            scope=scope,
            client_id=client_id,
            client_secret=client_secret,
        )
