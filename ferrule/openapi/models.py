"""Pydantic models of the OpenAPI 3.1 objects users build by hand (``fastapi.openapi.models``).

For code that passes model objects where ferrule takes plain dicts, e.g.
``OAuth2(flows=OAuthFlows(password=OAuthFlowPassword(tokenUrl="token")))``
or ``openapi_examples={"a": Example(summary="A", value=1)}``. Every object
allows extra keys (``x-*`` extensions); dump with
``model_dump(by_alias=True, exclude_none=True)``. Field names and order follow
the OpenAPI 3.1 specification (§4.8).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

__all__ = [
    "APIKey", "APIKeyIn", "Contact", "Discriminator", "Example", "ExternalDocumentation", "HTTPBase",
    "HTTPBearer", "Info", "License", "OAuth2", "OAuthFlow", "OAuthFlowAuthorizationCode",
    "OAuthFlowClientCredentials", "OAuthFlowImplicit", "OAuthFlowPassword", "OAuthFlows", "OpenAPI",
    "OpenIdConnect", "ParameterInType", "Reference", "SecurityBase", "SecuritySchemeType", "Server",
    "ServerVariable", "Tag",
]


class _Object(BaseModel):
    model_config = ConfigDict(extra="allow")


class Contact(_Object):
    name: str | None = None
    url: str | None = None
    email: str | None = None


class License(_Object):
    name: str
    identifier: str | None = None
    url: str | None = None


class Info(_Object):
    title: str
    summary: str | None = None
    description: str | None = None
    termsOfService: str | None = None  # noqa: N815 - the specification's names
    contact: Contact | None = None
    license: License | None = None
    version: str


class ServerVariable(_Object):
    enum: list[str] | None = None
    default: str
    description: str | None = None


class Server(_Object):
    url: str
    description: str | None = None
    variables: dict[str, ServerVariable] | None = None


class ExternalDocumentation(_Object):
    description: str | None = None
    url: str


class Tag(_Object):
    name: str
    description: str | None = None
    externalDocs: ExternalDocumentation | None = None  # noqa: N815


class Reference(BaseModel):
    ref: str = Field(alias="$ref")


class Discriminator(BaseModel):
    propertyName: str  # noqa: N815
    mapping: dict[str, str] | None = None


class Example(TypedDict, total=False):
    """An Example Object (a dict, as ``openapi_examples`` values are)."""

    summary: str | None
    description: str | None
    value: Any | None
    externalValue: str | None


class ParameterInType(Enum):
    query = "query"
    header = "header"
    path = "path"
    cookie = "cookie"


class SecuritySchemeType(Enum):
    apiKey = "apiKey"  # noqa: N815
    http = "http"
    oauth2 = "oauth2"
    openIdConnect = "openIdConnect"  # noqa: N815


class SecurityBase(_Object):
    type_: SecuritySchemeType = Field(alias="type")
    description: str | None = None


class APIKeyIn(Enum):
    query = "query"
    header = "header"
    cookie = "cookie"


class APIKey(SecurityBase):
    type_: SecuritySchemeType = Field(default=SecuritySchemeType.apiKey, alias="type")
    in_: APIKeyIn = Field(alias="in")
    name: str


class HTTPBase(SecurityBase):
    type_: SecuritySchemeType = Field(default=SecuritySchemeType.http, alias="type")
    scheme: str


class HTTPBearer(HTTPBase):
    scheme: Literal["bearer"] = "bearer"
    bearerFormat: str | None = None  # noqa: N815


class OAuthFlow(_Object):
    refreshUrl: str | None = None  # noqa: N815
    scopes: dict[str, str] = Field(default_factory=dict)


class OAuthFlowImplicit(OAuthFlow):
    authorizationUrl: str  # noqa: N815


class OAuthFlowPassword(OAuthFlow):
    tokenUrl: str  # noqa: N815


class OAuthFlowClientCredentials(OAuthFlow):
    tokenUrl: str  # noqa: N815


class OAuthFlowAuthorizationCode(OAuthFlow):
    authorizationUrl: str  # noqa: N815
    tokenUrl: str  # noqa: N815


class OAuthFlows(_Object):
    implicit: OAuthFlowImplicit | None = None
    password: OAuthFlowPassword | None = None
    clientCredentials: OAuthFlowClientCredentials | None = None  # noqa: N815
    authorizationCode: OAuthFlowAuthorizationCode | None = None  # noqa: N815


class OAuth2(SecurityBase):
    type_: SecuritySchemeType = Field(default=SecuritySchemeType.oauth2, alias="type")
    flows: OAuthFlows


class OpenIdConnect(SecurityBase):
    type_: SecuritySchemeType = Field(default=SecuritySchemeType.openIdConnect, alias="type")
    openIdConnectUrl: str  # noqa: N815


class OpenAPI(_Object):
    """A whole document, e.g. to validate ``app.openapi()``: ``OpenAPI.model_validate(doc)``."""

    openapi: str
    info: Info
    jsonSchemaDialect: str | None = None  # noqa: N815
    servers: list[Server] | None = None
    paths: dict[str, Any] | None = None
    webhooks: dict[str, Any] | None = None
    components: dict[str, Any] | None = None
    security: list[dict[str, list[str]]] | None = None
    tags: list[Tag] | None = None
    externalDocs: ExternalDocumentation | None = None  # noqa: N815
