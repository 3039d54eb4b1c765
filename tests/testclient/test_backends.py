"""``TestClient(backend=..., backend_options=...)`` (Starlette's names) and the
suite's ``--async-backend`` run (``tests/backends.py``)."""

from __future__ import annotations

import asyncio

import anyio
import pytest
from backends import OPTION, running_backend

from ferrule import App, WebSocket
from ferrule.responses import StreamingResponse
from ferrule.testclient import AsyncTestClient, TestClient


def backend_app() -> App:
    app = App()

    @app.get("/backend")
    async def backend() -> dict[str, object]:
        debug = asyncio.get_running_loop().get_debug() if running_backend() == "asyncio" else None
        return {"backend": running_backend(), "debug": debug}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def gen():  # type: ignore[no-untyped-def]
            yield running_backend()
            await anyio.sleep(0)
            yield "!"

        return StreamingResponse(gen())

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(running_backend() + ":" + await websocket.receive_text())
        await websocket.close()

    return app


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_app_runs_on_the_chosen_backend(backend: str) -> None:
    client = TestClient(backend_app(), backend=backend)  # type: ignore[arg-type]
    assert client.get("/backend").json()["backend"] == backend  # a portal per request
    with client:  # the lifespan's portal
        assert client.get("/backend").json()["backend"] == backend
        with client.stream("GET", "/stream") as response:
            assert response.read() == f"{backend}!".encode()
        with client.websocket_connect("/ws") as ws:
            ws.send_text("hi")
            assert ws.receive_text() == f"{backend}:hi"


def test_backend_options_reach_the_event_loop() -> None:
    client = TestClient(backend_app(), backend="asyncio", backend_options={"debug": True})
    assert client.get("/backend").json() == {"backend": "asyncio", "debug": True}
    assert client.async_backend == {"backend": "asyncio", "backend_options": {"debug": True}}


def test_an_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"backend='curio'.*pass backend='asyncio'.*or backend='trio'"):
        TestClient(backend_app(), backend="curio")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="backend_options=.*must be a dict"):
        TestClient(backend_app(), backend_options=[("debug", True)])  # type: ignore[arg-type]


def test_backend_comes_after_root_path_as_in_starlette() -> None:
    client = TestClient(backend_app(), "http://testserver", True, "", "trio")
    assert client.get("/backend").json()["backend"] == "trio"


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_the_async_client_runs_in_the_callers_loop(backend: str) -> None:
    async def main() -> str:
        async with AsyncTestClient(backend_app()) as client:
            async with client.stream("GET", "/stream") as response:
                assert await response.aread() == f"{backend}!".encode()
            return str((await client.get("/backend")).json()["backend"])

    assert anyio.run(main, backend=backend) == backend


def test_the_suites_testclient_runs_on_the_runs_backend(pytestconfig: pytest.Config) -> None:
    # The trio job (`pytest --async-backend trio`) must really run the app on trio.
    expected = pytestconfig.getoption(OPTION)
    assert TestClient(backend_app()).get("/backend").json()["backend"] == expected
    assert TestClient(backend_app(), backend="asyncio").get("/backend").json()["backend"] == "asyncio"


@pytest.mark.anyio
async def test_the_suites_anyio_tests_run_on_the_runs_backend(pytestconfig: pytest.Config) -> None:
    assert running_backend() == pytestconfig.getoption(OPTION)
