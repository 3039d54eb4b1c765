"""Per-route time limits: ``body_timeout`` (408) and ``response_timeout`` (503).

Both are route options (``RouteOptions``), set on ``App``, ``APIRouter`` or a
route and merged like ``max_body_size``; ``None`` (the default) means no limit.

Rules:

* ``body_timeout``: the request body must arrive within this many seconds of
  the first ``receive()`` that asks for it (``Request.stream()``/``body()``/
  ``form()``, the body parameters included). Over the limit the read raises
  ``RequestTimeoutError`` (408, ``Connection: close``: the rest of the body
  is never read, RFC 9110 §15.5.9). Only body reads are timed: once the body
  is complete (or the client is gone) ``receive()`` is passed through, so a
  streaming response waiting for ``http.disconnect`` is never cut short.
* ``response_timeout``: solving the dependencies (reading the body included)
  and running the endpoint must finish within this many seconds, else the
  work is cancelled and ``ResponseTimeoutError`` (503) is raised. Sending the
  response is not timed, and a generator endpoint's iteration (SSE, JSON
  Lines, raw streams) is never wrapped: the limit ends once the response
  object exists (a timeout would finalize the generator at the wrong time).
* Cleanup always runs: the limit's cancel scope encloses the request's exit
  stack, so ``yield`` dependencies are torn down (shielded, as on any
  cancellation) before the 503 is raised; their teardown sees the
  cancellation, not the 503.
* A sync endpoint or dependency runs in a worker thread, which cannot be
  interrupted: the 503 is sent when the thread returns (its result is
  discarded).
* A value must be ``None`` or a positive, finite number of seconds;
  anything else is a ``RouteConfigError`` when the route is added.
"""

from __future__ import annotations

import math
from typing import Final

import anyio

from ferrule.asgi_core.exceptions import HTTPException, RequestInputError
from ferrule.asgi_core.types import Message, Receive

from .errors import RouteConfigError

__all__ = ["RequestTimeoutError", "ResponseTimeoutError", "check_timeout", "timed_body_receive"]

_CLOSE: Final = {"Connection": "close"}


class RequestTimeoutError(RequestInputError):
    """The request body did not arrive within the route's ``body_timeout``: 408."""

    default_status = 408

    def __init__(self, message: str) -> None:
        super().__init__(message)
        # SPEC: RFC 9110 §15.5.9 - a server sending 408 SHOULD close the connection.
        self.headers = dict(_CLOSE)


class ResponseTimeoutError(HTTPException):
    """Dependencies and endpoint did not finish within the route's ``response_timeout``: 503."""

    def __init__(self, message: str) -> None:
        super().__init__(503, message)


def check_timeout(name: str, value: object, where: str) -> float | None:
    """Validate a timeout option at startup; return it as a float (or ``None``).

    Raises:
        RouteConfigError: ``value`` is not ``None`` or a positive finite number.
    """
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise RouteConfigError(
            f"{where}: {name}={value!r} is not a time limit; pass a positive number of "
            f"seconds (e.g. {name}=30.0), or None for no limit",
            template=where,
        )
    return float(value)


def timed_body_receive(receive: Receive, timeout: float) -> Receive:
    """Wrap ``receive`` so the request body must arrive within ``timeout`` seconds.

    The clock starts at the first call; once the body is complete or the
    client has gone, calls pass straight through (see the module rules).
    """
    deadline: float | None = None
    body_done = False

    async def receive_body() -> Message:
        nonlocal deadline, body_done
        if body_done:
            return await receive()
        if deadline is None:
            deadline = anyio.current_time() + timeout
        with anyio.CancelScope(deadline=deadline) as scope:
            message = await receive()
        if scope.cancelled_caught:
            raise RequestTimeoutError(
                f"request body not received within {timeout:g} seconds (body_timeout)"
            )
        if message.get("type") != "http.request" or not message.get("more_body", False):
            body_done = True
        return message

    return receive_body
