"""What the OpenAPI document needs to know about one route, derived read-only.

``RouteDoc`` gathers it from the objects routing, di and validation built at
startup (``route.plan.dependant``, ``route.plan.validator``,
``route.response_model``...), applying FastAPI's rules:

* parameters: the dependency graph's request parameters in pre-order,
  grouped by location (path, query, header, cookie); a parameter model
  (``Annotated[Model, Query()]``) is expanded into its fields;
* the body: one body parameter that is not embedded is the body itself;
  several (or ``embed=True``, or form fields) are the properties of a model
  named ``Body_<unique_id>``;
* the response: ``Response_<unique_id>`` from the response model, or the
  item type of a generator endpoint that streams JSON Lines or SSE
  (``StreamItem_<unique_id>``); ``responses={code: {"model": M}}`` entries
  become ``Response_<code>_<unique_id>``.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Generator, Iterable, Iterator
from typing import Any, get_args, get_origin

from pydantic import Field, create_model

from ferrule.asgi_core.response import Response
from ferrule.routing import APIRoute
from ferrule.routing.options import DefaultPlaceholder
from ferrule.streaming import EventSourceResponse, ServerSentEvent
from ferrule.validation._typing import is_class, strip_annotated
from ferrule.validation.fields import ParamField, ParamLocation
from ferrule.validation.params import Header

from ._schemas import SchemaField, field_from_info, plain_field, swap_uploads

__all__ = ["BodyDoc", "ParamDoc", "RouteDoc"]

_LOCATIONS = (ParamLocation.path, ParamLocation.query, ParamLocation.header, ParamLocation.cookie)
_STREAM_ORIGINS = {AsyncIterable, AsyncIterator, AsyncGenerator, Iterable, Iterator, Generator}


@dataclasses.dataclass
class ParamDoc:
    """One OpenAPI parameter: where, its name in the request, and its schema."""

    location: str
    name: str
    title_key: str
    required: bool
    info: Any
    field: SchemaField
    shown: bool


@dataclasses.dataclass
class BodyDoc:
    """The request body: its schema field, media type, requiredness and examples."""

    field: SchemaField
    media_type: str
    required: bool
    info: Any


def _validation_alias(name: str, info: Any) -> str:
    alias = info.validation_alias if isinstance(info.validation_alias, str) else None
    return alias or info.alias or name


def _param_docs(param: ParamField) -> list[ParamDoc]:
    info = param.field_info
    shown = getattr(info, "include_in_schema", True)
    location = param.location.value
    model = param.param_model
    if model is None:
        field = field_from_info(param.alias, param.annotation, info)
        return [ParamDoc(location, param.alias, param.alias, param.required, info, field, shown)]
    optional_model = strip_annotated(param.annotation) is not model and not param.required
    convert = isinstance(info, Header) and info.convert_underscores
    config = model.model_config
    docs: list[ParamDoc] = []
    for name, sub in model.model_fields.items():
        alias = _validation_alias(name, sub)
        request_key = alias.replace("_", "-") if convert and alias == name else alias
        field = field_from_info(alias, sub.annotation, sub, config=config)
        docs.append(ParamDoc(location, request_key, alias, sub.is_required() and not optional_model, sub, field, shown))
    return docs


def _stream_item(annotation: Any) -> Any:
    """``Item`` of ``AsyncIterable[Item]`` and friends (``Any`` without arguments), else ``None``."""
    origin = get_origin(annotation)
    if origin is None or origin not in _STREAM_ORIGINS:
        return None
    args = get_args(annotation)
    return args[0] if args else Any


def _status_code(route: APIRoute) -> str:
    if route.status_code is not None:
        return str(int(route.status_code))
    parameter = inspect.signature(route.actual_response_class.__init__).parameters.get("status_code")
    if parameter is not None and isinstance(parameter.default, int):
        return str(parameter.default)
    return "200"


class RouteDoc:
    """The OpenAPI view of one ``APIRoute`` (see the module docstring)."""

    def __init__(self, route: APIRoute) -> None:
        self.route = route
        plan = route.plan
        validator = plan.validator
        dependant = plan.dependant
        self.response_class: type[Response] = route.actual_response_class
        self.status_code = _status_code(route)
        self.security = dependant.security_requirements()
        self.params: list[ParamDoc] = []
        for location in _LOCATIONS:
            for param in validator.fields:
                if param.location is location:
                    self.params.extend(_param_docs(param))
        self.body = self._body(validator.body_fields, validator.body_embed, validator.body_media_type)
        self.response_field: SchemaField | None = None
        self.stream_item: SchemaField | None = None
        self.is_json_stream = False
        self.is_sse_stream = False
        if plan.is_generator_endpoint:
            self._stream(route)
        elif route.response_model and not _is_response(route.response_model):
            self.response_field = plain_field(
                "Response_" + route.unique_id, route.response_model, mode="serialization"
            )
        self.response_fields: dict[int | str, SchemaField] = {}
        for code, extra in route.responses.items():
            model = extra.get("model") if isinstance(extra, dict) else None
            if model:
                self.response_fields[code] = plain_field(
                    f"Response_{code}_{route.unique_id}", model, mode="serialization"
                )
        self.callbacks = [cb for cb in route.callbacks or () if isinstance(cb, APIRoute)]

    def _stream(self, route: APIRoute) -> None:
        declared = route.response_class
        self.is_sse_stream = isinstance(declared, type) and issubclass(declared, EventSourceResponse)
        self.is_json_stream = isinstance(declared, DefaultPlaceholder)
        item = _stream_item(route.response_model)
        if item is None or not (self.is_json_stream or self.is_sse_stream):
            return
        if is_class(item) and issubclass(item, ServerSentEvent):
            return
        self.stream_item = plain_field("StreamItem_" + route.unique_id, item, mode="serialization")

    def _body(self, fields: tuple[ParamField, ...], embed: bool, media_type: str | None) -> BodyDoc | None:
        if not fields:
            return None
        first = fields[0]
        if not embed:
            alias = _validation_alias(first.name, first.field_info)
            field = field_from_info(alias, first.annotation, first.field_info)
            return BodyDoc(field, media_type or "application/json", first.required, first.field_info)
        definitions: dict[str, Any] = {}
        for param in fields:
            info = param.field_info
            kwargs = {k: v for k, v in getattr(info, "field_kwargs", {}).items()
                      if k not in ("validation_alias", "serialization_alias")}
            kwargs["alias"] = param.alias
            if info.default_factory is not None:
                kwargs["default_factory"] = info.default_factory
            elif not info.is_required():
                kwargs["default"] = info.default
            definitions[param.name] = (swap_uploads(param.annotation), Field(**kwargs))
        model = create_model("Body_" + self.route.unique_id, **definitions)
        required = any(param.required for param in fields)
        field = plain_field("body", model, mode="validation")
        return BodyDoc(field, media_type or "application/json", required, None)

    def fields(self) -> list[SchemaField]:
        """Every schema field of this route (callbacks not included)."""
        found: list[SchemaField] = []
        if self.body is not None:
            found.append(self.body.field)
        if self.response_field is not None:
            found.append(self.response_field)
        found.extend(self.response_fields.values())
        if self.stream_item is not None:
            found.append(self.stream_item)
        found.extend(param.field for param in self.params)
        return found


def _is_response(annotation: Any) -> bool:
    return is_class(annotation) and issubclass(annotation, Response)

