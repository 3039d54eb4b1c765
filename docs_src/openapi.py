"""Tutorial: the OpenAPI document (docs/tutorial/openapi.md)."""

from pydantic import BaseModel

from ferrule import APIRouter, App

app = App(
    title="Inventory",
    version="2.1.0",
    openapi_tags=[{"name": "items", "description": "Things we sell."}],
)
items = APIRouter(prefix="/items", tags=["items"])


class Item(BaseModel):
    name: str
    price: float


@items.get("/{item_id}", summary="Read one item", responses={404: {"description": "No such item"}})
def read_item(item_id: int) -> Item:
    """Returns the item with this id."""
    return Item(name="pen", price=1.5)


@items.post("", status_code=201, operation_id="create_item")
def create_item(item: Item) -> Item:
    return item


@app.get("/internal", include_in_schema=False)
def internal() -> dict[str, bool]:
    return {"hidden": True}


app.include_router(items)
