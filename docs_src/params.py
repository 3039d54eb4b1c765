"""Tutorial: path and query parameters (docs/tutorial/params.md)."""

from enum import Enum
from typing import Annotated

from ferrule import App, Path, Query

app = App()


class Size(str, Enum):
    small = "small"
    large = "large"


@app.get("/users/me")
def read_me() -> dict[str, str]:
    # A static segment beats a parameter, whatever the registration order.
    return {"user": "me"}


@app.get("/users/{user_id}")
def read_user(user_id: Annotated[int, Path(ge=1)]) -> dict[str, int]:
    return {"user_id": user_id}


@app.get("/shirts/{size}")
def read_shirts(size: Size, colour: str | None = None) -> dict[str, str | None]:
    return {"size": size.value, "colour": colour}


@app.get("/search")
def search(
    q: Annotated[str, Query(min_length=2, max_length=50)],
    tags: Annotated[list[str], Query()] = [],
    page: Annotated[int, Query(ge=1)] = 1,
) -> dict[str, object]:
    return {"q": q, "tags": tags, "page": page}


@app.get("/files/{file_path:path}")
def read_file(file_path: str) -> dict[str, str]:
    return {"file_path": file_path}
