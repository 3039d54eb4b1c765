"""Channels: publish/subscribe across workers and machines, SSE resume, WebSocket rooms.

The implementation is ``ferrule.streaming.channels``; this module re-exports
its public names (its ``__all__``, listed there once). The README's "Channels"
section states what each backend guarantees.
"""

from ferrule.streaming import channels as _channels
from ferrule.streaming.channels import *  # noqa: F403 - exactly the area's __all__

__all__ = list(_channels.__all__)
