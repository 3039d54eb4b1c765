"""Validation errors: the exceptions, their 422 shape, and the endpoint context.

Rules:

* ``errors()`` returns pydantic's error dicts, FastAPI-shaped: ``type``,
  ``loc`` (a tuple whose first item is the location: ``"path"``, ``"query"``,
  ``"header"``, ``"cookie"``, ``"body"``, or ``"response"``), ``msg``,
  ``input``, and ``ctx`` when pydantic gave one. Pydantic's ``url`` key is
  never present.
* The default handler answers 422 with ``{"detail": jsonable_encoder(errors)}``:
  tuples become lists and exception objects in ``ctx`` become ``{}``, exactly
  as FastAPI renders them.
* ``str(exc)`` is FastAPI's: a count, one line per error, then the endpoint's
  file, line, function and ``METHOD /path`` (for logs).
* Building error dicts only happens when validation failed: nothing here runs
  on the happy path.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ferrule.asgi_core.forms import UploadFile
from ferrule.asgi_core.request import HTTPConnection
from pydantic_core import PydanticSerializationError, to_json

from ferrule.asgi_core.response import JSON_CONTENT_TYPE, JSONResponse
from ferrule.asgi_core.source import source_location

from ._v1 import PydanticV1NotSupportedError as PydanticV1NotSupportedError
from .encoders import jsonable_encoder

__all__ = [
    "EndpointContext",
    "PydanticV1NotSupportedError",
    "RequestValidationError",
    "ResponseValidationError",
    "ValidationException",
    "WebSocketRequestValidationError",
    "request_validation_exception_handler",
]


@dataclass(frozen=True, slots=True)
class EndpointContext:
    """Where an endpoint lives, for error messages and logs (built once per endpoint).

    Attributes:
        function: the endpoint's ``__qualname__`` (or ``__name__``).
        file: its source file, when known.
        line: the line of its ``def``, when known.
        method_path: e.g. ``"GET /items/{item_id}"``.
    """

    function: str
    file: str | None = None
    line: int | None = None
    method_path: str = ""

    @classmethod
    def from_callable(cls, call: Any, method_path: str = "") -> EndpointContext:
        """Build the context of ``call``; unknown file/line stay ``None`` (never raises)."""
        target = inspect.unwrap(call) if callable(call) else call
        name = getattr(target, "__name__", None) or type(target).__name__
        file, line = source_location(target)
        return cls(function=name, file=file, line=line, method_path=method_path)

    @classmethod
    def coerce(cls, ctx: EndpointContext | Mapping[str, Any] | None) -> EndpointContext | None:
        """``ctx`` as an ``EndpointContext``; FastAPI's dict form (``function``, ``path``,
        ``file``, ``line``) is accepted, as FastAPI code passes it."""
        if ctx is None or isinstance(ctx, EndpointContext):
            return ctx
        return cls(
            function=str(ctx.get("function") or ""),
            file=ctx.get("file"),
            line=ctx.get("line"),
            method_path=str(ctx.get("path") or ""),
        )

    def __getitem__(self, key: str) -> Any:
        """COMPAT(fastapi): ``exc.endpoint_ctx["path"]``, as on FastAPI's dict."""
        return self.as_dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        """COMPAT(fastapi): ``exc.endpoint_ctx.get("file")``, as on FastAPI's dict."""
        return self.as_dict().get(key, default)

    def as_dict(self) -> dict[str, Any]:
        """FastAPI's ``EndpointContext`` dict (``function``, ``path``, ``file``, ``line``)."""
        ctx: dict[str, Any] = {"function": self.function}
        if self.file is not None:
            ctx["file"] = self.file
        if self.line is not None:
            ctx["line"] = self.line
        if self.method_path:
            ctx["path"] = self.method_path
        return ctx


def _context(ctx: EndpointContext | Mapping[str, Any] | None) -> EndpointContext | None:
    return ctx if ctx is None or type(ctx) is EndpointContext else EndpointContext.coerce(ctx)


class ValidationException(Exception):
    """Base class of ferrule's validation errors (FastAPI's name).

    Args:
        errors: the FastAPI-shaped error dicts.
        endpoint_ctx: where the failing endpoint lives.
    """

    def __init__(
        self, errors: Sequence[Any], *, endpoint_ctx: EndpointContext | Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(errors)
        self._errors = list(errors)
        self.endpoint_ctx = _context(endpoint_ctx)

    # PERF: read from endpoint_ctx when asked (a 422 is raised per bad request;
    # these are read only by custom handlers and in tracebacks).
    @property
    def endpoint_function(self) -> str | None:
        """The endpoint's function name."""
        return self.endpoint_ctx.function if self.endpoint_ctx else None

    @property
    def endpoint_path(self) -> str | None:
        """``"METHOD /path"`` of the endpoint."""
        return self.endpoint_ctx.method_path or None if self.endpoint_ctx else None

    @property
    def endpoint_file(self) -> str | None:
        """The file the endpoint is defined in."""
        return self.endpoint_ctx.file if self.endpoint_ctx else None

    @property
    def endpoint_line(self) -> int | None:
        """The line the endpoint is defined on."""
        return self.endpoint_ctx.line if self.endpoint_ctx else None

    def errors(self) -> list[Any]:
        """The error dicts (``type``, ``loc``, ``msg``, ``input``, ``ctx`` when present)."""
        return self._errors

    def _format_endpoint_context(self) -> str:
        if not (self.endpoint_file and self.endpoint_line and self.endpoint_function):
            return f"\n  Endpoint: {self.endpoint_path}" if self.endpoint_path else ""
        text = f'\n  File "{self.endpoint_file}", line {self.endpoint_line}, in {self.endpoint_function}'
        if self.endpoint_path:
            text += f"\n    {self.endpoint_path}"
        return text

    def __str__(self) -> str:
        count = len(self._errors)
        lines = [f"{count} validation error{'s' if count != 1 else ''}:\n"]
        lines.extend(f"  {error}\n" for error in self._errors)
        lines.append(self._format_endpoint_context())
        return "".join(lines).rstrip()


class _ValidationExceptionWithBody(ValidationException):
    """A validation error that keeps the body it is about (``body=``, FastAPI's keyword)."""

    def __init__(
        self,
        errors: Sequence[Any],
        *,
        body: Any = None,
        endpoint_ctx: EndpointContext | Mapping[str, Any] | None = None,
    ) -> None:
        # PERF: ValidationException.__init__ inlined (one is raised per bad request).
        Exception.__init__(self, errors)
        self._errors = list(errors)
        self.endpoint_ctx = _context(endpoint_ctx)
        self.body = body


class RequestValidationError(_ValidationExceptionWithBody):
    """The request's parameters or body are invalid: a 422.

    Attributes:
        body: the request body as received (decoded JSON, ``FormData``, raw
            bytes, or the undecodable text for invalid JSON); ``None`` when
            there was none.
    """


class WebSocketRequestValidationError(ValidationException):
    """A WebSocket's path, query, header or cookie parameters are invalid."""


class ResponseValidationError(_ValidationExceptionWithBody):
    """The endpoint returned data that breaks its response model: a 500.

    Attributes:
        body: the value the endpoint returned.
    """


async def request_validation_exception_handler(
    request: HTTPConnection, exc: RequestValidationError
) -> JSONResponse:
    """The default handler: 422 with ``{"detail": [...errors...]}``, FastAPI's body."""
    # SECURITY: a body that is not UTF-8 (sent as text/plain, say) is echoed as
    # the error's input; FastAPI would fail with a 500 there, ferrule replaces
    # the undecodable bytes. Likewise for what JSON cannot carry: non-finite
    # floats (``1e999``, ``NaN`` in a JSON body) and lone surrogates (``"\ud800"``),
    # and uploaded files (a form model's input holds them): their metadata.
    errors = exc.errors()
    # PERF: error lists are almost always plain JSON already: pydantic-core
    # serializes them in one go (non-finite floats as the strings "NaN" and
    # "Infinity", as _finite_or_text would) and refuses everything else -
    # lone surrogates, undecodable bytes, exception objects in ``ctx``,
    # uploads - which then takes jsonable_encoder's slow, lenient walk.
    # Inputs come from the request (JSON values, strings, bytes, uploads); only
    # ``ctx`` holds constraint values such as Decimal or date, which
    # jsonable_encoder renders differently from pydantic-core (1 vs "1").
    for error in errors:
        ctx = error.get("ctx")
        if ctx and not all(type(value) in _PLAIN_SCALARS for value in ctx.values()):
            break
    else:
        try:
            body = to_json({"detail": errors}, inf_nan_mode="strings")
        except PydanticSerializationError:
            pass
        else:
            headers = [(b"content-length", str(len(body)).encode("ascii")), JSON_CONTENT_TYPE]
            return JSONResponse.prerendered(body, 422, headers)
    detail = jsonable_encoder(errors, custom_encoder=_LENIENT_BYTES)
    return JSONResponse({"detail": detail}, status_code=422)


_PLAIN_SCALARS = frozenset((str, int, float, bool, type(None)))


def _decode_lenient(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _finite_or_text(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _encodable_text(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def _upload_metadata(upload: UploadFile) -> dict[str, Any]:
    return {"filename": upload.filename, "size": upload.size, "content_type": upload.content_type}


_LENIENT_BYTES: dict[Any, Any] = {
    bytes: _decode_lenient,
    float: _finite_or_text,
    str: _encodable_text,
    UploadFile: _upload_metadata,
}


# --- building error dicts (cold path only) -----------------------------------


def missing_error(loc: tuple[Any, ...]) -> dict[str, Any]:
    """FastAPI's error for an absent required value (its ``input`` is ``None``)."""
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}
