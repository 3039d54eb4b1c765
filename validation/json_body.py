"""Decoding a JSON request body: the stdlib's outcome, pydantic-core's speed.

Rules:

1. Decoding: pydantic-core's ``from_json`` first; when it refuses the input,
   the stdlib decoder decides, so the outcome is the stdlib's (which accepts
   BOMs and UTF-16/32), except for nesting: past pydantic-core's 200 levels the
   body is a 400 (one depth limit; the stdlib's ~990 would give a 500 later,
   when an error or response echoes the value). A ``json.JSONDecodeError``
   is FastAPI's ``json_invalid`` 422 entry (``loc: ["body", <pos>]``, ``ctx.error`` = the stdlib's message);
   any other failure (bad UTF-8, too deep) is a 400.
2. Policy (a difference from FastAPI): JSON that no response could carry back
   is refused on input with a 400: ``NaN``/``Infinity`` (not JSON, RFC 8259
   §6), numbers that overflow to infinity (``1e999``) and lone surrogates
   (``"\\ud800"``, UTF-8-encoded ``ED A0 80``). FastAPI accepts them and then
   answers 500 when an endpoint echoes them.
3. Which bodies are JSON: ``application/json`` or ``application/*+json``,
   parameters and case ignored, read as FastAPI reads it (``email``'s rules).
"""

from __future__ import annotations

import json
from typing import Any, Final

from pydantic_core import from_json

from ferrule.asgi_core.exceptions import MalformedInputError

from .encoders import json_sendable
from .errors import EndpointContext, RequestValidationError

__all__ = ["decode_json", "is_json_media_type"]


def is_json_media_type(raw: bytes) -> bool:
    """``application/json`` or ``application/*+json``, as Python's ``email`` module parses it."""
    # COMPAT(fastapi): FastAPI reads the type with email.message.Message, which
    # takes the text before the first ';', lowercased and stripped, and treats
    # anything without exactly one '/' as text/plain.
    media = raw.split(b";", 1)[0].strip().lower()
    if media == b"application/json":
        return True
    if media.count(b"/") != 1:
        return False
    main, sub = media.split(b"/")
    return main.strip() == b"application" and (sub.strip() == b"json" or sub.strip().endswith(b"+json"))


# A number can overflow to inf only with an exponent (a digit then 'e'/'E') or
# with 309+ integer digits (so only in a body over 300 bytes). PERF: digits map
# to "0" and "E" to "e", so one substring test finds an exponent: twice as fast
# as a regex search on a small body.
_DIGITS_AND_E: Final = bytes.maketrans(b"123456789E", b"000000000e")


def _has_exponent(raw: bytes) -> bool:
    return b"0e" in raw.translate(_DIGITS_AND_E)


def decode_json(raw: bytes, endpoint_ctx: EndpointContext | None) -> Any:
    """Decode a JSON body with the stdlib's outcome (see the module docstring).

    Raises:
        RequestValidationError: FastAPI's ``json_invalid`` entry.
        MalformedInputError: the body cannot be decoded at all (400).
    """
    try:
        value = from_json(raw, allow_inf_nan=False)
    except ValueError as exc:
        if "recursion limit" in str(exc):
            # SECURITY: one depth limit (pydantic-core's 200 levels) with one clear 400;
            # the stdlib would accept ~990 levels that no response can echo (issue 18 item 10).
            # COMPAT(fastapi): its message for a body it cannot parse.
            raise MalformedInputError("There was an error parsing the body") from None
    else:
        # SECURITY: an overflowing literal (1e999) decodes to inf, which no JSON
        # response can carry; only literals with an exponent or many digits can.
        # from_json itself refuses lone surrogates, so only floats are checked.
        # PERF: bench `body` - the walk is skipped for small bodies without exponent.
        if (len(raw) > 300 or _has_exponent(raw)) and not json_sendable(value, check_strings=False):
            raise MalformedInputError("There was an error parsing the body: a number is out of range")
        return value
    try:
        # NaN/Infinity decode to floats here and are refused with the rest of
        # what no response could carry, after the whole text parsed: "NaNnull"
        # is json_invalid (extra data), as for the stdlib.
        value = json.loads(raw)
        if not json_sendable(value):
            raise MalformedInputError(
                "There was an error parsing the body: NaN, Infinity, out-of-range numbers "
                "and lone surrogates are not allowed"
            )
        return value
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            ],
            body=exc.doc,
            endpoint_ctx=endpoint_ctx,
        ) from None
    except (ValueError, RecursionError) as exc:
        # COMPAT(fastapi): its message for a body it cannot parse.
        raise MalformedInputError("There was an error parsing the body") from exc
