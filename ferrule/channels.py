"""Channels: publish/subscribe across workers and machines, SSE resume, WebSocket rooms.

The implementation is ``ferrule.streaming.channels``; the README's "Channels"
section states what each backend guarantees.
"""

from ferrule.streaming.channels import DEFAULT_BUFFER as DEFAULT_BUFFER
from ferrule.streaming.channels import DEFAULT_HISTORY as DEFAULT_HISTORY
from ferrule.streaming.channels import SLOW_CONSUMER_CLOSE as SLOW_CONSUMER_CLOSE
from ferrule.streaming.channels import ChannelBackend as ChannelBackend
from ferrule.streaming.channels import ChannelEvent as ChannelEvent
from ferrule.streaming.channels import Channels as Channels
from ferrule.streaming.channels import ChannelsNotStarted as ChannelsNotStarted
from ferrule.streaming.channels import ChannelsUnavailable as ChannelsUnavailable
from ferrule.streaming.channels import MemoryBackend as MemoryBackend
from ferrule.streaming.channels import OverflowPolicy as OverflowPolicy
from ferrule.streaming.channels import Receiver as Receiver
from ferrule.streaming.channels import RedisBackend as RedisBackend
from ferrule.streaming.channels import Room as Room
from ferrule.streaming.channels import SlowConsumer as SlowConsumer
from ferrule.streaming.channels import Subscription as Subscription
from ferrule.streaming.channels import sse_response as sse_response

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
