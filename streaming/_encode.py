"""The default JSON encoder for stream items that no route typed.

COMPAT(fastapi): an untyped generator's items (JSON Lines, or SSE ``data``) are
made JSON-able (models by alias, datetimes as ISO strings, ...), non-finite
floats become ``null``, and the text is written by ``json.dumps`` with its
default separators and ASCII escaping, so the bytes match FastAPI's. Routing
passes its own encoder when the item type is declared.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic_core import to_jsonable_python

__all__ = ["jsonable_json"]


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def jsonable_json(value: Any) -> bytes:
    """Encode ``value`` as one line of JSON (no raw newline can appear in it).

    Raises:
        pydantic_core.PydanticSerializationError: ``value`` has no JSON form.
    """
    return json.dumps(_finite(to_jsonable_python(value, by_alias=True))).encode("utf-8")
