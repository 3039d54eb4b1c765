"""The parameter marker classes: ``Path``, ``Query``, ``Header``, ``Cookie``, ``Body``, ``Form``, ``File``.

Rules:

* A marker is a pydantic ``FieldInfo`` subclass (as in FastAPI's
  ``fastapi.params``), so pydantic reads its constraints, title, examples...
  and it can sit in ``Annotated[...]`` metadata or be a parameter's default.
* Each marker keeps the keyword arguments it gave to ``FieldInfo``
  (``field_kwargs``); ``compile`` rebuilds a plain pydantic ``Field`` from them
  with the request key as alias, so the pydantic model built per location never
  sees ferrule's subclass.
* Options FastAPI deprecated (``regex``, ``example``) still work (``regex``
  becomes ``pattern``) and warn ``FastAPIDeprecationWarning``, as FastAPI does.
* The common options are one ``TypedDict`` (``FieldOptions``) unpacked into
  every signature, so they are declared once (STYLE: no per-marker copies).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum
from typing import Any, Literal, TypedDict

from pydantic import AliasChoices, AliasPath, Discriminator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from typing_extensions import Unpack

from ferrule.asgi_core.exceptions import FerruleError, warn_deprecated

__all__ = [
    "Body",
    "Cookie",
    "FieldOptions",
    "File",
    "Form",
    "Header",
    "Param",
    "ParamConfigError",
    "ParamTypes",
    "Path",
    "Query",
]

Undefined: Any = PydanticUndefined


class ParamConfigError(FerruleError, ValueError):
    """An endpoint parameter is declared in a way ferrule cannot serve."""


class ParamTypes(Enum):
    """Where a non-body parameter is read from (FastAPI's name and values)."""

    query = "query"
    header = "header"
    path = "path"
    cookie = "cookie"


class FieldOptions(TypedDict, total=False):
    """The options every marker takes, with FastAPI's names and meanings.

    Attributes:
        default_factory: called to make the default when the value is absent.
        alias: the key read from the request (and shown in errors).
        alias_priority: pydantic's alias priority.
        validation_alias: the key read from the request, when it differs from ``alias``.
        serialization_alias: pydantic's serialization alias (OpenAPI only).
        title: the JSON Schema title.
        description: the JSON Schema / OpenAPI description.
        gt: the value must be greater than this.
        ge: the value must be greater than or equal to this.
        lt: the value must be less than this.
        le: the value must be less than or equal to this.
        min_length: minimum length of a string or sequence.
        max_length: maximum length of a string or sequence.
        pattern: a regular expression a string must match.
        regex: deprecated spelling of ``pattern`` (warns ``FastAPIDeprecationWarning``).
        discriminator: the discriminator of a tagged union.
        strict: strict pydantic validation for this value.
        validate_default: validate the default value too.
        union_mode: pydantic's union mode (``"smart"`` or ``"left_to_right"``).
        fail_fast: stop a sequence's validation at the first error.
        multiple_of: the number must be a multiple of this.
        allow_inf_nan: accept ``inf``/``nan`` floats.
        max_digits: maximum digits of a ``Decimal``.
        decimal_places: maximum decimal places of a ``Decimal``.
        examples: JSON Schema examples.
        example: deprecated single example (kept for OpenAPI; warns).
        openapi_examples: OpenAPI ``examples`` (name -> Example object).
        deprecated: mark the parameter deprecated in OpenAPI.
        include_in_schema: ``False`` hides the parameter from OpenAPI.
        json_schema_extra: extra JSON Schema keys, or a function editing the schema.
    """

    default_factory: Callable[[], Any] | None
    alias: str | None
    alias_priority: int | None
    validation_alias: str | AliasPath | AliasChoices | None
    serialization_alias: str | None
    title: str | None
    description: str | None
    gt: float | None
    ge: float | None
    lt: float | None
    le: float | None
    min_length: int | None
    max_length: int | None
    pattern: str | re.Pattern[str] | None
    regex: str | None
    discriminator: str | Discriminator | None
    strict: bool | None
    validate_default: bool | None
    union_mode: Literal["smart", "left_to_right"] | None
    fail_fast: bool | None
    multiple_of: float | None
    allow_inf_nan: bool | None
    max_digits: int | None
    decimal_places: int | None
    examples: list[Any] | None
    example: Any
    openapi_examples: dict[str, Any] | None
    deprecated: Any
    include_in_schema: bool
    json_schema_extra: dict[str, Any] | Callable[[dict[str, Any]], None] | None


# Options that are ferrule's/OpenAPI's own, not pydantic Field() arguments.
_OWN_OPTIONS = frozenset({"regex", "example", "openapi_examples", "include_in_schema"})


def _field_kwargs(default: Any, annotation: Any, options: FieldOptions) -> dict[str, Any]:
    """The ``FieldInfo`` keyword arguments for ``options`` (``None`` means unset, as in FastAPI)."""
    kwargs: dict[str, Any] = {}
    for key, value in options.items():
        if key in _OWN_OPTIONS or value is None:
            continue
        kwargs[key] = value
    regex = options.get("regex")
    if regex is not None and "pattern" not in kwargs:
        # COMPAT(fastapi): `regex` is the pre-pydantic-2 name of `pattern`.
        kwargs["pattern"] = regex
    alias = kwargs.get("alias")
    if isinstance(alias, str):
        kwargs.setdefault("validation_alias", alias)
        kwargs.setdefault("serialization_alias", alias)
    if default is not Undefined:
        kwargs["default"] = default
    if annotation is not None:
        kwargs["annotation"] = annotation
    return kwargs


class _MarkerMixin:
    """What ferrule's markers add to ``FieldInfo``."""

    include_in_schema: bool
    openapi_examples: dict[str, Any] | None
    example: Any
    field_kwargs: dict[str, Any]

    def _init_marker(self, default: Any, annotation: Any, options: FieldOptions) -> dict[str, Any]:
        if options.get("regex") is not None:
            warn_deprecated("`regex` has been deprecated, please use `pattern` instead")
        if "example" in options:
            warn_deprecated("`example` has been deprecated, please use `examples` instead")
        self.include_in_schema = options.get("include_in_schema", True)
        self.openapi_examples = options.get("openapi_examples")
        self.example = options.get("example", Undefined)
        kwargs = _field_kwargs(default, annotation, options)
        # What compile passes on to pydantic: never the annotation nor the default
        # (the parameter's own default wins, see fields.analyze_param).
        self.field_kwargs = {
            k: v for k, v in kwargs.items() if k not in ("annotation", "default", "default_factory")
        }
        return kwargs


class Param(_MarkerMixin, FieldInfo):  # type: ignore[misc]
    """Base class of the non-body markers; ``in_`` says where the value is read."""

    in_: ParamTypes

    def __init__(
        self,
        default: Any = Undefined,
        *,
        annotation: Any | None = None,
        **options: Unpack[FieldOptions],
    ) -> None:
        kwargs = self._init_marker(default, annotation, options)
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.default})"


class Path(Param):  # type: ignore[misc]
    """A path parameter; always required."""

    in_ = ParamTypes.path

    def __init__(
        self,
        default: Any = ...,
        *,
        annotation: Any | None = None,
        **options: Unpack[FieldOptions],
    ) -> None:
        if default is not ... and default is not Undefined:
            raise ParamConfigError(
                f"Path() got the default {default!r}: path parameters are always "
                "present in the URL, so they cannot have a default; remove it"
            )
        super().__init__(..., annotation=annotation, **options)


class Query(Param):  # type: ignore[misc]
    """A query-string parameter."""

    in_ = ParamTypes.query


class Header(Param):  # type: ignore[misc]
    """A request header; ``convert_underscores`` reads ``x_token`` from ``x-token``."""

    in_ = ParamTypes.header

    def __init__(
        self,
        default: Any = Undefined,
        *,
        annotation: Any | None = None,
        convert_underscores: bool = True,
        **options: Unpack[FieldOptions],
    ) -> None:
        self.convert_underscores = convert_underscores
        super().__init__(default, annotation=annotation, **options)


class Cookie(Param):  # type: ignore[misc]
    """A cookie."""

    in_ = ParamTypes.cookie


class Body(_MarkerMixin, FieldInfo):  # type: ignore[misc]
    """A request body value (JSON by default).

    Args:
        embed: read the value from a key named after the parameter even when
            it is the only body parameter.
        media_type: the media type OpenAPI shows for the body.
    """

    def __init__(
        self,
        default: Any = Undefined,
        *,
        annotation: Any | None = None,
        embed: bool | None = None,
        media_type: str = "application/json",
        **options: Unpack[FieldOptions],
    ) -> None:
        self.embed = embed
        self.media_type = media_type
        kwargs = self._init_marker(default, annotation, options)
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.default})"


class Form(Body):  # type: ignore[misc]
    """A form field (``application/x-www-form-urlencoded`` or multipart)."""

    def __init__(
        self,
        default: Any = Undefined,
        *,
        annotation: Any | None = None,
        media_type: str = "application/x-www-form-urlencoded",
        **options: Unpack[FieldOptions],
    ) -> None:
        super().__init__(default, annotation=annotation, media_type=media_type, **options)


class File(Form):  # type: ignore[misc]
    """An uploaded file of a ``multipart/form-data`` body."""

    def __init__(
        self,
        default: Any = Undefined,
        *,
        annotation: Any | None = None,
        media_type: str = "multipart/form-data",
        **options: Unpack[FieldOptions],
    ) -> None:
        super().__init__(default, annotation=annotation, media_type=media_type, **options)
