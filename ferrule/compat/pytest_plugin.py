"""pytest option ``--ferrule-compat``: run a test suite written for FastAPI on ferrule.

Installed as a pytest plugin (entry point ``ferrule_compat``), inert unless the
option is given (or ``FERRULE_COMPAT=1`` is set). With it, ``ferrule.compat.install()``
runs before the first conftest is imported, so ``import fastapi`` in conftest
files, tests and the libraries they use resolves to ferrule. Without the entry
point (a checkout not installed): ``pytest -p ferrule.compat.pytest_plugin --ferrule-compat``.
"""

from __future__ import annotations

import os

import pytest

__all__ = ["pytest_addoption", "pytest_load_initial_conftests"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--ferrule-compat",
        action="store_true",
        default=False,
        help="map `import fastapi` / `import starlette` to ferrule (ferrule.compat.install())",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    wanted = bool(getattr(early_config.known_args_namespace, "ferrule_compat", False))
    if wanted or os.environ.get("FERRULE_COMPAT") == "1":
        from ferrule.compat import install

        install()


