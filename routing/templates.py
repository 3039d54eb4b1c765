"""Route templates: ``"/files/{stem}.{ext}"`` parsed once into segments, and URL building.

Grammar (checked at startup; any violation is a ``RouteConfigError`` saying how to fix it):

- A template starts with ``/`` and is split on ``/`` into segments; ``"/"`` is one empty
  segment and ``"/a/"`` ends with one. Matching is exact: no slash is added or dropped.
- A segment is literal text and parameters. A parameter is ``{name}`` (convertor
  ``str``) or ``{name:convertor}``; ``name`` is a Python identifier, unique in the template.
- ``{`` and ``}`` only delimit parameters (no escaping, no nesting), and a parameter never
  spans a ``/``.
- Two parameters in one segment need literal text between them (``{a}.{b}``, not ``{a}{b}``),
  otherwise the split between them would be arbitrary.
- ``{name:path}`` captures the rest of the path, slashes included, so it must be the last
  part of the template (``/static/{file:path}``, ``/dl/v{rest:path}``).
- A *prefix* template (a Mount) drops trailing slashes (``"/api/"`` is ``"/api"``, ``"/"``
  is the root ``""``) and cannot contain a ``path`` parameter: the mount itself passes the
  rest of the path on.

Templates describe the percent-decoded path (ASGI ``scope["path"]``); so does ``format``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Union

from .convertors import Convertor, default_convertors
from .errors import RouteConfigError, TemplateFormatError, quote_names

__all__ = ["Param", "Part", "Segment", "Template"]


@dataclass(frozen=True, slots=True)
class Param:
    """One ``{name:convertor}`` of a template."""

    name: str
    convertor_name: str
    convertor: Convertor[Any]
    pattern: re.Pattern[str]
    """``convertor.regex`` compiled with ``re.DOTALL``; always used with ``fullmatch``."""


Part = Union[str, Param]
"""Literal text (consecutive characters merged) or a parameter."""

Segment = tuple[Part, ...]
"""The parts between two slashes; ``()`` is the empty segment."""


@dataclass(slots=True, eq=False, repr=False)
class Template:
    """A parsed route template. Build it with ``Template.parse``.

    Attributes:
        source: the template as written.
        segments: the parsed segments, in order.
        patterns: per segment, the compiled ``fullmatch`` regex of a segment that mixes
            text and parameters or holds several parameters (groups ``_fp0``, ``_fp1``, ...
            in parameter order; a ``path`` parameter matches ``.*`` of the segment), else ``None``.
        params: the parameters in template order.
        param_names: their names.
        prefix: parsed as a mount prefix.
        path_format: the path with convertors stripped, e.g. ``"/items/{id}"`` (OpenAPI).
        is_static: no parameters at all.
        has_tail: the last part is a ``{name:path}`` parameter.
    """

    source: str
    segments: tuple[Segment, ...]
    _: KW_ONLY
    prefix: bool
    patterns: tuple[re.Pattern[str] | None, ...] = field(init=False)
    params: tuple[Param, ...] = field(init=False)
    param_names: tuple[str, ...] = field(init=False)
    path_format: str = field(init=False)
    is_static: bool = field(init=False)
    has_tail: bool = field(init=False)

    def __post_init__(self) -> None:
        source, segments = self.source, self.segments
        self.params = tuple(part for segment in segments for part in segment if isinstance(part, Param))
        self.param_names = tuple(param.name for param in self.params)
        self.is_static = not self.params
        self.has_tail = bool(self.params) and self.params[-1].convertor_name == "path"
        self.patterns = tuple(_segment_pattern(source, segment) for segment in segments)
        self.path_format = "".join(
            "/" + "".join(part if isinstance(part, str) else "{" + part.name + "}" for part in segment)
            for segment in segments
        )

    def __repr__(self) -> str:
        return f"Template({self.source!r})"

    @classmethod
    def parse(
        cls, source: str, *, convertors: Mapping[str, Convertor[Any]] | None = None, prefix: bool = False
    ) -> Template:
        """Parse and check ``source``.

        Args:
            source: e.g. ``"/items/{item_id:int}"``.
            convertors: the convertors ``{x:name}`` may name; default: the built-ins and
                those registered with ``register_convertor``.
            prefix: parse a mount prefix (see the module docstring).

        Raises:
            RouteConfigError: the template breaks a rule of the module docstring.
        """
        if convertors is None:
            convertors = default_convertors()
        if not isinstance(source, str):
            raise RouteConfigError(f"a route template must be a str, got {type(source).__name__}", template="")
        body = source
        if prefix:
            body = source.rstrip("/")
        if body and not body.startswith("/") or not body and not prefix:
            raise RouteConfigError(
                f"invalid route template {source!r}: it must start with '/' (e.g. {'/' + source.lstrip('/')!r})",
                template=source,
            )
        segments: list[Segment] = []
        offset = 1
        for raw in body[1:].split("/") if body else ():
            segments.append(_parse_segment(source, raw, offset, convertors))
            offset += len(raw) + 1
        _check_params(source, segments, prefix)
        return cls(source, tuple(segments), prefix=prefix)

    def format(self, **params: Any) -> str:
        """Build the (percent-decoded) path for ``params``, e.g. ``format(id=3) -> "/items/3"``.

        Values go through their convertor's ``to_string``; quoting the result for a URL is
        the caller's job.

        Raises:
            TemplateFormatError: a parameter is missing or unexpected, or a value cannot
                be written by its convertor.
        """
        missing = [name for name in self.param_names if name not in params]
        if missing:
            noun = "parameter" if len(missing) == 1 else "parameters"
            raise TemplateFormatError(
                f"cannot build a path from {self.source!r}: missing {noun} {quote_names(missing)}",
                template=self.source,
                param=missing[0],
            )
        extra = [name for name in params if name not in self.param_names]
        if extra:
            noun = "parameter" if len(extra) == 1 else "parameters"
            raise TemplateFormatError(
                f"cannot build a path from {self.source!r}: unexpected {noun} {quote_names(extra)} "
                f"(the template has {quote_names(self.param_names) or 'no parameters'})",
                template=self.source,
                param=extra[0],
            )
        out: list[str] = []
        for segment in self.segments:
            out.append("/")
            for part in segment:
                out.append(part if isinstance(part, str) else self._format_param(part, params[part.name]))
        return "".join(out)

    def _format_param(self, param: Param, value: Any) -> str:
        problem = ""
        try:
            text = param.convertor.to_string(value)
        except (TypeError, ValueError) as exc:
            problem = str(exc)
        else:
            if not isinstance(text, str):
                problem = f"to_string() returned {type(text).__name__}, not str"
            elif param.convertor_name != "path" and "/" in text:
                problem = f"{text!r} contains '/', which only a path parameter may hold"
            elif param.pattern.fullmatch(text) is None:
                problem = f"{text!r} does not match the convertor's regex {param.convertor.regex!r}"
            else:
                return text
        raise TemplateFormatError(
            f"cannot build a path from {self.source!r}: parameter {param.name!r} "
            f"({param.convertor_name}) cannot take {value!r}: {problem}",
            template=self.source,
            param=param.name,
        )


def _fail(source: str, message: str) -> RouteConfigError:
    return RouteConfigError(f"invalid route template {source!r}: {message}", template=source)


def _parse_segment(source: str, raw: str, offset: int, convertors: Mapping[str, Convertor[Any]]) -> Segment:
    parts: list[Part] = []
    literal_start = 0
    i = 0
    while i < len(raw):
        char = raw[i]
        if char == "}":
            raise _fail(source, f"unbalanced '}}' at position {offset + i}; parameters look like '{{name}}'")
        if char != "{":
            i += 1
            continue
        close = raw.find("}", i + 1)
        if close == -1:
            raise _fail(
                source,
                f"unbalanced '{{' at position {offset + i}: no '}}' before the next '/' or the end "
                "(parameters look like '{name}' or '{name:int}' and cannot contain '/')",
            )
        nested = raw.find("{", i + 1, close)
        if nested != -1:
            raise _fail(source, f"'{{' inside a parameter at position {offset + nested}; parameters cannot nest")
        if i > literal_start:
            parts.append(raw[literal_start:i])
        elif parts and isinstance(parts[-1], Param):
            raise _fail(
                source,
                f"parameters {parts[-1].name!r} and {raw[i + 1 : close].partition(':')[0]!r} touch in segment "
                f"{raw!r}; put literal text between them (e.g. '{{a}}.{{b}}') so the split is unambiguous",
            )
        parts.append(_parse_param(source, raw[i + 1 : close], offset + i, convertors))
        i = literal_start = close + 1
    if literal_start < len(raw):
        parts.append(raw[literal_start:])
    return tuple(parts)


def _parse_param(source: str, spec: str, position: int, convertors: Mapping[str, Convertor[Any]]) -> Param:
    name, colon, convertor_name = spec.partition(":")
    if not name:
        raise _fail(source, f"parameter at position {position} has an empty name; write '{{name}}' or '{{name:int}}'")
    if not name.isidentifier():
        raise _fail(source, f"parameter name {name!r} is not a Python identifier (it becomes a function argument)")
    if not colon:
        convertor_name = "str"
    convertor = convertors.get(convertor_name)
    if convertor is None:
        known = ", ".join(sorted(convertors))
        raise _fail(
            source,
            f"unknown convertor {convertor_name!r} in '{{{spec}}}'; known convertors: {known} "
            "(register others with ferrule.routing.convertors.register_convertor)",
        )
    return Param(name, convertor_name, convertor, re.compile(convertor.regex, re.DOTALL))


def _check_params(source: str, segments: list[Segment], prefix: bool) -> None:
    params = [part for segment in segments for part in segment if isinstance(part, Param)]
    for index, param in enumerate(params):
        if param.convertor_name != "path":
            continue
        if prefix:
            raise _fail(
                source,
                f"a mount prefix cannot hold the path parameter {param.name!r}: the mount already "
                "passes the rest of the path on; drop the parameter",
            )
        if index != len(params) - 1 or segments[-1][-1] is not param:
            raise _fail(
                source,
                f"path parameter {param.name!r} must be the last part of the template, because it "
                "captures the rest of the path; move it to the end or use another convertor",
            )
    seen: set[str] = set()
    duplicates: list[str] = []
    for param in params:
        if param.name in seen and param.name not in duplicates:
            duplicates.append(param.name)
        seen.add(param.name)
    if duplicates:
        noun = "name" if len(duplicates) == 1 else "names"
        raise _fail(
            source,
            f"duplicate parameter {noun} {quote_names(duplicates)}; each parameter needs its own name",
        )


def _segment_pattern(source: str, segment: Segment) -> re.Pattern[str] | None:
    """The fullmatch regex of a segment with several parts (see ``Template.patterns``)."""
    if len(segment) <= 1:
        return None
    pieces: list[str] = []
    group = 0
    for part in segment:
        if isinstance(part, str):
            pieces.append(re.escape(part))
            continue
        regex = ".*" if part.convertor_name == "path" else part.convertor.regex
        pieces.append(f"(?P<_fp{group}>{regex})")
        group += 1
    try:
        return re.compile("".join(pieces), re.DOTALL)
    except re.error as exc:
        raise _fail(source, f"the convertor regexes do not combine into one pattern ({exc})") from None
