"""Path parameter convertors: the ``int`` in ``/items/{id:int}``.

Rules:

- A convertor has a ``regex`` (the text it accepts), ``convert(text) -> value`` and
  ``to_string(value) -> text`` (the inverse, used to build URLs).
- Matching happens on the *percent-decoded* path (ASGI ``scope["path"]``), so regexes
  describe decoded text: ``%2F`` in the URL already is ``/`` here.
- Every convertor except ``path`` sees exactly one path segment, which never contains
  ``/``; ``path`` sees the rest of the path, slashes included. Regexes are compiled with
  ``re.DOTALL`` and always matched whole (``fullmatch``).
- ``convert`` raising ``ValueError`` means "this text does not match after all": the
  router then tries the next candidate route (e.g. an ``int`` with more digits than
  Python converts). Any other exception is a bug in the convertor and propagates.
- ``to_string`` raises ``TypeError``/``ValueError`` for a value it cannot represent.

Built-ins (their names cannot be re-registered):

=========  ==================================  =====================
name       regex                               value
=========  ==================================  =====================
``str``    ``[^/]+``                           ``str`` (the default)
``int``    ``[0-9]+``                          ``int`` (no sign)
``float``  ``[0-9]+(\\.[0-9]+)?``              ``float`` (no sign, no exponent)
``uuid``   8-4-4-4-12 hex digits, any case     ``uuid.UUID``
``path``   ``.*``                              ``str``, may be empty, may hold ``/``
=========  ==================================  =====================
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, Generic, Protocol, TypeVar

from .errors import RouteConfigError

__all__ = [
    "BUILTIN_CONVERTORS",
    "Convertor",
    "FloatConvertor",
    "FunctionConvertor",
    "IntConvertor",
    "PathConvertor",
    "StrConvertor",
    "UUIDConvertor",
    "check_convertor",
    "convertor_from_functions",
    "convertor_from_regex",
    "default_convertors",
    "example_text",
    "register_convertor",
]

T = TypeVar("T")


class Convertor(Protocol[T]):
    """What a path parameter convertor provides (see the module docstring for the rules)."""

    regex: str

    def convert(self, value: str) -> T: ...

    def to_string(self, value: T) -> str: ...


class StrConvertor:
    """``{name}`` / ``{name:str}``: one non-empty segment."""

    regex = "[^/]+"
    example = "x"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: Any) -> str:
        # COMPAT(fastapi): url_path_for(item_id=5) on "{item_id}" is common; accept any value.
        text = str(value)
        if not text:
            raise ValueError("a str parameter cannot be empty")
        if "/" in text:
            raise ValueError(f"a str parameter cannot contain '/': {text!r}")
        return text


class PathConvertor(StrConvertor):
    """``{name:path}``: the rest of the path, slashes included, possibly empty (kept as text)."""

    regex = ".*"
    example = "x/y"

    def to_string(self, value: Any) -> str:
        return str(value)


class IntConvertor:
    """``{name:int}``: ASCII digits, no sign."""

    regex = "[0-9]+"
    example = "1"

    def convert(self, value: str) -> int:
        # int() raises ValueError past sys.int_info's digit limit: treated as "no match".
        return int(value)

    def to_string(self, value: int) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an int, got {type(value).__name__}")
        if value < 0:
            raise ValueError(f"expected a non-negative int, got {value}")
        return str(value)


class FloatConvertor:
    """``{name:float}``: digits with an optional fraction, no sign or exponent."""

    regex = r"[0-9]+(\.[0-9]+)?"
    example = "1.5"

    def convert(self, value: str) -> float:
        return float(value)

    def to_string(self, value: float) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"expected a float, got {type(value).__name__}")
        try:
            number = float(value)
        except OverflowError:
            raise ValueError(f"{value} is too large for a float") from None
        if not math.isfinite(number) or number < 0:
            raise ValueError(f"expected a finite non-negative float, got {number}")
        text = repr(number)  # shortest text that round-trips
        if "e" in text:
            text = format(Decimal(text), "f")  # positional: the regex has no exponent
        return text


class UUIDConvertor:
    """``{name:uuid}``: the canonical 8-4-4-4-12 hex form (either case)."""

    regex = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    example = "00000000-0000-0000-0000-000000000000"

    def convert(self, value: str) -> uuid.UUID:
        return uuid.UUID(value)

    def to_string(self, value: uuid.UUID) -> str:
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, str):
            return str(uuid.UUID(value))  # ValueError for a malformed one
        raise TypeError(f"expected a uuid.UUID, got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class FunctionConvertor(Generic[T]):
    """A convertor made of a regex and two functions (see ``convertor_from_functions``)."""

    regex: str
    convert_fn: Callable[[str], T]
    to_string_fn: Callable[[T], str]

    def convert(self, value: str) -> T:
        return self.convert_fn(value)

    def to_string(self, value: T) -> str:
        return self.to_string_fn(value)


def _identity(value: str) -> str:
    return value


def convertor_from_regex(regex: str) -> FunctionConvertor[str]:
    """A convertor accepting the segments that match ``regex``; the value stays a ``str``.

    Args:
        regex: matched against one whole segment (never containing ``/``).

    Raises:
        RouteConfigError: the regex does not compile.
    """
    _compile(regex, "convertor_from_regex")
    return FunctionConvertor(regex, _identity, str)


def convertor_from_functions(
    convert: Callable[[str], T], to_string: Callable[[T], str], *, regex: str = "[^/]+"
) -> FunctionConvertor[T]:
    """A convertor from a pair of functions, e.g. ``convertor_from_functions(Color, lambda c: c.value)``.

    Args:
        convert: segment text -> value; raising ``ValueError`` means "no match".
        to_string: value -> segment text (for URL building).
        regex: the segments to try ``convert`` on; default: any non-empty segment.

    Raises:
        RouteConfigError: the regex does not compile or a function is not callable.
    """
    _compile(regex, "convertor_from_functions")
    if not callable(convert) or not callable(to_string):
        raise RouteConfigError("convertor_from_functions() needs two callables: convert and to_string")
    return FunctionConvertor(regex, convert, to_string)


def _compile(regex: object, where: str) -> re.Pattern[str]:
    if not isinstance(regex, str):
        raise RouteConfigError(f"{where}: a convertor regex must be a str, got {type(regex).__name__}")
    try:
        return re.compile(regex, re.DOTALL)
    except re.error as exc:
        raise RouteConfigError(f"{where}: invalid convertor regex {regex!r}: {exc}") from None


def check_convertor(name: str, convertor: object) -> None:
    """Raise ``RouteConfigError`` unless ``convertor`` looks like a usable ``Convertor``."""
    where = f"convertor {name!r}"
    if not name.isidentifier():
        raise RouteConfigError(f"{where}: the name must be a Python identifier (it appears as '{{x:{name}}}')")
    _compile(getattr(convertor, "regex", None), where)
    for method in ("convert", "to_string"):
        if not callable(getattr(convertor, method, None)):
            raise RouteConfigError(f"{where}: it has no {method}() method; see ferrule.routing.convertors.Convertor")


BUILTIN_CONVERTORS: Final[Mapping[str, Convertor[Any]]] = MappingProxyType(
    {
        "str": StrConvertor(),
        "path": PathConvertor(),
        "int": IntConvertor(),
        "float": FloatConvertor(),
        "uuid": UUIDConvertor(),
    }
)

_registry: dict[str, Convertor[Any]] = dict(BUILTIN_CONVERTORS)


def register_convertor(name: str, convertor: Convertor[Any]) -> None:
    """Make ``{param:name}`` available to every route registered afterwards.

    Raises:
        RouteConfigError: the name is a built-in or already taken by another convertor,
            or the convertor is malformed.
    """
    check_convertor(name, convertor)
    existing = _registry.get(name)
    if existing is convertor:
        return
    if name in BUILTIN_CONVERTORS:
        raise RouteConfigError(f"convertor {name!r} is built in and cannot be replaced; pick another name")
    if existing is not None:
        raise RouteConfigError(
            f"convertor {name!r} is already registered (regex {existing.regex!r}); "
            "routes may already use it, so pick another name"
        )
    _registry[name] = convertor


def default_convertors() -> Mapping[str, Convertor[Any]]:
    """A read-only live view of the built-in and registered convertors."""
    return MappingProxyType(_registry)


_EXAMPLE_CANDIDATES: Final = ("x", "1", "a", "0", "abc", "A", "2024", "a-b", "00", "1.5", "")


def example_text(convertor: Convertor[Any]) -> str | None:
    """Some text ``convertor`` accepts (for error messages), or ``None`` if none is found.

    A convertor may offer one as an ``example`` attribute; otherwise a few common
    strings are tried against its regex and ``convert``.
    """
    text = getattr(convertor, "example", None)
    if isinstance(text, str):
        return text
    pattern = re.compile(convertor.regex, re.DOTALL)
    for candidate in _EXAMPLE_CANDIDATES:
        if pattern.fullmatch(candidate) is not None:
            try:
                convertor.convert(candidate)
            except ValueError:
                continue
            return candidate
    return None
