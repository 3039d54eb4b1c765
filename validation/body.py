"""Reading and validating the request body of one endpoint.

Reading (once per request, FastAPI's rules):

* Form bodies: when any body parameter is ``Form()``/``File()``, the body is
  parsed with ``Request.form(limits=...)``. A body of another media type
  gives an empty form (COMPAT(fastapi): Starlette ignores it), so required
  fields are reported ``missing``.
* Otherwise the bytes are read; an empty body is *absent*. JSON is decoded
  when the media type is ``application/json`` or ``application/*+json``
  (parameters and case ignored). With no ``Content-Type``, the body is
  decoded as JSON only when ``strict_content_type`` is off. Any other body
  stays ``bytes`` and is validated as such (which yields FastAPI's 422).
* Decoding and the JSON refusal policy: ``json_body.py``.
* Size: ``RequestConfig.max_body_size`` is set on the request before reading;
  ``asgi_core`` raises ``PayloadTooLargeError`` (413).

Shapes (FastAPI's ``embed`` rules): one body parameter that is not embedded
is the whole body (``loc: ["body", ...]``). Several parameters, ``embed=True``
or form fields are keys of one object (``loc: ["body", "<alias>", ...]``); a
JSON body that is not an object then makes every one of them ``missing``. A
single ``Form()`` pydantic model reads its fields from the form directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from ferrule.asgi_core.exceptions import UnsupportedMediaTypeError
from ferrule.asgi_core.forms import FormData, FormLimits, UploadFile
from ferrule.asgi_core.request import Request

from . import _typing
from ._locations import contiguous, store
from ._models import GroupField, GroupValidator, build_group, present_value_validator
from .errors import EndpointContext, missing_error
from .fields import ParamField, is_json
from .json_body import decode_json, is_json_media_type
from .params import Body, Form

__all__ = ["BodyValidator", "UNDEFINED", "compile_body", "should_embed"]


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final[Any] = _Undefined()
"""The body was absent (empty)."""

_SINGLE_KEY: Final = "\x00body"

# Form field kinds.
_SCALAR, _SEQUENCE, _BYTES, _BYTES_SEQUENCE = 0, 1, 2, 3


def _is_form_model(field: ParamField) -> tuple[type[BaseModel], ...] | None:
    """The model(s) a ``Form()`` parameter reads the whole form into: ``Model``,
    ``Model | None`` or a union of models (``A | B``, COMPAT(fastapi): validated
    as that union, the form keys of every member collected), else ``None``."""
    info = field.field_info
    if not isinstance(info, Form) or info.embed or is_json(field.annotation):
        return None
    model = _typing.model_of(field.annotation)
    if model is not None:
        return (model,)
    union = _typing.union_members(field.annotation)
    if union is None:
        return None
    members = [_typing.strip_annotated(arg) for arg in union if arg is not type(None)]
    if all(_typing.is_class(member) and issubclass(member, BaseModel) for member in members):
        return tuple(members)
    return None


def should_embed(fields: Sequence[ParamField]) -> bool:
    """Whether the body is an object keyed by parameter alias (FastAPI's rule)."""
    if not fields:
        return False
    if len({field.name for field in fields}) > 1:
        return True
    first = fields[0]
    if _is_form_model(first) is not None and any(
        _is_form_model(other) is None or other.annotation is not first.annotation for other in fields[1:]
    ):
        return True
    if getattr(first.field_info, "embed", None):
        return True
    return isinstance(first.field_info, Form) and _is_form_model(first) is None


@dataclass(frozen=True, slots=True)
class _FormModel:
    key: str
    optional: bool
    fields: tuple[tuple[str, bool], ...]
    own_names: frozenset[str]
    keeps_extras: bool


@dataclass(slots=True, eq=False)
class BodyValidator:
    """Reads and validates the body of one endpoint (built by ``compile_body``)."""

    fields: tuple[ParamField, ...]
    """The body parameters."""
    indices: tuple[int, ...]
    """Where each parameter's value goes in the endpoint's values list."""
    group: GroupValidator
    _: KW_ONLY
    embed: bool
    """The body is an object keyed by parameter alias (else it is the one parameter)."""
    is_form: bool
    """The body is read as a form (urlencoded or multipart), not as JSON."""
    media_type: str
    """The media type OpenAPI shows."""
    strict_content_type: bool
    """Decode JSON only when ``Content-Type`` says JSON."""
    max_body_size: int | None
    form_limits: FormLimits
    endpoint_ctx: EndpointContext | None
    form_fields: tuple[tuple[str, str, int], ...]
    """``(group key, form field name, kind)`` of each plain form field."""
    form_models: dict[str, _FormModel]
    """The ``Form()`` pydantic model parameters, by group key."""
    rename: dict[str, str]
    """Group key -> the alias shown in error locations."""
    _span: slice | None = dataclasses.field(init=False)
    _present: Callable[[Any], Any] | None = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self._span = contiguous(self.indices)
        # The whole body is one parameter: a present body is validated alone.
        single = not self.embed and not self.is_form and len(self.fields) == 1
        self._present = present_value_validator(self.group) if single else None

    async def read(self, request: Request) -> Any:
        """The body as validation sees it: decoded JSON, ``FormData``, ``bytes`` or ``UNDEFINED``."""
        request.max_body_size = self.max_body_size
        if self.is_form:
            try:
                return await request.form(limits=self.form_limits)
            except UnsupportedMediaTypeError:
                return FormData()
        raw = await request.body()
        if not raw:
            return UNDEFINED
        content_type = request.raw_content_type
        if content_type == b"application/json":
            pass
        elif not content_type:
            if self.strict_content_type:
                return raw
        elif not is_json_media_type(content_type):
            return raw
        return decode_json(raw, self.endpoint_ctx)

    def run(self, body: Any, out: list[Any]) -> list[dict[str, Any]] | None:
        """Validate a JSON (or raw) ``body`` into ``out`` (by field index); return the errors, if any."""
        if not self.embed:
            present = self._present
            if present is not None and body is not UNDEFINED:
                try:
                    out[self.indices[0]] = present(body)
                except ValidationError as exc:
                    return _body_errors(exc)
                return None
            data: Any = {} if body is UNDEFINED else dict.fromkeys(self.group.keys.values(), body)
        elif type(body) is dict:
            data = body
        elif body is UNDEFINED or isinstance(body, bytes):
            data = {}
        else:
            # COMPAT(fastapi): a JSON body that is not an object has none of the keys.
            return [missing_error(("body", field.alias)) for field in self.fields]
        return self._validate_into(data, out)

    async def run_form(self, body: Any, out: list[Any]) -> list[dict[str, Any]] | None:
        """Validate a form ``body`` into ``out`` (by field index); return the errors, if any."""
        data = await self._form_input(body if isinstance(body, FormData) else FormData())
        return self._validate_into(data, out)

    def _validate_into(self, data: Any, out: list[Any]) -> list[dict[str, Any]] | None:
        try:
            result = self.group.validate(data)[0]
        except ValidationError as exc:
            return self._errors(exc)
        store(out, self._span, self.indices, result.values())
        return None

    def _errors(self, exc: ValidationError) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        keys = self.group.keys
        for error in exc.errors(include_url=False):
            loc: tuple[Any, ...] = error["loc"]
            if loc and loc[0] in keys:
                loc = (keys[loc[0]], *loc[1:])
            if loc and loc[0] in self.rename:
                loc = (self.rename[loc[0]], *loc[1:])
            if loc and (loc[0] == _SINGLE_KEY or loc[0] in self.form_models):
                loc = loc[1:]
                if not loc and error["type"] == "missing":
                    error["input"] = None
            elif len(loc) == 1 and error["type"] == "missing":
                error["input"] = None
            error["loc"] = ("body", *loc)
            errors.append(dict(error))
        return errors

    async def _form_input(self, form: FormData) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, alias, kind in self.form_fields:
            value = await _form_value(form, alias, kind)
            if value is not UNDEFINED:
                data[key] = value
        for spec in self.form_models.values():
            if spec.optional and not (
                spec.own_names.intersection(form) or (spec.keeps_extras and len(form) > 0)
            ):
                continue
            sub: dict[str, Any] = {}
            for alias, sequence in spec.fields:
                value = await _form_value(form, alias, _SEQUENCE if sequence else _SCALAR)
                if value is not UNDEFINED:
                    sub[alias] = value
            grouped: dict[str, list[Any]] = {}
            for name, item in form.multi_items():
                if name not in spec.own_names:
                    grouped.setdefault(name, []).append(item)
            for name, items in grouped.items():
                sub[name] = items[0] if len(items) == 1 else items
            data[spec.key] = sub
        return data


def _body_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """The errors of a whole-body parameter, located under ``"body"``."""
    errors = exc.errors(include_url=False)
    for error in errors:
        error["loc"] = ("body", *error["loc"])
    return errors  # type: ignore[return-value]


def _empty_upload(value: Any) -> bool:
    # Browsers send an empty filename and no content when no file was chosen.
    return isinstance(value, UploadFile) and value.filename == "" and value.size == 0


async def _read_upload(upload: UploadFile) -> bytes:
    # Read without moving the position, so another parameter can read it too.
    position = upload.file.tell()
    try:
        return await upload.read()
    finally:
        await upload.seek(position)


async def _form_value(form: FormData, alias: str, kind: int) -> Any:
    if kind == _SEQUENCE or kind == _BYTES_SEQUENCE:
        values: list[Any] = [item for item in form.getlist(alias) if not _empty_upload(item)]
        if not values:
            return UNDEFINED
        if kind == _BYTES_SEQUENCE:
            values = [await _read_upload(v) if isinstance(v, UploadFile) else v for v in values]
        return values
    value = form.get(alias)
    if value is None or value == "" or _empty_upload(value):
        return UNDEFINED
    if kind == _BYTES and isinstance(value, UploadFile):
        return await _read_upload(value)
    return value


def _body_media_type(fields: Sequence[ParamField], embed: bool) -> str:
    """The media type OpenAPI shows for the body (FastAPI's choice)."""
    if not embed:
        return str(getattr(fields[0].field_info, "media_type", "application/json"))
    from .params import File

    infos = [field.field_info for field in fields]
    if any(isinstance(info, File) for info in infos):
        return "multipart/form-data"
    kind: type[Body] = Form if any(isinstance(info, Form) for info in infos) else Body
    types = [str(info.media_type) for info in infos if isinstance(info, kind)]
    if kind is Form and "multipart/form-data" in types:
        return "multipart/form-data"
    if len(set(types)) == 1:
        return types[0]
    return "application/x-www-form-urlencoded" if kind is Form else "application/json"


def compile_body(
    items: Sequence[tuple[int, ParamField]],
    *,
    name: str,
    strict_content_type: bool,
    max_body_size: int | None,
    form_limits: FormLimits,
    endpoint_ctx: EndpointContext | None,
) -> BodyValidator:
    """Build the body validator from the body parameters' ``(index in fields, field)`` pairs."""
    fields = tuple(field for _, field in items)
    embed = should_embed(fields)
    is_form = any(isinstance(field.field_info, Form) for field in fields)
    group_fields: list[GroupField] = []
    form_fields: list[tuple[str, str, int]] = []
    form_models: dict[str, _FormModel] = {}
    rename: dict[str, str] = {}
    for position, field in enumerate(fields):
        model = _is_form_model(field) if is_form else None
        if model is not None:
            key = f"\x00form{position}"
            form_models[key] = _form_model(key, field, model)
        elif not embed:
            # One name, so the whole body is the value; several parameters of that name
            # (an endpoint and its dependency both declaring `item: Item`) each get it.
            key = _SINGLE_KEY if position == 0 else f"{_SINGLE_KEY}\x00{position}"
            if position:
                rename[key] = _SINGLE_KEY
        else:
            key = field.alias
            if is_form:
                if any(used == key for used, _, _ in form_fields):
                    # Two parameters read the same form key (as bytes and as UploadFile, say).
                    key = f"{field.alias}\x00{position}"
                    rename[key] = field.alias
                form_fields.append((key, field.alias, _form_kind(field)))
        group_fields.append(GroupField.of_param(key, field, "body parameter"))
    group = build_group(f"{name}_body", group_fields, arbitrary_types=is_form)
    return BodyValidator(
        fields,
        tuple(index for index, _ in items),
        group,
        embed=embed,
        is_form=is_form,
        media_type=_body_media_type(fields, embed),
        strict_content_type=strict_content_type,
        max_body_size=max_body_size,
        form_limits=form_limits,
        endpoint_ctx=endpoint_ctx,
        form_fields=tuple(form_fields),
        form_models=form_models,
        rename=rename,
    )


def _form_kind(field: ParamField) -> int:
    from .params import File

    sequence = not is_json(field.annotation) and _typing.is_sequence(field.annotation)
    if isinstance(field.field_info, File):
        if _typing.is_bytes_or_optional_bytes(field.annotation):
            return _BYTES
        if _typing.is_bytes_sequence(field.annotation):
            return _BYTES_SEQUENCE
    return _SEQUENCE if sequence else _SCALAR


def _form_model(key: str, field: ParamField, models: tuple[type[BaseModel], ...]) -> _FormModel:
    sequences: dict[str, bool] = {}
    for model in models:
        for field_name, info in model.model_fields.items():
            alias = info.validation_alias if isinstance(info.validation_alias, str) else None
            alias = alias or info.alias or field_name
            sequences[alias] = sequences.get(alias, False) or _typing.is_sequence(info.annotation)
    return _FormModel(
        key=key,
        optional=type(None) in (_typing.union_members(field.annotation) or ()),
        fields=tuple(sequences.items()),
        own_names=frozenset(sequences),
        keeps_extras=any(model.model_config.get("extra") in ("allow", "forbid") for model in models),
    )
