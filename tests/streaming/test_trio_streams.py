"""On asyncio and trio: a generator that batches then sleeps under a slow reader; the Redis
channels backend on trio (a clear error: redis.asyncio is asyncio only).

Found by the trio run (issue 16) against the former hand-started steps
(``_steps.py``, since replaced by ``streaming/batching.py``'s sender task): a
generator that made items without waiting and then slept left its
``trio.sleep`` (a trio cancel scope) suspended while the stream sent the
batch; when the sleep's deadline passed during that send, trio cancelled the
send and the body ended incomplete (asyncio failed the same way with an
``anyio.move_on_after`` in the generator). Kept as a regression test.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import pytest

from ferrule import App
from ferrule.responses import StreamingResponse
from ferrule.channels import Channels
from ferrule.streaming.channels.redis_backend import RedisBackend
from ferrule.testclient import TestClient


async def sleep_after_batch() -> None:
    await anyio.sleep(0.01)  # a cancel scope on trio


async def time_out_after_batch() -> None:
    with anyio.move_on_after(0.01):  # expires while the batch's send waits
        await anyio.sleep(1)


def waiting_app(pause: Callable[[], Awaitable[None]]) -> App:
    app = App()

    @app.get("/s")
    async def stream() -> StreamingResponse:
        async def gen() -> AsyncIterator[str]:
            for i in range(3):
                yield f"{i}a\n"
                yield f"{i}b\n"  # made without waiting: a batch on asyncio
                await pause()

        return StreamingResponse(gen())

    return app


@pytest.mark.parametrize("pause", [sleep_after_batch, time_out_after_batch], ids=["sleep", "timeout"])
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_a_generator_that_waits_after_a_batch_survives_a_slow_reader(
    backend: str, pause: Callable[[], Awaitable[None]]
) -> None:
    """The generator sleeps, or times out a wait, after each batch; its deadline passes mid-send."""
    chunks: list[bytes] = []
    with TestClient(waiting_app(pause), backend=backend).stream("GET", "/s") as response:
        for chunk in response.iter_raw():
            chunks.append(chunk)
            time.sleep(0.05)  # slower than the generator's sleep: its deadline passes mid-send
    assert b"".join(chunks) == b"0a\n0b\n1a\n1b\n2a\n2b\n"


def test_the_redis_backend_on_trio_is_a_clear_error() -> None:
    async def main() -> None:
        async with Channels(RedisBackend("redis://127.0.0.1:1")):
            raise AssertionError("started on trio")  # pragma: no cover

    with pytest.raises(RuntimeError, match=r"RedisBackend runs on asyncio only.*MemoryBackend on trio"):
        anyio.run(main, backend="trio")
