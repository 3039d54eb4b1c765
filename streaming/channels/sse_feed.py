"""``sse_response``: an SSE stream fed from channels, resuming from ``Last-Event-ID``.

Rules:

* Each event is sent as ``id: <seq>`` + ``data: <json>`` (the frame is built
  once per event and shared by every subscriber); with ``name_events=True``
  also ``event: <channel>`` (then EventSource needs
  ``addEventListener(channel, ...)``).
* SPEC: WHATWG SSE: a reconnecting EventSource sends the last ``id`` it saw
  as ``Last-Event-ID``; the stream then starts with the retained events after
  it, in order, then the live ones, on whichever process it reaches.
* A ``Last-Event-ID`` that is not one of ours (not a decimal id) is ignored:
  the stream starts live (a 4xx would stop EventSource for good).
* The subscription starts when the response starts (so its lifetime is the
  response's); the hub stopping ends the stream.
* A subscriber disconnected by ``policy="disconnect"`` gets its stream ended
  cleanly (a warning is logged); EventSource reconnects after ``retry`` ms with
  its last id and resumes without loss within the retained history.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping

from ferrule.streaming.sse_pump import DEFAULT_PING_INTERVAL
from ferrule.streaming.sse_response import EventSourceResponse

from .event import ChannelEvent, check_channel
from .hub import Channels, ChannelsNotStarted
from .subscription import OverflowPolicy, SlowConsumer, check_buffer

__all__ = ["sse_response"]

logger = logging.getLogger("ferrule.channels")


def sse_response(
    hub: Channels,
    channels: str | Iterable[str],
    *,
    last_event_id: str | None = None,
    buffer: int | None = None,
    policy: OverflowPolicy | None = None,
    name_events: bool = False,
    retry: int | None = None,
    ping_interval: float | None = DEFAULT_PING_INTERVAL,
    headers: Mapping[str, str] | None = None,
) -> EventSourceResponse:
    """An ``EventSourceResponse`` streaming the events of ``channels`` from ``hub``.

    Args:
        hub: the app's ``Channels``.
        channels: one channel name or several.
        last_event_id: the request's ``Last-Event-ID`` header (resume point).
        buffer, policy: this subscriber's buffer and overflow policy (hub defaults).
        name_events: send the channel as the SSE ``event:`` field.
        retry: reconnection delay (ms) sent first, for EventSource.
        ping_interval: idle seconds before a keepalive comment (``None``: never).
        headers: extra response headers.

    Raises:
        ChannelsNotStarted: the hub is not running.
        ValueError: no channel, a bad name, buffer or policy (checked here, before
            the response starts).
    """
    names = (channels,) if isinstance(channels, str) else tuple(channels)
    # check the arguments now: once the response started, an error can only end the stream
    if not hub.started:
        raise ChannelsNotStarted(
            "sse_response() before the hub started: enter 'async with Channels(...)' in the app's "
            "lifespan or in an app-scoped dependency (Depends(..., scope='app'))"
        )
    if not names:
        raise ValueError("sse_response() needs at least one channel name")
    for name in names:
        check_channel(name)
    check_buffer(hub.buffer if buffer is None else buffer, hub.policy if policy is None else policy)
    return EventSourceResponse(
        _frames(hub, names, last_event_id, buffer, policy, name_events),
        headers=headers,
        preframed=True,
        retry=retry,
        ping_interval=ping_interval,
    )


def _named_frame(event: ChannelEvent) -> bytes:
    # channel names hold no control characters (check_channel), so no line break
    return b"event: " + event.channel.encode("utf-8") + b"\n" + event.sse_frame()


async def _frames(
    hub: Channels,
    names: tuple[str, ...],
    last_event_id: str | None,
    buffer: int | None,
    policy: OverflowPolicy | None,
    name_events: bool,
) -> AsyncIterator[bytes]:
    try:
        async with hub.subscribe(names, last_id=last_event_id, buffer=buffer, policy=policy) as subscription:
            if name_events:
                async for event in subscription:
                    yield _named_frame(event)
            else:
                async for event in subscription:
                    yield event.sse_frame()
    except SlowConsumer as exc:
        logger.warning("%s; the SSE stream was ended (the client resumes with Last-Event-ID)", exc)
