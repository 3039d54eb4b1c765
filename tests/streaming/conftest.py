"""Fixtures for the channels tests: a Redis URL (shared from .ci/run, or a private server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from redis_server import RedisServer, shared_url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = shared_url()
    if url:
        yield url
        return
    server = RedisServer(Path(tmp_path_factory.mktemp("redis")))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
