"""Data shared by every framework's apps: the pydantic models and the `deps` resources.

Every app validates and serializes with these same models, so differences in
the table are the frameworks' own work, not different models.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from pydantic import BaseModel

__all__ = ["Variant", "Item", "BigItem", "Line", "Tick", "Session", "get_db_session", "SETTINGS"]


class Variant(BaseModel):
    sku: str
    size: int


class Item(BaseModel):
    """The `body` scenario's model: six fields, one a nested list of models."""

    name: str
    price: float
    quantity: int
    in_stock: bool
    tags: list[str]
    variants: list[Variant]


class BigItem(BaseModel):
    """One of the 10,000 items of `big_json`."""

    id: int
    name: str
    price: float
    tags: list[str]


class Tick(BaseModel):
    """One event of the `sse_model` stream."""

    i: int


class Line(BaseModel):
    """One line of the `jsonl` stream."""

    i: int
    name: str


class Session:
    """A stand-in for a database session: opened per request, closed after it."""

    __slots__ = ("is_open",)

    def __init__(self) -> None:
        self.is_open = True

    def close(self) -> None:
        self.is_open = False


#: What the `deps` scenario's settings dependency returns.
SETTINGS: dict[str, str] = {"app": "bench"}


async def get_db_session() -> AsyncIterator[Session]:
    """The `yield` dependency of `deps`: the session is closed after the response."""
    session = Session()
    try:
        yield session
    finally:
        session.close()
