"""``ChannelEvent``: one published message, as every backend stores and delivers it.

Rules:

* ``data`` is JSON, encoded once by the publisher (``jsonable_json``); the
  same bytes go to every subscriber, every process, and into history.
* ``seq`` is the event's position in ONE sequence shared by all channels of a
  backend (memory: a counter; Redis: a counter key incremented by the same
  atomic script that stores and publishes the event). So "everything after
  id X" is well defined across channels, and a subscription to several
  channels resumes from one ``Last-Event-ID``.
* ``id`` is ``str(seq)``: what SSE sends as ``id:`` and clients send back.
* The SSE frame is built once per event and shared by all SSE subscribers.
  PERF: bench ``channels_fanout``; framing per subscriber would repeat the
  same bytes work 1,000 times per event.
"""

from __future__ import annotations

import json
from typing import Any, Final

from ferrule.streaming.sse import frame_data

__all__ = ["ChannelEvent", "MAX_CHANNEL_NAME", "check_channel", "parse_event_id"]

MAX_CHANNEL_NAME: Final = 256
"""Longest channel name accepted (characters)."""


def check_channel(channel: object) -> str:
    """Return ``channel`` if it is a usable channel name.

    Raises:
        TypeError: not a ``str``.
        ValueError: empty, longer than ``MAX_CHANNEL_NAME``, or holds a control character.
    """
    if not isinstance(channel, str):
        raise TypeError(f"a channel name is a str, got {type(channel).__name__} {channel!r:.80}")
    if not channel or len(channel) > MAX_CHANNEL_NAME:
        raise ValueError(
            f"a channel name has 1 to {MAX_CHANNEL_NAME} characters, got {len(channel)}: {channel!r:.80}"
        )
    if not channel.isprintable():
        raise ValueError(f"a channel name holds no control characters, got {channel!r:.80}")
    return channel


def parse_event_id(value: str | None) -> int | None:
    """The ``seq`` named by a client's ``Last-Event-ID``; ``None`` if absent or not one of ours.

    SECURITY: the header is client input: only a plain decimal of at most 19
    digits is taken (no sign, no spaces, no huge ints); anything else means
    "no resume point", never an error (an EventSource that got a 4xx would
    stop reconnecting for good).
    """
    if value is None or not 0 < len(value) <= 19 or not value.isascii() or not value.isdigit():
        return None
    return int(value)


class ChannelEvent:
    """One event on one channel.

    Attributes:
        channel: the channel it was published on.
        seq: its position in the backend's sequence (see the module docstring).
        raw: the JSON bytes of its data.
    """

    __slots__ = ("channel", "seq", "raw", "_frame")

    def __init__(self, channel: str, seq: int, raw: bytes) -> None:
        self.channel = channel
        self.seq = seq
        self.raw = raw
        self._frame: bytes | None = None

    @property
    def id(self) -> str:
        """The event id (``str(seq)``), as sent in SSE's ``id:`` field."""
        return str(self.seq)

    @property
    def data(self) -> Any:
        """The published value, decoded from JSON (a new object on every access)."""
        return json.loads(self.raw)

    def sse_frame(self) -> bytes:
        """``id: <seq>`` plus the data as one SSE event; built once, then shared."""
        frame = self._frame
        if frame is None:
            frame = self._frame = b"id: %d\n" % self.seq + frame_data(self.raw)
        return frame

    def __repr__(self) -> str:
        return f"ChannelEvent(channel={self.channel!r}, id={self.id!r}, data={self.raw[:60]!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChannelEvent):
            return NotImplemented
        return (self.channel, self.seq, self.raw) == (other.channel, other.seq, other.raw)

    def __hash__(self) -> int:
        return hash((self.channel, self.seq))
