"""/docs rendered by a real browser: headless Chromium runs Swagger UI against a live server.

Set-up is not done here (tests leave the machine as they found it):
``bash .ci/setup-browser`` installs Debian's ``chromium`` package and unpacks a
pinned ``swagger-ui-dist`` into ``.ci/cache/swagger-ui-dist``
(``FERRULE_SWAGGER_UI_DIST`` may name another unpacked package). The app serves
those files itself with ``StaticFiles`` and points
``swagger_js_url``/``swagger_css_url`` at them, so the page needs nothing from
outside. Without the set-up the test skips, saying what to run; under
``CI=true`` (``.ci/run`` runs the set-up) it fails instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from local_ports import free_port
from prerequisites import missing

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

ROOT = Path(__file__).resolve().parents[2]
_SETUP = "run `bash .ci/setup-browser` (installs Debian's chromium and a pinned swagger-ui-dist)"


def _missing(what: str) -> None:
    missing(what, _SETUP)


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        _missing("chromium is not installed")
    assert found is not None
    return found


def _swagger_assets() -> Path:
    assets = Path(os.environ.get("FERRULE_SWAGGER_UI_DIST", ROOT / ".ci/cache/swagger-ui-dist/package"))
    if not (assets / "swagger-ui-bundle.js").is_file():
        _missing(f"swagger-ui-dist is not unpacked at {assets}")
    return assets


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
    assets = _swagger_assets()
    (tmp_path / "browser_app.py").write_text(APP_SOURCE.format(assets=str(assets)))
    port = free_port()
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
    chromium = _chromium()
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
