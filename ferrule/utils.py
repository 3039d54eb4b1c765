"""Small helpers FastAPI users import from ``fastapi.utils``.

Each is written for ferrule: ``generate_unique_id`` is the one routes use for
their OpenAPI operation ids; the others are plain functions with FastAPI's
behaviour.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from ferrule.routing.options import DefaultPlaceholder
from ferrule.routing import generate_unique_id as generate_unique_id

__all__ = [
    "deep_dict_update",
    "generate_unique_id",
    "get_path_param_names",
    "get_value_or_default",
    "is_body_allowed_for_status_code",
]

T = TypeVar("T")

# SPEC: OpenAPI 3.1 "Responses Object": these keys stand for a range or the default.
_RANGE_KEYS = frozenset({"default", "1XX", "2XX", "3XX", "4XX", "5XX"})
_PARAM = re.compile(r"{(.*?)}")


def is_body_allowed_for_status_code(status_code: int | str | None) -> bool:
    """Whether a response with this status may carry a body (not 1xx, 204, 205 or 304)."""
    if status_code is None or status_code in _RANGE_KEYS:
        return True
    code = int(status_code)
    # SPEC: RFC 9110 §15.2, §15.3.5, §15.3.6, §15.4.5: no content for these.
    return code >= 200 and code not in (204, 205, 304)


def get_path_param_names(path: str) -> set[str]:
    """The names inside ``{...}`` in a path template, convertor suffix included."""
    return set(_PARAM.findall(path))


def deep_dict_update(main_dict: dict[Any, Any], update_dict: dict[Any, Any]) -> None:
    """Merge ``update_dict`` into ``main_dict`` in place: dicts recursively, lists concatenated."""
    for key, value in update_dict.items():
        current = main_dict.get(key)
        if key in main_dict and isinstance(current, dict) and isinstance(value, dict):
            deep_dict_update(current, value)
        elif key in main_dict and isinstance(current, list) and isinstance(value, list):
            main_dict[key] = current + value
        else:
            main_dict[key] = value


def get_value_or_default(first_item: Any, *extra_items: Any) -> Any:
    """The first item that is not a ``DefaultPlaceholder``, else the first item."""
    for item in (first_item, *extra_items):
        if not isinstance(item, DefaultPlaceholder):
            return item
    return first_item
