"""``jsonable_encoder``: FastAPI's conversion of any object into JSON-ready data.

Rules (FastAPI's behaviour, reimplemented; tests pin its outputs):

1. ``custom_encoder`` wins: an exact type match, then the first ``isinstance``
   match in the dict's order.
2. A pydantic model is dumped with ``model_dump(mode="json", ...)`` and the
   filtering options; the result is encoded again (``custom_encoder`` is not
   applied inside it, as in FastAPI).
3. A dataclass instance is converted with ``dataclasses.asdict`` and encoded
   with every option.
4. ``Enum`` -> its value (not encoded further); ``PurePath`` -> ``str``;
   ``str``/``int``/``float``/``None`` unchanged; pydantic's ``Undefined`` -> ``None``.
5. A ``dict``: ``include``/``exclude`` filter its keys (this level only),
   ``exclude_none`` drops ``None`` values, and with ``sqlalchemy_safe`` keys
   starting with ``_sa`` are dropped; keys and values are encoded.
6. ``list``/``set``/``frozenset``/``tuple``/``deque``/generators -> a list of
   encoded items (``include``/``exclude`` passed down to each item).
7. Known types by table: ``bytes`` -> UTF-8 text, date/time -> ISO 8601
   (``isoformat()``, so UTC is ``+00:00``), ``timedelta`` -> seconds,
   ``Decimal`` -> ``int`` when it has no fractional exponent else ``float``,
   UUID/IP/URL/secret types -> ``str``, ``re.Pattern`` -> its pattern.
8. Anything else: ``dict(obj)``, else ``vars(obj)``, encoded; if neither
   works, ``ValueError`` listing both failures.
"""

from __future__ import annotations

import dataclasses
import math
import datetime
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, IPv6Address, IPv6Interface, IPv6Network
from pathlib import Path, PurePath
from re import Pattern
from types import GeneratorType
from typing import Any, Union
from uuid import UUID

from pydantic import AnyUrl, BaseModel, NameEmail, SecretBytes, SecretStr
from pydantic_core import PydanticUndefinedType, Url

from ._v1 import PydanticV1NotSupportedError, is_v1_model_instance

__all__ = ["ENCODERS_BY_TYPE", "IncEx", "decimal_encoder", "jsonable_encoder"]

IncEx = Union[set[int], set[str], dict[int, Any], dict[str, Any]]


def _isoformat(value: datetime.date | datetime.time) -> str:
    return value.isoformat()


def decimal_encoder(value: Decimal) -> int | float:
    """``int`` for a Decimal without a fractional exponent (``Decimal("3")``), else ``float``."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return int(value)
    return float(value)


def _bytes(value: bytes) -> str:
    return value.decode()


def _seconds(value: datetime.timedelta) -> float:
    return value.total_seconds()


def _enum_value(value: Enum) -> Any:
    return value.value


def _pattern(value: Pattern[str]) -> str:
    return value.pattern


ENCODERS_BY_TYPE: dict[type[Any], Callable[[Any], Any]] = {
    bytes: _bytes,
    datetime.date: _isoformat,
    datetime.datetime: _isoformat,
    datetime.time: _isoformat,
    datetime.timedelta: _seconds,
    Decimal: decimal_encoder,
    Enum: _enum_value,
    frozenset: list,
    deque: list,
    GeneratorType: list,
    IPv4Address: str,
    IPv4Interface: str,
    IPv4Network: str,
    IPv6Address: str,
    IPv6Interface: str,
    IPv6Network: str,
    NameEmail: str,
    Path: str,
    Pattern: _pattern,
    SecretBytes: str,
    SecretStr: str,
    set: list,
    UUID: str,
    Url: str,
    AnyUrl: str,
}


#: Modules of the ``Color`` types FastAPI encodes as ``str`` (matched by name, so
#: neither is imported: pydantic's warns on use, pydantic-extra-types is optional).
_COLOR_MODULES = frozenset({"pydantic.color", "pydantic_extra_types.color"})


def _group_by_encoder(table: dict[type[Any], Callable[[Any], Any]]) -> list[tuple[tuple[type[Any], ...], Callable[[Any], Any]]]:
    """Types grouped by encoder, in the table's order (the order ``isinstance`` is tried)."""
    groups: dict[Callable[[Any], Any], tuple[type[Any], ...]] = {}
    for type_, encoder in table.items():
        groups[encoder] = groups.get(encoder, ()) + (type_,)
    return [(types, encoder) for encoder, types in groups.items()]


_ENCODERS_BY_CLASSES = _group_by_encoder(ENCODERS_BY_TYPE)
_SEQUENCES = (list, set, frozenset, GeneratorType, tuple, deque)


def jsonable_encoder(
    obj: Any,
    include: IncEx | None = None,
    exclude: IncEx | None = None,
    by_alias: bool = True,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
    custom_encoder: dict[Any, Callable[[Any], Any]] | None = None,
    sqlalchemy_safe: bool = True,
) -> Any:
    """Convert ``obj`` into data ``json.dumps`` accepts, exactly as FastAPI does.

    Args:
        obj: anything.
        include: keys (of a model or dict) to keep.
        exclude: keys (of a model or dict) to drop.
        by_alias: dump models by alias.
        exclude_unset: drop model fields that were not set.
        exclude_defaults: drop model fields equal to their default.
        exclude_none: drop ``None`` values.
        custom_encoder: ``{type: function}`` tried before everything else.
        sqlalchemy_safe: drop dict keys starting with ``_sa``.

    Raises:
        ValueError: ``obj`` is of an unknown type and is neither a mapping nor
            an object with ``__dict__``.
    """
    if custom_encoder:
        if type(obj) in custom_encoder:
            return custom_encoder[type(obj)](obj)
        for encoder_type, encoder in custom_encoder.items():
            if isinstance(obj, encoder_type):
                return encoder(obj)
    if include is not None and not isinstance(include, (set, dict)):
        include = set(include)
    if exclude is not None and not isinstance(exclude, (set, dict)):
        exclude = set(exclude)
    if isinstance(obj, BaseModel):
        dumped = obj.model_dump(
            mode="json",
            include=include,
            exclude=exclude,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_none=exclude_none,
            exclude_defaults=exclude_defaults,
        )
        return jsonable_encoder(
            dumped, exclude_none=exclude_none, exclude_defaults=exclude_defaults, sqlalchemy_safe=sqlalchemy_safe
        )
    options: dict[str, Any] = {
        "by_alias": by_alias,
        "exclude_unset": exclude_unset,
        "exclude_defaults": exclude_defaults,
        "exclude_none": exclude_none,
        "custom_encoder": custom_encoder,
        "sqlalchemy_safe": sqlalchemy_safe,
    }
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return jsonable_encoder(dataclasses.asdict(obj), include=include, exclude=exclude, **options)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, PurePath):
        return str(obj)
    if obj is None or isinstance(obj, (str, int, float)):
        return obj
    if isinstance(obj, PydanticUndefinedType):
        return None
    if isinstance(obj, dict):
        allowed = set(obj.keys())
        if include is not None:
            allowed &= set(include)
        if exclude is not None:
            allowed -= set(exclude)
        encoded: dict[Any, Any] = {}
        for key, value in obj.items():
            if sqlalchemy_safe and isinstance(key, str) and key.startswith("_sa"):
                continue
            if (value is None and exclude_none) or key not in allowed:
                continue
            encoded[jsonable_encoder(key, **options)] = jsonable_encoder(value, **options)
        return encoded
    if isinstance(obj, _SEQUENCES):
        return [jsonable_encoder(item, include=include, exclude=exclude, **options) for item in obj]
    type_encoder = ENCODERS_BY_TYPE.get(type(obj))
    if type_encoder is not None:
        return type_encoder(obj)
    for classes, class_encoder in _ENCODERS_BY_CLASSES:
        if isinstance(obj, classes):
            return class_encoder(obj)
    if is_v1_model_instance(obj):
        raise PydanticV1NotSupportedError(
            f"pydantic.v1 models are no longer supported (as in FastAPI): cannot encode {obj!r}; "
            "port its model to pydantic v2 (`from pydantic import BaseModel`)"
        )
    if type(obj).__name__ == "Color" and type(obj).__module__ in _COLOR_MODULES:
        return str(obj)  # COMPAT(fastapi): pydantic's (deprecated) and pydantic-extra-types' Color
    failures: list[Exception] = []
    try:
        data = dict(obj)
    except Exception as exc:
        failures.append(exc)
        try:
            data = vars(obj)
        except Exception as exc2:
            failures.append(exc2)
            raise ValueError(failures) from exc2
    return jsonable_encoder(data, include=include, exclude=exclude, **options)


def json_sendable(value: Any, *, check_strings: bool = True) -> bool:
    """No non-finite float, and (with ``check_strings``) no string UTF-8 cannot
    encode (a lone surrogate, as a key or a value), anywhere in decoded JSON
    data (dicts, lists and scalars): what no JSON response could carry.

    One iterative walk (no recursion limit on deep data), shared by the body
    decoder and the no-model serializer.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is float:
            if item - item != 0.0:  # inf - inf and nan - nan are nan
                return False
        elif kind is str:
            if check_strings and not item.isascii() and not _utf8_encodable(item):
                return False
        elif kind is dict:
            if check_strings:
                stack.extend(item.keys())
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
    return True


def is_plain_json(value: Any) -> bool:
    """True when ``value`` is plain JSON data that ``jsonable_encoder`` would return unchanged.

    Plain means: ``str`` (encodable as UTF-8), ``int``, ``bool``, ``None``, finite
    ``float``, and ``dict`` (``str`` keys, not SQLAlchemy's ``_sa`` ones) / ``list`` /
    ``tuple`` of those. Such data can go straight to ``pydantic_core.to_json``.

    PERF: one cheap walk instead of ``jsonable_encoder``'s copy; serializing a
    small dict this way is several times faster, a 422 body about ten times.
    """
    kind = type(value)
    if kind is str:
        return value.isascii() or _utf8_encodable(value)
    if kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or key.startswith("_sa") or not is_plain_json(item):
                return False
        return True
    if kind is list or kind is tuple:
        for item in value:
            if not is_plain_json(item):
                return False
        return True
    return False


def _utf8_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True
