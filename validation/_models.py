"""Building one pydantic validator for a group of parameters (startup only).

Each location (path, query, header, cookie) and the body of an endpoint get
one dynamically created pydantic model: field ``ferrule_<i>`` for the group's i-th
parameter, aliased to the key ferrule puts in the input dict. Per request
ferrule validates a plain ``dict`` against that model's *fields* schema (the
``model-fields`` core schema, without the model class around it): the result
is ``(values_by_field_name, extra, fields_set)`` with defaults filled in, in
field order, and no model instance is built.

PERF: validating the fields schema costs ~60% of ``Model.model_validate`` for
three query parameters (measured with timeit, see the validation report);
the model class is kept for JSON Schema and as a fallback.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.errors import PydanticSchemaGenerationError, PydanticUndefinedAnnotation, PydanticUserError
from pydantic_core import SchemaValidator

from .fields import ParamConfigError, ParamField
from .params import Undefined
from ._typing import is_class

__all__ = ["GroupField", "GroupValidator", "build_group", "present_value_validator"]

# Field() keyword arguments that name the key or only matter for serialization
# or OpenAPI; the group model sets its own alias and must not warn.
_DROPPED = frozenset(
    {"alias", "alias_priority", "validation_alias", "serialization_alias", "deprecated", "exclude"}
)


@dataclass(frozen=True, slots=True)
class GroupField:
    """One field of a group model.

    Attributes:
        key: the key ferrule puts in the input dict (also the loc pydantic reports).
        annotation: the type to validate.
        field_kwargs: pydantic ``Field()`` options (constraints, strict, ...).
        default: the default (``Undefined`` when required).
        default_factory: or a factory making the default.
        what: ``"parameter 'q' of read_items (...)"``, for startup errors.
    """

    key: str
    annotation: Any
    field_kwargs: dict[str, Any]
    default: Any
    default_factory: Any
    what: str

    @classmethod
    def of_param(cls, key: str, field: ParamField, kind: str) -> GroupField:
        """The field validating the parameter ``field`` under ``key``; ``kind`` names it in errors."""
        info = field.field_info
        return cls(
            key=key,
            annotation=field.annotation,
            field_kwargs=getattr(info, "field_kwargs", {}),
            default=info.default,
            default_factory=info.default_factory,
            what=f"{kind} {field.name!r} of {field.owner}",
        )


class GroupValidator:
    """Validates the input dict of one group.

    Validation uses ``from_attributes=True``, as FastAPI does for every field
    (it changes pydantic's message for a non-dict model input to
    ``model_attributes_type``). ``validate(data)`` returns pydantic-core's fields result ``(values, extra,
    fields_set)``; ``values`` is ``{field_name(i): value}`` in field order, defaults
    filled in. Raises pydantic's ``ValidationError``.
    """

    __slots__ = ("model", "validate", "keys", "present")

    def __init__(self, model: type[BaseModel], keys: dict[str, str]) -> None:
        self.model = model
        # Field name -> input key: pydantic reports an invalid *default* at the
        # field's name, not its alias.
        self.keys = keys
        self.present: Callable[[Any], Any] | None | bool = False
        """``present_value_validator``'s result, cached (False: not built yet)."""
        fields_validator = _fields_validator(model)
        if fields_validator is not None:
            self.validate: Callable[[Any], Any] = functools.partial(
                fields_validator.validate_python, from_attributes=True
            )
        else:  # a pydantic that shapes model schemas otherwise; tests/validation/test_schema_fallback.py
            model_validate = model.__pydantic_validator__.validate_python

            def run(data: Any) -> tuple[dict[str, Any], None, None]:
                return dict(model_validate(data, from_attributes=True).__dict__), None, None

            self.validate = run


def present_value_validator(group: GroupValidator) -> Callable[[Any], Any] | None:
    """A validator of the first field's *value* alone, for when that value is present.

    It is the group's own core schema for the field (same definitions, same
    config), without the dict around it and without the default wrapper, which
    only acts when the key is absent. PERF: the single-body lane (bench
    ``body``, ``error422``) validates the decoded body with it directly: no
    input dict, no result tuple, one nesting level less in error locations.
    Returns ``None`` when the schema has a shape this does not know (then the
    group validator is used as before). Built once per group: groups are shared
    between endpoints that validate identically (``build_group``).
    """
    cached = group.present
    if cached is not False:
        return cached  # type: ignore[return-value]
    group.present = built = _present_value_validator(group)
    return built


def _present_value_validator(group: GroupValidator) -> Callable[[Any], Any] | None:
    found = _fields_schema(group.model)
    if found is None:
        return None
    fields_schema, definitions, config = found
    field = fields_schema["fields"].get(field_name(0))
    if field is None or field.get("type") != "model-field":
        return None
    value_schema: dict[str, Any] = field["schema"]
    if value_schema["type"] == "default":
        if value_schema.get("on_error", "raise") != "raise":
            return None
        value_schema = value_schema["schema"]
    validator = SchemaValidator(_with_definitions(value_schema, definitions), config)
    return functools.partial(validator.validate_python, from_attributes=True)


def field_name(index: int) -> str:
    """The name of the group model's ``index``-th field (never shown to users)."""
    return f"ferrule_{index}"


def _fields_validator(model: type[BaseModel]) -> SchemaValidator | None:
    found = _fields_schema(model)
    if found is None:
        return None
    fields_schema, definitions, config = found
    return SchemaValidator(_with_definitions(fields_schema, definitions), config)


def _fields_schema(model: type[BaseModel]) -> tuple[dict[str, Any], Any, Any] | None:
    """The model's ``model-fields`` core schema, its definitions and its config
    (``None`` if pydantic built the model's schema in another shape)."""
    schema: dict[str, Any] = dict(model.__pydantic_core_schema__)
    definitions = None
    if schema["type"] == "definitions":
        definitions = schema["definitions"]
        schema = dict(schema["schema"])
    if schema["type"] != "model" or schema["schema"]["type"] != "model-fields":
        return None
    return schema["schema"], definitions, schema.get("config")


def _with_definitions(schema: dict[str, Any], definitions: Any) -> dict[str, Any]:
    if definitions is None:
        return schema
    return {"type": "definitions", "schema": schema, "definitions": definitions}


def build_group(
    name: str, fields: Sequence[GroupField], *, arbitrary_types: bool = False
) -> GroupValidator:
    """Create the group model ``name`` with one field per ``fields`` entry.

    Raises:
        ParamConfigError: pydantic cannot build a validator for a field's type.
    """
    key = _group_key(fields, arbitrary_types)
    if key is not None:
        cached = _GROUPS.get(key)
        if cached is not None:
            return cached
    definitions: dict[str, Any] = {}
    for index, field in enumerate(fields):
        kwargs = {k: v for k, v in field.field_kwargs.items() if k not in _DROPPED}
        if field.default_factory is not None:
            kwargs["default_factory"] = field.default_factory
        elif field.default is not Undefined:
            kwargs["default"] = field.default
        definitions[field_name(index)] = (field.annotation, Field(alias=field.key, **kwargs))
    config = ConfigDict(arbitrary_types_allowed=arbitrary_types, populate_by_name=False)
    try:
        model = create_model(name, __config__=config, **definitions)
        model.model_rebuild()
        group = GroupValidator(model, {field_name(index): field.key for index, field in enumerate(fields)})
    except (PydanticSchemaGenerationError, PydanticUndefinedAnnotation, PydanticUserError) as exc:
        culprit = _find_culprit(fields, arbitrary_types)
        raise ParamConfigError(
            f"{culprit}: pydantic cannot validate this type ({exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]}); use a type pydantic supports (or a pydantic model), "
            "and make sure forward references can be resolved"
        ) from exc
    if key is not None and len(_GROUPS) < _MAX_GROUPS:
        _GROUPS[key] = group
    return group


#: Group validators by what they validate. PERF: an app's routes mostly repeat
#: the same few parameter groups (``item_id: int`` on 10,000 routes); building a
#: pydantic model is ~1 ms each, a lookup here ~2 µs. Only groups whose every
#: part is unambiguous are shared - see _group_key.
_GROUPS: dict[tuple[Any, ...], GroupValidator] = {}
_MAX_GROUPS = 4096
_SCALARS = frozenset((int, float, str, bool, type(None)))


def _group_key(fields: Sequence[GroupField], arbitrary_types: bool) -> tuple[Any, ...] | None:
    """A key equal only for groups that validate identically, or None (do not share).

    Annotations must be classes (compared by identity: a string or generic alias
    could mean different things in different modules); defaults and Field options
    must be scalars, keyed with their type (``1 == 1.0 == True``, yet a default
    comes back exactly as declared); default factories are compared by identity.
    """
    parts: list[Any] = [arbitrary_types]
    for field in fields:
        annotation = field.annotation
        if not is_class(annotation) or type(annotation) is not type and not issubclass(annotation, BaseModel):
            return None
        options = []
        for name, value in field.field_kwargs.items():
            if type(value) not in _SCALARS:
                return None
            options.append((name, type(value), value))
        default = field.default
        if default is not Undefined and type(default) not in _SCALARS:
            return None
        factory = field.default_factory
        parts.append((
            field.key,
            id(annotation),
            annotation,
            tuple(options),
            default is Undefined,
            type(default),
            default,
            id(factory),
            factory,
        ))
    return tuple(parts)


def _find_culprit(fields: Sequence[GroupField], arbitrary_types: bool) -> str:
    for field in fields:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = create_model(
                    "Probe",
                    __config__=ConfigDict(arbitrary_types_allowed=arbitrary_types),
                    ferrule_0=(field.annotation, Field()),
                )
                model.model_rebuild()
        except Exception:
            return field.what
    return ", ".join(field.what for field in fields)
