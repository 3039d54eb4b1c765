"""The README's Channels example runs as written (on the test Redis): publish, resume, chat."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ferrule.testclient import TestClient
from sse_lines import next_event

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Channels"):]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, "the README's Channels section lost its example"
    return match.group(1)


def _events(lines: Any, n: int) -> list[dict[str, str]]:
    """The next ``n`` SSE events that have data."""
    stream = iter(lines)
    return [next_event(stream) for _ in range(n)]


@pytest.mark.asyncio_only("the example uses the Redis channel backend (redis.asyncio: asyncio only)")
def test_the_readme_channels_example(redis_url: str) -> None:
    source = _example()
    assert 'RedisBackend("redis://127.0.0.1:6379/0")' in source
    namespace: dict[str, Any] = {"__name__": "readme_channels"}
    exec(compile(source.replace("redis://127.0.0.1:6379/0", redis_url), "README.md", "exec"), namespace)
    with TestClient(namespace["app"]) as client:
        with client.stream("GET", "/feed") as response:
            first = client.post("/notes", json={"title": "one"}).json()["id"]
            assert _events(response.iter_lines(), 1)[0] == {"id": first, "data": '{"title": "one"}'}
        missed = [client.post("/notes", json={"title": t}).json()["id"] for t in ("two", "three")]
        with client.stream("GET", "/feed", headers={"Last-Event-ID": first}) as response:
            got = _events(response.iter_lines(), 2)
        assert [(e["id"], json.loads(e["data"])["title"]) for e in got] == list(zip(missed, ["two", "three"]))
        with client.websocket_connect("/chat") as ann, client.websocket_connect("/chat") as bob:
            ann.send_text("hello")
            assert bob.receive_text() == "hello"
            assert ann.receive_text() == "hello"
