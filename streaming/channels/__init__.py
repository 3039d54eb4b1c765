"""ferrule.streaming.channels: publish/subscribe across workers and machines, with resume.

Public names are re-exported as ``ferrule.channels``. Modules: ``event.py``
(the event and its id), ``subscription.py`` (per-subscriber bounded buffer and
overflow policy), ``hub.py`` (``Channels``: publish, subscribe, fan-out),
``backend.py`` (the backend protocol and the in-memory backend),
``redis_backend.py`` (Redis pub/sub + Streams; needs the ``redis`` package),
``sse_feed.py`` (SSE with ``Last-Event-ID`` resume), ``rooms.py`` (WebSocket rooms).
"""

from .backend import DEFAULT_HISTORY as DEFAULT_HISTORY
from .backend import ChannelBackend as ChannelBackend
from .backend import MemoryBackend as MemoryBackend
from .backend import Receiver as Receiver
from .event import ChannelEvent as ChannelEvent
from .hub import Channels as Channels
from .hub import ChannelsNotStarted as ChannelsNotStarted
from .redis_backend import ChannelsUnavailable as ChannelsUnavailable
from .redis_backend import RedisBackend as RedisBackend
from .rooms import SLOW_CONSUMER_CLOSE as SLOW_CONSUMER_CLOSE
from .rooms import Room as Room
from .sse_feed import sse_response as sse_response
from .subscription import DEFAULT_BUFFER as DEFAULT_BUFFER
from .subscription import OverflowPolicy as OverflowPolicy
from .subscription import SlowConsumer as SlowConsumer
from .subscription import Subscription as Subscription

__all__ = [
    "DEFAULT_BUFFER",
    "DEFAULT_HISTORY",
    "SLOW_CONSUMER_CLOSE",
    "ChannelBackend",
    "ChannelEvent",
    "Channels",
    "ChannelsNotStarted",
    "ChannelsUnavailable",
    "MemoryBackend",
    "OverflowPolicy",
    "Receiver",
    "RedisBackend",
    "Room",
    "SlowConsumer",
    "Subscription",
    "sse_response",
]
