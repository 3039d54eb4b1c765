"""The documentation site builds with --strict and its pages load cleanly in a real browser.

`bash .ci/docs` (run by `.ci/run`) is the build CI relies on; this test builds
the same site into a temporary folder, serves it on 127.0.0.1 and opens the
home page and the porting page in headless Chromium: both must render their
content with no console message (no script error, no failed asset - the site
loads nothing from outside). Needs the `docs` extra and Chromium
(`bash .ci/setup-browser`): without them the test skips saying so, and under
CI=true it fails instead.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prerequisites import missing

ROOT = Path(__file__).resolve().parents[2]


def _missing(what: str) -> None:
    missing(what, "install the docs extra (pip install -e '.[docs]') and run `bash .ci/setup-browser`")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        return


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("mkdocs") is None:
        _missing("mkdocs is not installed")
    out = tmp_path_factory.mktemp("site")
    # .ci/docs runs `python -m mkdocs`: this interpreter's.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    build = subprocess.run(["bash", str(ROOT / ".ci" / "docs"), str(out)], capture_output=True, text=True, timeout=300, env=env)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    ("page", "expected"),
    [("", "Where to go next"), ("porting/", "Porting from FastAPI")],
    ids=["home", "porting"],
)
def test_page_renders_without_console_messages(site: str, page: str, expected: str, tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        _missing("chromium is not installed")
    assert chromium is not None
    result = subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
            "--virtual-time-budget=5000", "--dump-dom", f"{site}/{page}",
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert expected in result.stdout
    assert 'class="md-content"' in result.stdout  # the theme's scripts and layout loaded
    console = [line for line in result.stderr.splitlines() if re.search(r":CONSOLE[(:]", line)]
    assert console == [], "\n".join(console)
