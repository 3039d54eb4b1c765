"""Classifying annotations the way FastAPI does (startup only).

Rules (FastAPI's inference, reimplemented):

* ``Annotated[T, ...]`` is classified as ``T``; a union is classified by its
  members (``Optional[T]`` is ``T | None``).
* *Complex* types are read from the body: pydantic models, dataclasses,
  mappings, ``UploadFile``, and sequences (``list``/``set``/``tuple``/
  ``frozenset``/``deque``/``Sequence``, never ``str``/``bytes``). A union is
  complex when any member is. Everything else is *scalar* (query by default).
* A *scalar sequence* is a sequence of scalars, e.g. ``list[int]``; it is a
  valid ``Query``/``Header`` type, read from repeated keys.
"""

from __future__ import annotations

import dataclasses
import types
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from ferrule.asgi_core.forms import UploadFile as _BaseUploadFile

__all__ = [
    "is_class",
    "is_bytes_or_optional_bytes",
    "is_bytes_sequence",
    "is_complex",
    "is_scalar",
    "is_scalar_sequence",
    "is_sequence",
    "is_upload",
    "is_upload_sequence",
    "model_of",
    "replace_type",
    "strip_annotated",
    "union_members",
]

_SEQUENCE_TYPES: tuple[type[Any], ...] = (list, tuple, set, frozenset, deque, Sequence)


def is_class(annotation: Any) -> bool:
    """Whether ``annotation`` is a class that ``issubclass`` accepts.

    COMPAT(python3.10): ``list[int]`` is an instance of ``type`` there, yet
    ``issubclass(list[int], X)`` raises ``TypeError`` (with some pydantic
    versions' model metaclass too): a parameterized generic is not a class.
    """
    return isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias)


def _is_union(origin: Any) -> bool:
    return origin is Union or origin is types.UnionType


def union_members(annotation: Any) -> tuple[Any, ...] | None:
    """The members of a union (``Annotated`` stripped), or None when it is not one."""
    annotation = strip_annotated(annotation)
    return get_args(annotation) if _is_union(get_origin(annotation)) else None


def _subclass(annotation: Any, bases: type[Any] | tuple[type[Any], ...]) -> bool:
    try:
        return is_class(annotation) and issubclass(annotation, bases)
    except TypeError:
        return False


def strip_annotated(annotation: Any) -> Any:
    """``T`` for ``Annotated[T, ...]`` (nested ones too), else ``annotation``."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _bare_is_sequence(annotation: Any) -> bool:
    if _subclass(annotation, (str, bytes)):
        return False
    return _subclass(annotation, _SEQUENCE_TYPES)


def is_sequence(annotation: Any) -> bool:
    """Whether the value is read as a list of repeated keys (``list[int]``, ``Optional[set[str]]``)."""
    annotation = strip_annotated(annotation)
    origin = get_origin(annotation)
    if _is_union(origin):
        return any(is_sequence(arg) for arg in get_args(annotation))
    return _bare_is_sequence(annotation) or _bare_is_sequence(origin)


def _bare_is_complex(annotation: Any) -> bool:
    return (
        _subclass(annotation, (BaseModel, Mapping, _BaseUploadFile))
        or _bare_is_sequence(annotation)
        or (is_class(annotation) and dataclasses.is_dataclass(annotation))
    )


def is_complex(annotation: Any) -> bool:
    """Whether a parameter of this type is read from the body when it has no marker."""
    annotation = strip_annotated(annotation)
    origin = get_origin(annotation)
    if _is_union(origin):
        return any(is_complex(arg) for arg in get_args(annotation))
    return (
        _bare_is_complex(annotation)
        or _bare_is_complex(origin)
        or hasattr(origin, "__pydantic_core_schema__")
        or hasattr(origin, "__get_pydantic_core_schema__")
    )


def is_scalar(annotation: Any) -> bool:
    """The opposite of ``is_complex`` (``...`` counts as scalar for ``tuple[int, ...]``)."""
    return annotation is Ellipsis or not is_complex(annotation)


def is_scalar_sequence(annotation: Any) -> bool:
    """A sequence whose items are scalars, or a union of those and scalars."""
    annotation = strip_annotated(annotation)
    origin = get_origin(annotation)
    if _is_union(origin):
        found = False
        for arg in get_args(annotation):
            if is_scalar_sequence(arg):
                found = True
            elif not is_scalar(arg):
                return False
        return found
    return is_sequence(annotation) and all(is_scalar(arg) for arg in get_args(annotation))


def model_of(annotation: Any) -> type[BaseModel] | None:
    """The model class of ``Model`` or ``Optional[Model]``, else ``None``."""
    annotation = strip_annotated(annotation)
    if _is_union(get_origin(annotation)):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) != 1 or len(get_args(annotation)) != 2:
            return None
        annotation = strip_annotated(args[0])
    return annotation if _subclass(annotation, BaseModel) else None


def is_upload(annotation: Any) -> bool:
    """``UploadFile`` or a union holding it."""
    return _is_or_holds(annotation, _BaseUploadFile)


def is_upload_sequence(annotation: Any) -> bool:
    """``list[UploadFile]`` (or a union holding one)."""
    return _is_sequence_of(annotation, _BaseUploadFile)


def is_bytes_or_optional_bytes(annotation: Any) -> bool:
    """``bytes`` or a union holding ``bytes``: a ``File()`` of this type is read into memory."""
    return _is_or_holds(annotation, bytes)


def is_bytes_sequence(annotation: Any) -> bool:
    """``list[bytes]`` (or a union holding one)."""
    return _is_sequence_of(annotation, bytes)


def _is_or_holds(annotation: Any, cls: type[Any]) -> bool:
    """``annotation`` is a subclass of ``cls``, or a union with a member that is."""
    annotation = strip_annotated(annotation)
    if _subclass(annotation, cls):
        return True
    if _is_union(get_origin(annotation)):
        return any(_subclass(strip_annotated(arg), cls) for arg in get_args(annotation))
    return False


def _is_sequence_of(annotation: Any, cls: type[Any]) -> bool:
    """``list[cls]`` (items may be ``cls | None``), or a union holding one."""
    annotation = strip_annotated(annotation)
    if _is_union(get_origin(annotation)):
        return any(_is_sequence_of(arg, cls) for arg in get_args(annotation))
    return is_sequence(annotation) and all(_is_or_holds(arg, cls) for arg in get_args(annotation))


def replace_type(annotation: Any, old: type[Any], new: type[Any]) -> Any:
    """``annotation`` with the class ``old`` replaced by ``new`` wherever it appears (``list[old]``, ``old | None``...)."""
    if annotation is old:
        return new
    args = get_args(annotation)
    if not args:
        return annotation
    origin = get_origin(annotation)
    if origin is Annotated:
        base = replace_type(args[0], old, new)
        return annotation if base is args[0] else Annotated[tuple([base, *annotation.__metadata__])]
    new_args = tuple(replace_type(arg, old, new) if arg is not Ellipsis else arg for arg in args)
    if all(a is b for a, b in zip(new_args, args)):
        return annotation
    if _is_union(origin):
        return Union[new_args]
    copy_with = getattr(annotation, "copy_with", None)
    if copy_with is not None:
        return copy_with(new_args)
    return types.GenericAlias(origin, new_args)
