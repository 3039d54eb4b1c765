"""Tutorial: dependencies, yield dependencies and app-scoped ones (docs/tutorial/dependencies.md)."""

from collections.abc import Iterator
from typing import Annotated

from ferrule import App, Depends, Header, HTTPException

app = App()


class Pool:
    """Stands in for a database pool: expensive to make, shared by every request."""

    def __init__(self) -> None:
        self.open = True
        self.queries = 0

    def close(self) -> None:
        self.open = False


def get_pool() -> Iterator[Pool]:
    pool = Pool()
    yield pool
    pool.close()


# scope="app": made once at startup, shared by all requests, closed at shutdown.
PoolDep = Annotated[Pool, Depends(get_pool, scope="app")]

EVENTS: list[str] = []


def transaction(pool: PoolDep) -> Iterator[Pool]:
    # A per-request yield dependency: the code after `yield` runs after the response.
    EVENTS.append("begin")
    try:
        yield pool
    except HTTPException:
        EVENTS.append("rollback")
        raise
    else:
        EVENTS.append("commit")


def current_user(x_user: Annotated[str | None, Header()] = None) -> str:
    if x_user is None:
        raise HTTPException(401, "X-User header required")
    return x_user


@app.get("/orders")
def list_orders(user: Annotated[str, Depends(current_user)], db: Annotated[Pool, Depends(transaction)]) -> dict[str, object]:
    db.queries += 1
    return {"user": user, "queries": db.queries}


@app.delete("/orders/{order_id}")
def delete_order(order_id: int, user: Annotated[str, Depends(current_user)], db: Annotated[Pool, Depends(transaction)]) -> None:
    raise HTTPException(404, f"order {order_id} not found")
