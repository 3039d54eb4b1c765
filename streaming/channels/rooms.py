"""``Room``: WebSocket broadcast on top of a channel (join, leave, broadcast).

Rules:

* ``async with room.join(websocket):`` subscribes the socket to the room's
  channel, accepts the socket if the app has not yet (so a client whose
  handshake completed is already a member), and forwards every event to it
  from a task of its own; leaving the block leaves the room. ``await room.broadcast(data)`` publishes to every
  member, in every process that shares the backend.
* A ``str`` payload is sent as a text message, anything else as JSON text.
* One member that stops reading never stalls the others or the sender: its
  events wait in its own bounded buffer. With ``policy="disconnect"`` a member
  whose buffer overflows is closed with code 1013 ("try again later") and a
  reason that says why; the body of its ``join`` block is cancelled.
* A member whose socket is gone (send fails) leaves the room quietly.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import anyio

from ferrule.asgi_core.websocket import WebSocket, WebSocketState

from .event import check_channel
from .hub import Channels
from .subscription import OverflowPolicy, SlowConsumer, Subscription, check_buffer

__all__ = ["Room", "SLOW_CONSUMER_CLOSE"]

SLOW_CONSUMER_CLOSE: Final = 1013
"""WebSocket close code for a member disconnected as a slow consumer (RFC 6455 §7.4.1: try again later)."""
_CLOSE_TIMEOUT: Final = 1.0

logger = logging.getLogger("ferrule.channels")


class Room:
    """A named WebSocket room over ``channels``.

    Args:
        channels: the app's hub.
        name: the channel the room uses.
        buffer, policy: each member's buffer and overflow policy (hub defaults).

    Raises:
        ValueError: a bad name, buffer or policy.
    """

    def __init__(
        self,
        channels: Channels,
        name: str,
        *,
        buffer: int | None = None,
        policy: OverflowPolicy | None = None,
    ) -> None:
        self.channels = channels
        self.name = check_channel(name)
        self.buffer = channels.buffer if buffer is None else buffer
        self.policy: OverflowPolicy = channels.policy if policy is None else policy
        check_buffer(self.buffer, self.policy)

    async def broadcast(self, data: Any) -> str:
        """Send ``data`` to every member (every process); returns the event id."""
        return await self.channels.publish(self.name, data)

    def members(self) -> int:
        """Members in this process."""
        return self.channels.subscriber_count(self.name)

    @asynccontextmanager
    async def join(self, websocket: WebSocket) -> AsyncIterator[Subscription]:
        """Be a member for the ``async with`` block (accepts the socket if the app has not)."""
        async with self.channels.subscribe(self.name, buffer=self.buffer, policy=self.policy) as sub:
            if websocket.application_state is WebSocketState.CONNECTING:
                await websocket.accept()
            slow: list[SlowConsumer] = []
            async with anyio.create_task_group() as group:

                def disconnect(error: SlowConsumer) -> None:
                    slow.append(error)
                    group.cancel_scope.cancel()

                sub.on_disconnect = disconnect
                group.start_soon(self._forward, websocket, sub, group.cancel_scope)
                try:
                    yield sub
                finally:
                    group.cancel_scope.cancel()
            if slow:
                logger.warning("%s; closed the WebSocket with %d", slow[0], SLOW_CONSUMER_CLOSE)
                with anyio.move_on_after(_CLOSE_TIMEOUT, shield=True):
                    try:
                        await websocket.close(SLOW_CONSUMER_CLOSE, "slow consumer: too many unread messages")
                    except Exception:  # noqa: BLE001 - the socket may already be gone
                        pass

    @staticmethod
    async def _forward(websocket: WebSocket, sub: Subscription, scope: anyio.CancelScope) -> None:
        """Send the member's events until it leaves, its socket fails, or it is too slow."""
        try:
            async for event in sub:
                raw = event.raw
                # a JSON string is sent as its text; anything else as its JSON text
                await websocket.send_text(json.loads(raw) if raw[:1] == b'"' else raw.decode("utf-8"))
        except SlowConsumer:
            scope.cancel()  # disconnect() already recorded it
        except Exception:  # noqa: BLE001 - the socket is gone: stop forwarding (the block's own receive ends)
            pass
