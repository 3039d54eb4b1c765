"""Suite-wide: this folder is on ``sys.path`` (pytest's prepend import mode puts a
conftest's folder there), so every test can import the helpers beside it
(``pinned``, ``backends``).

The async backend of the run (``backends``): ``--async-backend trio`` runs the
test client and anyio tests on trio; tests marked ``asyncio_only`` (each with
its reason) are then deselected.
"""

from __future__ import annotations

import pytest
from backends import BACKENDS, OPTION, default_testclient_backend

try:
    from hypothesis import settings
except ImportError:  # the install-import-app jobs run the smoke test with pytest alone
    pass
else:
    # No per-example deadline suite-wide: on CI's 2 shared cores one example of a
    # property can exceed hypothesis's 200 ms default while the machine is busy
    # (a FlakyFailure that says nothing about behaviour); speed claims come from bench/.
    settings.register_profile("ferrule", deadline=None)
    settings.load_profile("ferrule")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        OPTION,
        choices=BACKENDS,
        default="asyncio",
        help="the anyio backend of TestClient and @pytest.mark.anyio tests (default: asyncio)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "asyncio_only(reason): asyncio-specific (reads asyncio's tasks, drives ferrule run's asyncio "
        "server); deselected under --async-backend trio",
    )
    backend = str(config.getoption(OPTION))
    if backend != "asyncio":
        # Before collection: modules build their TestClient at import time.
        monkeypatch = pytest.MonkeyPatch()
        default_testclient_backend(monkeypatch, backend)
        config.add_cleanup(monkeypatch.undo)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption(OPTION) == "asyncio":
        return
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker("asyncio_only")
        if marker is not None and not (marker.args or marker.kwargs.get("reason")):
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.asyncio_only needs a reason")
        (dropped if marker is not None else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def anyio_backend(pytestconfig: pytest.Config) -> str:
    """The run's backend for ``@pytest.mark.anyio`` tests (a file may pin its own)."""
    return str(pytestconfig.getoption(OPTION))
