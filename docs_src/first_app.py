"""Getting started: a first app (docs/getting-started.md)."""

from typing import Annotated

from pydantic import BaseModel

from ferrule import App, Depends, HTTPException, Query

app = App(title="shop")


class Item(BaseModel):
    name: str
    price: float


ITEMS: dict[int, Item] = {}


def pagination(limit: Annotated[int, Query(ge=1, le=100)] = 20) -> int:
    return limit


@app.post("/items/{item_id}", status_code=201)
async def create(item_id: int, item: Item) -> Item:
    if item_id in ITEMS:
        raise HTTPException(409, f"item {item_id} exists")
    ITEMS[item_id] = item
    return item


@app.get("/items")
async def list_items(limit: Annotated[int, Depends(pagination)]) -> list[Item]:
    return list(ITEMS.values())[:limit]
