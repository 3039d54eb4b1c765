"""The response side: validating and serializing what an endpoint returns.

Rules:

* ``compile_response`` builds one ``ResponseSerializer`` per endpoint from
  ``response_model=`` or the return annotation. ``None`` (no annotation), a
  ``Response`` subclass, or a union holding one that cannot be validated,
  means no serializer (a returned ``Response`` is sent untouched by routing).
  ``Any`` still gets one: FastAPI serializes through ``TypeAdapter(Any)``,
  whose output differs from ``jsonable_encoder`` (``Z`` for UTC, ``Decimal``
  as a string, ``timedelta`` in ISO 8601).
* ``to_json`` validates in python mode with ``from_attributes=True`` (ORM
  objects work) and dumps with the filtering options. Validation failure is a
  ``ResponseValidationError`` with ``loc`` starting with ``"response"``.
* Secure clone: the dump follows the declared type's schema, so an instance
  of a subclass with extra fields never leaks them.
* Fast path: when ``type(value)`` is exactly the response model and the model
  does not revalidate instances, validation would return ``value`` itself, so
  it is skipped and pydantic-core's serializer runs directly.
* No model: ``serialize_without_model`` gives the bytes of
  ``json.dumps(jsonable_encoder(value))`` (compact, UTF-8, NaN refused). It
  walks plain containers itself, hands other objects to ``jsonable_encoder``
  and lets pydantic-core write the JSON. Floats are written by pydantic-core:
  ``1e-07`` appears as ``1e-7`` (the same JSON number).
"""

from __future__ import annotations

import inspect
import re
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.errors import PydanticSchemaGenerationError, PydanticUndefinedAnnotation, PydanticUserError
from pydantic_core import SchemaValidator, to_json

from ferrule.asgi_core.exceptions import FerruleError
from ferrule.asgi_core.response import Response

from ._v1 import refuse_v1_model
from .encoders import IncEx, is_plain_json, json_sendable, jsonable_encoder
from .errors import EndpointContext, ResponseValidationError
from ._typing import is_class

__all__ = [
    "ResponseConfigError",
    "ResponseSerializer",
    "check_responses",
    "compile_response",
    "serialize_without_model",
]


class ResponseConfigError(FerruleError, ValueError):
    """A response model or return annotation cannot be validated."""


_STATUS_RANGE = re.compile(r"[1-5]XX", re.IGNORECASE)


def check_responses(responses: dict[Any, Any], where: str) -> dict[int | str, Any]:
    """``responses=`` checked at declaration (FastAPI only fails when OpenAPI is built).

    A key is a status code (``404``, ``"404"``, ``HTTPStatus.NOT_FOUND`` -> ``404``), a
    range (``"4XX"``) or ``"default"``; a value is a dict whose ``model``, if any,
    pydantic can build a schema for.

    Raises:
        ResponseConfigError: a key or model that OpenAPI could not describe.
    """
    checked: dict[int | str, Any] = {}
    for code, value in responses.items():
        key: int | str
        if isinstance(code, int) and not isinstance(code, bool):
            key = int(code)
        elif isinstance(code, str) and (
            code.isdigit() or _STATUS_RANGE.fullmatch(code) or code.lower() == "default"
        ):
            key = code
        else:
            raise ResponseConfigError(
                f"{where}: responses key {code!r} is not a status code, a range like '4XX' or "
                "'default'; use e.g. responses={404: {'model': Message}}"
            )
        if not isinstance(value, dict):
            raise ResponseConfigError(
                f"{where}: responses[{code!r}] must be a dict (OpenAPI response fields and an "
                f"optional 'model'), got {type(value).__name__}"
            )
        if "model" in value:
            try:
                if not getattr(TypeAdapter(value["model"]), "pydantic_complete", True):
                    raise PydanticUndefinedAnnotation(str(value["model"]), "not fully defined")
            except (PydanticSchemaGenerationError, PydanticUndefinedAnnotation, PydanticUserError, TypeError) as exc:
                raise ResponseConfigError(
                    f"{where}: responses[{code!r}]['model'] = {value['model']!r} is not a type pydantic "
                    "can describe; give a pydantic model or another type annotation"
                ) from exc
        checked[key] = value
    return checked


class ResponseSerializer:
    """Validates and serializes one endpoint's return values (built by ``compile_response``).

    Attributes:
        annotation: the response type.
        type_adapter: pydantic's adapter for it (for OpenAPI).
        model: the pydantic model class when the type is one, else ``None``.
        endpoint_ctx: attached to ``ResponseValidationError``.
    """

    __slots__ = ("annotation", "type_adapter", "model", "endpoint_ctx", "_options", "_exact", "_validate", "_to_json")

    def __init__(self, annotation: Any, type_adapter: TypeAdapter[Any], options: dict[str, Any], endpoint_ctx: EndpointContext | None) -> None:
        self.annotation = annotation
        self.type_adapter = type_adapter
        self.model = annotation if is_class(annotation) and issubclass(annotation, BaseModel) else None
        self.endpoint_ctx = endpoint_ctx
        # PERF: only the options that differ from pydantic-core's defaults are
        # passed per response (each keyword argument costs ~0.1 us); by_alias is
        # always passed, since its default defers to the model's config.
        self._options = {
            name: value for name, value in options.items() if name == "by_alias" or value not in (None, False)
        }
        revalidates = self.model is not None and self.model.model_config.get("revalidate_instances", "never") != "never"
        self._exact: type[Any] | None = self.model if self.model is not None and not revalidates else None
        # PERF: pydantic-core's validator directly, not TypeAdapter's Python
        # wrapper around it (same validation, one call layer less per response).
        core = type_adapter.validator
        self._validate = core.validate_python if isinstance(core, SchemaValidator) else type_adapter.validate_python
        self._to_json = type_adapter.serializer.to_json

    def json_schema(self, mode: Literal["validation", "serialization"] = "serialization") -> dict[str, Any]:
        """The JSON Schema of the response type."""
        return self.type_adapter.json_schema(mode=mode)

    def validate(self, value: Any) -> Any:
        """``value`` validated against the response type.

        Raises:
            ResponseValidationError: the value breaks the type (``loc`` starts with ``"response"``).
        """
        if type(value) is self._exact:
            return value
        try:
            return self._validate(value, from_attributes=True)
        except ValidationError as exc:
            errors = []
            for error in exc.errors(include_url=False):
                error["loc"] = ("response", *error["loc"])
                errors.append(dict(error))
            raise ResponseValidationError(errors, body=value, endpoint_ctx=self.endpoint_ctx) from None

    def to_json(self, value: Any) -> bytes:
        """The JSON body for ``value`` (validated first, see the module docstring)."""
        if type(value) is self._exact:
            return self._to_json(value, **self._options)
        return self._to_json(self.validate(value), **self._options)

    def to_python(self, value: Any) -> Any:
        """``value`` validated and dumped to JSON-ready Python data (for JSON Lines / SSE items)."""
        return self.type_adapter.dump_python(self.validate(value), mode="json", **self._options)


def _is_response_class(annotation: Any) -> bool:
    return is_class(annotation) and issubclass(annotation, Response)


def compile_response(
    annotation: Any,
    *,
    include: IncEx | None = None,
    exclude: IncEx | None = None,
    by_alias: bool = True,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
    endpoint_ctx: EndpointContext | None = None,
) -> ResponseSerializer | None:
    """Compile the response serializer of one endpoint.

    Args:
        annotation: ``response_model=`` if given, else the return annotation.
        include: fields to keep (FastAPI's ``response_model_include``).
        exclude: fields to drop (``response_model_exclude``).
        by_alias: dump by alias (``response_model_by_alias``).
        exclude_unset: drop fields that were not set.
        exclude_defaults: drop fields equal to their default.
        exclude_none: drop ``None`` values.
        endpoint_ctx: attached to ``ResponseValidationError``.

    Returns:
        The serializer, or ``None`` when there is no model (no annotation,
        ``None``, or a ``Response`` subclass).

    Raises:
        ResponseConfigError: pydantic cannot validate ``annotation``.
        PydanticV1NotSupportedError: ``annotation`` uses a ``pydantic.v1`` model.
    """
    where = endpoint_ctx.function if endpoint_ctx is not None else "an endpoint"
    refuse_v1_model(annotation, f"the response model of {where}")
    if annotation is None or annotation is inspect.Signature.empty or annotation is type(None):
        return None
    if _is_response_class(annotation):
        return None
    try:
        adapter = _type_adapter(annotation)
    except (PydanticSchemaGenerationError, PydanticUndefinedAnnotation, PydanticUserError) as exc:
        where = f" of {endpoint_ctx.function}" if endpoint_ctx is not None else ""
        raise ResponseConfigError(
            f"response type {annotation!r}{where} cannot be validated by pydantic "
            f"({str(exc).splitlines()[0]}); use a pydantic-compatible type, or turn the "
            "response model off with response_model=None (e.g. for -> Response | dict)"
        ) from exc
    options: dict[str, Any] = {
        "include": set(include) if include is not None and not isinstance(include, (set, dict)) else include,
        "exclude": set(exclude) if exclude is not None and not isinstance(exclude, (set, dict)) else exclude,
        "by_alias": by_alias,
        "exclude_unset": exclude_unset,
        "exclude_defaults": exclude_defaults,
        "exclude_none": exclude_none,
    }
    return ResponseSerializer(annotation, adapter, options, endpoint_ctx)


#: Adapters by response type. PERF: building one costs about 0.4 ms, and an
#: app's routes repeat a few response types (``dict[str, Any]``, ``Item``).
_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}
_MAX_ADAPTERS = 4096


def _type_adapter(annotation: Any) -> TypeAdapter[Any]:
    shareable = _shareable(annotation)
    if shareable:
        adapter = _ADAPTERS.get(annotation)
        if adapter is not None:
            return adapter
    adapter = TypeAdapter(annotation)
    if shareable and len(_ADAPTERS) < _MAX_ADAPTERS:
        _ADAPTERS[annotation] = adapter
    return adapter


def _shareable(annotation: Any) -> bool:
    """Whether equal annotations surely mean the same type: classes (by identity),
    ``Any``, and plain generics of those (``list[Item]``, ``dict[str, Any]``,
    ``Item | None``). Strings and forward references depend on the module that
    wrote them; ``Annotated`` metadata and ``Literal`` values compare loosely
    (``Literal[1] == Literal[True]``), so none of those are shared."""
    if annotation is Any:
        return True
    origin = get_origin(annotation)
    if origin is None:
        return is_class(annotation)
    if origin is Annotated or origin is Literal:
        return False
    return all(_shareable(arg) for arg in get_args(annotation))


# --- no model ------------------------------------------------------------------

_LEAVES = frozenset({str, int, float, bool, type(None)})


def _json_key(key: Any) -> Any:
    if type(key) is str:
        return key
    key = jsonable_encoder(key)
    # SPEC: json.dumps turns these keys into strings; anything else is a TypeError.
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, float):
        return float.__repr__(key)
    if isinstance(key, (str, int)):
        return str(key) if not isinstance(key, str) else key
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _plain(value: Any) -> Any:
    """``jsonable_encoder(value)`` with a fast walk over plain containers.

    PERF: leaves are checked inline (no call per ``str``/``int``/...); only
    other objects go through ``jsonable_encoder``.
    """
    kind = type(value)
    if kind is dict:
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if type(key) is not str:
                key = _json_key(key)
            elif key.startswith("_sa"):
                continue
            out[key] = item if type(item) in _LEAVES else _plain(item)
        return out
    if kind is list or kind is tuple:
        return [item if type(item) in _LEAVES else _plain(item) for item in value]
    if kind in _LEAVES:
        return value
    return jsonable_encoder(value)


def serialize_without_model(value: Any) -> bytes:
    """The JSON body of a value returned with no response model (FastAPI's ``jsonable_encoder`` output).

    Raises:
        ValueError: NaN or infinity in the data (not JSON), or an unknown type.
    """
    if is_plain_json(value):
        # PERF: nothing for jsonable_encoder to change (and nothing non-finite).
        return to_json(value)
    data = _plain(value)
    body = to_json(data)
    # PERF: the non-finite check only runs when the output mentions NaN/Infinity.
    if (b"NaN" in body or b"Infinity" in body) and not json_sendable(data, check_strings=False):
        raise ValueError("Out of range float values are not JSON compliant: NaN and Infinity cannot be sent")
    return body


