"""The final pass over a built OpenAPI document: FastAPI's exact output shape.

FastAPI validates its document with pydantic models of the OpenAPI objects and
dumps it with ``by_alias=True, exclude_none=True``. That round trip is visible
in the JSON a client receives, so ferrule reproduces its effects here, driven
by tables of each object's fields (OpenAPI 3.1 §4.8, JSON Schema 2020-12):

* keys come in the object's field order, unknown keys (``x-*``, extras) after
  them in their original order. Under ``paths`` FastAPI's model says "a
  Path Item or anything", and pydantic's smart union keeps the built dict
  unless it is a Path Item in *strict* mode: so a path item is reordered
  only when it has no parameter objects (their ``in`` is an enum), no URL
  fields (``externalDocs``, ``externalValue``) and no ``dependentRequired``
  (a set); ``_strict_path_item`` tells;
* ``null`` values disappear from every mapping (lists keep their items);
* URL fields typed as URLs (contact, license, external docs, example
  ``externalValue``) are normalised like pydantic's ``AnyUrl``
  (``https://Example.com`` becomes ``https://example.com/``);
* the JSON Schema numeric bounds (``maximum``, ``multipleOf``...) are floats.

COMPAT(fastapi): none of this changes the meaning of the document; it makes
``/openapi.json`` byte-identical to FastAPI's for the same app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, Final

from pydantic import AnyUrl, ValidationError

__all__ = ["shape_document"]

Shaper = Callable[[Any], Any]

_NUMERIC_BOUNDS: Final = frozenset({"multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"})


def _plain(value: Any) -> Any:
    """JSON-ready data with ``None`` dropped from mappings (FastAPI's final encoder pass)."""
    if isinstance(value, Mapping):
        return {_key(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    from ferrule.validation.encoders import jsonable_encoder

    return jsonable_encoder(value, exclude_none=True)


def _key(key: Any) -> Any:
    if isinstance(key, Enum):
        return key.value
    return key


def _url(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return str(AnyUrl(value))
    except ValidationError:
        return value


def _ordered(data: Mapping[str, Any], fields: Mapping[str, Shaper | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, shaper in fields.items():
        if name in data and data[name] is not None:
            value = data[name]
            out[name] = shaper(value) if shaper is not None else value
    for name, value in data.items():
        if name not in fields and value is not None:
            out[name] = value
    return out


def _obj(fields: Mapping[str, Shaper | None]) -> Shaper:
    def shape(value: Any) -> Any:
        return _ordered(value, fields) if isinstance(value, Mapping) else value

    return shape


def _map_of(shaper: Shaper) -> Shaper:
    def shape(value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        return {k: shaper(v) for k, v in value.items() if v is not None}

    return shape


def _list_of(shaper: Shaper) -> Shaper:
    def shape(value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [shaper(item) for item in value]

    return shape


def _number(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


# --- JSON Schema -----------------------------------------------------------------


def _schema(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    return _ordered(value, _SCHEMA_FIELDS)


_SUB: Shaper = _schema
_SUBS = _list_of(_schema)
_SUB_MAP = _map_of(_schema)
_EXTERNAL_DOCS = _obj({"description": None, "url": _url})

# JSON Schema 2020-12 vocabularies in the order of their specifications
# (core, applicator, validation, format, content, meta-data), then OpenAPI's.
_SCHEMA_FIELDS: dict[str, Shaper | None] = {
    "$schema": None, "$vocabulary": None, "$id": None, "$anchor": None, "$dynamicAnchor": None,
    "$ref": None, "$dynamicRef": None, "$defs": _SUB_MAP, "$comment": None,
    "allOf": _SUBS, "anyOf": _SUBS, "oneOf": _SUBS, "not": _SUB, "if": _SUB, "then": _SUB,
    "else": _SUB, "dependentSchemas": _SUB_MAP, "prefixItems": _SUBS, "items": _SUB,
    "contains": _SUB, "properties": _SUB_MAP, "patternProperties": _SUB_MAP,
    "additionalProperties": _SUB, "propertyNames": _SUB, "unevaluatedItems": _SUB,
    "unevaluatedProperties": _SUB,
    "type": None, "enum": None, "const": None, "multipleOf": _number, "maximum": _number,
    "exclusiveMaximum": _number, "minimum": _number, "exclusiveMinimum": _number,
    "maxLength": None, "minLength": None, "pattern": None, "maxItems": None, "minItems": None,
    "uniqueItems": None, "maxContains": None, "minContains": None, "maxProperties": None,
    "minProperties": None, "required": None, "dependentRequired": None,
    "format": None,
    "contentEncoding": None, "contentMediaType": None, "contentSchema": _SUB,
    "title": None, "description": None, "default": None, "deprecated": None, "readOnly": None,
    "writeOnly": None, "examples": None,
    "discriminator": _obj({"propertyName": None, "mapping": None}),
    "xml": _obj({"name": None, "namespace": None, "prefix": None, "attribute": None, "wrapped": None}),
    "externalDocs": _EXTERNAL_DOCS,
    "example": None,
}

# --- OpenAPI objects ----------------------------------------------------------------

_EXAMPLE = _obj({"summary": None, "description": None, "value": None, "externalValue": _url})
_EXAMPLES = _map_of(_EXAMPLE)
_SERVER = _obj({
    "url": None,
    "description": None,
    "variables": _map_of(_obj({"enum": None, "default": None, "description": None})),
})
_SERVERS = _list_of(_SERVER)

# Parameter and Header share their fields; Parameter adds name and `in` last.
_PARAMETER_BASE: dict[str, Shaper | None] = {
    "description": None, "required": None, "deprecated": None, "style": None, "explode": None,
    "allowReserved": None, "schema": _schema, "example": None, "examples": _EXAMPLES,
}
_HEADER = _obj({**_PARAMETER_BASE, "content": None})
_ENCODING = _obj({
    "contentType": None, "headers": _map_of(_HEADER), "style": None, "explode": None, "allowReserved": None,
})
_MEDIA_TYPE = _obj({"schema": _schema, "example": None, "examples": _EXAMPLES, "encoding": _map_of(_ENCODING)})
_CONTENT = _map_of(_MEDIA_TYPE)
_PARAMETER_FIELDS = {**_PARAMETER_BASE, "content": _CONTENT, "name": None, "in": None}
_HEADER_FIELDS = {**_PARAMETER_BASE, "content": _CONTENT}


def _parameter(value: Any) -> Any:
    if isinstance(value, Mapping) and "name" not in value and "$ref" in value:
        return value  # a Reference Object
    return _obj(_PARAMETER_FIELDS)(value)


_LINK = _obj({
    "operationRef": None, "operationId": None, "parameters": None, "requestBody": None,
    "description": None, "server": _SERVER,
})
_RESPONSE_FIELDS: dict[str, Shaper | None] = {
    "description": None, "headers": _map_of(_obj(_HEADER_FIELDS)), "content": _CONTENT, "links": _map_of(_LINK),
}


def _response(value: Any) -> Any:
    # A mapping without a description is not a Response Object: FastAPI keeps it as is.
    if isinstance(value, Mapping) and isinstance(value.get("description"), str):
        return _ordered(value, _RESPONSE_FIELDS)
    return value


_REQUEST_BODY = _obj({"description": None, "content": _CONTENT, "required": None})


def _operation(value: Any) -> Any:
    return _ordered(value, _OPERATION_FIELDS)


def _path_item(value: Any) -> Any:
    return _ordered(value, _PATH_ITEM_FIELDS)


def _callbacks(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    return {name: _map_of(_path_item)(item) for name, item in value.items() if item is not None}


_OPERATION_FIELDS: dict[str, Shaper | None] = {
    "tags": None, "summary": None, "description": None, "externalDocs": _EXTERNAL_DOCS,
    "operationId": None, "parameters": _list_of(_parameter), "requestBody": _REQUEST_BODY,
    "responses": _map_of(_response), "callbacks": _callbacks, "deprecated": None,
    "security": None, "servers": _SERVERS,
}
_PATH_ITEM_FIELDS: dict[str, Shaper | None] = {
    "$ref": None, "summary": None, "description": None,
    **{method: _operation for method in ("get", "put", "post", "delete", "options", "head", "patch", "trace")},
    "servers": _SERVERS, "parameters": _list_of(_parameter),
}

def _strict_path_item(value: Any) -> bool:
    """Whether FastAPI's ``PathItem`` model accepts ``value`` in pydantic's strict mode."""
    stack: list[Any] = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, Mapping):
            if "externalValue" in current or "dependentRequired" in current:
                return False
            docs = current.get("externalDocs")
            if isinstance(docs, Mapping) and "url" in docs:
                return False
            parameters = current.get("parameters")
            if isinstance(parameters, list) and any(
                not (isinstance(p, Mapping) and "$ref" in p) for p in parameters
            ):
                return False
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return True


def _paths(value: Any) -> Any:
    # COMPAT(fastapi): see the module docstring; the others keep their built order.
    if not isinstance(value, Mapping):
        return value
    return {
        path: _path_item(item) if _strict_path_item(item) else item
        for path, item in value.items()
        if item is not None
    }


_FLOW = _obj({"refreshUrl": None, "scopes": None, "authorizationUrl": None, "tokenUrl": None})
_SECURITY_FIELDS: dict[str, dict[str, Shaper | None]] = {
    "apiKey": {"type": None, "description": None, "in": None, "name": None},
    "http": {"type": None, "description": None, "scheme": None, "bearerFormat": None},
    "oauth2": {"type": None, "description": None, "flows": _obj({
        "implicit": _FLOW, "password": _FLOW, "clientCredentials": _FLOW, "authorizationCode": _FLOW,
    })},
    "openIdConnect": {"type": None, "description": None, "openIdConnectUrl": None},
}


def _security_scheme(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    fields = _SECURITY_FIELDS.get(value.get("type", ""))
    return _ordered(value, fields) if fields is not None else value


_COMPONENTS = _obj({
    "schemas": _SUB_MAP, "responses": _map_of(_response), "parameters": _map_of(_parameter),
    "examples": _EXAMPLES, "requestBodies": _map_of(_REQUEST_BODY), "headers": _map_of(_obj(_HEADER_FIELDS)),
    "securitySchemes": _map_of(_security_scheme), "links": _map_of(_LINK), "callbacks": _callbacks,
    "pathItems": _map_of(_path_item),
})
_INFO = _obj({
    "title": None, "summary": None, "description": None, "termsOfService": None,
    "contact": _obj({"name": None, "url": _url, "email": None}),
    "license": _obj({"name": None, "identifier": None, "url": _url}),
    "version": None,
})
_DOCUMENT: dict[str, Shaper | None] = {
    "openapi": None, "info": _INFO, "jsonSchemaDialect": None, "servers": _SERVERS,
    "paths": _paths, "webhooks": _map_of(_path_item), "components": _COMPONENTS,
    "security": None, "tags": _list_of(_obj({"name": None, "description": None, "externalDocs": _EXTERNAL_DOCS})),
    "externalDocs": _EXTERNAL_DOCS,
}


def shape_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` as FastAPI outputs it (see the module docstring)."""
    shaped = _ordered(_plain(document), _DOCUMENT)
    return _plain(shaped)  # type: ignore[no-any-return]
