"""What a check can conclude, and the registry of checks.

A check is a function of a ``Context`` (the server under test, with helpers).
It returns normally (pass, with an optional note) or raises one of:

* ``CheckFailed``: ferrule did something wrong (or nothing else explains it);
* ``ServerFault``: the server broke the spec; the message is the evidence
  (what the app provably sent or received, what reached the wire). On
  ferrule's own server there is nobody else to blame: it counts as a failure;
* ``NotSupported``: the server does not have the optional feature; the check
  verified ferrule's fallback where there is one.

Any other exception is a failure with the exception as its detail.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .context import Context

__all__ = [
    "Check",
    "CheckFailed",
    "CHECKS",
    "NotSupported",
    "Result",
    "ServerFault",
    "Status",
    "check",
    "expect",
    "run_check",
]


class CheckFailed(Exception):
    """ferrule (or the check's subject) is wrong."""


class ServerFault(Exception):
    """The server is wrong; the message is the evidence."""


class NotSupported(Exception):
    """The server does not implement this optional feature."""


class Status(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    NOT_SUPPORTED = "n/a"
    SERVER = "server"
    NOT_INSTALLED = "not installed"


@dataclass(frozen=True)
class Result:
    status: Status
    detail: str = ""


Kind = Literal["live", "process"]


@dataclass(frozen=True)
class Check:
    """A registered check.

    Attributes:
        id: stable id, e.g. ``scope.headers`` (a matrix row, a pytest id).
        title: what it checks, in a few words.
        cites: the spec section or RFC it comes from.
        kind: ``live`` runs against the shared server process; ``process``
            starts (and stops) processes of its own.
    """

    id: str
    title: str
    cites: str
    kind: Kind
    func: Callable[[Context], str | None]


CHECKS: list[Check] = []


def check(id: str, title: str, cites: str, kind: Kind = "live") -> Callable[[Callable[[Context], str | None]], Callable[[Context], str | None]]:
    """Register a check function (in definition order: the matrix's row order)."""

    def decorator(func: Callable[[Context], str | None]) -> Callable[[Context], str | None]:
        if any(c.id == id for c in CHECKS):
            raise ValueError(f"check id {id!r} is registered twice")
        CHECKS.append(Check(id, title, cites, kind, func))
        return func

    return decorator


def expect(condition: object, message: str) -> None:
    """Fail the check (ferrule's side) unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def server_expect(condition: object, evidence: str) -> None:
    """Blame the server unless ``condition`` holds."""
    if not condition:
        raise ServerFault(evidence)


def run_check(item: Check, ctx: Context) -> Result:
    """Run one check and classify how it ended."""
    try:
        note = item.func(ctx)
    except NotSupported as exc:
        return Result(Status.NOT_SUPPORTED, str(exc))
    except ServerFault as exc:
        if ctx.spec.name == "ferrule":
            # ferrule's own server is ferrule's code: no one else to blame.
            return Result(Status.FAIL, f"ferrule's server: {exc}")
        return Result(Status.SERVER, str(exc))
    except CheckFailed as exc:
        return Result(Status.FAIL, str(exc))
    except Exception as exc:  # noqa: BLE001 - any other error is a failure, reported with its type
        return Result(Status.FAIL, f"{type(exc).__name__}: {exc}")
    return Result(Status.PASS, note or "")
