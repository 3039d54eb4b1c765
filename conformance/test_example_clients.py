"""The example app (examples/app.py) driven by real third-party clients over sockets, under
`ferrule run` and uvicorn: httpx (CRUD, auth, errors, JSON Lines), httpx-sse (the change
feed), the `websockets` client (the chat room) and schemathesis over the app's OpenAPI
document (bounded, seeded examples).

What must hold on every server: no 5xx, no network error, every response matches the
OpenAPI document. These clients are test-only dependencies (pyproject's `test` extra).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest
import schemathesis
from httpx_sse import aconnect_sse
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from websockets.asyncio.client import connect as ws_connect

from .servers import SERVERS, ServerProcess

API_KEY = {"X-API-Key": "secret-key"}
SERVER_NAMES = ("ferrule", "uvicorn-h11")


@pytest.fixture(scope="module", params=SERVER_NAMES)
def base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    spec = next(s for s in SERVERS if s.name == request.param)
    server = ServerProcess(spec, "examples.app:app", root_path="").start()
    try:
        server.wait_ready()
        yield f"http://{server.host}:{server.port}"
        assert server.poll() is None, f"{spec.name} died during the tests:\n{server.log()}"
        # uvicorn re-raises SIGTERM after its graceful shutdown (status -15); ferrule exits 0.
        clean = (0,) if spec.name == "ferrule" else (0, -15)
        assert server.stop() in clean, f"{spec.name} did not stop cleanly:\n{server.log()}"
    finally:
        server.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as c:
        yield c


@pytest.mark.anyio
async def test_crud_auth_and_errors_with_httpx(client: httpx.AsyncClient) -> None:
    r = await client.post("/notes", json={"title": "first", "tags": ["a"]})
    assert r.status_code == 401
    r = await client.post("/notes", json={"title": "first", "body": "text", "tags": ["a"]}, headers=API_KEY)
    assert r.status_code == 201
    note = r.json()
    assert note == {"id": note["id"], "title": "first", "body": "text", "tags": ["a"]}
    assert (await client.get(f"/notes/{note['id']}")).json() == note
    listed = (await client.get("/notes", params={"tag": "a", "limit": 100})).json()
    assert note in listed
    r = await client.put(f"/notes/{note['id']}", json={"title": "changed"}, headers=API_KEY)
    assert r.status_code == 200 and r.json()["title"] == "changed"
    r = await client.post("/notes", json={"title": ""}, headers=API_KEY)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "title"]
    r = await client.post("/notes", content=b"{not json", headers={**API_KEY, "content-type": "application/json"})
    assert r.status_code == 422
    assert (await client.get("/notes", params={"limit": 0})).status_code == 422
    assert (await client.delete(f"/notes/{note['id']}", headers=API_KEY)).status_code == 204
    assert (await client.get(f"/notes/{note['id']}")).status_code == 404
    assert (await client.head("/health")).status_code == 200


@pytest.mark.anyio
async def test_json_lines_export_with_httpx(client: httpx.AsyncClient) -> None:
    for i in range(3):
        assert (await client.post("/notes", json={"title": f"n{i}"}, headers=API_KEY)).status_code == 201
    async with client.stream("GET", "/export") as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/jsonl")
        lines = [json.loads(line) async for line in r.aiter_lines() if line]
    assert {"n0", "n1", "n2"} <= {line["title"] for line in lines}


@pytest.mark.anyio
async def test_change_feed_with_httpx_sse(client: httpx.AsyncClient) -> None:
    received: list[dict[str, Any]] = []
    got = anyio.Event()

    async def listen() -> None:
        async with aconnect_sse(client, "GET", "/feed") as source:
            assert source.response.headers["content-type"].startswith("text/event-stream")
            async for event in source.aiter_sse():
                if event.event == "note":
                    received.append(json.loads(event.data))
                    got.set()
                    return

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(listen)
            # The subscription starts when the feed's endpoint runs, which the client cannot
            # observe before the first event: post until one arrives (bounded by fail_after).
            while not got.is_set():
                r = await client.post("/notes", json={"title": "for the feed"}, headers=API_KEY)
                assert r.status_code == 201
                with anyio.move_on_after(0.1):
                    await got.wait()
    assert received[0]["title"] == "for the feed"


@pytest.mark.anyio
async def test_chat_with_the_websockets_client(base_url: str) -> None:
    ws_url = base_url.replace("http://", "ws://") + "/chat"
    with anyio.fail_after(10):
        async with ws_connect(ws_url + "?name=ann") as ann:
            # A member once it has seen its own first message come back.
            await ann.send("hello")
            assert await ann.recv() == "ann: hello"
            async with ws_connect(ws_url + "?name=bob") as bob:
                await bob.send("hi")
                assert await bob.recv() == "bob: hi"
                assert await ann.recv() == "bob: hi"
            await ann.close()
        assert ann.close_code == 1000


# -- schemathesis -----------------------------------------------------------------------------
# schemathesis's own pytest plugin does not run on this pytest (9.x); the operations are driven
# with its public strategies under hypothesis instead: the same cases and the same checks.


def test_openapi_document_holds_under_schemathesis(base_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    # /feed never ends (an SSE subscription): the httpx-sse test above covers it.
    operations = [r.ok() for r in schema.get_all_operations() if r.ok().path != "/feed"]
    assert len(operations) >= 7
    checked: list[str] = []
    for operation in operations:

        @settings(
            max_examples=15,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(operation.as_strategy())
        def exercise(case: Any) -> None:
            # The key lets writes reach their handlers; without it they stop at the 401.
            case.call_and_validate(
                headers=API_KEY,
                timeout=10,
                checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
            )

        exercise()
        checked.append(operation.label)
    assert any(label.startswith("POST /notes") for label in checked)
