"""Typing helpers (FastAPI's ``fastapi.types``)."""

import types
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar, Union

from pydantic import BaseModel
from pydantic.main import IncEx as IncEx

__all__ = ["DecoratedCallable", "DependencyCacheKey", "IncEx", "ModelNameMap", "UnionType"]

DecoratedCallable = TypeVar("DecoratedCallable", bound=Callable[..., Any])
"""The function a route decorator receives and returns unchanged."""

UnionType: Any = getattr(types, "UnionType", Union)
ModelNameMap = dict[Union[type[BaseModel], type[Enum]], str]
DependencyCacheKey = tuple[Union[Callable[..., Any], None], tuple[str, ...], str]
