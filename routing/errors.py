"""Startup errors of the routing core: bad templates, conflicting routes, bad url building.

All of them are configuration errors (``FerruleError``): they are raised while routes are
registered or URLs are built, never while a request is matched (a miss is ``None``).
"""

from __future__ import annotations

from collections.abc import Iterable

from ferrule.asgi_core.exceptions import FerruleError

__all__ = ["RouteConfigError", "RouteConflictError", "TemplateFormatError", "quote_names"]


def quote_names(names: Iterable[str]) -> str:
    """``'a'``, ``'a' and 'b'``, ``'a', 'b' and 'c'``: names quoted for a message."""
    quoted = [repr(name) for name in names]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


class RouteConfigError(FerruleError, ValueError):
    """A route template, method list or convertor is invalid.

    Attributes:
        template: the offending template (``""`` when the error is about a convertor).
    """

    def __init__(self, message: str, *, template: str = "") -> None:
        super().__init__(message)
        self.template = template


class RouteConflictError(FerruleError):
    """Two routes match the same paths for the same method and neither is more specific.

    Attributes:
        new_owner: description of the route being added.
        existing_owner: description of the route already registered.
        example_path: a path both routes match.
        methods: the methods both routes answer (``None``: every method).
    """

    def __init__(
        self,
        message: str,
        *,
        new_owner: str,
        existing_owner: str,
        example_path: str,
        methods: tuple[str, ...] | None,
    ) -> None:
        super().__init__(message)
        self.new_owner = new_owner
        self.existing_owner = existing_owner
        self.example_path = example_path
        self.methods = methods


class TemplateFormatError(FerruleError, ValueError):
    """``Template.format`` got a missing, unexpected or wrongly typed parameter.

    Attributes:
        template: the template being formatted.
        param: the parameter at fault (the first one, when several are).
    """

    def __init__(self, message: str, *, template: str, param: str) -> None:
        super().__init__(message)
        self.template = template
        self.param = param
