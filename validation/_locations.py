"""Validating the path, query, header and cookie parameters of one endpoint.

Rules (FastAPI's, reimplemented; checked against FastAPI's own 422 outputs in
``tests/validation``):

* One pydantic validation per location: ferrule builds a ``dict`` from the
  request with precomputed keys and validates it against the location's group
  model (``_models``). Absent keys are left out, so pydantic applies the
  default or reports ``missing``.
* Scalars read one value: the LAST of repeated query keys, the FIRST of
  repeated headers (Starlette's multi-dicts). Sequences read every value
  (``getlist``); an empty list counts as absent. Cookies are a plain mapping.
* A parameter model (``Annotated[Model, Query()]``) is one field of the group
  whose input is a sub-dict: its fields' values (headers looked up by
  ``convert_underscores`` name) plus every other key of the location
  (FastAPI passes those as extras, so ``extra="forbid"`` rejects them). When
  the model ignores extras they are only gathered after a failure, to show
  FastAPI's ``input`` in the errors.
* Errors: ``loc`` gets the location in front; an absent parameter's
  ``missing`` error has ``input: None``; a parameter model's own key is
  dropped from ``loc`` (``["query", "limit"]``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from ferrule.asgi_core.request import HTTPConnection
from ferrule.asgi_core.url import parse_query_last, parse_query_string

from . import _typing
from ._models import GroupField, GroupValidator, build_group
from .fields import ParamConfigError, ParamField, ParamLocation, is_json

__all__ = ["LocationValidator", "compile_location", "contiguous", "store"]

Collect = Callable[[HTTPConnection, bool], Any]


@dataclass(frozen=True, slots=True)
class _ModelSpec:
    """How to gather one parameter model's sub-dict."""

    key: str
    model: type[BaseModel]
    optional: bool
    # (key in the sub-dict, request key, request key as lowercase bytes, read a list)
    fields: tuple[tuple[str, str, bytes, bool], ...]
    processed: frozenset[str]
    own_names: frozenset[str]
    keeps_extras: bool
    header_aliases: dict[str, str]


@dataclass(slots=True, eq=False)
class LocationValidator:
    """The compiled validator of one location of one endpoint."""

    location: ParamLocation
    indices: tuple[int, ...]
    group: GroupValidator
    collect: Collect
    models: dict[str, _ModelSpec]
    rename: dict[str, str]
    _lazy_extras: bool = dataclasses.field(init=False)
    _span: slice | None = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self._lazy_extras = any(not spec.keeps_extras for spec in self.models.values())
        self._span = contiguous(self.indices)

    def run(self, conn: HTTPConnection, out: list[Any]) -> list[dict[str, Any]] | None:
        """Validate this location into ``out`` (by field index); return the errors, if any."""
        try:
            result = self.group.validate(self.collect(conn, False))[0]
        except ValidationError as exc:
            return self._errors(conn, exc)
        store(out, self._span, self.indices, result.values())
        return None

    def _errors(self, conn: HTTPConnection, exc: ValidationError) -> list[dict[str, Any]]:
        if self._lazy_extras:
            try:
                self.group.validate(self.collect(conn, True))
            except ValidationError as full:
                exc = full
        prefix = (self.location.value,)
        errors: list[dict[str, Any]] = []
        for error in exc.errors(include_url=False):
            loc: tuple[Any, ...] = error["loc"]
            if loc and loc[0] in self.group.keys:
                loc = (self.group.keys[loc[0]], *loc[1:])
            spec = self.models.get(loc[0]) if loc else None
            if spec is not None:
                loc = loc[1:]
                if not loc:
                    if error["type"] == "missing":
                        error["input"] = None
                elif loc[0] in spec.header_aliases:
                    loc = (spec.header_aliases[loc[0]], *loc[1:])
            else:
                if loc and loc[0] in self.rename:
                    loc = (self.rename[loc[0]], *loc[1:])
                if len(loc) == 1 and error["type"] == "missing":
                    error["input"] = None
            error["loc"] = prefix + loc
            errors.append(dict(error))
        return errors


def contiguous(indices: tuple[int, ...]) -> slice | None:
    """``slice(a, b)`` when ``indices`` is ``a, a+1, ..., b-1`` (values are then stored with one slice assignment)."""
    if indices and indices == tuple(range(indices[0], indices[0] + len(indices))):
        return slice(indices[0], indices[0] + len(indices))
    return None


def store(out: list[Any], span: slice | None, indices: tuple[int, ...], values: Iterable[Any]) -> None:
    """Put one group's validated ``values`` at its fields' ``indices`` in ``out``.

    PERF: one slice assignment when the indices are consecutive (``span``, from ``contiguous``).
    """
    if span is not None:
        out[span] = values
    else:
        for index, value in zip(indices, values):
            out[index] = value


def compile_location(
    location: ParamLocation, items: Sequence[tuple[int, ParamField]], *, name: str
) -> LocationValidator:
    """Build the validator of one location from its ``(index in fields, field)`` pairs."""
    group_fields: list[GroupField] = []
    scalars: list[tuple[str, str]] = []
    sequences: list[tuple[str, str]] = []
    models: dict[str, _ModelSpec] = {}
    rename: dict[str, str] = {}
    shapes: dict[str, bool] = {}
    for position, (_, field) in enumerate(items):
        model = field.param_model
        if model is not None and location is not ParamLocation.path:
            key = f"\x00model{position}"
            models[key] = _model_spec(key, field, model, location)
        else:
            key = field.alias
            sequence = (
                location in (ParamLocation.query, ParamLocation.header)
                and not is_json(field.annotation)
                and _typing.is_sequence(field.annotation)
            )
            if shapes.setdefault(key, sequence) is not sequence:
                # Same key read as a scalar by one parameter and a list by another.
                key = f"{field.alias}\x00{position}"
                rename[key] = field.alias
            (sequences if sequence else scalars).append((key, field.alias))
        group_fields.append(GroupField.of_param(key, field, "parameter"))
    group = build_group(f"{name}_{location.value}", group_fields)
    if models:
        collect = _general_collector(location, tuple(scalars), tuple(sequences), tuple(models.values()))
    else:
        collect = _collector(location, tuple(scalars), tuple(sequences))
    return LocationValidator(location, tuple(i for i, _ in items), group, collect, models, rename)


def _model_spec(key: str, field: ParamField, model: type[BaseModel], location: ParamLocation) -> _ModelSpec:
    default_convert = getattr(field.field_info, "convert_underscores", True)
    entries: list[tuple[str, str, bytes, bool]] = []
    processed: set[str] = set()
    own: set[str] = set()
    header_aliases: dict[str, str] = {}
    for field_name, info in model.model_fields.items():
        validation_alias = info.validation_alias
        if validation_alias is not None and not isinstance(validation_alias, str):
            raise ParamConfigError(
                f"field {field_name!r} of parameter model {model.__name__} ({field.owner}): "
                f"validation_alias={validation_alias!r} is not supported in a "
                f"{location.value} parameter model; use a single string alias"
            )
        alias = validation_alias or info.alias or field_name
        request_key = alias
        is_header = location is ParamLocation.header
        if is_header and alias == field_name and getattr(info, "convert_underscores", default_convert):
            request_key = alias.replace("_", "-")
        sequence = location is not ParamLocation.cookie and _typing.is_sequence(info.annotation)
        entries.append((alias, request_key, request_key.lower().encode("latin-1"), sequence))
        if is_header:
            processed.add(request_key.lower())
            processed.add(alias.lower())
            own.add(request_key.lower())
            if alias != request_key:
                header_aliases[field_name] = request_key
        else:
            processed.add(request_key)
            own.add(request_key)
    extra = model.model_config.get("extra")
    return _ModelSpec(
        key=key,
        model=model,
        optional=_typing.strip_annotated(field.annotation) is not model,
        fields=tuple(entries),
        processed=frozenset(processed),
        own_names=frozenset(own),
        keeps_extras=extra in ("allow", "forbid"),
        header_aliases=header_aliases,
    )


def _collector(
    location: ParamLocation, scalars: tuple[tuple[str, str], ...], sequences: tuple[tuple[str, str], ...]
) -> Collect:
    """The function building the input dict of a location without parameter models
    (``_general_collector`` serves those), chosen once per location."""
    if location is ParamLocation.path:
        return _collect_path
    if location is ParamLocation.cookie:
        return _collect_cookies
    if location is ParamLocation.query:
        # PERF: bench `query` - read scope["query_string"] directly (same rules as
        # QueryParams, see asgi_core.url) instead of building conn.query_params.
        if not any(key != request_key for key, request_key in scalars + sequences):
            if not sequences:

                def collect_query_last(conn: HTTPConnection, _extras: bool) -> dict[str, Any]:
                    # The last value of every key; the group model ignores the others.
                    return parse_query_last(conn.scope.get("query_string", b""))

                return collect_query_last

            def collect_query_direct(conn: HTTPConnection, _extras: bool) -> dict[str, Any]:
                pairs = _query_pairs(conn)
                data: dict[str, Any] = dict(pairs)
                for key, _ in sequences:
                    if key in data:
                        data[key] = [v for k, v in pairs if k == key]
                return data

            return collect_query_direct

        def collect_query(conn: HTTPConnection, _extras: bool) -> dict[str, Any]:
            pairs = _query_pairs(conn)
            last = dict(pairs)
            data: dict[str, Any] = {}
            for key, request_key in scalars:
                if request_key in last:
                    data[key] = last[request_key]
            for key, request_key in sequences:
                if request_key in last:
                    data[key] = [v for k, v in pairs if k == request_key]
            return data

        return collect_query
    raw_scalars = tuple((key, request_key.lower().encode("latin-1")) for key, request_key in scalars)

    def collect_headers(conn: HTTPConnection, _extras: bool) -> dict[str, Any]:
        headers = conn.headers
        data: dict[str, Any] = {}
        get_raw = headers.get_raw
        for key, raw_key in raw_scalars:
            raw = get_raw(raw_key)
            if raw is not None:
                data[key] = raw.decode("latin-1")
        for key, request_key in sequences:
            values = headers.getlist(request_key)
            if values:
                data[key] = values
        return data

    return collect_headers


def _query_pairs(conn: HTTPConnection) -> list[tuple[str, str]]:
    raw: bytes = conn.scope.get("query_string", b"")
    return parse_query_string(raw.decode("utf-8", "replace")) if raw else []


def _collect_path(conn: HTTPConnection, _extras: bool) -> Any:
    return conn.path_params


def _collect_cookies(conn: HTTPConnection, _extras: bool) -> Any:
    return conn.cookies


def _source(conn: HTTPConnection, location: ParamLocation) -> Any:
    if location is ParamLocation.query:
        return conn.query_params
    if location is ParamLocation.header:
        return conn.headers
    if location is ParamLocation.cookie:
        return conn.cookies
    return conn.path_params


def _general_collector(
    location: ParamLocation,
    scalars: tuple[tuple[str, str], ...],
    sequences: tuple[tuple[str, str], ...],
    models: tuple[_ModelSpec, ...],
) -> Collect:
    def collect(conn: HTTPConnection, with_extras: bool) -> dict[str, Any]:
        source = _source(conn, location)
        data: dict[str, Any] = {}
        for key, request_key in scalars:
            value = source.get(request_key)
            if value is not None:
                data[key] = value
        for key, request_key in sequences:
            values = source.getlist(request_key)
            if values:
                data[key] = values
        for spec in models:
            sub = _model_input(spec, source, location, with_extras or spec.keeps_extras)
            if sub is not None:
                data[spec.key] = sub
        return data

    return collect


def _model_input(spec: _ModelSpec, source: Any, location: ParamLocation, with_extras: bool) -> dict[str, Any] | None:
    sub: dict[str, Any] = {}
    for key, request_key, _, sequence in spec.fields:
        if sequence:
            values = source.getlist(request_key)
            if values:
                sub[key] = values
        else:
            value = source.get(request_key)
            if value is not None:
                sub[key] = value
    if with_extras:
        sub.update(_extras(source, location, spec.processed))
    if spec.optional:
        names = {name.lower() for name in source} if location is ParamLocation.header else set(source)
        if not (spec.own_names & names or (spec.keeps_extras and sub)):
            return None
    return sub


def _extras(source: Any, location: ParamLocation, processed: frozenset[str]) -> dict[str, Any]:
    if location is ParamLocation.query:
        pairs: list[tuple[str, Any]] = source.multi_items()
    elif location is ParamLocation.header:
        pairs = source.items()
    else:
        return {key: value for key, value in source.items() if key not in processed}
    grouped: dict[str, list[Any]] = {}
    for key, value in pairs:
        if key not in processed:
            grouped.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}
