"""Getting started: testing the first app with TestClient, as with FastAPI."""

from ferrule.testclient import TestClient

from docs_src.first_app import ITEMS, app


def test_create_then_list() -> None:
    ITEMS.clear()
    client = TestClient(app)
    created = client.post("/items/1", json={"name": "pen", "price": 2})
    assert created.status_code == 201
    assert created.json() == {"name": "pen", "price": 2.0}
    assert client.post("/items/1", json={"name": "pen", "price": 2}).status_code == 409
    assert client.get("/items").json() == [{"name": "pen", "price": 2.0}]


def test_bad_input_is_a_422() -> None:
    client = TestClient(app)
    response = client.get("/items?limit=0")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]
