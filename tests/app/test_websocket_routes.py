"""WebSocket routes end to end: DI, parameters, overrides, denial, close codes (TestClient)."""

from typing import Annotated, Any

import pytest

from ferrule import App, Depends, Header, WebSocket, WebSocketDisconnect, WebSocketException, status
from ferrule.responses import JSONResponse
from ferrule.testclient import TestClient, WebSocketDenialResponse


def make_app() -> App:
    app = App()

    def get_prefix() -> str:
        return "echo"

    @app.websocket("/echo/{room}")
    async def echo(
        websocket: WebSocket,
        room: str,
        prefix: Annotated[str, Depends(get_prefix)],
        times: int = 1,
        x_token: Annotated[str | None, Header()] = None,
    ) -> None:
        await websocket.accept(subprotocol="chat.v1", headers={"x-room": room})
        await websocket.send_json({"token": x_token})
        async for text in websocket.iter_text():
            for _ in range(times):
                await websocket.send_text(f"{prefix}:{room}:{text}")
        await websocket.close()

    @app.websocket("/bytes")
    async def echo_bytes(websocket: WebSocket) -> None:
        await websocket.accept()
        data = await websocket.receive_bytes()
        await websocket.send_bytes(data[::-1])
        await websocket.close(code=4001, reason="done")

    @app.websocket("/refuse")
    async def refuse(websocket: WebSocket) -> None:
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="no entry")

    @app.websocket("/deny")
    async def deny(websocket: WebSocket) -> None:
        await websocket.send_denial_response(JSONResponse({"error": "forbidden"}, status_code=403))

    return app


def test_echo_with_dependencies_params_subprotocol_and_headers() -> None:
    client = TestClient(make_app())
    with client.websocket_connect("/echo/lobby?times=2", subprotocols=["chat.v1"], headers={"x-token": "t"}) as ws:
        assert ws.accepted_subprotocol == "chat.v1"
        assert (b"x-room", b"lobby") in ws.extra_headers
        assert ws.receive_json() == {"token": "t"}
        ws.send_text("hi")
        assert [ws.receive_text(), ws.receive_text()] == ["echo:lobby:hi", "echo:lobby:hi"]


def test_bytes_and_close_code_with_reason() -> None:
    client = TestClient(make_app())
    with client.websocket_connect("/bytes") as ws:
        ws.send_bytes(b"abc")
        assert ws.receive_bytes() == b"cba"
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive()
        assert (info.value.code, info.value.reason) == (4001, "done")


def test_validation_error_closes_with_1008() -> None:
    client = TestClient(make_app())
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/echo/lobby?times=many"):
            pass
    assert info.value.code == status.WS_1008_POLICY_VIOLATION
    assert "int_parsing" in info.value.reason


def test_websocket_exception_before_accept_refuses_the_handshake() -> None:
    with pytest.raises(WebSocketDisconnect) as info:
        with TestClient(make_app()).websocket_connect("/refuse"):
            pass
    assert (info.value.code, info.value.reason) == (1008, "no entry")


def test_denial_response_is_visible_to_the_test() -> None:
    with pytest.raises(WebSocketDenialResponse) as info:
        with TestClient(make_app()).websocket_connect("/deny"):
            pass
    assert info.value.status_code == 403
    assert info.value.json() == {"error": "forbidden"}


def test_unknown_path_is_refused() -> None:
    with pytest.raises(WebSocketDisconnect):
        with TestClient(make_app()).websocket_connect("/nowhere"):
            pass


def test_dependency_overrides_apply_to_websockets() -> None:
    app = App()

    def current_user() -> str:
        return "real"

    @app.websocket("/me")
    async def me(websocket: WebSocket, user: Annotated[str, Depends(current_user)]) -> None:
        await websocket.accept()
        await websocket.send_text(user)
        await websocket.close()

    app.dependency_overrides[current_user] = lambda: "fake"
    with TestClient(app).websocket_connect("/me") as ws:
        assert ws.receive_text() == "fake"


def test_client_disconnect_runs_yield_dependency_teardown() -> None:
    events: list[str] = []

    async def session() -> Any:
        events.append("open")
        yield "s"
        events.append("close")

    app = App()

    @app.websocket("/s")
    async def ws_endpoint(websocket: WebSocket, s: Annotated[str, Depends(session)]) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect as exc:
            events.append(f"disconnect {exc.code}")

    with TestClient(app).websocket_connect("/s") as ws:
        ws.send_text("x")
        ws.close(4000)
    assert events == ["open", "disconnect 4000", "close"]


def test_app_exception_reaches_the_test() -> None:
    app = App()

    @app.websocket("/boom")
    async def boom(websocket: WebSocket) -> None:
        await websocket.accept()
        raise ValueError("exploded")

    with pytest.raises(ValueError, match="exploded"):
        with TestClient(app).websocket_connect("/boom") as ws:
            ws.receive_text()
