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
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

__all__ = [
    "APIKey", "APIKeyIn", "BaseModelWithConfig", "Components", "Contact", "Discriminator", "EmailStr",
    "Encoding", "Example", "ExternalDocumentation", "HTTPBase", "HTTPBearer", "Header", "Info", "License",
    "Link", "MediaType", "OAuth2", "OAuthFlow", "OAuthFlowAuthorizationCode", "OAuthFlowClientCredentials",
    "OAuthFlowImplicit", "OAuthFlowPassword", "OAuthFlows", "OpenAPI", "OpenIdConnect", "Operation",
    "Parameter", "ParameterBase", "ParameterInType", "PathItem", "Reference", "RequestBody", "Response",
    "Schema", "SchemaOrBool", "SchemaType", "SecurityBase", "SecurityScheme", "SecuritySchemeType",
    "Server", "ServerVariable", "Tag", "XML",
]

#: An e-mail address as OpenAPI's ``Contact.email`` holds it. COMPAT(fastapi): FastAPI
#: names pydantic's ``EmailStr`` here, which needs the optional email-validator; ferrule
#: keeps a plain string so the module imports without it.
EmailStr = str


class BaseModelWithConfig(BaseModel):
    """A pydantic model that keeps unknown keys (OpenAPI's ``x-*`` extensions)."""

    model_config = ConfigDict(extra="allow")


_Object = BaseModelWithConfig


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


#: Any Security Scheme Object (§4.8.27).
SecurityScheme = Union[APIKey, HTTPBase, OAuth2, OpenIdConnect, HTTPBearer]


#: JSON Schema's ``type`` keyword values (JSON Schema Validation 2020-12 §6.1.1).
SchemaType = Literal["array", "boolean", "integer", "null", "number", "object", "string"]


class XML(_Object):
    """OpenAPI 3.1 §4.8.26: how a schema maps to XML."""

    name: str | None = None
    namespace: str | None = None
    prefix: str | None = None
    attribute: bool | None = None
    wrapped: bool | None = None


class Schema(_Object):
    """A JSON Schema 2020-12 object as OpenAPI 3.1 uses it (§4.8.24).

    The keywords most documents use are typed; any other keyword is kept as an
    extra key. ``$ref``, ``$id``, ``$defs``... are read and written by alias.
    """

    schema_: str | None = Field(default=None, alias="$schema")
    id: str | None = Field(default=None, alias="$id")
    ref: str | None = Field(default=None, alias="$ref")
    dynamicRef: str | None = Field(default=None, alias="$dynamicRef")  # noqa: N815
    defs: dict[str, SchemaOrBool] | None = Field(default=None, alias="$defs")
    comment: str | None = Field(default=None, alias="$comment")
    allOf: list[SchemaOrBool] | None = None  # noqa: N815
    anyOf: list[SchemaOrBool] | None = None  # noqa: N815
    oneOf: list[SchemaOrBool] | None = None  # noqa: N815
    not_: SchemaOrBool | None = Field(default=None, alias="not")
    if_: SchemaOrBool | None = Field(default=None, alias="if")
    then: SchemaOrBool | None = None
    else_: SchemaOrBool | None = Field(default=None, alias="else")
    prefixItems: list[SchemaOrBool] | None = None  # noqa: N815
    items: SchemaOrBool | None = None
    contains: SchemaOrBool | None = None
    properties: dict[str, SchemaOrBool] | None = None
    patternProperties: dict[str, SchemaOrBool] | None = None  # noqa: N815
    additionalProperties: SchemaOrBool | None = None  # noqa: N815
    propertyNames: SchemaOrBool | None = None  # noqa: N815
    unevaluatedItems: SchemaOrBool | None = None  # noqa: N815
    unevaluatedProperties: SchemaOrBool | None = None  # noqa: N815
    type: SchemaType | list[SchemaType] | None = None
    enum: list[Any] | None = None
    const: Any | None = None
    multipleOf: float | None = None  # noqa: N815
    maximum: float | None = None
    exclusiveMaximum: float | None = None  # noqa: N815
    minimum: float | None = None
    exclusiveMinimum: float | None = None  # noqa: N815
    maxLength: int | None = None  # noqa: N815
    minLength: int | None = None  # noqa: N815
    pattern: str | None = None
    maxItems: int | None = None  # noqa: N815
    minItems: int | None = None  # noqa: N815
    uniqueItems: bool | None = None  # noqa: N815
    maxProperties: int | None = None  # noqa: N815
    minProperties: int | None = None  # noqa: N815
    required: list[str] | None = None
    format: str | None = None
    contentEncoding: str | None = None  # noqa: N815
    contentMediaType: str | None = None  # noqa: N815
    title: str | None = None
    description: str | None = None
    default: Any | None = None
    deprecated: bool | None = None
    readOnly: bool | None = None  # noqa: N815
    writeOnly: bool | None = None  # noqa: N815
    examples: list[Any] | None = None
    discriminator: Discriminator | None = None
    xml: XML | None = None
    externalDocs: ExternalDocumentation | None = None  # noqa: N815
    example: Any | None = None
    """Deprecated in OpenAPI 3.1 (JSON Schema's ``examples`` replaces it); still read."""


#: A schema, or ``true``/``false`` (JSON Schema 2020-12 §4.3.2).
SchemaOrBool = Union[Schema, bool]


class Encoding(_Object):
    """§4.8.15: how one property of a form or multipart body is encoded."""

    contentType: str | None = None  # noqa: N815
    headers: dict[str, Header | Reference] | None = None
    style: str | None = None
    explode: bool | None = None
    allowReserved: bool | None = None  # noqa: N815


class MediaType(_Object):
    """§4.8.14: a body's schema and examples for one media type."""

    schema_: Schema | Reference | None = Field(default=None, alias="schema")
    example: Any | None = None
    examples: dict[str, Example | Reference] | None = None
    encoding: dict[str, Encoding] | None = None


class ParameterBase(_Object):
    """What a Parameter (§4.8.12) and a Header (§4.8.21) share."""

    description: str | None = None
    required: bool | None = None
    deprecated: bool | None = None
    style: str | None = None
    explode: bool | None = None
    allowReserved: bool | None = None  # noqa: N815
    schema_: Schema | Reference | None = Field(default=None, alias="schema")
    example: Any | None = None
    examples: dict[str, Example | Reference] | None = None
    content: dict[str, MediaType] | None = None


class Parameter(ParameterBase):
    """§4.8.12: one operation parameter (``name`` and ``in`` identify it)."""

    name: str
    in_: ParameterInType = Field(alias="in")


class Header(ParameterBase):
    """§4.8.21: a response or encoding header (its name is the map key)."""


class RequestBody(_Object):
    """§4.8.13."""

    description: str | None = None
    content: dict[str, MediaType]
    required: bool | None = None


class Link(_Object):
    """§4.8.20: a design-time link from a response to another operation."""

    operationRef: str | None = None  # noqa: N815
    operationId: str | None = None  # noqa: N815
    parameters: dict[str, Any | str] | None = None
    requestBody: Any | str | None = None  # noqa: N815
    description: str | None = None
    server: Server | None = None


class Response(_Object):
    """§4.8.17: one response of an operation."""

    description: str
    headers: dict[str, Header | Reference] | None = None
    content: dict[str, MediaType] | None = None
    links: dict[str, Link | Reference] | None = None


class Operation(_Object):
    """§4.8.10: one method of a path."""

    tags: list[str] | None = None
    summary: str | None = None
    description: str | None = None
    externalDocs: ExternalDocumentation | None = None  # noqa: N815
    operationId: str | None = None  # noqa: N815
    parameters: list[Parameter | Reference] | None = None
    requestBody: RequestBody | Reference | None = None  # noqa: N815
    responses: dict[str, Response | Any] | None = None
    callbacks: dict[str, dict[str, PathItem] | Reference] | None = None
    deprecated: bool | None = None
    security: list[dict[str, list[str]]] | None = None
    servers: list[Server] | None = None


class PathItem(_Object):
    """§4.8.9: the operations of one path."""

    ref: str | None = Field(default=None, alias="$ref")
    summary: str | None = None
    description: str | None = None
    get: Operation | None = None
    put: Operation | None = None
    post: Operation | None = None
    delete: Operation | None = None
    options: Operation | None = None
    head: Operation | None = None
    patch: Operation | None = None
    trace: Operation | None = None
    servers: list[Server] | None = None
    parameters: list[Parameter | Reference] | None = None


class Components(_Object):
    """§4.8.7: reusable objects of a document."""

    schemas: dict[str, Schema | Reference] | None = None
    responses: dict[str, Response | Reference] | None = None
    parameters: dict[str, Parameter | Reference] | None = None
    examples: dict[str, Example | Reference] | None = None
    requestBodies: dict[str, RequestBody | Reference] | None = None  # noqa: N815
    headers: dict[str, Header | Reference] | None = None
    securitySchemes: dict[str, SecurityScheme | Reference] | None = None  # noqa: N815
    links: dict[str, Link | Reference] | None = None
    callbacks: dict[str, dict[str, PathItem] | Reference | Any] | None = None
    pathItems: dict[str, PathItem | Reference] | None = None  # noqa: N815


class OpenAPI(_Object):
    """A whole document, e.g. to validate ``app.openapi()``: ``OpenAPI.model_validate(doc)``."""

    openapi: str
    info: Info
    jsonSchemaDialect: str | None = None  # noqa: N815
    servers: list[Server] | None = None
    paths: dict[str, PathItem] | None = None
    webhooks: dict[str, PathItem | Reference] | None = None
    components: Components | None = None
    security: list[dict[str, list[str]]] | None = None
    tags: list[Tag] | None = None
    externalDocs: ExternalDocumentation | None = None  # noqa: N815


for _model in (Schema, Encoding, MediaType, ParameterBase, Parameter, Header, Link, Response, Operation,
               PathItem, Components, OpenAPI):
    _model.model_rebuild()
