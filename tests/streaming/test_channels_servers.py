"""Channels across real server processes (``ferrule run``) sharing a real Redis.

Publish on one process, receive on the other; an SSE client that drops its
connection and reconnects (to the other process) with ``Last-Event-ID`` gets
exactly the events it missed, in order, then live ones.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_ports import free_port

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.slow


class Server:
    def __init__(self, redis_url: str, prefix: str, workers: int = 1) -> None:
        self.port = free_port()
        env = {**os.environ, "FERRULE_CHANNELS_URL": redis_url, "FERRULE_CHANNELS_PREFIX": prefix}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ferrule", "run", "--app-dir", str(HERE), "--port", str(self.port),
             "--workers", str(workers),
             "--lifespan", "on", "--no-access-log", "--log-level", "warning", "channels_app:app"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if self.get("/health") == {"started": True}:
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start within 20 s")

    def get(self, path: str) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", path)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def publish(self, channel: str, data: dict[str, Any]) -> str:
        return self.publish_on(channel, data)[0]

    def publish_on(self, channel: str, data: dict[str, Any]) -> tuple[str, str]:
        """Publish; returns the event id and the pid of the worker that published it."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            conn.request("POST", f"/publish/{channel}", json.dumps(data), {"content-type": "application/json"})
            response = conn.getresponse()
            body = json.loads(response.read())
            assert response.status == 200, body
            return str(body["id"]), str(body["worker"])
        finally:
            conn.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()


class EventStream:
    """A minimal EventSource: reads ``id``/``data`` events from a live SSE response."""

    def __init__(self, port: int, channel: str, last_event_id: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"accept": "text/event-stream"}
        if last_event_id is not None:
            headers["last-event-id"] = last_event_id
        self.conn.request("GET", f"/events/{channel}", headers=headers)
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("content-type", "").startswith("text/event-stream")
        self.worker = self.response.getheader("x-worker", "")

    def next(self) -> tuple[str, Any]:
        fields: dict[str, str] = {}
        while True:
            line = self.response.readline()
            if not line:
                raise EOFError("the stream ended")
            line = line.rstrip(b"\r\n")
            if not line:
                if "data" in fields:
                    return fields.get("id", ""), json.loads(fields["data"])
                fields.clear()  # a comment-only block (a ping)
                continue
            if line.startswith(b":"):
                continue
            name, _, value = line.decode().partition(":")
            fields[name] = value.removeprefix(" ")

    def take(self, n: int) -> list[tuple[str, Any]]:
        return [self.next() for _ in range(n)]

    def close(self) -> None:
        self.conn.close()


@pytest.fixture(scope="module")
def servers(redis_url: str) -> Iterator[tuple[Server, Server]]:
    prefix = f"t:{uuid.uuid4().hex}"
    first = Server(redis_url, prefix)
    try:
        second = Server(redis_url, prefix)
    except BaseException:
        first.stop()
        raise
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


def test_publish_on_one_process_receive_on_the_other(servers: tuple[Server, Server]) -> None:
    a, b = servers
    stream = EventStream(b.port, "news")
    try:
        ids = [a.publish("news", {"n": i}) for i in range(5)]
        assert stream.take(5) == [(ids[i], {"n": i}) for i in range(5)]
    finally:
        stream.close()


def test_resume_with_last_event_id_on_the_other_process(servers: tuple[Server, Server]) -> None:
    a, b = servers
    stream = EventStream(b.port, "feed")
    ids = [a.publish("feed", {"n": i}) for i in range(3)]
    seen = stream.take(3)
    stream.close()  # the connection drops
    assert [event_id for event_id, _ in seen] == ids
    missed = [(b.publish("feed", {"n": i}), {"n": i}) for i in range(3, 8)]
    # the client comes back to the OTHER process with the last id it saw
    stream = EventStream(a.port, "feed", last_event_id=seen[-1][0])
    try:
        assert stream.take(5) == missed
        live = b.publish("feed", {"n": "live"})
        assert stream.next() == (live, {"n": "live"})
    finally:
        stream.close()


def test_workers_of_one_server_deliver_to_each_other(redis_url: str) -> None:
    """``ferrule run --workers 2``: an event published by one worker reaches streams on both."""
    server = Server(redis_url, f"t:{uuid.uuid4().hex}", workers=2)
    streams: list[EventStream] = []
    try:
        workers: set[str] = set()
        # The kernel picks the worker per connection, and the second worker may
        # still be starting (importing the app) on a loaded machine: open streams
        # until both have served one, keeping one stream per worker.
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:
            stream = EventStream(server.port, "w")
            if stream.worker in workers:
                stream.close()
                time.sleep(0.05)  # no readiness signal from the supervisor: poll
                continue
            streams.append(stream)
            workers.add(stream.worker)
        assert len(workers) == 2, "every connection for 60 s went to one worker"
        published = [server.publish_on("w", {"n": i}) for i in range(6)]
        assert {worker for _, worker in published} <= workers
        for stream in streams:
            assert stream.take(6) == [(event_id, {"n": i}) for i, (event_id, _) in enumerate(published)]
    finally:
        for stream in streams:
            stream.close()
        server.stop()
