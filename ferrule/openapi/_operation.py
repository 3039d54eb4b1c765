"""One route's Path Item entries: an Operation Object per method (FastAPI's rules).

Per method, in this order: tags, summary (the route's, else its name
title-cased), description, operationId (``operation_id`` or ``unique_id``),
deprecated, security requirements (scopes merged per scheme), parameters
(a required declaration wins over an optional one of the same name and
location), the request body (only for methods that may carry one), callbacks,
the success response (status from the route or the response class; its
content from the response class: JSON schema, JSON Lines / SSE item schema,
or a plain string), ``responses=`` merged in (their models' schemas deep-merged
into the content), the 422 response when the route reads any parameter or
body and declares no 422/4XX/default response, and ``openapi_extra``
deep-merged last.
"""

from __future__ import annotations

import copy
import http.client
import warnings
from typing import Any, Final

from ferrule.asgi_core.response import JSONResponse
from ferrule.utils import deep_dict_update, is_body_allowed_for_status_code
from ferrule.validation.encoders import jsonable_encoder
from ferrule.validation.params import Undefined

from ._route_doc import RouteDoc
from ._schemas import REF_PREFIX, SchemaSet

__all__ = ["VALIDATION_ERROR_DEFINITIONS", "build_path_item"]

METHODS_WITH_BODY: Final = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"})

VALIDATION_ERROR_DEFINITIONS: Final[dict[str, Any]] = {
    "ValidationError": {
        "title": "ValidationError",
        "type": "object",
        "properties": {
            "loc": {
                "title": "Location",
                "type": "array",
                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            },
            "msg": {"title": "Message", "type": "string"},
            "type": {"title": "Error Type", "type": "string"},
            "input": {"title": "Input"},
            "ctx": {"title": "Context", "type": "object"},
        },
        "required": ["loc", "msg", "type"],
    },
    "HTTPValidationError": {
        "title": "HTTPValidationError",
        "type": "object",
        "properties": {
            "detail": {"title": "Detail", "type": "array", "items": {"$ref": REF_PREFIX + "ValidationError"}},
        },
    },
}

_STATUS_RANGES: Final = {
    "1XX": "Information", "2XX": "Success", "3XX": "Redirection", "4XX": "Client Error",
    "5XX": "Server Error", "DEFAULT": "Default Response",
}

# SPEC: OpenAPI 3.1 §4.8.16.2, the SSE event fields (WHATWG HTML §9.2.6).
_SSE_EVENT_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "data": {"type": "string"},
        "event": {"type": "string"},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    },
}


class OperationBuilder:
    """Builds Path Items for routes, sharing the operationId registry and the schemas."""

    def __init__(self, schemas: SchemaSet) -> None:
        self.schemas = schemas
        self.operation_ids: set[str] = set()
        self.security_schemes: dict[str, Any] = {}
        self.definitions: dict[str, Any] = {}
        self.docs: dict[int, RouteDoc] = {}

    def doc(self, route: Any) -> RouteDoc:
        found = self.docs.get(id(route))
        if found is None:
            found = self.docs[id(route)] = RouteDoc(route)
        return found

    def path_item(self, doc: RouteDoc) -> dict[str, Any]:
        """The operations of ``doc``'s route, keyed by lowercase method."""
        route = doc.route
        if not route.include_in_schema:
            return {}
        item: dict[str, Any] = {}
        for method in route.methods or ():
            item[method.lower()] = self._operation(doc, method, first=not item)
        return item

    def _operation(self, doc: RouteDoc, method: str, *, first: bool) -> dict[str, Any]:
        route = doc.route
        operation: dict[str, Any] = {}
        if route.tags:
            operation["tags"] = list(route.tags)
        operation["summary"] = route.summary or (route.name or "").replace("_", " ").title()
        if route.description:
            operation["description"] = route.description
        operation_id = route.operation_id or route.unique_id
        if operation_id in self.operation_ids and first:
            # COMPAT(fastapi): FastAPI warns here too; ferrule does not warn about
            # the extra methods of one multi-method route (they share the id).
            warnings.warn(
                f"Duplicate Operation ID {operation_id} for function {getattr(route.endpoint, '__name__', '?')}",
                stacklevel=4,
            )
        self.operation_ids.add(operation_id)
        operation["operationId"] = operation_id
        if route.deprecated:
            operation["deprecated"] = route.deprecated
        self._security(doc, operation)
        self._parameters(doc, operation)
        if method in METHODS_WITH_BODY and doc.body is not None:
            operation["requestBody"] = self._request_body(doc)
        if doc.callbacks:
            callbacks: dict[str, Any] = {}
            for callback in doc.callbacks:
                callbacks[callback.name or ""] = {callback.path: self.path_item(self.doc(callback))}
            operation["callbacks"] = callbacks
        responses: dict[str, Any] = operation.setdefault("responses", {})
        self._success_response(doc, responses)
        self._extra_responses(doc, responses)
        if (doc.params or doc.body is not None) and not any(k in responses for k in ("422", "4XX", "default")):
            responses["422"] = {
                "description": "Validation Error",
                "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "HTTPValidationError"}}},
            }
            self.definitions.update(copy.deepcopy(VALIDATION_ERROR_DEFINITIONS))
        if route.openapi_extra:
            deep_dict_update(operation, copy.deepcopy(route.openapi_extra))
        return operation

    def _security(self, doc: RouteDoc, operation: dict[str, Any]) -> None:
        merged: dict[str, list[str]] = {}
        for requirement in doc.security:
            scheme = requirement.security_scheme
            name = scheme.scheme_name
            self.security_schemes[name] = jsonable_encoder(scheme.model, by_alias=True, exclude_none=True)
            scopes = merged.setdefault(name, [])
            scopes.extend(s for s in requirement.scopes if s not in scopes)
        if merged:
            operation.setdefault("security", []).extend({name: scopes} for name, scopes in merged.items())

    def _parameters(self, doc: RouteDoc, operation: dict[str, Any]) -> None:
        found: dict[tuple[str, str], dict[str, Any]] = {}
        required: dict[tuple[str, str], dict[str, Any]] = {}
        for param in doc.params:
            if not param.shown:
                continue
            info = param.info
            entry: dict[str, Any] = {
                "name": param.name,
                "in": param.location,
                "required": param.required,
                "schema": self.schemas.schema(param.field, param.title_key),
            }
            if info.description:
                entry["description"] = info.description
            openapi_examples = getattr(info, "openapi_examples", None)
            example = getattr(info, "example", Undefined)
            if openapi_examples:
                entry["examples"] = jsonable_encoder(openapi_examples)
            elif example is not Undefined:
                entry["example"] = jsonable_encoder(example)
            if getattr(info, "deprecated", None):
                entry["deprecated"] = True
            key = (param.location, param.name)
            found[key] = entry
            if param.required:
                required[key] = entry
        if found:
            found.update(required)
            operation["parameters"] = list(found.values())

    def _request_body(self, doc: RouteDoc) -> dict[str, Any]:
        body = doc.body
        assert body is not None  # invariant: checked by the caller
        request_body: dict[str, Any] = {}
        if body.required:
            request_body["required"] = True
        content: dict[str, Any] = {"schema": self.schemas.schema(body.field)}
        info = body.info
        openapi_examples = getattr(info, "openapi_examples", None)
        example = getattr(info, "example", Undefined)
        if openapi_examples:
            content["examples"] = jsonable_encoder(openapi_examples)
        elif info is not None and example is not Undefined:
            content["example"] = jsonable_encoder(example)
        request_body["content"] = {body.media_type: content}
        return request_body

    def _success_response(self, doc: RouteDoc, responses: dict[str, Any]) -> None:
        route = doc.route
        status = doc.status_code
        response = responses.setdefault(status, {})
        response["description"] = route.response_description
        if not is_body_allowed_for_status_code(route.status_code):
            return
        if doc.is_json_stream:
            item = self.schemas.schema(doc.stream_item) if doc.stream_item is not None else {}
            response.setdefault("content", {})["application/jsonl"] = {"itemSchema": item}
        elif doc.is_sse_stream:
            event = copy.deepcopy(_SSE_EVENT_SCHEMA)
            if doc.stream_item is not None:
                event["required"] = ["data"]
                event["properties"]["data"] = {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": self.schemas.schema(doc.stream_item),
                }
            response.setdefault("content", {})["text/event-stream"] = {"itemSchema": event}
        elif doc.response_class.media_type:
            schema: dict[str, Any] = {"type": "string"}
            if issubclass(doc.response_class, JSONResponse):
                schema = self.schemas.schema(doc.response_field) if doc.response_field is not None else {}
            content = response.setdefault("content", {})
            content.setdefault(doc.response_class.media_type, {})["schema"] = schema

    def _extra_responses(self, doc: RouteDoc, responses: dict[str, Any]) -> None:
        media_type = doc.response_class.media_type or "application/json"
        for code, extra in doc.route.responses.items():
            given = copy.deepcopy(extra)
            given.pop("model", None)
            key = str(code).upper()
            if key == "DEFAULT":
                key = "default"
            response = responses.setdefault(key, {})
            field = doc.response_fields.get(code)
            if field is not None:
                schema = given.setdefault("content", {}).setdefault(media_type, {}).setdefault("schema", {})
                deep_dict_update(schema, self.schemas.schema(field))
            status_text = _STATUS_RANGES.get(str(code).upper())
            if status_text is None:
                try:
                    status_text = http.client.responses.get(int(code))
                except ValueError:
                    status_text = None
            description = given.get("description") or response.get("description") or status_text
            deep_dict_update(response, given)
            response["description"] = description or "Additional Response"


def build_path_item(builder: OperationBuilder, route: Any) -> dict[str, Any]:
    """The Path Item entries of ``route`` (empty when it is hidden)."""
    return builder.path_item(builder.doc(route))
