"""The shared exceptions: statuses, default details, messages and reprs."""

from __future__ import annotations

import pytest

from ferrule.asgi_core.exceptions import (
    ClientDisconnect,
    FerruleError,
    HTTPException,
    MalformedInputError,
    PayloadTooLargeError,
    RequestHeaderFieldsTooLargeError,
    RequestInputError,
    UnsupportedMediaTypeError,
    WebSocketException,
    truncated_repr,
)


def test_truncated_repr_cuts_long_values_with_an_ellipsis() -> None:
    assert truncated_repr("short") == "'short'"
    cut = truncated_repr("x" * 200, limit=20)
    assert cut == "'" + "x" * 16 + "..."
    assert len(cut) == 20
    assert truncated_repr(b"\x00" * 3, limit=80) == repr(b"\x00" * 3)


def test_http_exception_detail_defaults_to_the_reason_phrase() -> None:
    assert HTTPException(404).detail == "Not Found"
    assert HTTPException(418).detail == "I'm a Teapot"
    assert HTTPException(599).detail == ""  # no phrase for an unknown code
    custom = HTTPException(400, {"field": "bad"})
    assert custom.detail == {"field": "bad"}
    assert custom.args == (400, {"field": "bad"})


def test_http_exception_headers_are_copied_and_default_to_none() -> None:
    given = {"WWW-Authenticate": "Bearer"}
    exc = HTTPException(401, headers=given)
    given["X-Later"] = "1"
    assert exc.headers == {"WWW-Authenticate": "Bearer"}
    assert HTTPException(401).headers is None


def test_http_exception_str_and_repr() -> None:
    exc = HTTPException(403, "nope")
    assert str(exc) == "403: nope"
    assert repr(exc) == "HTTPException(status_code=403, detail='nope')"


def test_websocket_exception_code_reason_str_and_repr() -> None:
    exc = WebSocketException(1008, "policy")
    assert (exc.code, exc.reason, exc.args) == (1008, "policy", (1008, "policy"))
    assert str(exc) == "1008: policy"
    assert repr(exc) == "WebSocketException(code=1008, reason='policy')"
    assert WebSocketException(1000).reason == ""


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (RequestInputError, 400),
        (MalformedInputError, 400),
        (PayloadTooLargeError, 413),
        (UnsupportedMediaTypeError, 415),
        (RequestHeaderFieldsTooLargeError, 431),
    ],
)
def test_request_input_errors_carry_their_status_and_short_message(
    cls: type[RequestInputError], status: int
) -> None:
    exc = cls("body too large")
    assert isinstance(exc, HTTPException)
    assert (exc.status_code, exc.detail, exc.message) == (status, "body too large", "body too large")
    assert str(exc) == "body too large"
    assert repr(exc) == f"{cls.__name__}(status_code={status}, detail='body too large')"
    assert cls("x", status_code=422).status_code == 422


def test_the_three_kinds_are_distinct() -> None:
    assert not issubclass(FerruleError, HTTPException)
    assert not issubclass(ClientDisconnect, HTTPException)
    assert not issubclass(WebSocketException, HTTPException)
    assert issubclass(ClientDisconnect, Exception)
