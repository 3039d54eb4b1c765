"""Drop-in mode: ``import fastapi`` / ``import starlette`` resolve to ferrule (issue 17 item 5).

The test environment has the real FastAPI installed (it is the oracle of the
surface test), so the mode is exercised in child processes whose
``sitecustomize`` hides the real ``fastapi`` and ``starlette`` from the import
system, as in an environment where they are not installed.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ferrule.compat
from ferrule.compat import CompatInstallError

HIDE = '''
import importlib.abc, sys

class _HideRealPackages(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("fastapi", "starlette"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _HideRealPackages())
'''

# An "extension library" written against FastAPI and Starlette, the way slowapi,
# fastapi-users and httpx-oauth are: it imports them itself.
EXTENSION = '''
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse
from starlette.config import Config
from starlette.datastructures import MutableHeaders, Secret
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

config = Config(environ={"LIMIT": "2", "DEBUG": "true", "TOKEN": "s3cret"})
LIMIT = config("LIMIT", cast=int)
TOKEN = config("TOKEN", cast=Secret)


def find_endpoint(routes, scope):
    for route in routes:
        match, child = route.matches(scope)
        if match == Match.FULL and hasattr(route, "endpoint"):
            return child["endpoint"]
    return None


class CountingMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint):
        endpoint = find_endpoint(request.app.routes, request.scope)
        response = await call_next(request)
        response.headers["x-endpoint"] = getattr(endpoint, "__name__", "none")
        return response


class HeaderInjector:
    """Pure ASGI middleware that edits the held start message in place, as slowapi's does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(raw=message["headers"])["x-injected"] = "yes"
            await send(message)

        await self.app(scope, receive, send_wrapper)
'''

APP = '''
import extension
from fastapi import Depends, FastAPI, HTTPException, status
from fastapi.testclient import TestClient
import fastapi, starlette, ferrule

app = FastAPI()
app.add_middleware(extension.CountingMiddleware)
app.add_middleware(extension.HeaderInjector)

@app.get("/items/{item_id}")
def read_item(item_id: int) -> dict:
    if item_id > extension.LIMIT:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such item")
    return {"id": item_id}

client = TestClient(app)
ok = client.get("/items/1")
missing = client.get("/items/9")
print(ok.status_code, ok.json(), ok.headers["x-endpoint"], ok.headers["x-injected"])
print(missing.status_code, missing.headers["x-endpoint"])
print(fastapi.FastAPI is ferrule.App, fastapi.__version__, starlette.__version__)
import fastapi.routing, starlette.requests, starlette.routing
from starlette import status as starlette_status
assert starlette_status.HTTP_200_OK == 200
print(fastapi.routing is ferrule.routing, starlette.requests.Request is ferrule.Request)
print(repr(extension.TOKEN), str(extension.TOKEN))
'''


def _child_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "sitecustomize.py").write_text(HIDE)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("FERRULE_COMPAT", None)
    return env


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=tmp_path, env=_child_env(tmp_path), capture_output=True, text=True, timeout=120, check=False
    )


def test_the_hidden_environment_really_has_no_fastapi(tmp_path: Path) -> None:
    result = _run([sys.executable, "-c", "import fastapi"], tmp_path)
    assert result.returncode == 1 and "No module named 'fastapi'" in result.stderr


def test_an_extension_importing_fastapi_and_starlette_runs_on_ferrule(tmp_path: Path) -> None:
    (tmp_path / "extension.py").write_text(EXTENSION)
    (tmp_path / "main.py").write_text("import ferrule.compat\nferrule.compat.install()\n" + APP)
    result = _run([sys.executable, "-W", "error", "main.py"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "200 {'id': 1} read_item yes",
        "404 read_item",
        f"True {ferrule.compat.FASTAPI_VERSION} {ferrule.compat.STARLETTE_VERSION}",
        "True True",
        "Secret('**********') s3cret",
    ]


def test_an_unmapped_module_says_so(tmp_path: Path) -> None:
    code = "import ferrule.compat; ferrule.compat.install(); import starlette.middleware.sessions"
    result = _run([sys.executable, "-c", code], tmp_path)
    assert result.returncode == 1
    assert "does not map 'starlette.middleware.sessions'" in result.stderr
    code = "import ferrule.compat; ferrule.compat.install(); import fastapi.dependencies.utils"
    assert "does not map 'fastapi.dependencies'" in _run([sys.executable, "-c", code], tmp_path).stderr


def test_pytest_option_installs_before_conftest(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("from fastapi import FastAPI\nAPP = FastAPI()\n")
    (tmp_path / "test_x.py").write_text(textwrap.dedent('''
        import fastapi, ferrule
        def test_it():
            assert fastapi.FastAPI is ferrule.App
    '''))
    # The plugin is registered by ferrule's pytest11 entry point (inert without the option).
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    without = _run([*base, "test_x.py"], tmp_path)
    assert without.returncode != 0 and "No module named 'fastapi'" in without.stdout + without.stderr
    with_option = _run([*base, "--ferrule-compat", "test_x.py"], tmp_path)
    assert with_option.returncode == 0, with_option.stdout + with_option.stderr
    assert "1 passed" in with_option.stdout


def test_cli_flag(tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text(
        "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/ping')\ndef ping() -> str:\n    return 'pong'\n"
    )
    routes = _run([sys.executable, "-m", "ferrule", "routes", "--compat", "shop:app"], tmp_path)
    assert routes.returncode == 0, routes.stderr
    assert "/ping" in routes.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="workers share a socket by fd (POSIX)")
@pytest.mark.parametrize("mode", [["--workers", "2"], ["--reload"]], ids=["workers", "reload"])
def test_cli_flag_reaches_the_child_processes(tmp_path: Path, mode: list[str]) -> None:
    # The app is imported in fresh `python -m ferrule.server` children, where
    # `import fastapi` must resolve to ferrule too (and the real one is hidden).
    (tmp_path / "shop.py").write_text(
        "import os\nfrom fastapi import FastAPI\napp = FastAPI()\n"
        "@app.get('/ping')\ndef ping() -> list:\n    return ['pong', os.getpid()]\n"
    )
    args = [sys.executable, "-m", "ferrule", "run", "--compat", *mode, "shop:app", "--port", "0", "--no-access-log"]
    proc = subprocess.Popen(
        args, cwd=tmp_path, env={**_child_env(tmp_path), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        port, seen = _listening_port(proc)
        assert port is not None, seen
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        conn.request("GET", "/ping")
        response = conn.getresponse()
        status, (word, pid) = response.status, json.loads(response.read())
        conn.close()
        assert (status, word) == (200, "pong")
        assert pid != proc.pid  # answered by a child, which imported fastapi as ferrule
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=20)
        assert proc.stderr is not None
        proc.stderr.close()
    assert code == 0


def _listening_port(proc: subprocess.Popen[str]) -> tuple[int | None, list[str]]:
    """The port from the 'listening on' line, or None (with the lines seen) if the server exits first."""
    assert proc.stderr is not None
    seen: list[str] = []
    for line in proc.stderr:
        seen.append(line)
        if match := re.search(r"listening on http://127\.0\.0\.1:(\d+)", line):
            return int(match.group(1)), seen
    return None, seen


def test_install_refuses_when_the_real_fastapi_is_installed() -> None:
    # This process has the real FastAPI (the oracle of the surface test).
    with pytest.raises(CompatInstallError, match="the real (fastapi|starlette) is (installed|already imported)"):
        ferrule.compat.install()
    assert not ferrule.compat.is_installed()


def test_starlette_stand_ins() -> None:
    from ferrule.compat.starlette.config import Config, Environ, EnvironError
    from ferrule.compat.starlette.datastructures import CommaSeparatedStrings, URLPath

    config = Config(environ={"APP_X": "0", "APP_BAD": "maybe", "APP_N": "x"}, env_prefix="APP_")
    assert config("X", cast=bool) is False
    assert config("MISSING", default=None, cast=int) is None
    with pytest.raises(ValueError, match="Config 'APP_BAD' has value 'maybe'. Not a valid bool."):
        config("BAD", cast=bool)
    with pytest.raises(ValueError, match="Not a valid int"):
        config("N", cast=int)
    with pytest.raises(KeyError, match="Config 'APP_NOPE' is missing, and has no default."):
        config("NOPE")
    environ = Environ({"A": "1"})
    assert environ["A"] == "1"
    with pytest.raises(EnvironError):
        environ["A"] = "2"
    environ["B"] = "3"
    assert list(CommaSeparatedStrings("a, b ,'c, d'")) == ["a", "b", "c, d"]
    assert str(URLPath("/ws", protocol="websocket").make_absolute_url("https://h.example/root")) == "wss://h.example/root/ws"


def test_config_reads_an_env_file(tmp_path: Path) -> None:
    from ferrule.compat.starlette.config import Config

    env = tmp_path / ".env"
    env.write_text("# comment\nDB='postgres://x'\nPORT=5432\nnot a pair\n")
    config = Config(env, environ={"PORT": "1"})
    assert config("DB") == "postgres://x"
    assert config("PORT", cast=int) == 1  # the environment wins over the file
    with pytest.warns(UserWarning, match="not found"):
        Config(tmp_path / "missing.env")


def test_route_matches_for_mounts_and_websockets() -> None:
    from ferrule import App
    from ferrule.routing.starlette_match import Match

    app = App()

    @app.websocket("/ws")
    async def ws(websocket: object) -> None:
        pass

    sub = App()
    app.mount("/sub", sub)
    by_path = {getattr(r, "path", ""): r for r in app.routes}
    assert by_path["/ws"].matches({"type": "websocket", "path": "/ws"})[0] is Match.FULL
    assert by_path["/ws"].matches({"type": "http", "method": "GET", "path": "/ws"})[0] is Match.NONE
    assert by_path["/sub"].matches({"type": "http", "method": "GET", "path": "/sub/x"})[0] is Match.FULL
    assert by_path["/sub"].matches({"type": "lifespan"})[0] is Match.NONE
