"""Every code sample of the documentation (docs_src/) is exercised here.

The pages include these files verbatim (pymdownx.snippets), so a sample that
stops working fails this suite before it can mislead a reader. The last test
checks that no docs_src file is left without a test.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from ferrule.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent.parent


def sample(name: str) -> Any:
    """Import docs_src/<name>.py (the name is also how the last test finds what is covered)."""
    return importlib.import_module(f"docs_src.{name}")


def test_first_app() -> None:
    tests = sample("first_app_tests")
    sample("first_app")
    tests.test_create_then_list()
    tests.test_bad_input_is_a_422()


def test_params() -> None:
    client = TestClient(sample("params").app)
    assert client.get("/users/me").json() == {"user": "me"}
    assert client.get("/users/7").json() == {"user_id": 7}
    assert client.get("/users/0").status_code == 422
    assert client.get("/shirts/large?colour=red").json() == {"size": "large", "colour": "red"}
    assert client.get("/shirts/medium").status_code == 422
    assert client.get("/search?q=ab&tags=x&tags=y").json() == {"q": "ab", "tags": ["x", "y"], "page": 1}
    assert client.get("/search?q=a").json()["detail"][0]["type"] == "string_too_short"
    assert client.get("/files/a/b.txt").json() == {"file_path": "a/b.txt"}


def test_bodies() -> None:
    client = TestClient(sample("bodies").app)
    assert client.post("/items", json={"name": "pen", "price": 2, "tags": ["x"]}).json() == {"name": "pen", "price": 2.0}
    assert client.post("/items", json={"name": "", "price": 0}).status_code == 422
    updated = client.put("/items/3", json={"item": {"name": "pen", "price": 1}, "note": "n"})
    assert updated.json() == {"item_id": 3, "name": "pen", "note": "n"}
    assert client.post("/login", data={"username": "u", "password": "p"}).json() == {"username": "u"}
    uploaded = client.post("/upload", files={"file": ("a.txt", b"hello")}, data={"description": "d"})
    assert uploaded.json() == {"filename": "a.txt", "size": 5, "description": "d"}
    assert client.post("/raw", files={"data": ("b.bin", b"\x00\x01")}).json() == {"size": 2}


def test_dependencies() -> None:
    module = sample("dependencies")
    module.EVENTS.clear()
    with TestClient(module.app) as client:
        assert client.get("/orders").status_code == 401
        first = client.get("/orders", headers={"X-User": "ann"})
        second = client.get("/orders", headers={"X-User": "ann"})
        assert first.json() == {"user": "ann", "queries": 1}
        # One pool for the app: the second request sees the first one's query.
        assert second.json() == {"user": "ann", "queries": 2}
        assert client.delete("/orders/9", headers={"X-User": "ann"}).status_code == 404
    assert module.EVENTS == ["begin", "commit", "begin", "commit", "begin", "rollback"]


def test_security() -> None:
    client = TestClient(sample("security").app)
    assert client.post("/token", data={"username": "bob", "password": "nope"}).status_code == 400
    token = client.post("/token", data={"username": "bob", "password": "builder"}).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/items").status_code == 401
    assert client.get("/items", headers=bearer).json() == {"owner": "bob"}
    assert client.post("/items", headers=bearer).status_code == 403
    assert client.post("/items", headers={"Authorization": "Bearer alice-token"}).json() == {"written_by": "alice"}
    assert client.get("/status", headers={"X-API-Key": "ops-key"}).json() == {"operator": True}
    assert client.get("/status").json() == {"operator": False}


def test_responses() -> None:
    client = TestClient(sample("responses").app)
    created = client.post("/users", json={"name": "ann", "password": "s3cret"})
    assert (created.status_code, created.json()) == (201, {"name": "ann"})
    assert client.get("/brew/coffee").status_code == 418
    missing = client.get("/brew/cola")
    assert (missing.status_code, missing.headers["x-menu"]) == (404, "tea, herbal")
    assert client.get("/hello").text == "hello"
    assert client.get("/page").headers["content-type"].startswith("text/html")
    assert client.get("/old", follow_redirects=False).headers["location"] == "/page"
    cookie = client.get("/cookie")
    assert cookie.headers["x-served-by"] == "ferrule" and "session=abc" in cookie.headers["set-cookie"]


def test_streaming() -> None:
    client = TestClient(sample("streaming").app)
    assert client.get("/download").text == "line 0\nline 1\nline 2\n"
    lines = client.get("/ticks?count=2")
    assert lines.headers["content-type"] == "application/jsonl"
    assert lines.text.splitlines() == ['{"n":0}', '{"n":1}']
    events = client.get("/events?count=2")
    assert events.headers["content-type"].startswith("text/event-stream")
    assert events.text.replace("\r\n", "\n").split("\n\n")[:2] == [
        'event: tick\ndata: {"n": 0}\nid: 0',
        'event: tick\ndata: {"n": 1}\nid: 1',
    ]


def test_websockets() -> None:
    module = sample("websockets")
    client = TestClient(module.app)
    with client.websocket_connect("/echo?token=letmein") as ws:
        ws.send_text("hi")
        assert ws.receive_json() == {"echo": "hi"}
    assert module.DISCONNECTS[-1] == 1000
    with pytest.raises(Exception) as denied:
        with client.websocket_connect("/echo?token=wrong") as ws:
            ws.receive_text()
    assert "1008" in repr(denied.value) or getattr(denied.value, "code", None) == 1008


def test_middleware() -> None:
    client = TestClient(sample("middleware").app)
    response = client.get("/report", headers={"Origin": "https://example.com", "Accept-Encoding": "gzip"})
    assert response.headers["access-control-allow-origin"] == "https://example.com"
    assert response.headers["content-encoding"] == "gzip"
    assert float(response.headers["x-process-time"]) >= 0
    assert response.json() == {"text": "x" * 1000}


def test_lifespan() -> None:
    module = sample("lifespan")
    module.LOG.clear()
    with TestClient(module.app) as client:
        assert module.LOG == ["startup"]
        assert client.get("/answer").json() == {"answer": 42}
    assert module.LOG == ["startup", "shutdown"]


def test_openapi() -> None:
    document = TestClient(sample("openapi").app).get("/openapi.json").json()
    assert document["info"] == {"title": "Inventory", "version": "2.1.0"}
    assert document["tags"] == [{"name": "items", "description": "Things we sell."}]
    assert set(document["paths"]) == {"/items/{item_id}", "/items"}
    read = document["paths"]["/items/{item_id}"]["get"]
    assert read["summary"] == "Read one item" and read["responses"]["404"] == {"description": "No such item"}
    assert document["paths"]["/items"]["post"]["operationId"] == "create_item"


def test_beyond() -> None:
    from ferrule import App
    from ferrule.routing.errors import RouteConflictError

    module = sample("beyond")
    with TestClient(module.app) as client:
        assert client.post("/notes", json={"text": "x" * 2000}).status_code == 413
        assert client.post("/notes", json={"text": "hi"}).json() == {"text": "hi"}
        assert client.get("/slow").status_code == 503
        assert client.get("/region").json() == {"region": "eu"}
    assert ("POST /notes", "endpoint") in module.timings.seen
    with pytest.raises(RouteConflictError, match="by_id"):
        App().include_router(module.conflicting_router())


def test_channels() -> None:
    client_app = sample("channels").app
    with TestClient(client_app) as client:
        first = client.post("/notes", json={"text": "one"}).json()["id"]
        client.post("/notes", json={"text": "two"})
        client.post("/notes", json={"text": "three"})
        # Resuming after the first event gives exactly the two that followed, in order.
        assert client.get("/missed", params={"after": first}).json() == [{"text": "two"}, {"text": "three"}]
        with client.websocket_connect("/chat") as alice, client.websocket_connect("/chat") as bob:
            alice.send_text("hello")
            assert bob.receive_text() == "hello"
            assert alice.receive_text() == "hello"


def test_every_sample_is_exercised() -> None:
    # Read statically (tests of this file may run in different xdist workers):
    # a Python sample is covered by a sample(<its name>) call here, any other file
    # (deploy/Dockerfile, deploy/nginx.conf) by a test in tests/docs naming it.
    here = Path(__file__).read_text(encoding="utf-8")
    covered = set(re.findall(r'sample\("(\w+)"\)', here))
    others = "".join(path.read_text(encoding="utf-8") for path in Path(__file__).parent.glob("test_*.py"))
    samples = {path.stem for path in (ROOT / "docs_src").glob("*.py") if path.stem != "__init__"}
    assert samples - covered == set(), f"docs_src files without a test in {Path(__file__).name}"
    assert covered - samples == set(), "tests name docs_src files that do not exist"
    files = [p for p in (ROOT / "docs_src").rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")]
    assert files, "docs_src holds non-Python samples (deploy/)"
    assert [p.name for p in files if f'"{p.name}"' not in others] == []
