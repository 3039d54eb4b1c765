"""WebSocket rooms: join, leave, broadcast; a member that stops reading is closed, not waited for."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from ferrule.asgi_core.types import Message
from ferrule.asgi_core.websocket import WebSocket
from ferrule.channels import SLOW_CONSUMER_CLOSE, Channels, Room

pytestmark = pytest.mark.anyio


class Peer:
    """An ASGI WebSocket client; ``stalled`` makes every send after the accept block (a full socket)."""

    def __init__(self, stalled: bool = False) -> None:
        self.stalled = stalled
        self.sent: list[Message] = []
        self.texts: list[str] = []
        self.got_text = anyio.Event()
        self.closed = anyio.Event()
        self.incoming: list[Message] = [{"type": "websocket.connect"}]
        self.release = anyio.Event()

    async def receive(self) -> Message:
        if self.incoming:
            return self.incoming.pop(0)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(self, message: Message) -> None:
        self.sent.append(message)
        if message["type"] == "websocket.close":
            self.closed.set()
        elif message["type"] == "websocket.send":
            if self.stalled:
                await self.release.wait()
            self.texts.append(message["text"])
            self.got_text.set()

    def websocket(self) -> WebSocket:
        scope: dict[str, Any] = {"type": "websocket", "path": "/room", "headers": [], "query_string": b""}
        return WebSocket(scope, self.receive, self.send)


async def test_members_get_broadcasts_and_leaving_stops_them() -> None:
    async with Channels() as hub:
        room = Room(hub, "lobby")
        ann, bob = Peer(), Peer()
        async with room.join(ann.websocket()), room.join(bob.websocket()):
            assert room.members() == 2
            assert [m["type"] for m in ann.sent] == ["websocket.accept"]  # join accepted the socket
            await room.broadcast("hello")
            await room.broadcast({"n": 1})
            with anyio.fail_after(5):
                while len(bob.texts) < 2:
                    bob.got_text = anyio.Event()
                    await bob.got_text.wait()
        assert bob.texts == ["hello", '{"n": 1}']
        assert room.members() == 0
        await room.broadcast("after")  # nobody left: no error, nothing sent
        assert ann.texts[-1] != "after" and bob.texts[-1] != "after"


async def test_a_stalled_member_is_closed_and_the_others_keep_up() -> None:
    async with Channels() as hub:
        room = Room(hub, "busy", buffer=8, policy="disconnect")
        roomy = Room(hub, "busy", buffer=1000)  # the same room, a member with a larger buffer
        fast, stalled = Peer(), Peer(stalled=True)
        async with roomy.join(fast.websocket()):
            cancelled_body = False
            async with anyio.create_task_group() as group:

                async def stalled_member() -> None:
                    nonlocal cancelled_body
                    async with room.join(stalled.websocket()):
                        try:
                            await anyio.sleep_forever()  # the member's receive loop
                        except anyio.get_cancelled_exc_class():
                            cancelled_body = True
                            raise

                group.start_soon(stalled_member)
                with anyio.fail_after(5):
                    while room.members() < 2:
                        await anyio.sleep(0)
                for i in range(100):  # never waits for the stalled member
                    await room.broadcast(i)
                with anyio.fail_after(5):
                    await stalled.closed.wait()
                    while len(fast.texts) < 100:
                        fast.got_text = anyio.Event()
                        await fast.got_text.wait()
        assert fast.texts == [str(i) for i in range(100)]
        close = [m for m in stalled.sent if m["type"] == "websocket.close"]
        assert close == [{"type": "websocket.close", "code": SLOW_CONSUMER_CLOSE,
                          "reason": "slow consumer: too many unread messages"}]
        assert cancelled_body
        assert room.members() == 0


def test_room_arguments_are_checked() -> None:
    hub = Channels()
    with pytest.raises(ValueError, match="control"):
        Room(hub, "bad\nname")
    with pytest.raises(ValueError, match="buffer is a number"):
        Room(hub, "ok", buffer=0)
