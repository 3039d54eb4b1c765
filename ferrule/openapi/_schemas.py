"""JSON Schemas of the values an OpenAPI document describes, generated in one pass.

Every parameter, request body, response model and stream item of every route
becomes a ``SchemaField``. All fields go through ONE pydantic
``GenerateJsonSchema`` (``generate_definitions``), so a model used in several
places is defined once under ``components/schemas`` and pydantic decides the
names (``Item``; ``Item-Input``/``Item-Output`` when the request and response
schemas of a model differ; module-qualified names on a clash).

Modes: request values use the ``validation`` schema, response values the
``serialization`` schema. With ``separate_input_output_schemas=False`` every
value uses ``validation``, except values whose models have computed fields
(their serialization schema has more properties).

A field schema that is not a ``$ref`` gets a ``title``: the field's own title,
else its key title-cased (COMPAT(fastapi): ``"item_id"`` -> ``"Item Id"``,
``"Response_read_items_items_get"`` -> ``"Response Read Items Items Get"``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
import warnings
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.errors import PydanticUserError
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import CoreSchema, PydanticUndefined

from ferrule.asgi_core.forms import UploadFile as _BaseUploadFile
from ferrule.validation.uploads import UploadFile as _SchemaUploadFile
from ferrule.validation._typing import is_class

__all__ = ["REF_PREFIX", "SchemaField", "SchemaSet", "field_from_info", "plain_field"]

Mode = Literal["validation", "serialization"]
REF_PREFIX = "#/components/schemas/"

# FieldInfo attributes that shape a value's JSON Schema (aliases only matter in models).
_SCHEMA_ATTRIBUTES = (
    "title", "description", "examples", "deprecated", "json_schema_extra", "discriminator",
    "validate_default", "field_title_generator", "frozen", "exclude",
)


class _Generator(GenerateJsonSchema):
    """pydantic's generator, with FastAPI's schema for ``bytes``."""

    def bytes_schema(self, schema: Any) -> JsonSchemaValue:
        # COMPAT(fastapi): a binary string is described by its media type, not `format: binary`.
        json_schema: dict[str, Any] = {"type": "string", "contentMediaType": "application/octet-stream"}
        config = self._config
        bytes_mode = config.ser_json_bytes if self.mode == "serialization" else config.val_json_bytes
        if bytes_mode == "base64":
            json_schema["contentEncoding"] = "base64"
        self.update_with_validations(json_schema, schema, self.ValidationsMapping.bytes)
        return json_schema


def swap_uploads(annotation: Any) -> Any:
    """``annotation`` with ``asgi_core``'s ``UploadFile`` replaced by the schema-aware subclass."""
    if is_class(annotation):
        if issubclass(annotation, _BaseUploadFile) and not hasattr(annotation, "__get_pydantic_json_schema__"):
            return _SchemaUploadFile
        return annotation
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is None or not args:
        return annotation
    new_args = tuple(swap_uploads(arg) if not isinstance(arg, (list, str)) else arg for arg in args)
    if new_args == args:
        return annotation
    if origin is Annotated:
        return Annotated[tuple(new_args)]
    if origin is Union or origin is types.UnionType:
        return Union[new_args]
    try:
        return origin[new_args]
    except TypeError:
        return getattr(typing, origin.__name__.capitalize(), origin)[new_args]


@dataclasses.dataclass(eq=False)
class SchemaField:
    """A value whose schema the document shows (FastAPI's ``ModelField`` for OpenAPI).

    Attributes:
        key: the name its default title derives from (a parameter's alias,
            ``"body"``, ``"Response_<unique_id>"``).
        annotation: the type, with the field's schema attributes in ``Annotated``.
        title: an explicit title.
        mode: ``"validation"`` (request) or ``"serialization"`` (response).
        config: pydantic config for non-model types (a parameter model's config).
    """

    key: str
    annotation: Any
    title: str | None = None
    mode: Mode = "validation"
    config: ConfigDict | None = None
    _adapter: TypeAdapter[Any] | None = dataclasses.field(default=None, repr=False)

    @property
    def adapter(self) -> TypeAdapter[Any]:
        if self._adapter is None:
            with warnings.catch_warnings():
                # pydantic warns about Field() options that do nothing outside a model.
                warnings.simplefilter("ignore")
                try:
                    self._adapter = TypeAdapter(self.annotation, config=self.config)
                except PydanticUserError:
                    self._adapter = TypeAdapter(self.annotation)
        return self._adapter

    @property
    def core_schema(self) -> CoreSchema:
        return self.adapter.core_schema


def field_from_info(
    key: str, annotation: Any, info: Any, *, mode: Mode = "validation", config: ConfigDict | None = None,
    with_default: bool = True,
) -> SchemaField:
    """The ``SchemaField`` of a value declared with a ``FieldInfo`` (marker or model field)."""
    kwargs: dict[str, Any] = {}
    own = getattr(info, "field_kwargs", None)
    if isinstance(own, dict):
        kwargs.update((k, v) for k, v in own.items() if k not in _ALIAS_KEYS)
        metadata: list[Any] = []
    else:
        metadata = list(getattr(info, "metadata", ()))
        for name in _SCHEMA_ATTRIBUTES:
            value = getattr(info, name, None)
            if value is not None:
                kwargs[name] = value
    if with_default:
        if info.default_factory is not None:
            kwargs["default_factory"] = info.default_factory
        elif info.default is not PydanticUndefined and info.default is not Ellipsis:
            kwargs["default"] = info.default
    base = swap_uploads(annotation)
    full = Annotated[tuple([base, *metadata, Field(**kwargs)])] if kwargs or metadata else base
    config = None if _has_own_config(base) else config
    return SchemaField(key=key, annotation=full, title=getattr(info, "title", None), mode=mode, config=config)


_ALIAS_KEYS = frozenset({"alias", "alias_priority", "validation_alias", "serialization_alias"})


def plain_field(key: str, annotation: Any, *, mode: Mode) -> SchemaField:
    """The ``SchemaField`` of a bare type (response models, stream items, body models)."""
    return SchemaField(key=key, annotation=swap_uploads(annotation), mode=mode)


def _has_own_config(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return is_class(annotation) and (
        issubclass(annotation, (BaseModel, dict)) or dataclasses.is_dataclass(annotation)
        or typing.is_typeddict(annotation)
    )


def _has_computed_fields(annotation: Any, seen: set[type] | None = None) -> bool:
    seen = set() if seen is None else seen
    if is_class(annotation) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return False
        seen.add(annotation)
        if annotation.model_computed_fields:
            return True
        return any(_has_computed_fields(f.annotation, seen) for f in annotation.model_fields.values())
    return any(_has_computed_fields(arg, seen) for arg in get_args(annotation) if not isinstance(arg, (str, list)))


class SchemaSet:
    """The schemas of a set of fields and the shared definitions (``components/schemas``)."""

    def __init__(self, fields: Sequence[SchemaField], *, separate_input_output_schemas: bool) -> None:
        self.separate = separate_input_output_schemas
        unique: dict[int, SchemaField] = {id(f): f for f in fields}
        self._modes: dict[int, Mode] = {}
        inputs: list[tuple[SchemaField, Mode, CoreSchema]] = []
        for field in unique.values():
            mode = self._mode(field)
            self._modes[id(field)] = mode
            inputs.append((field, mode, field.core_schema))
        generator = _Generator(ref_template=REF_PREFIX + "{model}")
        mapping, definitions = generator.generate_definitions(inputs=inputs)  # type: ignore[arg-type,unused-ignore]
        self._mapping = {id(key[0]): value for key, value in mapping.items()}
        for definition in definitions.values():
            description = definition.get("description")
            if isinstance(description, str):
                # COMPAT(fastapi): a model docstring stops at the first form feed.
                definition["description"] = description.split("\f")[0]
        self.definitions: dict[str, Any] = {str(name): value for name, value in definitions.items()}

    def _mode(self, field: SchemaField) -> Mode:
        if self.separate or field.mode == "validation":
            return field.mode
        return "serialization" if _has_computed_fields(field.annotation) else "validation"

    def schema(self, field: SchemaField, title_key: str | None = None) -> dict[str, Any]:
        """The schema of ``field`` (a copy), titled when it is not a reference."""
        schema = dict(self._mapping[id(field)])
        if "$ref" not in schema:
            key = title_key if title_key is not None else field.key
            schema["title"] = field.title or key.title().replace("_", " ")
        return schema
