"""Dependencies written with `from __future__ import annotations` and forward references.

Used by test_graph.py: every annotation here is a string until ferrule resolves it.
"""

from __future__ import annotations

from typing import Annotated

from ferrule.asgi_core.request import Request
from ferrule.di import Depends


def endpoint(settings: Annotated[Settings, Depends()], user: Annotated[str, Depends(get_user)], q: int = 1) -> tuple[Settings, str, int]:
    return settings, user, q


def get_user(request: Request, settings: Annotated[Settings, Depends()]) -> str:
    return f"user-from-{request.url.path}-{settings.name}"


class Settings:
    def __init__(self, verbose: bool = False) -> None:
        self.name = "settings"
        self.verbose = verbose


# A cycle through forward references: ping -> pong -> ping.
def cyclic_endpoint(value: Annotated[int, Depends(ping)]) -> int:
    return value


def ping(value: Annotated[int, Depends(pong)]) -> int:
    return value


def pong(value: Annotated[int, Depends(ping)]) -> int:
    return value


def unresolvable(value: Annotated[int, Depends(not_defined_anywhere)]) -> int:  # noqa: F821
    return value
