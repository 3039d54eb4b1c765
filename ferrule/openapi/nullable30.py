"""OpenAPI 3.0-style nullable schemas, for code generators that reject 3.1's ``null`` type.

``App(openapi_nullable_as_30=True)`` rewrites every schema of the document
(components, parameters, bodies, responses, callbacks, webhooks):

* ``{"anyOf": [S, {"type": "null"}]}`` (any order, one other member) becomes
  ``S`` plus ``"nullable": true``; when ``S`` is a ``$ref``, it becomes
  ``{"allOf": [S], "nullable": true}`` (a ``$ref`` takes no siblings in 3.0).
  Other keys of the union (``title``, ``default``...) are kept.
* ``anyOf`` with several non-null members: the null member is dropped and
  ``"nullable": true`` added beside the ``anyOf``.
* ``{"type": [T, "null"]}`` becomes ``{"type": T, "nullable": true}``;
  ``{"type": "null"}`` alone stays (nothing else can express it).
* ``{"const": V}`` becomes ``{"enum": [V]}``; ``examples: [...]`` inside a
  schema becomes ``example`` (its first item); ``exclusiveMinimum``/
  ``exclusiveMaximum`` numbers become the 3.0 boolean form; binary strings
  (``contentMediaType: application/octet-stream``) become ``format: binary``,
  other encoded strings (an SSE event's JSON ``data``) plain strings.

The ``openapi`` field becomes ``"3.0.3"``, because the document is now a 3.0
one; 3.1-only top-level parts (``webhooks``, ``info.summary``,
``license.identifier``) are dropped, and a JSON Lines or SSE ``itemSchema``
is moved to ``schema`` (an array of items for JSON Lines).
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["nullable_as_30", "schema_as_30"]

_NULL = {"type": "null"}
# Keys whose values are schemas, or lists / maps of schemas (JSON Schema 2020-12).
_ONE = ("not", "if", "then", "else", "items", "contains", "additionalProperties", "propertyNames",
        "unevaluatedItems", "unevaluatedProperties", "contentSchema")
_MANY = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")


def schema_as_30(schema: Any) -> Any:
    """One JSON Schema (and its subschemas) in the OpenAPI 3.0 style."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _ONE:
            out[key] = schema_as_30(value)
        elif key in _MANY and isinstance(value, list):
            out[key] = [schema_as_30(item) for item in value]
        elif key in _MAPS and isinstance(value, dict):
            out[key] = {name: schema_as_30(item) for name, item in value.items()}
        else:
            out[key] = value
    return _rewrite(out)


def _rewrite(schema: dict[str, Any]) -> dict[str, Any]:
    members = schema.get("anyOf")
    if isinstance(members, list) and _NULL in members:
        others = [member for member in members if member != _NULL]
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        if len(others) == 1:
            (only,) = others
            if isinstance(only, dict) and "$ref" in only:
                schema = {"allOf": [only], **rest, "nullable": True}
            else:
                schema = {**only, **rest, "nullable": True}
        elif others:
            schema = {"anyOf": others, **rest, "nullable": True}
    kind = schema.get("type")
    if isinstance(kind, list) and "null" in kind:
        kinds = [k for k in kind if k != "null"]
        if len(kinds) == 1:
            schema = {**schema, "type": kinds[0], "nullable": True}
        elif kinds:
            schema = {**schema, "type": kinds, "nullable": True}
    if "const" in schema:
        value = schema.pop("const")
        schema.setdefault("enum", [value])
    examples = schema.get("examples")
    if isinstance(examples, list):
        schema.pop("examples")
        if examples and "example" not in schema:
            schema["example"] = examples[0]
    if schema.get("contentMediaType") == "application/octet-stream" and schema.get("type") == "string":
        # SPEC: OpenAPI 3.0 §4.7.24.1 describes binary content with `format`.
        schema.pop("contentMediaType")
        schema["format"] = "byte" if schema.pop("contentEncoding", None) == "base64" else "binary"
    elif "contentMediaType" in schema or "contentSchema" in schema:
        # 3.0 cannot describe a string's encoded content: it stays a plain string.
        schema.pop("contentMediaType", None)
        schema.pop("contentSchema", None)
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = schema.get(bound)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            schema[limit] = value
            schema[bound] = True
    return schema


def _media(content: Any) -> Any:
    if not isinstance(content, dict):
        return content
    out: dict[str, Any] = {}
    for media_type, media in content.items():
        if not isinstance(media, dict):
            out[media_type] = media
            continue
        media = dict(media)
        item = media.pop("itemSchema", None)
        if item is not None and "schema" not in media:
            media["schema"] = {"type": "array", "items": item} if media_type == "application/jsonl" else item
        if "schema" in media:
            media["schema"] = schema_as_30(media["schema"])
        out[media_type] = media
    return out


def _operation(operation: Any) -> Any:
    if not isinstance(operation, dict):
        return operation
    for parameter in operation.get("parameters", ()):
        if isinstance(parameter, dict) and "schema" in parameter:
            parameter["schema"] = schema_as_30(parameter["schema"])
    body = operation.get("requestBody")
    if isinstance(body, dict):
        body["content"] = _media(body.get("content"))
    for response in (operation.get("responses") or {}).values():
        if isinstance(response, dict) and "content" in response:
            response["content"] = _media(response["content"])
    for callback in (operation.get("callbacks") or {}).values():
        if isinstance(callback, dict):
            for item in callback.values():
                _path_item(item)
    return operation


def _path_item(item: Any) -> None:
    if isinstance(item, dict):
        for method, operation in item.items():
            if method != "parameters":
                _operation(operation)


def nullable_as_30(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` rewritten for OpenAPI 3.0 tools (see the module docstring)."""
    document = copy.deepcopy(document)
    document["openapi"] = "3.0.3"
    document.pop("webhooks", None)
    info = document.get("info", {})
    info.pop("summary", None)
    license_info = info.get("license")
    if isinstance(license_info, dict):
        license_info.pop("identifier", None)
    for item in document.get("paths", {}).values():
        _path_item(item)
    components = document.get("components", {})
    schemas = components.get("schemas")
    if isinstance(schemas, dict):
        components["schemas"] = {name: schema_as_30(schema) for name, schema in schemas.items()}
    return document
