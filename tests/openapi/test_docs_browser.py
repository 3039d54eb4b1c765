"""/docs rendered by a real browser: headless Chromium runs Swagger UI against a live server.

Setup (done here, once per machine): Debian's ``chromium`` package
(``apt-get update && apt-get install -y chromium``, when running as root with
apt) and ``swagger-ui-dist`` from the npm registry (``npm pack`` into a
temporary directory). The app serves those files itself with ``StaticFiles``
and points ``swagger_js_url``/``swagger_css_url`` at them, so the page needs
nothing from outside. The test is skipped, saying why, only when Chromium or
the package cannot be installed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

APP_SOURCE = '''
from typing import Union

from pydantic import BaseModel

from ferrule import App
from ferrule.staticfiles import StaticFiles


class Item(BaseModel):
    name: str
    price: float


app = App(
    title="Browser Shop",
    swagger_js_url="/assets/swagger-ui-bundle.js",
    swagger_css_url="/assets/swagger-ui.css",
    swagger_favicon_url="/assets/favicon-32x32.png",
)
app.mount("/assets", StaticFiles(directory={assets!r}), name="assets")


@app.get("/items/{{item_id}}", tags=["items"], summary="Fetch one item")
def read_item(item_id: int, q: Union[str, None] = None) -> Item:
    return Item(name="x", price=1)


@app.post("/items/", tags=["items"])
def create_item(item: Item) -> Item:
    return item


@app.delete("/orders/{{order_id}}", tags=["orders"], deprecated=True)
def cancel_order(order_id: str) -> None:
    return None
'''

_LOCK = Path("/tmp/ferrule-test-chromium.lock")


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _install_chromium() -> str:
    found = _chromium()
    if found:
        return found
    if not shutil.which("apt-get") or os.geteuid() != 0:
        pytest.skip("chromium is not installed and cannot be installed here (needs root and apt-get)")
    with _LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one installer at a time (pytest-xdist workers)
        found = _chromium()
        if found:
            return found
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
            result = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env, check=False)
            if result.returncode != 0:
                pytest.skip(f"could not install chromium ({' '.join(command)}): {result.stderr.strip()[-300:]}")
    found = _chromium()
    if not found:
        pytest.skip("apt-get installed chromium but no chromium binary is on PATH")
    return found


def _swagger_assets(tmp: Path) -> Path:
    if not shutil.which("npm"):
        pytest.skip("npm is not installed: cannot fetch swagger-ui-dist")
    result = subprocess.run(
        ["npm", "pack", "swagger-ui-dist@5", "--silent"],
        cwd=tmp, capture_output=True, text=True, timeout=300, check=False,
    )
    tarballs = list(tmp.glob("swagger-ui-dist-*.tgz"))
    if result.returncode != 0 or not tarballs:
        pytest.skip(f"npm pack swagger-ui-dist failed: {result.stderr.strip()[-300:]}")
    with tarfile.open(tarballs[0]) as archive:
        archive.extractall(tmp, filter="data")
    assets = tmp / "package"
    assert (assets / "swagger-ui-bundle.js").is_file()
    return assets


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited early: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)  # polling the port: the server gives no other readiness signal
    raise AssertionError(f"the server did not listen on port {port} within {timeout} s")


@pytest.fixture
def docs_server(tmp_path: Path) -> Iterator[str]:
    assets = _swagger_assets(tmp_path)
    (tmp_path / "browser_app.py").write_text(APP_SOURCE.format(assets=str(assets)))
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "ferrule", "run", "browser_app:app", "--app-dir", str(tmp_path),
             "--port", str(port), "--no-access-log"],
            stdout=subprocess.DEVNULL, stderr=log_file,
        )
    try:
        _wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_swagger_ui_renders_the_operations(docs_server: str, tmp_path: Path) -> None:
    chromium = _install_chromium()
    profile = tmp_path / "profile"
    result = subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--virtual-time-budget=15000", "--dump-dom", f"{docs_server}/docs",
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )
    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    # Swagger UI loaded from the app's own assets, fetched /openapi.json and rendered it.
    assert "Browser Shop" in dom
    assert 'class="opblock-tag' in dom
    for path in ("/items/{item_id}", "/items/", "/orders/{order_id}"):
        assert f'data-path="{path}"' in dom, path
    assert "opblock-get" in dom and "opblock-post" in dom
    assert "Fetch one item" in dom
    assert "Create Item" in dom
    assert "opblock-deprecated" in dom  # the DELETE operation is shown deprecated
