"""Request parameters: what one endpoint parameter reads, and where from (startup only).

``analyze_param`` applies FastAPI's inference rules to one parameter:

1. A name that appears in the path template is a path parameter; any marker
   other than ``Path()`` on it is an error.
2. An explicit marker wins: in ``Annotated[T, Query(...)]`` (the last marker
   in the metadata) or as the default value (``q: int = Query(3)``), not both.
   In the ``Annotated`` style the default comes from ``= value``.
3. Without a marker: ``UploadFile`` (or a sequence of them) is ``File()``;
   a complex type (pydantic model, dataclass, mapping, sequence, see
   ``_typing``) is ``Body()``; anything else is ``Query()``.
4. A pydantic model with ``Query()``/``Header()``/``Cookie()`` is a
   *parameter model*: its fields are read from that location.
5. The request key (``alias``) is the marker's ``validation_alias`` or
   ``alias``, else the name; for headers with ``convert_underscores`` (the
   default) ``_`` becomes ``-``.

Misconfiguration raises ``ParamConfigError`` naming the parameter and its owner.
``Depends``/``Security`` and special injectables (``Request``...) are
classified by ``di`` before it calls ``analyze_param``.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, get_args, get_origin

from pydantic import AliasChoices, Json
from pydantic.fields import FieldInfo

from ferrule.asgi_core.forms import UploadFile as _BaseUploadFile

from . import _typing
from ._v1 import refuse_v1_model
from .params import Body, Cookie, File, Form, Header, Param, ParamConfigError, Path, Query, Undefined
from .uploads import UploadFile

__all__ = ["ParamConfigError", "ParamField", "ParamLocation", "analyze_param"]


class ParamLocation(str, Enum):
    """Where a parameter's value comes from (form and file fields are ``body``)."""

    path = "path"
    query = "query"
    header = "header"
    cookie = "cookie"
    body = "body"


_LOCATION_OF_MARKER: dict[type[FieldInfo], ParamLocation] = {
    Path: ParamLocation.path,
    Query: ParamLocation.query,
    Header: ParamLocation.header,
    Cookie: ParamLocation.cookie,
}

_EMPTY = (inspect.Parameter.empty, Undefined)


@dataclass(frozen=True, slots=True)
class ParamField:
    """One request parameter of an endpoint (or of one of its dependencies).

    Attributes:
        name: the Python parameter name.
        alias: the key read from the request (also the last item of error locs).
        annotation: the declared type, marker stripped (other ``Annotated``
            metadata kept).
        field_info: the marker (a ``Param``/``Body`` subclass), with the
            parameter's default.
        location: where the value is read.
        owner: the callable declaring it, for error messages.
    """

    name: str
    alias: str
    annotation: Any
    field_info: FieldInfo
    location: ParamLocation
    owner: str

    @property
    def required(self) -> bool:
        """True when the parameter has neither a default nor a default factory."""
        return bool(self.field_info.is_required())

    @property
    def default(self) -> Any:
        """The default value (``Undefined`` when required; the factory is called)."""
        if self.field_info.is_required():
            return Undefined
        return self.field_info.get_default(call_default_factory=True)

    @property
    def param_model(self) -> Any:
        """The pydantic model of a parameter model (FastAPI's), else ``None``."""
        if not isinstance(self.field_info, (Query, Header, Cookie)) or is_json(self.annotation):
            return None
        return _typing.model_of(self.annotation)

    @property
    def is_form(self) -> bool:
        """Read from a form body (``Form()``/``File()``)."""
        return isinstance(self.field_info, Form)


def is_json(annotation: Any) -> bool:
    """Whether ``annotation`` is ``Json[...]`` (a string decoded as JSON, never a list of keys)."""
    if get_origin(annotation) is not Annotated:
        return False
    return any(type(meta) is Json or meta is Json for meta in get_args(annotation)[1:])


def _error(name: str, owner: str, message: str) -> ParamConfigError:
    return ParamConfigError(f"parameter {name!r} of {owner}: {message}")


def _split_annotated(annotation: Any) -> tuple[Any, Any, FieldInfo | None]:
    """``(annotation without markers, bare type, last marker)`` of a parameter annotation."""
    if get_origin(annotation) is not Annotated:
        return annotation, annotation, None
    base, *metadata = get_args(annotation)
    markers = [meta for meta in metadata if isinstance(meta, (Param, Body))]
    others = [meta for meta in metadata if not isinstance(meta, (Param, Body))]
    kept = Annotated[tuple([base, *others])] if others else base
    return kept, _typing.strip_annotated(base), markers[-1] if markers else None


def analyze_param(
    name: str,
    annotation: Any,
    default: Any,
    *,
    path_param_names: frozenset[str],
    owner: str,
) -> ParamField:
    """Classify one endpoint parameter (FastAPI's rules, see the module docstring).

    Args:
        name: the parameter name.
        annotation: its annotation (``inspect.Parameter.empty`` for none).
        default: its default (``inspect.Parameter.empty`` for none).
        path_param_names: the names in the route's path template.
        owner: the declaring callable, e.g. ``"read_item (app/items.py:12)"``.

    Returns:
        The ``ParamField``.

    Raises:
        ParamConfigError: the declaration is invalid (what, why, how to fix).
    """
    if annotation is inspect.Parameter.empty:
        annotation = Any
    refuse_v1_model(annotation, f"parameter {name!r} of {owner}")
    type_value = getattr(annotation, "__value__", None)
    if type_value is not None and type(annotation).__name__ == "TypeAliasType":
        annotation = type_value
    is_path = name in path_param_names
    has_default = default not in _EMPTY if not isinstance(default, FieldInfo) else True
    kept, bare, marker = _split_annotated(annotation)

    if marker is not None:
        if not marker.is_required() and marker.default_factory is None:
            raise _error(
                name,
                owner,
                f"`{type(marker).__name__}` default value cannot be set in `Annotated`; "
                "set the default with `=` instead (`q: Annotated[int, Query()] = 3`)",
            )
        if isinstance(default, FieldInfo):
            raise _error(
                name,
                owner,
                "a marker is given both in `Annotated` and as the default value; keep one of them",
            )
        marker = copy.copy(marker)
        if has_default:
            if is_path:
                raise _error(name, owner, "path parameters cannot have a default value; remove it")
            marker.default = default
    elif isinstance(default, FieldInfo):
        if not isinstance(default, (Param, Body)):
            raise _error(
                name,
                owner,
                "pydantic's Field() cannot declare a request parameter; use Query(), Path(), "
                "Header(), Cookie(), Body(), Form() or File() from ferrule instead",
            )
        marker = copy.copy(default)
    else:
        value = default if has_default else Undefined
        if is_path:
            marker = Path()
        elif _typing.is_upload(bare) or _typing.is_upload_sequence(bare):
            marker = File(value)
        elif not _typing.is_scalar(bare):
            marker = Body(value)
        else:
            marker = Query(value)

    if is_path and not isinstance(marker, Path):
        raise _error(
            name,
            owner,
            f"{name!r} is in the path template, so it is a path parameter: it cannot use "
            f"`{type(marker).__name__}()`; use `Path()` or rename the parameter",
        )
    path_alias = _path_alias(marker, path_param_names) if isinstance(marker, Path) and not is_path else None
    if isinstance(marker, Path) and not is_path and path_alias is None:
        named = " or ".join(f"{{{n}}}" for n in dict.fromkeys([name, *_alias_names(marker)]))
        raise _error(
            name,
            owner,
            f"declared with `Path()` but the path template has no {named}; "
            "add it to the path, give `Path(alias=...)` the template's name, or use another marker",
        )
    if isinstance(marker, Path) and not _typing.is_scalar(bare):
        raise _error(
            name,
            owner,
            f"path parameters must be scalars (str, int, float, bool, UUID, Enum, ...), got {bare!r}",
        )
    if isinstance(marker, Query) and not (
        _typing.is_scalar(bare) or _typing.is_scalar_sequence(bare) or _typing.model_of(bare) is not None
    ):
        raise _error(
            name,
            owner,
            f"query parameters must be scalars, sequences of scalars or a pydantic model, got {bare!r}; "
            "use Body() to read it from the request body",
        )

    validation_alias = marker.validation_alias
    if path_alias is not None:
        # COMPAT(fastapi): a path parameter found by its alias (or the AliasChoices
        # choice that is in the template) instead of its Python name.
        validation_alias = path_alias
    if validation_alias is not None and not isinstance(validation_alias, str):
        if isinstance(marker, Param):
            raise _error(
                name,
                owner,
                f"validation_alias={validation_alias!r} is not supported for "
                f"`{type(marker).__name__}()`; give a single string alias",
            )
        validation_alias = None
    if validation_alias:
        alias = validation_alias
    elif marker.alias:
        alias = marker.alias
    elif isinstance(marker, Header) and marker.convert_underscores:
        alias = name.replace("_", "-")
    else:
        alias = name
    location = _LOCATION_OF_MARKER.get(type(marker)) if isinstance(marker, Param) else ParamLocation.body
    if location is None:
        location = _location_of_subclass(marker)
    # The parser's UploadFile has no pydantic schema: validate with the pydantic-aware subclass.
    kept = _typing.replace_type(kept, _BaseUploadFile, UploadFile)
    return ParamField(
        name=name, alias=alias, annotation=kept, field_info=marker, location=location, owner=owner
    )


def _alias_names(marker: FieldInfo) -> list[str]:
    """Every name a marker may be read by: ``validation_alias`` (each string choice), ``alias``."""
    names: list[str] = []
    validation_alias = marker.validation_alias
    if isinstance(validation_alias, str):
        names.append(validation_alias)
    elif isinstance(validation_alias, AliasChoices):
        names.extend(choice for choice in validation_alias.choices if isinstance(choice, str))
    if marker.alias:
        names.append(marker.alias)
    return names


def _path_alias(marker: FieldInfo, path_param_names: frozenset[str]) -> str | None:
    """The template name a ``Path()`` parameter is read by, through its aliases (None: none is)."""
    for alias in _alias_names(marker):
        if alias in path_param_names:
            return alias
    return None


def _location_of_subclass(marker: FieldInfo) -> ParamLocation:
    for cls, location in _LOCATION_OF_MARKER.items():
        if isinstance(marker, cls):
            return location
    return ParamLocation.query
