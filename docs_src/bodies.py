"""Tutorial: request bodies, forms and files (docs/tutorial/bodies.md)."""

from typing import Annotated

from pydantic import BaseModel, Field

from ferrule import App, Body, File, Form, UploadFile

app = App()


class Item(BaseModel):
    name: str = Field(min_length=1)
    price: float = Field(gt=0)
    tags: list[str] = []


class ItemOut(BaseModel):
    name: str
    price: float


@app.post("/items", response_model=ItemOut)
def create_item(item: Item) -> Item:
    # response_model filters the output: `tags` is not sent back.
    return item


@app.put("/items/{item_id}")
def update_item(item_id: int, item: Annotated[Item, Body(embed=True)], note: Annotated[str, Body()] = "") -> dict[str, object]:
    return {"item_id": item_id, "name": item.name, "note": note}


@app.post("/login")
def login(username: Annotated[str, Form()], password: Annotated[str, Form()]) -> dict[str, str]:
    return {"username": username}


@app.post("/upload")
async def upload(file: UploadFile, description: Annotated[str, Form()] = "") -> dict[str, object]:
    content = await file.read()
    return {"filename": file.filename, "size": len(content), "description": description}


@app.post("/raw")
def raw_bytes(data: Annotated[bytes, File()]) -> dict[str, int]:
    return {"size": len(data)}
