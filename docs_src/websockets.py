"""Tutorial: WebSockets (docs/tutorial/websockets.md)."""

from typing import Annotated

from ferrule import App, Depends, Query, WebSocket, WebSocketDisconnect, WebSocketException, status

app = App()

DISCONNECTS: list[int] = []


def token(token: Annotated[str | None, Query()] = None) -> str:
    if token != "letmein":
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="bad token")
    return token


@app.websocket("/echo")
async def echo(websocket: WebSocket, _: Annotated[str, Depends(token)]) -> None:
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            await websocket.send_json({"echo": text})
    except WebSocketDisconnect as exc:
        DISCONNECTS.append(exc.code)
