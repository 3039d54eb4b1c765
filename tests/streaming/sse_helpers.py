"""Helpers shared by the SSE tests (test_sse_pump.py, test_sse_response.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter

from sse_reference import parse


class Item(BaseModel):
    name: str
    price: float


_item_adapter: TypeAdapter[Item] = TypeAdapter(Item)


def assert_whole_events(chunks: list[bytes]) -> None:
    """Every body message holds whole events: none starts or ends mid-event."""
    assert all(chunk.endswith(b"\n\n") for chunk in chunks)
    assert [len(parse(chunk).events) + len(parse(chunk).comments) for chunk in chunks] == [
        chunk.count(b"\n\n") for chunk in chunks
    ]


def encode_item(value: Any) -> bytes:
    """What routing passes for ``AsyncIterable[Item]``: validate, then dump JSON."""
    return _item_adapter.dump_json(_item_adapter.validate_python(value))
