"""The README's example app (examples/app.py), driven end to end."""

import json

import pytest

from examples.app import API_KEY, app
from sse_lines import next_event
from ferrule.testclient import TestClient

AUTH = {"X-API-Key": API_KEY}


@pytest.fixture
def client() -> TestClient:
    with TestClient(app) as client:
        yield client  # type: ignore[misc]


def test_crud_cycle(client: TestClient) -> None:
    created = client.post("/notes", json={"title": "first", "tags": ["a"]}, headers=AUTH)
    assert created.status_code == 201
    note = created.json()
    assert note == {"id": note["id"], "title": "first", "body": "", "tags": ["a"]}
    assert client.get(f"/notes/{note['id']}").json() == note
    assert client.get("/notes", params={"tag": "a"}).json() == [note]
    replaced = client.put(f"/notes/{note['id']}", json={"title": "second"}, headers=AUTH)
    assert replaced.json()["title"] == "second"
    assert client.delete(f"/notes/{note['id']}", headers=AUTH).status_code == 204
    assert client.get(f"/notes/{note['id']}").status_code == 404


def test_writes_need_the_api_key(client: TestClient) -> None:
    response = client.post("/notes", json={"title": "x"})
    assert response.status_code == 401
    assert response.json() == {"detail": "missing or wrong X-API-Key header"}


def test_validation_errors_are_422(client: TestClient) -> None:
    response = client.post("/notes", json={"title": ""}, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "title"]
    assert client.get("/notes", params={"limit": 1000}).status_code == 422


def test_jsonl_export(client: TestClient) -> None:
    for title in ("a", "b"):
        client.post("/notes", json={"title": title}, headers=AUTH)
    response = client.get("/export")
    assert response.headers["content-type"].startswith("application/jsonl")
    titles = [json.loads(line)["title"] for line in response.text.splitlines()]
    assert titles[-2:] == ["a", "b"]


def test_sse_feed_receives_created_notes(client: TestClient) -> None:
    with client.stream("GET", "/feed") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        created = client.post("/notes", json={"title": "live"}, headers=AUTH).json()
        fields = next_event(response.iter_lines())
    assert fields["event"] == "note"
    assert json.loads(fields["data"]) == created


def test_sse_feed_resumes_from_last_event_id(client: TestClient) -> None:
    with client.stream("GET", "/feed") as response:
        client.post("/notes", json={"title": "seen"}, headers=AUTH)
        last_id = next_event(response.iter_lines())["id"]
    missed = [client.post("/notes", json={"title": t}, headers=AUTH).json() for t in ("m1", "m2")]
    with client.stream("GET", "/feed", headers={"Last-Event-ID": last_id}) as response:
        lines = response.iter_lines()
        got = [json.loads(next_event(lines)["data"]) for _ in range(2)]
    assert got == missed


def test_websocket_chat_broadcasts(client: TestClient) -> None:
    with client.websocket_connect("/chat?name=ann") as ann, client.websocket_connect("/chat?name=bob") as bob:
        ann.send_text("hello")
        assert ann.receive_text() == "ann: hello"
        assert bob.receive_text() == "ann: hello"
        bob.send_text("hi")
        assert ann.receive_text() == "bob: hi"
        assert bob.receive_text() == "bob: hi"


def test_docs_and_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "ferrule notes"
