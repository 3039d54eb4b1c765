"""Refusing ``pydantic.v1`` models, as FastAPI does (``PydanticV1NotSupportedError``).

``pydantic.v1`` is never imported here: a v1 model can only exist once the user's
code imported ``pydantic.v1``, so the checks read it from ``sys.modules`` (no
import cost and no warning for everyone else).
"""

from __future__ import annotations

import sys
from typing import Any, get_args

from ferrule.asgi_core.exceptions import FastAPIError

from ._typing import is_class

__all__ = ["PydanticV1NotSupportedError", "is_v1_model_instance", "refuse_v1_model", "v1_model_in"]


class PydanticV1NotSupportedError(FastAPIError):
    """A ``pydantic.v1`` model was used as a parameter, a response model or a value.

    COMPAT(fastapi): FastAPI's class (a ``FastAPIError``); raised at declaration for
    annotations, and by ``jsonable_encoder`` for instances.
    """


def v1_model_in(annotation: Any) -> type[Any] | None:
    """The first ``pydantic.v1`` model class inside ``annotation`` (unions, generics, ``Annotated``)."""
    v1 = sys.modules.get("pydantic.v1")  # never imported here: only code using v1 has loaded it
    base = getattr(v1, "BaseModel", None)
    if base is None:
        return None
    pending = [annotation]
    seen = 0
    while pending and seen < 1000:
        item = pending.pop()
        seen += 1
        if is_class(item):  # not isinstance(item, type): list[X] is one on Python 3.10
            if issubclass(item, base):
                found: type[Any] = item
                return found
            continue
        pending.extend(get_args(item))
    return None


def is_v1_model_instance(value: Any) -> bool:
    """Whether ``value`` is an instance of a ``pydantic.v1`` model."""
    v1 = sys.modules.get("pydantic.v1")
    base = getattr(v1, "BaseModel", None)
    return base is not None and isinstance(value, base)


def refuse_v1_model(annotation: Any, what: str) -> None:
    """Raise ``PydanticV1NotSupportedError`` when ``annotation`` uses a ``pydantic.v1`` model."""
    model = v1_model_in(annotation)
    if model is not None:
        raise PydanticV1NotSupportedError(
            f"pydantic.v1 models are no longer supported (as in FastAPI): {what} uses "
            f"{model.__module__}.{model.__qualname__}, a pydantic.v1 model; port it to pydantic v2 "
            "(`from pydantic import BaseModel`; see pydantic's migration guide)"
        )
